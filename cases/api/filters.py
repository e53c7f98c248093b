"""Filters of the case list: state, source, class, region, department, overdue, dates, text."""
import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.dates import IsoDateTimeFilter
from core.filters import BooleanFilter, FilterSet, IdFilter
from grids.models import ClassKind

from ..models import CLOCK_RUNNING_STATES, Case, Source, State
from ..months import reported_before_q, reported_between_q
from ..selectors import case_search_filter


class CaseFilter(FilterSet):
    # One `IN (…)` on the case's own column: django-filter's default (an OR of equalities under
    # SELECT DISTINCT over every selected column) made PostgreSQL sort every match of a queue.
    state = django_filters.MultipleChoiceFilter(choices=State.choices, method="filter_in")
    source = django_filters.MultipleChoiceFilter(choices=Source.choices, method="filter_in")
    minor = IdFilter(field_name="minor_id")
    minor_code = django_filters.CharFilter(field_name="minor__code")
    kind = django_filters.ChoiceFilter(field_name="kind", choices=ClassKind.choices)
    district = IdFilter(field_name="district_id")
    street = IdFilter(field_name="street_id")
    community = IdFilter(field_name="community_id")
    unit_grid = django_filters.CharFilter(field_name="unit_grid__code")
    department = IdFilter(field_name="department_id")
    number = django_filters.CharFilter(field_name="number")
    reported_after = IsoDateTimeFilter(field_name="reported_at", lookup_expr="gte")
    reported_before = IsoDateTimeFilter(field_name="reported_at", lookup_expr="lt")
    closed_after = IsoDateTimeFilter(field_name="closed_at", lookup_expr="gte")
    closed_before = IsoDateTimeFilter(field_name="closed_at", lookup_expr="lt")
    overdue = BooleanFilter(method="filter_overdue", label=_("已超时"))
    q = django_filters.CharFilter(method="filter_text", label=_("编号、描述或地址"))
    ordering = django_filters.OrderingFilter(fields=(("current_deadline", "deadline"), ("reported_at", "reported_at"),
                                                     ("number", "number")))

    class Meta:
        model = Case
        fields: list[str] = []

    def filter_queryset(self, queryset):
        """The filters, and the bound on the case's id that the dates imply (cases.months): a
        report window, or an end before which the case was reported or closed (so reported). The
        same rows; on PostgreSQL the months outside are not read (search, export, the API list)."""
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        after, before = data.get("reported_after"), data.get("reported_before")
        ends = [moment for moment in (before, data.get("closed_before")) if moment and timezone.is_aware(moment)]
        if ends:
            end = min(ends)
            if after and timezone.is_aware(after) and after < end:
                return queryset.filter(reported_between_q(after, end))
            return queryset.filter(reported_before_q(end))
        return queryset

    def filter_in(self, queryset, name, value):
        return queryset.filter(**{f"{name}__in": value}) if value else queryset

    def filter_overdue(self, queryset, name, value):
        overdue = Q(state__in=CLOCK_RUNNING_STATES, current_deadline__lt=timezone.now())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_text(self, queryset, name, value):
        return queryset.filter(case_search_filter(value.strip())) if value.strip() else queryset
