"""Input and output shapes of the supervision API."""
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.dates import ApiDateField
from core.filters import ID_MAX, ID_MIN

from ..models import Letter, LetterKind, LetterStatus, Outcome, Review, ReviewItem
from ..selectors import OVERDUE


class CaseRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    state = serializers.CharField()


class ReviewItemOutput(serializers.ModelSerializer):
    case = CaseRefOutput()
    department_name = serializers.CharField(source="department.name", default=None)
    confirmed_by_name = serializers.CharField(source="confirmed_by.display_name", default=None)

    class Meta:
        model = ReviewItem
        fields = ["id", "case", "reason", "outcome", "department", "department_name", "deadline", "decision_note",
                  "confirmed_by_name", "decided_at"]


class ReviewOutput(serializers.ModelSerializer):
    items = ReviewItemOutput(many=True)
    attendees = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = ["id", "title", "held_on", "status", "minutes", "attendees", "items", "concluded_at"]

    def get_attendees(self, review) -> list[str]:
        return [department.name for department in review.attendees.all()]


class ReviewInput(serializers.Serializer):
    title = serializers.CharField(max_length=100)
    held_on = ApiDateField()
    case_numbers = serializers.ListField(child=serializers.CharField(max_length=32), allow_empty=False)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AttendanceInput(serializers.Serializer):
    department_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    minutes = serializers.CharField(required=False, allow_blank=True, default="")


class DecisionInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[Outcome.ASSIGNED, Outcome.VOIDED])
    department_id = serializers.IntegerField(required=False, help_text=_("定责：责任部门"))
    deadline = ApiDateField(required=False, help_text=_("定责：办结日期"))
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000,
                                 help_text=_("作废必填理由"))


class LettersQuery(serializers.Serializer):
    """The register's filters: a value that is not one of them is refused (400), not ignored."""

    kind = serializers.ChoiceField(choices=LetterKind.choices, required=False)
    state = serializers.ChoiceField(choices=[*LetterStatus.choices, (OVERDUE, _("超期未答复"))], required=False)
    department = serializers.IntegerField(required=False, min_value=ID_MIN, max_value=ID_MAX)
    year = serializers.IntegerField(required=False, min_value=1900, max_value=9998)


class LetterOutput(serializers.ModelSerializer):
    reference = serializers.CharField()
    department_name = serializers.CharField(source="department.name")
    case_numbers = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Letter
        fields = ["id", "kind", "reference", "year", "number", "title", "department", "department_name", "case_numbers",
                  "status", "overdue", "reply_hours", "reply_deadline", "sent_at", "answered_at", "return_count",
                  "signed_off_at"]

    def get_case_numbers(self, letter) -> list[str]:
        return [case.number for case in letter.cases.all()]

    def get_overdue(self, letter) -> bool:
        return letter.is_overdue(self.context.get("now"))


class LetterDetailOutput(LetterOutput):
    class Meta(LetterOutput.Meta):
        fields = [*LetterOutput.Meta.fields, "body", "answer", "return_note"]


class LetterInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LetterKind.choices)
    department_id = serializers.IntegerField()
    case_numbers = serializers.ListField(child=serializers.CharField(max_length=32), allow_empty=False)
    reply_hours = serializers.IntegerField(required=False, min_value=1, max_value=400)


class AnswerInput(serializers.Serializer):
    answer = serializers.CharField(max_length=10000)
    answer_file = serializers.FileField(required=False)


class ReturnInput(serializers.Serializer):
    note = serializers.CharField(max_length=2000)
