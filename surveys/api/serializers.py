"""Input and output serializers of the surveys API (the field app's survey tasks)."""
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cases.api.serializers import ReportInput

from ..models import Outcome


class SurveyTaskOutput(serializers.Serializer):
    id = serializers.IntegerField()
    survey_id = serializers.IntegerField()
    survey_name = serializers.CharField(source="survey.name")
    ends_on = serializers.DateField(source="survey.ends_on")
    classes = serializers.SerializerMethodField()
    unit_grid_code = serializers.CharField(source="unit_grid.code")
    center_lon = serializers.FloatField(source="unit_grid.center_lon")
    center_lat = serializers.FloatField(source="unit_grid.center_lat")
    geometry = serializers.JSONField(source="unit_grid.geometry")
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    outcome_label = serializers.CharField(source="get_outcome_display")
    finding_count = serializers.IntegerField()

    def get_classes(self, task) -> list[dict]:
        return [{"id": minor.pk, "name": minor.name} for minor in task.survey.minors.all()]


class FindingInput(ReportInput):
    """The case intake's report fields (source is always 监督员上报)."""

    source = None


class FindingOutput(serializers.Serializer):
    task_id = serializers.IntegerField(source="task.id")
    outcome = serializers.CharField(source="task.outcome")
    case_id = serializers.IntegerField(source="case.id")
    case_number = serializers.CharField(source="case.number")


class NoProblemInput(serializers.Serializer):
    note = serializers.CharField(label=_("备注"), max_length=200, required=False, allow_blank=True, default="")


class TaskOutcomeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    done_at = serializers.DateTimeField(allow_null=True)
