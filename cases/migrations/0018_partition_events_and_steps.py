"""The case event log and the clocked steps, partitioned by month on PostgreSQL (issue 24).

cases_caseevent by `created_at`, cases_casestep by `started_at`: both only grow in time order and
nothing references them by foreign key, so each becomes a partitioned table whose primary key is
(id, month column) — `id` stays unique through its sequence, and Django keeps seeing `id` as the
key. A database with rows is converted here in one transaction (reads go on, writes wait); a large
one is converted beforehand in batches with `manage.py partitions convert`, after which this
migration finds the tables partitioned and does nothing. SQLite stays unpartitioned. Why the case
table itself is not partitioned: docs/partitioning.md.
"""
from django.db import migrations

from core.partitions import convert, unconvert

TABLES = [("cases_caseevent", "created_at"), ("cases_casestep", "started_at")]


def partition(apps, schema_editor):
    for table, column in TABLES:
        convert(table, column, schema_editor=schema_editor)


def unpartition(apps, schema_editor):
    for table, _column in TABLES:
        unconvert(table, schema_editor=schema_editor)


class Migration(migrations.Migration):
    dependencies = [("cases", "0017_dispatcher_moves")]

    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
