"""Dispatcher moves (issue 21): the city's return reasons (回退原因) with their defaults, the move
that ended a handling step without a verdict (return, redispatch, withdrawal), and the assisting
departments' tasks of a joint dispatch (协办)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DEFAULT_REASONS = [
    ("not_our_duty", "非本部门职责"),
    ("wrong_location", "位置不准确"),
    ("unclear", "描述不清"),
    ("duplicate", "重复案件"),
    ("other", "其他"),
]


def reasons_seed(apps, schema_editor):
    ReturnReason = apps.get_model("cases", "ReturnReason")
    for order, (code, label) in enumerate(DEFAULT_REASONS, start=1):
        ReturnReason.objects.get_or_create(code=code, defaults={"label": label, "order": order * 10})


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0016_suspended_until'),
        ('grids', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ReturnReason',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(max_length=32, unique=True, verbose_name='代码')),
                ('label', models.CharField(max_length=64, verbose_name='名称')),
                ('is_active', models.BooleanField(default=True, verbose_name='启用')),
                ('order', models.PositiveSmallIntegerField(default=0, verbose_name='排序')),
            ],
            options={
                'verbose_name': '回退原因',
                'verbose_name_plural': '回退原因',
                'ordering': ['order', 'pk'],
            },
        ),
        migrations.AddField(
            model_name='casestep',
            name='ended_by',
            field=models.CharField(blank=True, max_length=24, verbose_name='结束方式'),
        ),
        migrations.CreateModel(
            name='CaseAssist',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(verbose_name='派遣时间')),
                ('deadline', models.DateTimeField(verbose_name='时限')),
                ('completed_at', models.DateTimeField(blank=True, null=True, verbose_name='完成时间')),
                ('note', models.TextField(blank=True, verbose_name='协办情况')),
                ('ended_by', models.CharField(blank=True, max_length=24, verbose_name='结束方式')),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='assists', to='cases.case')),
                ('completed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('department', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='assists', to='grids.department', verbose_name='协办部门')),
            ],
            options={
                'verbose_name': '协办任务',
                'verbose_name_plural': '协办任务',
                'ordering': ['created_at', 'pk'],
                'indexes': [models.Index(fields=['department', 'case'], name='assist_department_case_idx')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('completed_at__isnull', True)), fields=('case', 'department'), name='one_open_assist_per_department')],
            },
        ),
        migrations.RunPython(reasons_seed, migrations.RunPython.noop),
    ]
