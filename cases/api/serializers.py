"""Input and output serializers of the case API: one input serializer per operation."""
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.reverse import reverse

from core.api import ModelSerializer, Serializer
from core.dates import ApiDateField, ApiDateTimeField

from ..marks import case_marks
from ..models import Attachment, Case, CaseEvent, CaseRequest, CaseStep, Source, State, Task, Urgency
from ..permissions import available_actions
from ..steps import traffic_light_of
from ..workflow import CORRECTIONS, department_has_acted


class ReportInput(Serializer):
    source = serializers.ChoiceField(choices=Source.choices, default=Source.COLLECTOR)
    minor_id = serializers.IntegerField(label=_("小类"))
    lon = serializers.FloatField(label=_("经度"), min_value=-180, max_value=180)
    lat = serializers.FloatField(label=_("纬度"), min_value=-90, max_value=90)
    description = serializers.CharField(label=_("问题描述"), max_length=2000)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    component_code = serializers.CharField(max_length=17, required=False, allow_blank=True, default="")
    reporter_name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    reporter_phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    client_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="",
                                      help_text=_("客户端生成的唯一编号；重试时返回第一次创建的案件（同 Idempotency-Key 头）"))
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class SelfHandledInput(ReportInput):
    after_photos = serializers.ListField(child=serializers.FileField(), required=True)


class OptionalBooleanField(serializers.BooleanField):
    """A boolean that may be left out of a form too: DRF reads a missing form checkbox as False,
    which would record a verify answer nobody gave."""

    default_empty_html = empty


class ActionInput(serializers.Serializer):
    """Fields any action may take; each action uses the ones it needs."""

    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    is_true = OptionalBooleanField(required=False, help_text=_("核实结果：属实"))
    minor_id = serializers.IntegerField(required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    filing_condition = serializers.CharField(required=False, allow_blank=True, default="")
    department_id = serializers.IntegerField(required=False, help_text=_("处置部门；联合派遣时为主办部门"))
    assisting_department_ids = serializers.ListField(child=serializers.IntegerField(), required=False,
                                                     allow_empty=False, help_text=_("联合派遣的协办部门"))
    reason_code = serializers.CharField(required=False, max_length=32, help_text=_("回退原因代码"))
    into_case_id = serializers.IntegerField(required=False)
    requested_deadline = ApiDateTimeField(required=False)
    until = ApiDateField(required=False, help_text=_("挂账至哪一天（当日自动恢复处置）：申请挂账必填，批准挂账可改"))
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list)
    lon = serializers.FloatField(required=False, min_value=-180, max_value=180,
                                 help_text=_("作答位置（手机定位）经度：核实、核查、处置反馈"))
    lat = serializers.FloatField(required=False, min_value=-90, max_value=90, help_text=_("作答位置纬度"))
    accuracy = serializers.FloatField(required=False, allow_null=True, min_value=0, help_text=_("定位精度（米）"))

    def validate(self, attrs):
        if ("lon" in attrs) != ("lat" in attrs):
            raise serializers.ValidationError({"lat" if "lon" in attrs else "lon": _("经度和纬度须同时填写。")})
        return attrs


@extend_schema_field(OpenApiTypes.STR)
class ChoiceLabelField(serializers.Field):
    """A choice's label, translated once per response: Django's get_FOO_display() rebuilds and
    translates the whole choices dict on every call, which was 40 % of a 50-row list's CPU."""

    def __init__(self, choices, **kwargs):
        self.choices = choices
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        labels = getattr(self, "_labels", None)  # one field instance serves every row of a list
        if labels is None:
            labels = self._labels = {key: str(label) for key, label in self.choices}
        return labels.get(value, value)


class MarkOutput(serializers.Serializer):
    """A state mark (cases.marks): its kind (suspended, urged, reworked, extended), the short text
    a list shows and the full sentence."""

    kind = serializers.CharField()
    label = serializers.CharField()
    title = serializers.CharField()


def marks_output(case: Case) -> list[dict]:
    return [{"kind": mark.kind, "label": mark.label, "title": mark.title} for mark in case_marks(case)]


class CaseListOutput(ModelSerializer):
    minor_code = serializers.CharField(source="minor.code")
    minor_name = serializers.CharField(source="minor.name")
    district_name = serializers.CharField(source="district.name")
    street_name = serializers.CharField(source="street.name")
    unit_grid_code = serializers.CharField(source="unit_grid.code")
    department_name = serializers.CharField(source="department.name", default=None)
    state_display = ChoiceLabelField(State.choices, source="state")
    source_display = ChoiceLabelField(Source.choices, source="source")
    traffic_light = serializers.SerializerMethodField()
    marks = serializers.SerializerMethodField(help_text=_("状态标记：挂账（至哪天）、督办、返工、延期"))

    class Meta:
        model = Case
        fields = [
            "id", "number", "source", "source_display", "kind", "minor_code", "minor_name", "state", "state_display",
            "urgency", "lon", "lat", "address", "district_name", "street_name", "unit_grid_code", "department_name",
            "current_step", "current_deadline", "traffic_light", "reported_at", "duplicate_of", "marks",
        ]

    def get_traffic_light(self, case: Case) -> str | None:
        return traffic_light_of(case, now=self.context.get("now") or timezone.now())

    @extend_schema_field(MarkOutput(many=True))
    def get_marks(self, case: Case) -> list[dict]:
        return marks_output(case)

    def to_representation(self, case: Case) -> dict:
        """The declared fields' output, built directly for the list (a test compares it with DRF's
        field-by-field path, which was a third of a 50-row page's CPU); the detail, which adds
        fields, takes the generic path."""
        if type(self) is not CaseListOutput:
            return super().to_representation(case)
        fields = self.fields
        instant = fields["reported_at"].to_representation  # one DRF DateTimeField formats them all
        department, deadline = case.department, case.current_deadline
        return {
            "id": case.pk, "number": case.number, "source": case.source,
            "source_display": fields["source_display"].to_representation(case.source), "kind": case.kind,
            "minor_code": case.minor.code, "minor_name": case.minor.name, "state": case.state,
            "state_display": fields["state_display"].to_representation(case.state), "urgency": case.urgency,
            "lon": case.lon, "lat": case.lat, "address": case.address, "district_name": case.district.name,
            "street_name": case.street.name, "unit_grid_code": case.unit_grid.code,
            "department_name": department.name if department is not None else None,
            "current_step": case.current_step, "current_deadline": instant(deadline) if deadline else None,
            "traffic_light": self.get_traffic_light(case), "reported_at": instant(case.reported_at),
            "duplicate_of": case.duplicate_of_id, "marks": self.get_marks(case),
        }


class EventOutput(ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None)
    actor_name = serializers.CharField(source="actor.display_name", default=None)

    class Meta:
        model = CaseEvent
        fields = ["action", "from_state", "to_state", "actor", "actor_name", "created_at", "note", "payload"]


class StepOutput(ModelSerializer):
    class Meta:
        model = CaseStep
        fields = ["kind", "department", "started_at", "deadline", "completed_at", "on_time", "overdue_marked_at"]


class AttachmentOutput(ModelSerializer):
    """A photo by the URLs that serve it within the case's scope (cases.media), never its file."""

    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "kind", "url", "thumbnail_url", "content_type", "size", "created_at"]

    def get_url(self, attachment: Attachment) -> str:
        return reverse("cases:photo", kwargs={"attachment_id": attachment.pk}, request=self.context.get("request"))

    def get_thumbnail_url(self, attachment: Attachment) -> str:
        return reverse("cases:photo_thumbnail", kwargs={"attachment_id": attachment.pk},
                       request=self.context.get("request"))


class CaseReceiptOutput(ModelSerializer):
    """The answer to a report: what the reporter needs to see and to follow the case up, built from
    the objects the intake already holds (no query for a new case). The timeline and the actions
    are at `url`, the case detail."""

    minor_code = serializers.CharField(source="minor.code")
    minor_name = serializers.CharField(source="minor.name")
    unit_grid_code = serializers.CharField(source="unit_grid.code")
    suggested_department_name = serializers.CharField(source="suggested_department.name", default=None)
    duplicate_of_number = serializers.CharField(source="duplicate_of.number", default=None)
    state_display = ChoiceLabelField(State.choices, source="state")
    attachments = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id", "number", "source", "kind", "minor_code", "minor_name", "state", "state_display", "urgency", "lon",
            "lat", "address", "unit_grid_code", "suggested_department", "suggested_department_name",
            "ownership_unknown", "current_step", "current_deadline", "reported_at", "duplicate_of",
            "duplicate_of_number", "attachments", "url",
        ]

    @extend_schema_field(AttachmentOutput(many=True))
    def get_attachments(self, case: Case) -> list[dict]:
        attachments = self.context.get("attachments")
        if attachments is None:
            attachments = case.attachments.all()
        return AttachmentOutput(attachments, many=True, context=self.context).data

    def get_url(self, case: Case) -> str:
        return reverse("case-detail", kwargs={"case_id": case.pk}, request=self.context.get("request"))


class RequestOutput(ModelSerializer):
    class Meta:
        model = CaseRequest
        fields = ["id", "kind", "status", "reason", "requested_deadline", "requested_at", "decided_at", "decision_note"]


class TaskOutput(ModelSerializer):
    """A task, with where it was answered and how far that was from the case (`far`: beyond
    FIELD_ANSWER_RADIUS_M)."""

    case_number = serializers.CharField(source="case.number")
    case_id = serializers.IntegerField(source="case.id")
    minor_name = serializers.CharField(source="case.minor.name")
    lon = serializers.FloatField(source="case.lon")
    lat = serializers.FloatField(source="case.lat")
    address = serializers.CharField(source="case.address")
    description = serializers.CharField(source="case.description")

    class Meta:
        model = Task
        fields = ["id", "kind", "case_id", "case_number", "minor_name", "lon", "lat", "address", "description",
                  "created_at", "deadline", "completed_at", "result", "answered_lon", "answered_lat",
                  "answered_accuracy_m", "distance_m", "far"]

    far = serializers.BooleanField(source="answered_far", allow_null=True, read_only=True)


class CaseDetailOutput(CaseListOutput):
    # The lists selectors.case_detail_api puts on the case.
    events = EventOutput(many=True, source="detail_events")
    steps = StepOutput(many=True, source="detail_steps")
    attachments = AttachmentOutput(many=True, source="detail_attachments")
    requests = RequestOutput(many=True, source="detail_requests")
    available_actions = serializers.SerializerMethodField()
    suggested_department_name = serializers.CharField(source="suggested_department.name", default=None)
    component_code = serializers.CharField(source="component.code", default=None)

    class Meta(CaseListOutput.Meta):
        fields = CaseListOutput.Meta.fields + [
            "description", "component_code", "suggested_department", "suggested_department_name",
            "ownership_unknown", "verified", "merged_into", "handle_deadline", "handled_at", "handled_on_time",
            "closed_at", "closed_on_time", "rework_count", "return_count", "extension_count", "suspension_count",
            "urge_count", "suspended_until", "events", "steps", "attachments", "requests", "available_actions",
        ]

    def get_available_actions(self, case: Case) -> list[str]:
        names = available_actions(self.context["request"].user, case)
        if department_has_acted(case, case.detail_events):
            names = [name for name in names if name not in CORRECTIONS]
        return names


class ActionOutput(CaseDetailOutput):
    """The case after a move, with the distance of the answer's position from the case when one
    was sent (核实, 核查, 处置反馈), and `far` beyond FIELD_ANSWER_RADIUS_M."""

    distance_m = serializers.SerializerMethodField()
    far = serializers.SerializerMethodField()

    class Meta(CaseDetailOutput.Meta):
        fields = CaseDetailOutput.Meta.fields + ["distance_m", "far"]

    def get_distance_m(self, case: Case) -> float | None:
        return self.context.get("answer", {}).get("distance_m")

    def get_far(self, case: Case) -> bool | None:
        return self.context.get("answer", {}).get("far")
