"""An index of the answered tasks by time: the operator's home lists the verify and check answers of
the last day, newest first (cases.selectors.pages.task_results), and without it read the whole task
table on every page (10 s a page at ten million cases: 1.2 million tasks, found by the intake's open
loop at 10M, whose browsing operators it held up)."""
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0023_partition_cases_by_month_id")]

    operations = [
        migrations.AddIndex(
            model_name="task",
            index=models.Index(condition=models.Q(("completed_by__isnull", False)), fields=["completed_at", "id"],
                               name="task_answered_idx"),
        ),
    ]
