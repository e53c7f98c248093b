"""The Celery app. Without CELERY_BROKER_URL tasks run in-process (eager); with it, on a real broker."""
import os

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

from core import request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citygrid.settings")

app = Celery("citygrid")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id (core.request_id) travels with the tasks a request publishes, into their logs.
before_task_publish.connect(request_id.celery_before_publish, weak=False)
task_prerun.connect(request_id.celery_task_prerun, weak=False)
task_postrun.connect(request_id.celery_task_postrun, weak=False)
