"""The dates and instants the application takes from outside (query parameters, forms, JSON,
Open311) are bounded: years 1900 to 2999 and UTC offsets within ±14:00, so that none reaches date
arithmetic or a database that cannot hold it. Here: the check, and the fields that apply it."""
from datetime import date, datetime, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2999, 12, 31)
OFFSET_MAX = timedelta(hours=14)  # the widest offset in use (Kiribati, UTC+14)


def moment_problem(value: date | datetime | None) -> str | None:
    """Why a date or date-time given from outside cannot be taken (None: it can)."""
    if value is None:
        return None
    if isinstance(value, datetime) and value.utcoffset() is not None and abs(value.utcoffset()) > OFFSET_MAX:
        return _("时区偏移须在 -14:00 到 +14:00 之间。")
    day = value.date() if isinstance(value, datetime) else value
    if not DATE_MIN <= day <= DATE_MAX:
        return _("日期须在 %(min)s 至 %(max)s 之间。") % {"min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()}
    return None


def moment_validate(value: date | datetime | None) -> None:
    """A Django validator: ValidationError for a date or date-time out of bounds."""
    problem = moment_problem(value)
    if problem:
        raise ValidationError(problem, code="out_of_range")


# --- form fields (pages and django-filter) --------------------------------------------------------

class DateField(forms.DateField):
    default_validators = [moment_validate]


class DateTimeField(forms.DateTimeField):
    default_validators = [moment_validate]


class IsoDateTimeField(django_filters.fields.IsoDateTimeField):
    default_validators = [moment_validate]


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date-time query parameter, bounded."""

    field_class = IsoDateTimeField


# --- serializer fields (API bodies and queries) ---------------------------------------------------

class ApiDateField(serializers.DateField):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(moment_validate)


class ApiDateTimeField(serializers.DateTimeField):
    def enforce_timezone(self, value):
        # Checked before DRF converts the value to the current time zone (which drops its offset).
        problem = moment_problem(value)
        if problem:
            raise serializers.ValidationError(problem, code="out_of_range")
        return super().enforce_timezone(value)
