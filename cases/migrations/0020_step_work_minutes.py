"""CaseStep.work_minutes: the working minutes a step took, written when it ends (cases.steps).

No backfill: steps ended before this migration keep NULL and are left out of the assessment's
durations (AVG and the median skip NULL). Recomputing them would replay each step's calendar in
Python (and its suspensions), minutes at ten million steps, inside a migration that holds the
partitioned table's lock; the durations of a month computed after the upgrade are exact.
"""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0019_step_ended_by_db_default'),
    ]

    operations = [
        migrations.AddField(
            model_name='casestep',
            name='work_minutes',
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name='用时（工作分钟）'),
        ),
    ]
