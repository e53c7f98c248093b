"""The default catalogue's name no longer cites a design document outside the repository."""
from django.db import migrations

OLD, NEW = "默认指标体系（DESIGN §5）", "默认指标体系（GB/T 30428.4）"


def rename(apps, schema_editor):
    Catalogue = apps.get_model("assessment", "IndicatorCatalogue")
    if not Catalogue.objects.filter(name=NEW).exists():
        Catalogue.objects.filter(name=OLD).update(name=NEW)


def rename_back(apps, schema_editor):
    apps.get_model("assessment", "IndicatorCatalogue").objects.filter(name=NEW).update(name=OLD)


class Migration(migrations.Migration):

    dependencies = [("assessment", "0005_results_without_catalogue_index")]

    operations = [migrations.RunPython(rename, rename_back)]
