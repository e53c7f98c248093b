"""Output serializers of the field app's endpoints."""
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.api.serializers import ChoiceLabelField, MarkOutput, marks_output
from cases.models import State
from core.api import ModelSerializer
from grids.models import MinorClass


class ClassOutput(ModelSerializer):
    major_name = serializers.CharField(source="major.name")

    class Meta:
        model = MinorClass
        fields = ["id", "code", "name", "kind", "edition", "major_name"]


class ClassPickerOutput(serializers.Serializer):
    frequent = serializers.ListField(child=serializers.IntegerField(),
                                     help_text=_("本人近期最常上报的小类编号，最常用在前"))
    classes = ClassOutput(many=True)


class InboxCaseOutput(serializers.Serializer):
    """A case of the department's inbox with its marks (挂账 and since when, 督办 and 返工 counts,
    overdue, requests waiting for a decision)."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    minor_name = serializers.CharField(source="minor.name")
    state = serializers.CharField()
    state_display = ChoiceLabelField(State.choices, source="state")
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    address = serializers.CharField()
    description = serializers.CharField()
    current_deadline = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField(source="is_overdue")
    suspended_at = serializers.DateTimeField(allow_null=True, help_text=_("挂账批准时间（挂账中的案件）"))
    urge_count = serializers.IntegerField()
    rework_count = serializers.IntegerField()
    rework_reason = serializers.CharField(allow_null=True)
    extension_pending = serializers.BooleanField()
    suspension_pending = serializers.BooleanField()
    suspended_until = serializers.DateTimeField(allow_null=True, help_text=_("挂账至：该时刻自动恢复处置（挂账中的案件）"))
    extension_count = serializers.IntegerField(help_text=_("已批准的延期次数"))
    handle_deadline = serializers.DateTimeField(allow_null=True, help_text=_("处置时限（延期后为新时限）"))
    assisting = serializers.BooleanField(source="assist_open", help_text=_("本部门是协办部门（联合派遣），待报告协办完成"))
    assist_deadline = serializers.DateTimeField(allow_null=True, help_text=_("协办任务的时限（协办案件）"))
    marks = serializers.SerializerMethodField(help_text=_("状态标记：挂账（至哪天）、督办、返工、延期"))

    @extend_schema_field(MarkOutput(many=True))
    def get_marks(self, case) -> list[dict]:
        return marks_output(case)
