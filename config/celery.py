"""The Celery app. Beat's schedule lives in code, next to the tasks it runs."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("rpm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # readings stored but never evaluated (broker down, worker died): picked up after a minute
    "alerts-sweep-unevaluated": {"task": "alerts.sweep_unevaluated", "schedule": 30.0},
    # unacknowledged alerts past their severity's time (high escalates after 5 min)
    "alerts-escalate": {"task": "alerts.escalate", "schedule": 30.0},
    "alerts-check-missing-data": {"task": "alerts.check_missing_data", "schedule": 300.0},
    "alerts-check-medication-adherence": {"task": "alerts.check_medication_adherence", "schedule": 300.0},
    # a continuous monitor silent for 15 min is a missing patient (thresholds.md): checked every minute
    "alerts-check-device-health": {"task": "alerts.check_device_health", "schedule": 60.0},
    # the readings table's monthly partitions: made months ahead, old ones dropped past the retention setting
    "devices-ensure-reading-partitions": {"task": "devices.ensure_reading_partitions", "schedule": 6 * 3600.0},
    "devices-drop-expired-readings": {"task": "devices.drop_expired_readings", "schedule": 24 * 3600.0},
    # /readyz/ and the dashboard's "alerts are delayed" banner read its time (alerts.readiness)
    "alerts-beat-heartbeat": {"task": "alerts.beat_heartbeat", "schedule": 30.0},
}
