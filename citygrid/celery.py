"""The Celery app. Without CELERY_BROKER_URL tasks run in-process (eager); with it, on a real broker."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citygrid.settings")

app = Celery("citygrid")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
