"""The default catalogue's name no longer cites a design document outside the repository: the old
name (the same words followed by an outside document's section number in full-width brackets) is
matched by its shape, so that this file does not repeat the citation it removes."""
from django.db import migrations

OLD_SHAPE, NEW = r"^默认指标体系（[A-Z]+ §[0-9]+）$", "默认指标体系（GB/T 30428.4）"


def rename(apps, schema_editor):
    Catalogue = apps.get_model("assessment", "IndicatorCatalogue")
    if not Catalogue.objects.filter(name=NEW).exists():
        Catalogue.objects.filter(name__regex=OLD_SHAPE).update(name=NEW)


class Migration(migrations.Migration):

    dependencies = [("assessment", "0005_results_without_catalogue_index")]

    # Not undone: the old name was the mistake this migration mends.
    operations = [migrations.RunPython(rename, migrations.RunPython.noop)]
