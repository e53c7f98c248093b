"""The video platform's key: `Authorization: Api-Key vp_…` (or the X-Api-Key header).

Why a key per platform, not a knox staff token for a technical user: a staff token lives one
shift (API_TOKEN_TTL_HOURS) and dies with a password change, so a machine would have to keep a
password and log in again every 12 hours; a platform key lives until an administrator rotates or
disables it, names the platform its event ids belong to (the idempotency scope), and grants
nothing but sending events: it is no person and opens no page or other endpoint."""
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.permissions import BasePermission

from ..models import VideoPlatform
from ..services import platform_authenticate

KEYWORD = "Api-Key"


class PlatformKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("utf-8", errors="replace").split()
        raw = ""
        if len(header) == 2 and header[0].lower() == KEYWORD.lower():
            raw = header[1]
        raw = raw or request.headers.get("X-Api-Key", "")
        if not raw:
            return None
        platform = platform_authenticate(raw)
        if platform is None:
            raise exceptions.AuthenticationFailed(_("视频平台密钥无效或已停用。"))
        return AnonymousUser(), platform

    def authenticate_header(self, request) -> str:
        return KEYWORD


class IsVideoPlatform(BasePermission):
    message = _("需要视频平台密钥（Authorization: Api-Key …）。")

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, VideoPlatform)


class PlatformKeyScheme(OpenApiAuthenticationExtension):
    """The key in the generated schema (/api/docs/)."""

    target_class = "video.api.auth.PlatformKeyAuthentication"
    name = "VideoPlatformKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "Api-Key vp_…（管理后台 › 视频平台 生成，只显示一次）"}
