# The hotline's lines and agents become objects of the assessment (issue 22): the object types,
# and the default catalogue's hotline rates (办结率, 及时反馈率, 回访率, 满意率, 来电量) with a
# participation threshold of one call. The rows are written out here (not read from
# assessment.catalogue) so that a later change of the defaults does not change this migration.

from django.db import migrations, models

OBJECT_TYPES = [('region', '区域'), ('department', '专业部门'), ('collector', '监督员'), ('operator', '受理员'),
                ('shift_leader', '值班长'), ('dispatcher', '派遣员'), ('hotline_line', '热线线路'),
                ('hotline_agent', '热线坐席')]
DEFAULT_NAMES = ["默认指标体系（GB/T 30428.4）"]
RATES = [
    ("closure_rate", "办结率", "ratio", "closed", "taken", 25, "受理的案件中已结案的比例"),
    ("timely_feedback_rate", "及时反馈率", "ratio", "fed_back_on_time", "closed", 25, "办结的案件中按时答复市民的比例"),
    ("callback_rate", "回访率", "ratio", "called_back", "closed", 25, "办结的案件中已回访的比例"),
    ("satisfaction_rate", "满意率", "ratio", "satisfied", "called_back", 25, "回访中满意、基本满意的比例"),
    ("calls_volume", "来电量", "count", "calls", "", 0, ""),
]
HOTLINE_TYPES = ["hotline_line", "hotline_agent"]
THRESHOLD = {"counters": ["calls"], "minimum": 1}
CALL_BANDS = {"default": [[0, 0], [1, 60], [300, 80], [800, 100]]}


def add_hotline_rates(apps, schema_editor):
    catalogues = apps.get_model("assessment", "IndicatorCatalogue")
    indicators = apps.get_model("assessment", "Indicator")
    for catalogue in catalogues.objects.filter(name__in=DEFAULT_NAMES):
        for object_type in HOTLINE_TYPES:
            for order, (code, name, kind, numerator, denominator, weight, description) in enumerate(RATES, 1):
                indicators.objects.get_or_create(
                    catalogue=catalogue, object_type=object_type, code=code,
                    defaults={"name": name, "kind": kind, "numerator": numerator, "denominator": denominator,
                              "weight": weight, "order": order, "description": description,
                              "bands": CALL_BANDS if kind == "count" else {}})
            catalogue.participation = {**(catalogue.participation or {}), object_type: THRESHOLD}
        catalogue.save(update_fields=["participation"])


def remove_hotline_rates(apps, schema_editor):
    apps.get_model("assessment", "Indicator").objects.filter(object_type__in=HOTLINE_TYPES).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('assessment', '0009_duration_kinds'),
    ]

    operations = [
        migrations.AlterField(
            model_name='composite',
            name='object_type',
            field=models.CharField(choices=OBJECT_TYPES, max_length=16, verbose_name='考核对象'),
        ),
        migrations.AlterField(
            model_name='indicator',
            name='object_type',
            field=models.CharField(choices=OBJECT_TYPES, max_length=16, verbose_name='考核对象'),
        ),
        migrations.AlterField(
            model_name='snapshot',
            name='object_type',
            field=models.CharField(choices=OBJECT_TYPES, max_length=16, verbose_name='考核对象'),
        ),
        migrations.RunPython(add_hotline_rates, remove_hotline_rates),
    ]
