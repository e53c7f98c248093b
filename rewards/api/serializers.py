"""Input and output serializers of the rewards API."""
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import EntryKind, Unit


class PublicStatementInput(serializers.Serializer):
    phone = serializers.CharField(label=_("联系电话"), max_length=32)
    case_number = serializers.CharField(label=_("案件编号"), max_length=16)


class StatementEntryOutput(serializers.Serializer):
    case_number = serializers.CharField(source="case.number")
    class_name = serializers.CharField(source="case.minor.name")
    kind = serializers.ChoiceField(choices=EntryKind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    unit = serializers.ChoiceField(choices=Unit.choices)
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    capped = serializers.BooleanField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()
    paid = serializers.SerializerMethodField()

    def get_paid(self, entry) -> bool:
        return entry.payout is not None and entry.payout.paid_at is not None


class StatementTotalOutput(serializers.Serializer):
    unit = serializers.ChoiceField(choices=Unit.choices)
    earned = serializers.DecimalField(max_digits=12, decimal_places=2)
    reversed = serializers.DecimalField(max_digits=12, decimal_places=2)
    balance = serializers.DecimalField(max_digits=12, decimal_places=2)
    paid = serializers.DecimalField(max_digits=12, decimal_places=2)
    unpaid = serializers.DecimalField(max_digits=12, decimal_places=2)


class StatementOutput(serializers.Serializer):
    phone = serializers.CharField(source="phone_shown", help_text=_("除热线坐席和管理员外均为脱敏号码"))
    totals = StatementTotalOutput(many=True)
    entries = StatementEntryOutput(many=True)


class PayoutCreateInput(serializers.Serializer):
    month = serializers.RegexField(r"^\d{4}-\d{1,2}$", label=_("结算月份"), help_text="2026-12")


class PayoutsPaidInput(serializers.Serializer):
    payout_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)


class PayoutOutput(serializers.Serializer):
    id = serializers.IntegerField()
    month = serializers.DateField()
    phone = serializers.SerializerMethodField()
    unit = serializers.ChoiceField(choices=Unit.choices)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    entry_count = serializers.IntegerField()
    paid_at = serializers.DateTimeField(allow_null=True)

    def get_phone(self, payout) -> str:
        from ..selectors import phone_for

        return phone_for(self.context.get("user"), payout.citizen.phone)


class PaidOutput(serializers.Serializer):
    marked = serializers.IntegerField()
