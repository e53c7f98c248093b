"""Admin of rewards: the schemes with their class rates (the city's rules), the ledger and the
payout register read-only (they are written by the services only)."""
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin

from .models import REWARDABLE_SOURCES, Citizen, RewardEntry, RewardPayout, RewardRate, RewardScheme
from .selectors import phone_for


class RewardRateInline(admin.TabularInline):
    model = RewardRate
    extra = 1
    autocomplete_fields = ["major", "minor"]


@admin.register(RewardScheme)
class RewardSchemeAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "unit", "default_amount", "daily_cap", "monthly_cap", "created_at"]
    inlines = [RewardRateInline]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "sources" in form.base_fields:
            form.base_fields["sources"].help_text = _("可选：%(sources)s") % {
                "sources": "、".join(f"{value}（{label}）" for value, label in
                                    ((s.value, s.label) for s in REWARDABLE_SOURCES))}
        return form


@admin.register(Citizen)
class CitizenAdmin(ReadOnlyAdmin):
    list_display = ["phone_shown", "created_at"]
    search_fields = ["phone"]
    fields = ["phone_shown", "created_at"]
    readonly_fields = fields

    @admin.display(description=_("电话"))
    def phone_shown(self, obj):
        return phone_for(self.request_user, obj.phone)

    def get_queryset(self, request):
        self.request_user = request.user
        return super().get_queryset(request)


@admin.register(RewardEntry)
class RewardEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "case", "kind", "unit", "amount", "capped", "payout"]
    list_filter = ["kind", "unit", "capped"]
    list_select_related = ["case", "payout"]
    search_fields = ["case__number"]
    exclude = ["citizen"]


@admin.register(RewardPayout)
class RewardPayoutAdmin(ReadOnlyAdmin):
    list_display = ["month", "unit", "amount", "entry_count", "created_at", "paid_at", "paid_by"]
    list_filter = ["month", "unit"]
    list_select_related = ["paid_by"]
    exclude = ["citizen"]
