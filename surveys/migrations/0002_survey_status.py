# The survey's own status (进行中 / 已结束) was named `state`, the word kept for a case's state,
# which only cases.workflow writes: renamed to `status`, as supervision's reviews and letters are.
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("surveys", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(model_name="survey", old_name="state", new_name="status"),
    ]
