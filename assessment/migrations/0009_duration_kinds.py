# Indicator kinds 平均用时 (average) and 用时中位数 (median) of a duration in working hours (issue 22):
# choices only, the figures come from cases.CaseStep.work_minutes (cases 0020).

from django.db import migrations, models

KINDS = [('ratio', '比率'), ('count', '数量'), ('deduction', '扣分项'), ('bonus', '加分项'),
         ('average', '平均用时'), ('median', '用时中位数')]


class Migration(migrations.Migration):

    dependencies = [
        ('assessment', '0008_bulletin'),
        ('cases', '0020_step_work_minutes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='indicator',
            name='kind',
            field=models.CharField(choices=KINDS, default='ratio', max_length=10, verbose_name='指标类型'),
        ),
        migrations.AlterField(
            model_name='snapshot',
            name='kind',
            field=models.CharField(choices=KINDS, default='ratio', max_length=10, verbose_name='指标类型'),
        ),
    ]
