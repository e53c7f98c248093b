"""挂账 until when: the date a suspension ends by itself, and its reminder (issue 21)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0015_task_answer_position'),
    ]

    operations = [
        migrations.AddField(
            model_name='case',
            name='suspended_until',
            field=models.DateTimeField(blank=True, null=True, verbose_name='挂账至'),
        ),
        migrations.AddField(
            model_name='case',
            name='suspension_reminded_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='挂账到期提醒时间'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('state', 'suspended')), fields=['suspended_until'], name='case_suspended_until_idx'),
        ),
    ]
