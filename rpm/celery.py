"""The Celery app. Beat's schedule lives in code, next to the tasks it runs."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rpm.settings")

app = Celery("rpm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
