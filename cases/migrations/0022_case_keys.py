"""The intake's idempotency keys in their own table, and no unique index on the case's number: the
case table is about to be partitioned (0023), and a unique index of a partitioned table must include
its partition key. `number` stays unique through its year's counter (CaseNumberSequence, under a row
lock); a key is unique as CaseKey's primary key, which the intake inserts beside its case.
"""
import django.db.models.deletion
from django.db import migrations, models


def keys_copy(apps, schema_editor):
    Case, CaseKey = apps.get_model("cases", "Case"), apps.get_model("cases", "CaseKey")
    keyed = Case.objects.filter(idempotency_key__isnull=False).values_list("idempotency_key", "pk")
    CaseKey.objects.bulk_create([CaseKey(key=key, case_id=pk) for key, pk in keyed.iterator()], batch_size=5000)


class Migration(migrations.Migration):
    dependencies = [("cases", "0021_outbox_request_id")]

    operations = [
        migrations.AlterField(
            model_name="case", name="number",
            field=models.CharField(db_index=True, max_length=16, verbose_name="案件编号"),
        ),
        migrations.AlterField(
            model_name="case", name="idempotency_key",
            field=models.CharField(blank=True, max_length=64, null=True, verbose_name="幂等键"),
        ),
        migrations.CreateModel(
            name="CaseKey",
            fields=[
                ("key", models.CharField(max_length=64, primary_key=True, serialize=False, verbose_name="幂等键")),
                ("case", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                           to="cases.case")),
            ],
        ),
        migrations.RunPython(keys_copy, migrations.RunPython.noop, elidable=False),
    ]
