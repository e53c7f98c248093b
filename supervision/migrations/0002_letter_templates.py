"""The default letter templates (交办函, 督办函), which the city then edits in the admin."""
from django.db import migrations


def templates_install(apps, schema_editor):
    from supervision.services import LETTER_DEFAULTS

    LetterTemplate = apps.get_model("supervision", "LetterTemplate")
    for kind, (title, body) in LETTER_DEFAULTS.items():
        LetterTemplate.objects.get_or_create(kind=str(kind), defaults={"title": title, "body": body})


class Migration(migrations.Migration):

    dependencies = [("supervision", "0001_initial")]

    operations = [migrations.RunPython(templates_install, migrations.RunPython.noop)]
