"""A BRIN index of the case's six time columns (PostgreSQL only), for the monthly assessment.

The assessment counts a month's cases: those reported, filed, handled, closed or voided in it, or
whose handling fell due in it (assessment.counters._case_prefilter, an OR of six ranges). With a
btree index only of reported_at, PostgreSQL read the whole case table for every such count: at ten
million cases the assessment of a one-million-case month took 59–75 s and its one-query floor
15–17 s. Cases are written in time order and their milestones follow within weeks, so each block
of the table holds a narrow span of each column: a BRIN index (one summary per 128 pages; a few
hundred kilobytes at ten million cases, 7 s to build) lets the six ranges become a BitmapOr that
reads about an eighth of the table for one month (1.3 s for the month's count at ten million).
A range whose rows were later updated elsewhere only widens its summary, so the index stays
correct, at worst less selective; autosummarize keeps the table's newest ranges summarized.
"""
from django.db import migrations

from core.migration_sql import postgres_only

FORWARD = [
    "CREATE INDEX IF NOT EXISTS case_times_brin ON cases_case USING brin "
    "(reported_at, filed_at, handled_at, closed_at, voided_at, handle_deadline) WITH (autosummarize = on)",
]
BACKWARD = ["DROP INDEX IF EXISTS case_times_brin"]


class Migration(migrations.Migration):
    dependencies = [("cases", "0010_ten_million_list_indexes")]

    operations = [migrations.RunPython(*postgres_only(FORWARD, BACKWARD))]
