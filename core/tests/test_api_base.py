"""The API's base classes that build once per class what DRF and django-filter build per request:
core.api.ModelSerializer (fields from the model) and core.filters.FilterSet (the form
class). Each instance still gets fields of its own, with the same output and validation."""
from unittest import mock

import pytest
from rest_framework import serializers

from cases.api.filters import CaseFilter
from cases.models import Case
from core.api import ModelSerializer
from grids.models import Region

FIELDS = ["id", "code", "name", "level", "parent", "label"]


def region_serializer(base):
    """A new serializer class on `base` (so nothing is cached yet)."""
    class RegionOutput(base):
        label = serializers.CharField(source="name", read_only=True)

        class Meta:
            model = Region
            fields = FIELDS

    return RegionOutput


@pytest.mark.django_db
def test_fields_built_once_per_class_and_own_per_instance(city):
    region = city.districts[0]
    ours = region_serializer(ModelSerializer)
    with mock.patch.object(serializers.ModelSerializer, "build_field", autospec=True,
                           side_effect=serializers.ModelSerializer.build_field) as build:
        outputs = [ours(region) for _ in range(3)]
        fields = [output.fields for output in outputs]
    assert build.call_count == 5  # one instance's model fields; the declared one is not built
    assert fields[0]["code"] is not fields[1]["code"]
    assert all(f["code"].parent is output for f, output in zip(fields, outputs, strict=True))
    assert [o.data for o in outputs] == [region_serializer(serializers.ModelSerializer)(region).data] * 3


@pytest.mark.django_db
def test_validation_is_drfs(city):
    """Input validation (the model's max_length, required fields) comes through the cached fields."""
    data = {"code": "x" * 100, "level": 2}
    ours, drf = region_serializer(ModelSerializer), region_serializer(serializers.ModelSerializer)
    ours(data=data).is_valid()  # the prototype is built here; the second instance uses it
    first, second = ours(data=data), drf(data=data)
    assert not first.is_valid() and not second.is_valid()
    assert first.errors == second.errors and "code" in first.errors and "name" in first.errors


def test_filterset_form_class_built_once_with_fields_per_request(db):
    valid = CaseFilter({"state": ["reported"], "ordering": "deadline"}, queryset=Case.objects.all())
    invalid = CaseFilter({"state": ["nonsense"], "district": "x"}, queryset=Case.objects.all())
    assert type(valid.form) is type(invalid.form)
    assert valid.form.fields["state"] is not invalid.form.fields["state"]
    assert valid.is_valid() and not invalid.is_valid()
    assert set(invalid.errors) == {"state", "district"} and not valid.errors
    assert "WHERE" in str(valid.qs.query) and "reported" in str(valid.qs.query)


@pytest.mark.django_db
def test_filterset_filters_are_own_copies_bound_to_their_filter_set(city):
    """Each filter set gets its own (shallow) copy of every filter: the method filters call their own
    filter set, and what one request sets on its filters never reaches another's or the class's."""
    reported = CaseFilter({"state": ["reported"], "q": "井盖"}, queryset=Case.objects.all())
    filed = CaseFilter({"state": ["filed"]}, queryset=Case.objects.all())
    assert reported.filters["state"] is not filed.filters["state"]
    assert reported.filters["state"] is not CaseFilter.base_filters["state"]
    assert reported.filters["state"].parent is reported and filed.filters["state"].parent is filed
    assert reported.filters["q"].filter.f is reported.filters["q"]  # its FilterMethod, bound to the copy
    assert getattr(CaseFilter.base_filters["state"], "parent", None) is None
    assert '"state" IN (reported)' in str(reported.qs.query) and "井盖" in str(reported.qs.query)
    assert '"state" IN (filed)' in str(filed.qs.query) and "井盖" not in str(filed.qs.query)


def test_filterset_form_fields_are_own_copies(db):
    first = CaseFilter({"state": ["reported"]}, queryset=Case.objects.all())
    second = CaseFilter({"state": ["closed"]}, queryset=Case.objects.all())
    first.form.fields["state"].required = True  # a change to one form's field stays in that form
    assert not second.form.fields["state"].required
    assert not type(first.form).base_fields["state"].required
    assert first.is_valid() and second.is_valid()
    assert first.form.cleaned_data["state"] == ["reported"] and second.form.cleaned_data["state"] == ["closed"]


def test_nested_serializers_are_own_deep_copies_and_plain_fields_own_copies():
    """Plain fields are copied shallow, nested serializers deep: two instances share no field, and
    no nested serializer's own fields, so neither binds the other's (each resolves its own context)."""
    from cases.api.serializers import CaseDetailOutput

    first, second = CaseDetailOutput(context={"n": 1}), CaseDetailOutput(context={"n": 2})
    assert first.fields["number"] is not second.fields["number"]
    assert first.fields["number"].parent is first and second.fields["number"].parent is second
    assert first.fields["events"] is not second.fields["events"]
    assert first.fields["events"].child is not second.fields["events"].child
    actor = first.fields["events"].child.fields["actor"]
    assert actor is not second.fields["events"].child.fields["actor"]
    assert actor.context == {"n": 1} and second.fields["events"].child.fields["actor"].context == {"n": 2}
