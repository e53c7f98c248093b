"""Gateways that carry replies to citizens (SMS, WeChat). HOTLINE_FEEDBACK_GATEWAY names the class
by dotted path; the default only logs (with the number masked), so replies are recorded, not sent,
until a city plugs in its own gateway with the same `send` method."""
import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from .masking import mask_phone

logger = logging.getLogger("citygrid.hotline.feedback")

DEFAULT_GATEWAY = "hotline.gateways.LoggingGateway"


@dataclass(frozen=True)
class GatewayResult:
    sent: bool  # False: accepted but not delivered anywhere (recorded only)
    reference: str = ""
    detail: str = ""


class FeedbackGateway:
    """The interface: deliver `message` to `recipient` over `channel` ("sms" / "wechat"); raise on
    failure. `reference` is our feedback id, for the gateway's own idempotency."""

    def send(self, *, channel: str, recipient: str, message: str, reference: str) -> GatewayResult:
        raise NotImplementedError


class LoggingGateway(FeedbackGateway):
    """The no-op default: writes one log line and reports the reply as recorded, not sent."""

    def send(self, *, channel: str, recipient: str, message: str, reference: str) -> GatewayResult:
        logger.info("feedback %s via %s to %s (not sent: no gateway configured): %s",
                    reference, channel, mask_phone(recipient), message[:200])
        return GatewayResult(sent=False, detail="logged")


def gateway_get() -> FeedbackGateway:
    return import_string(getattr(settings, "HOTLINE_FEEDBACK_GATEWAY", DEFAULT_GATEWAY))()
