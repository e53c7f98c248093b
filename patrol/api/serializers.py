"""Input and output serializers of the patrol API: one input serializer per operation."""
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.fields import empty

from core.dates import ApiDateTimeField

from ..services import MAX_POINTS_PER_BATCH

LON = {"min_value": -180, "max_value": 180}
LAT = {"min_value": -90, "max_value": 90}


class RequiredBooleanField(serializers.BooleanField):
    """Required in a form too: DRF reads a field missing from form data as False (an unticked
    checkbox), so a form without on_duty went off duty."""

    default_empty_html = empty


class DutyInput(serializers.Serializer):
    on_duty = RequiredBooleanField(help_text=_("true 上岗，false 下岗"))
    at = ApiDateTimeField(required=False, help_text=_("手机上操作的时间（离线后补传时）；缺省为当前时间"))
    lon = serializers.FloatField(required=False, **LON)
    lat = serializers.FloatField(required=False, **LAT)
    accuracy = serializers.FloatField(required=False, min_value=0)


class DutyOutput(serializers.Serializer):
    on_duty = serializers.BooleanField()
    shift_id = serializers.IntegerField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)


class PointInput(serializers.Serializer):
    at = ApiDateTimeField()
    lon = serializers.FloatField(**LON)
    lat = serializers.FloatField(**LAT)
    accuracy = serializers.FloatField(required=False, allow_null=True, min_value=0)


class PointsInput(serializers.Serializer):
    points = PointInput(many=True, allow_empty=True, max_length=MAX_POINTS_PER_BATCH)


class PointsOutput(serializers.Serializer):
    stored = serializers.IntegerField(help_text=_("保存的点数：不在任何在岗时段内的点不保存"))


class PostOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    radius_m = serializers.IntegerField()
    checkin_times = serializers.CharField()
    checked_in_today = serializers.BooleanField()


class CheckInInput(serializers.Serializer):
    post_id = serializers.IntegerField()
    lon = serializers.FloatField(**LON)
    lat = serializers.FloatField(**LAT)
    accuracy = serializers.FloatField(required=False, allow_null=True, min_value=0)
    at = ApiDateTimeField(required=False)


class CheckInOutput(serializers.Serializer):
    id = serializers.IntegerField()
    post_id = serializers.IntegerField()
    at = serializers.DateTimeField()
    distance_m = serializers.FloatField()


class WorkLogOutput(serializers.Serializer):
    on_duty_seconds = serializers.IntegerField()
    distance_m = serializers.FloatField()
    reports = serializers.IntegerField()
    tasks_done = serializers.IntegerField()
    checkins = serializers.IntegerField()
    checkins_due = serializers.IntegerField()


class TrackPointOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    accuracy_m = serializers.FloatField(allow_null=True)


class CollectorPositionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    on_duty = serializers.BooleanField()
    at = serializers.DateTimeField(allow_null=True)
    lon = serializers.FloatField(allow_null=True)
    lat = serializers.FloatField(allow_null=True)
    accuracy_m = serializers.FloatField(allow_null=True)
    reports_today = serializers.IntegerField()
    last_report_at = serializers.DateTimeField(allow_null=True)
