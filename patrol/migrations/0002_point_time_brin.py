"""A BRIN index of the track points' time (PostgreSQL only): points arrive in time order, so each
block of the table holds a narrow span of `at`; the index is a few hundred kilobytes at a month of
4 million points a day, and serves the retention's bulk delete and the map's "since" range."""
from django.db import migrations

from core.migration_sql import postgres_only

FORWARD = [
    "CREATE INDEX IF NOT EXISTS patrol_point_at_brin ON patrol_patrolpoint USING brin (at) "
    "WITH (pages_per_range = 32, autosummarize = on)",
]
BACKWARD = ["DROP INDEX IF EXISTS patrol_point_at_brin"]


class Migration(migrations.Migration):
    dependencies = [("patrol", "0001_initial")]

    operations = [migrations.RunPython(*postgres_only(FORWARD, BACKWARD))]
