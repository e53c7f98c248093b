"""Shared query-string filters of the API (django-filter)."""
import django_filters
from django import forms

# A database id is a signed 64-bit integer. Bigger numbers are refused with a 400 instead of
# reaching the database: SQLite's driver cannot even bind them (OverflowError → 500 on a
# foreign-key lookup, which Django's integer-overflow guard does not cover).
ID_MIN, ID_MAX = -(2**63), 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    """Filter by a foreign key's id: an integer in the 64-bit range; an unknown id matches nothing."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", ID_MIN)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(*args, **kwargs)
