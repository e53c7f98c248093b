"""Input and output serializers of the hotline API. Names and phones go through hotline.masking:
in full for hotline agents and admins, masked for everyone else."""
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cases.models import Urgency
from core.api import ModelSerializer
from core.dates import ApiDateField, ApiDateTimeField
from core.filters import ID_MAX, ID_MIN

from ..masking import name_for, phone_for
from ..models import (
    Call,
    Callback,
    CallKind,
    Channel,
    Feedback,
    FeedbackChannel,
    FeedbackKind,
    PublicChannel,
    Satisfaction,
)


def _viewer(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


# --- calls -----------------------------------------------------------------------------------

class CallInput(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.HOTLINE_12319)
    kind = serializers.ChoiceField(choices=CallKind.choices, default=CallKind.REPORT)
    phone = serializers.CharField(label=_("来电号码"), max_length=32)
    caller_name = serializers.CharField(label=_("来电人称呼"), max_length=64, required=False, allow_blank=True,
                                        default="")
    content = serializers.CharField(label=_("来电内容"), max_length=4000)
    answer = serializers.CharField(label=_("答复内容"), max_length=4000, required=False, allow_blank=True, default="")
    minor_id = serializers.IntegerField(label=_("小类"), required=False, allow_null=True, default=None)
    lon = serializers.FloatField(label=_("经度"), min_value=-180, max_value=180, required=False, allow_null=True,
                                 default=None)
    lat = serializers.FloatField(label=_("纬度"), min_value=-90, max_value=90, required=False, allow_null=True,
                                 default=None)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    case_number = serializers.CharField(label=_("案件编号"), max_length=16, required=False, allow_blank=True,
                                        default="", help_text=_("来电人提供的案件编号：反映问题时并入该案件，查询时关联该案件"))
    transfer_number = serializers.CharField(label=_("12345工单号"), max_length=40, required=False, allow_blank=True,
                                            default="")
    transfer_deadline = ApiDateTimeField(label=_("12345办理时限"), required=False, allow_null=True,
                                                  default=None)
    called_at = ApiDateTimeField(label=_("来电时间"), required=False, allow_null=True, default=None)
    client_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="",
                                      help_text=_("客户端生成的唯一编号；重试时返回第一次的记录（同 Idempotency-Key 头）"))


class CallOutput(ModelSerializer):
    channel_display = serializers.CharField(source="get_channel_display")
    kind_display = serializers.CharField(source="get_kind_display")
    caller_name = serializers.SerializerMethodField()
    caller_phone = serializers.SerializerMethodField()
    agent = serializers.CharField(source="agent.username", default=None)
    agent_name = serializers.CharField(source="agent.display_name", default=None)
    case_number = serializers.CharField(source="case.number", default=None)
    case_state = serializers.CharField(source="case.state", default=None)
    case_state_display = serializers.CharField(source="case.get_state_display", default=None)
    case_link_display = serializers.CharField(source="get_case_link_display")

    class Meta:
        model = Call
        fields = [
            "id", "channel", "channel_display", "kind", "kind_display", "caller_name", "caller_phone", "called_at",
            "agent", "agent_name", "content", "answer", "transfer_number", "transfer_deadline", "case", "case_number",
            "case_state", "case_state_display", "case_link", "case_link_display", "district",
        ]

    def get_caller_name(self, call: Call) -> str:
        return name_for(_viewer(self), call.caller_name)

    def get_caller_phone(self, call: Call) -> str:
        return phone_for(_viewer(self), call.caller.phone)


class CallerOutput(serializers.Serializer):
    phone = serializers.SerializerMethodField()
    name = serializers.SerializerMethodField()
    calls = CallOutput(many=True)

    def get_phone(self, data) -> str:
        return phone_for(_viewer(self), data["caller"].phone)

    def get_name(self, data) -> str:
        return name_for(_viewer(self), data["caller"].name)


# --- replies and callbacks -------------------------------------------------------------------

class FeedbackInput(serializers.Serializer):
    channel = serializers.ChoiceField(choices=FeedbackChannel.choices)
    kind = serializers.ChoiceField(choices=FeedbackKind.choices, default=FeedbackKind.RESULT)
    message = serializers.CharField(max_length=2000)
    recipient = serializers.CharField(max_length=32, required=False, allow_blank=True, default="",
                                      help_text=_("为空则使用来电人号码"))


class FeedbackOutput(ModelSerializer):
    recipient = serializers.SerializerMethodField()
    case_number = serializers.CharField(source="case.number")

    class Meta:
        model = Feedback
        fields = ["id", "case", "case_number", "kind", "channel", "recipient", "message", "automatic", "created_at",
                  "case_closed_at", "due_at", "on_time", "status", "sent_at"]

    def get_recipient(self, feedback: Feedback) -> str:
        return phone_for(_viewer(self), feedback.recipient)


class CallbackInput(serializers.Serializer):
    reached = serializers.BooleanField(default=True, help_text=_("是否接通；未接通时只记录一次拨打"))
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices, required=False, allow_blank=True,
                                           default="")
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    reopen = serializers.BooleanField(default=False, help_text=_("不满意时退回处置部门重新处置（返工）"))


class CallbackOutput(ModelSerializer):
    case_number = serializers.CharField(source="case.number")
    case_state = serializers.CharField(source="case.state")
    minor_name = serializers.CharField(source="case.minor.name")
    department_name = serializers.CharField(source="case.department.name", default=None)
    agent = serializers.CharField(source="agent.username", default=None)
    agent_name = serializers.CharField(source="agent.display_name", default=None)

    class Meta:
        model = Callback
        fields = ["id", "case", "case_number", "case_state", "minor_name", "department_name", "case_closed_at",
                  "created_at", "due_at", "status", "attempts", "satisfaction", "comment", "agent", "agent_name", "done_at",
                  "reopened"]


class FiguresQuery(serializers.Serializer):
    start = ApiDateField(help_text=_("起始日期（含）"))
    end = ApiDateField(help_text=_("截止日期（不含）"))
    district_id = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=ID_MIN,
                                           max_value=ID_MAX)

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": _("截止日期必须晚于起始日期。")})
        # Midnight of year 1 in the city's zone is before datetime.min in UTC (a 500, not an answer).
        if attrs["start"].year < 1900 or attrs["end"].year > 9998:
            raise serializers.ValidationError({"start": _("日期须在 1900 年至 9998 年之间。")})
        return attrs


class FiguresOutput(serializers.Serializer):
    calls = serializers.IntegerField()
    cases_created = serializers.IntegerField()
    taken = serializers.IntegerField()
    closed = serializers.IntegerField()
    fed_back_on_time = serializers.IntegerField()
    called_back = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    closure_rate = serializers.FloatField(allow_null=True)
    timely_feedback_rate = serializers.FloatField(allow_null=True)
    callback_rate = serializers.FloatField(allow_null=True)
    satisfaction_rate = serializers.FloatField(allow_null=True)


# --- public channel --------------------------------------------------------------------------

class PublicReportInput(serializers.Serializer):
    channel = serializers.ChoiceField(choices=[c for c in PublicChannel.choices if c[0] != PublicChannel.OPEN311],
                                      default=PublicChannel.WEB)
    minor_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    service_code = serializers.CharField(required=False, allow_blank=True, default="",
                                         help_text=_("Open311 服务代码，可代替 minor_id"))
    lon = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    description = serializers.CharField(max_length=2000)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    contact_name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list)
    client_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if not attrs.get("minor_id") and not attrs.get("service_code"):
            raise serializers.ValidationError({"minor_id": _("请选择问题分类。")})
        return attrs


class PublicReportOutput(serializers.Serializer):
    number = serializers.CharField()
    token = serializers.CharField()
    status = serializers.CharField()
    status_text = serializers.CharField()


class PublicProgressItem(serializers.Serializer):
    at = serializers.DateTimeField()
    text = serializers.CharField()


class PublicCaseOutput(serializers.Serializer):
    """A case as the public sees it: class, dates and progress in plain words, nothing personal."""

    number = serializers.CharField()
    service_name = serializers.CharField()
    status = serializers.CharField(help_text=_("open / closed"))
    status_text = serializers.CharField()
    reported_at = serializers.DateTimeField()
    expected_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    merged_into = serializers.CharField(allow_null=True)
    progress = PublicProgressItem(many=True)


class PublicClassOutput(serializers.Serializer):
    id = serializers.IntegerField()
    service_code = serializers.CharField()
    name = serializers.CharField()
    group = serializers.CharField()
    kind = serializers.CharField()
