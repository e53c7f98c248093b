"""The case table partitioned by month on PostgreSQL (issue 24), by an id that carries the month.

A new case's id is `YYYYMM * 10^9 + n` for the city month it was reported in (Case.save, cases.months),
so the primary key stays `id` alone and the foreign keys to the case keep pointing at it (they are
declared again on the new table); a month's partition is a range of ids; a case is found by its id
in one partition. The cases of a database from before keep their plain ids, in DEFAULT. A large
database is converted beforehand in batches, the table staying in use (`manage.py migrate cases
0022`, then `manage.py partitions convert --table cases_case`: docs/partitioning.md); this migration
then finds it partitioned and does nothing. SQLite stays unpartitioned.
"""
from django.db import migrations

from core.partitions import convert, unconvert


def partition(apps, schema_editor):
    convert("cases_case", "id", schema_editor=schema_editor)


def unpartition(apps, schema_editor):
    unconvert("cases_case", schema_editor=schema_editor)


class Migration(migrations.Migration):
    dependencies = [("cases", "0022_case_keys")]

    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
