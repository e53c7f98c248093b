"""Rules as data: indicator kinds (ratio, count, deduction, bonus), filtered counters, rounding,
decimals, target, points and cap; the catalogue's participation thresholds (不参评); the snapshot's
published value, kind and target; the composite's participation flag."""
from django.db import migrations, models

DEFAULT_PARTICIPATION = {
    "department": {"counters": ["filed", "due_handle", "due_close"], "minimum": 1},
    "collector": {"counters": ["reports", "verify_due", "check_due"], "minimum": 1},
    "operator": {"counters": ["accepted", "verify_sent", "check_sent"], "minimum": 1},
    "shift_leader": {"counters": ["filed", "closed"], "minimum": 1},
    "dispatcher": {"counters": ["dispatched"], "minimum": 1},
}
KINDS = [("ratio", "比率"), ("count", "数量"), ("deduction", "扣分项"), ("bonus", "加分项")]


def forward(apps, schema_editor):
    Indicator = apps.get_model("assessment", "Indicator")
    Catalogue = apps.get_model("assessment", "IndicatorCatalogue")
    Snapshot = apps.get_model("assessment", "Snapshot")
    Indicator.objects.filter(denominator="").update(kind="count")
    Snapshot.objects.filter(denominator_key="").update(kind="count")
    Catalogue.objects.filter(name__startswith="默认指标体系", participation={}).update(
        participation=DEFAULT_PARTICIPATION)


class Migration(migrations.Migration):

    dependencies = [("assessment", "0006_default_catalogue_name")]

    operations = [
        migrations.AddField("indicatorcatalogue", "participation", models.JSONField(
            blank=True, default=dict, verbose_name="参评门槛",
            help_text="每类考核对象的最低工作量：{\"collector\": {\"counters\": [\"reports\", \"verify_due\"], "
                      "\"minimum\": 1}}；这些计数项之和低于门槛的对象“不参评”（不计综合指标值、等级和排名）")),
        migrations.AddField("indicator", "kind", models.CharField(
            choices=KINDS, default="ratio", max_length=10, verbose_name="指标类型")),
        migrations.AddField("indicator", "numerator_filters", models.JSONField(
            blank=True, default=dict, verbose_name="分子筛选",
            help_text='可选：{"sources": ["video", "other"], "class_kind": "component", "majors": ["01"], '
                      '"minors": ["0101"], "lines": ["12345"], "flags": ["urged"]}')),
        migrations.AddField("indicator", "denominator_filters", models.JSONField(
            blank=True, default=dict, verbose_name="分母筛选")),
        migrations.AlterField("indicator", "denominator", models.CharField(
            blank=True, max_length=40, verbose_name="分母（计数项）",
            help_text="比率指标必填；数量、扣分、加分指标留空")),
        migrations.AddField("indicator", "rounding", models.CharField(
            choices=[("half_up", "四舍五入"), ("truncate", "截断"), ("bankers", "银行家舍入（四舍六入五成双）")],
            default="half_up", max_length=10, verbose_name="舍入方式")),
        migrations.AddField("indicator", "decimals", models.PositiveSmallIntegerField(default=2, verbose_name="小数位数")),
        migrations.AddField("indicator", "target", models.DecimalField(
            blank=True, decimal_places=2, max_digits=10, null=True, verbose_name="目标值",
            help_text="比率指标为百分数；按方向判断是否达标")),
        migrations.AddField("indicator", "points", models.DecimalField(
            blank=True, decimal_places=2, max_digits=6, null=True, verbose_name="每次分值",
            help_text="扣分、加分指标：每计一次的分值")),
        migrations.AddField("indicator", "cap", models.DecimalField(
            blank=True, decimal_places=2, max_digits=6, null=True, verbose_name="封顶分值",
            help_text="扣分、加分指标：最多扣（加）的分值，空为不封顶")),
        migrations.AddField("snapshot", "kind", models.CharField(
            choices=KINDS, default="ratio", max_length=10, verbose_name="指标类型")),
        migrations.AlterField("snapshot", "numerator_key", models.CharField(max_length=200, verbose_name="分子")),
        migrations.AlterField("snapshot", "denominator_key", models.CharField(blank=True, max_length=200,
                                                                             verbose_name="分母")),
        migrations.AddField("snapshot", "value", models.DecimalField(
            blank=True, decimal_places=6, max_digits=16, null=True, verbose_name="指标值",
            help_text="按指标的舍入方式与小数位数发布的数值：比率为百分数，扣分、加分为分值")),
        migrations.AddField("snapshot", "target", models.DecimalField(
            blank=True, decimal_places=2, max_digits=10, null=True, verbose_name="目标值")),
        migrations.AlterField("snapshot", "score", models.DecimalField(
            blank=True, decimal_places=2, max_digits=5, null=True, verbose_name="得分", help_text="扣分项为负，加分项为正")),
        migrations.AddField("composite", "participating", models.BooleanField(
            default=True, verbose_name="参评", help_text="工作量低于指标体系的参评门槛时为否：不计分、不定级、不排名")),
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]
