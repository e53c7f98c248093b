"""Install the default indicator catalogue (active). Editable afterwards in the admin."""
from django.db import migrations


def install(apps, schema_editor):
    from assessment.catalogue import DEFAULT_CATALOGUE_NAME, catalogue_install

    Catalogue = apps.get_model("assessment", "IndicatorCatalogue")
    Indicator = apps.get_model("assessment", "Indicator")
    if not Catalogue.objects.filter(name=DEFAULT_CATALOGUE_NAME).exists():
        catalogue_install(Catalogue, Indicator, activate=not Catalogue.objects.filter(is_active=True).exists())


def uninstall(apps, schema_editor):
    from assessment.catalogue import DEFAULT_CATALOGUE_NAME

    apps.get_model("assessment", "IndicatorCatalogue").objects.filter(name=DEFAULT_CATALOGUE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
