"""Input and output serializers of the assessment API."""
from rest_framework import serializers

from core.api import ModelSerializer

from ..models import Composite, ObjectType, Period, RegionLevelKey, Snapshot


class PeriodOutput(ModelSerializer):
    class Meta:
        model = Period
        fields = ["label", "kind", "start", "end", "computed_at", "frozen_at"]


class SnapshotOutput(ModelSerializer):
    percent = serializers.SerializerMethodField()

    class Meta:
        model = Snapshot
        fields = ["indicator_code", "indicator_name", "numerator_key", "denominator_key", "numerator", "denominator",
                  "rate", "percent", "score", "applicable", "weight", "direction", "catalogue_version"]

    def get_percent(self, obj) -> str | None:
        from ..scoring import percent

        value = percent(obj.rate)
        return None if value is None else str(value)


class CompositeOutput(ModelSerializer):
    indicators = serializers.SerializerMethodField()

    class Meta:
        model = Composite
        fields = ["object_type", "level", "object_id", "object_code", "object_name", "parent_name", "score", "grade",
                  "rank", "ranked_count", "catalogue_version", "computed_at", "indicators"]

    def get_indicators(self, obj) -> list[dict]:
        snapshots = self.context.get("snapshots", {}).get((obj.level, obj.object_id), [])
        return SnapshotOutput(snapshots, many=True).data


class CompositeDetailOutput(CompositeOutput):
    counters = serializers.JSONField()

    class Meta(CompositeOutput.Meta):
        fields = [*CompositeOutput.Meta.fields, "counters"]


class ComputeInput(serializers.Serializer):
    object_type = serializers.ChoiceField(choices=ObjectType.choices, required=False, allow_null=True)
    levels = serializers.ListField(child=serializers.ChoiceField(choices=RegionLevelKey.choices), required=False)


class RecomputeInput(serializers.Serializer):
    note = serializers.CharField()
