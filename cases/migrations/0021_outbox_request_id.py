"""OutboxMessage.request_id: the X-Request-ID of the request that wrote the message, so that a task
the drain sends later still carries it into the worker's log lines (core.request_id). Messages
written before keep an empty id."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0020_step_work_minutes'),
    ]

    operations = [
        migrations.AddField(
            model_name='outboxmessage',
            name='request_id',
            field=models.CharField(blank=True, default='', max_length=128, verbose_name='请求编号'),
        ),
    ]
