"""Shared query-string filters of the API (django-filter): the FilterSet every list's filters derive
from, the id filter, and a boolean filter that refuses what is not a boolean. Dates: core.dates."""
import copy

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.filters import QuerySetRequestMixin

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


TRUE_WORDS = {"true", "1", "yes", "on"}
FALSE_WORDS = {"false", "0", "no", "off"}


class StrictBooleanField(forms.Field):
    """true/false (1/0, yes/no, on/off); anything else is an error, not "no filter" (Django's
    NullBooleanField reads `?overdue=maybe` as absent, so the list came back unfiltered)."""

    widget = forms.TextInput
    default_error_messages = {"invalid": _("“%(value)s”不是有效的布尔值，请使用 true 或 false。")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid", params={"value": value})


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class _FieldsCopiedShallow(dict):
    """A form class's base fields, copied for each form one field at a time without going deeper
    (Django deep-copies every field: its widget, validators, choices, messages); a model choice
    field deep still, as Django clones its queryset for each form."""

    def __deepcopy__(self, memo):
        return {name: copy.deepcopy(field, memo) if isinstance(field, forms.ModelChoiceField) else copy.copy(field)
                for name, field in self.items()}


class _FiltersCopiedShallow(dict):
    """A filter set class's filters, copied for each filter set one filter at a time without going
    deeper; a filter with a `method` gets its own FilterMethod, bound to the copy (the parent whose
    method it calls is set on the copy); a filter whose queryset may depend on the request
    (ModelChoiceFilter and the like, which write it into their `extra`) is copied deep still."""

    def __deepcopy__(self, memo):
        copies = {}
        for name, original in self.items():
            if isinstance(original, QuerySetRequestMixin):
                copies[name] = copy.deepcopy(original, memo)
                continue
            copies[name] = duplicate = copy.copy(original)
            if original.method is not None:
                duplicate.method = original.method  # django-filter's setter binds a new FilterMethod
        return copies


class FilterSet(django_filters.FilterSet):
    """django-filter's FilterSet, made cheaper per request: its form class is built once per class,
    and each request's filters and form fields are shallow copies. django-filter builds a new form
    class, a form field per filter, for every request, and deep-copies every filter and then every
    form field. Kept for what it saves (`.venv/bin/python bench/overrides.py`, 2026-12-07,
    PostgreSQL): the case list's filtering 1.9 → 0.4–0.5 CPU-ms (8,600 → 1,300 Python calls), the
    whole GET /api/cases/?number=1 5.3 → 4.2 (a fifth), a 50-row page 15.6 → 13.8.

    Why shallow copies are enough: a filter's own state per request is its `model` and `parent`
    (set on the copy); filters and fields that keep a queryset are still copied deep (above); and
    nothing writes to a field's widget per request: validation does not, and the browsable API's
    rendering of the form (DjangoFilterBackend.to_html) builds each widget's attributes anew.
    Not to be used with django-filter's LinkWidget, which stores the request's data on itself."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        cls = type(self)
        if not isinstance(cls.__dict__.get("base_filters"), _FiltersCopiedShallow):  # set by the metaclass
            cls.base_filters = _FiltersCopiedShallow(cls.base_filters)  # a race wraps it twice, the same
        super().__init__(data, queryset, request=request, prefix=prefix)

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name, message in self._given_empty().items():
            if name not in self.form.errors:
                self.form.add_error(name, message)
                valid = False
        return valid

    def _given_empty(self) -> dict[str, str]:
        """Parameters sent with nothing where their filter takes a number, a date, a choice or a
        boolean (`?edition=`): refused like any value that is not one, where django-filter reads
        them as absent and returns the whole list. Text filters may be empty."""
        if not self.data:
            return {}
        return {name: _("参数“%(name)s”为空：请给出取值，或去掉这个参数。") % {"name": name}
                for name, filter_ in self.filters.items()
                if self.data.get(name, None) == "" and not issubclass(filter_.field_class, forms.CharField)}

    def get_form_class(self):
        cls = type(self)
        form_class = cls.__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            form_class.base_fields = _FieldsCopiedShallow(form_class.base_fields)
            cls._form_class = form_class  # a race builds it twice, the same
        return form_class
