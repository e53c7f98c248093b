"""Shapes of the video API: a platform's event in, its receipt out; pending events; accuracy rows."""
import base64
import binascii

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.dates import ApiDateTimeField

from ..models import VideoEvent


class EventInput(serializers.Serializer):
    event_id = serializers.CharField(max_length=100, help_text=_("平台的事件编号：同一编号重发返回同一结果"))
    camera_code = serializers.CharField(max_length=64)
    detected_at = ApiDateTimeField(help_text=_("识别时间（ISO 8601，带时区）"))
    class_code = serializers.CharField(max_length=32, help_text=_("小类代码，如 0101 或 legacy4-event-0101"))
    confidence = serializers.FloatField(min_value=0, max_value=1)
    frame = serializers.ImageField(required=False, help_text=_("抓拍图片（multipart）"))
    frame_base64 = serializers.CharField(required=False, help_text=_("抓拍图片（base64，JSON 时用）"))

    def validate_frame_base64(self, value: str) -> bytes:
        if "," in value[:100] and value.startswith("data:"):
            value = value.split(",", 1)[1]
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError(_("frame_base64 不是有效的 base64。")) from None

    def validate(self, attrs):
        if not attrs.get("frame") and not attrs.get("frame_base64"):
            raise serializers.ValidationError({"frame": _("请附上抓拍图片（frame 或 frame_base64）。")})
        return attrs


class EventReceiptOutput(serializers.ModelSerializer):
    event_id = serializers.CharField(source="external_id")
    case_number = serializers.SerializerMethodField()

    class Meta:
        model = VideoEvent
        fields = ["id", "event_id", "status", "case_number"]

    def get_case_number(self, event: VideoEvent) -> str | None:
        return event.case.number if event.case_id else None


class PendingEventOutput(serializers.ModelSerializer):
    camera_code = serializers.CharField(source="camera.code")
    camera_name = serializers.CharField(source="camera.name")
    class_code = serializers.CharField(source="minor.code")
    class_name = serializers.CharField(source="minor.name")
    frame_url = serializers.SerializerMethodField()

    class Meta:
        model = VideoEvent
        fields = ["id", "external_id", "camera_code", "camera_name", "class_code", "class_name", "confidence",
                  "detected_at", "received_at", "frame_url"]

    def get_frame_url(self, event: VideoEvent) -> str:
        return f"/video/events/{event.pk}/frame/"


class RejectInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200, allow_blank=True)


class DecisionOutput(serializers.ModelSerializer):
    case_number = serializers.SerializerMethodField()

    class Meta:
        model = VideoEvent
        fields = ["id", "status", "reject_reason", "case_number"]

    def get_case_number(self, event: VideoEvent) -> str | None:
        return event.case.number if event.case_id else None


class AccuracyRowOutput(serializers.Serializer):
    key = serializers.CharField(help_text=_("摄像头编码或小类代码"))
    label = serializers.CharField()
    events = serializers.IntegerField()
    confirmed = serializers.IntegerField()
    rejected = serializers.IntegerField()
    pending = serializers.IntegerField()
    accuracy = serializers.FloatField(allow_null=True, help_text=_("确认数 /（确认数 + 驳回数）；无判定时为空"))


class AccuracyOutput(serializers.Serializer):
    cameras = AccuracyRowOutput(many=True)
    classes = AccuracyRowOutput(many=True)
