"""The track points, partitioned by month of `at` on PostgreSQL (issue 24): the volume table
(millions a day), read by one collector's day and emptied by the retention; nothing references
it. Its primary key becomes (id, at) in the database only. A large table is converted beforehand
in batches with `manage.py partitions convert`. SQLite stays unpartitioned. See
docs/partitioning.md."""
from django.db import migrations

from core.partitions import convert, unconvert


def partition(apps, schema_editor):
    convert("patrol_patrolpoint", "at", schema_editor=schema_editor)


def unpartition(apps, schema_editor):
    unconvert("patrol_patrolpoint", schema_editor=schema_editor)


class Migration(migrations.Migration):
    dependencies = [("patrol", "0003_point_index_covering")]

    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
