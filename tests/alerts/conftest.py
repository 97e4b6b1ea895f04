"""Fixtures for the alert engine: the default rule sets (a transactional test elsewhere may have
flushed the migration's rows) and readings stored through the one ingestion function."""

import datetime as dt

import pytest

from alerts.defaults import install_default_rules
from alerts.models import AlertRule
from devices.ingest import ingest
from tests.builders import make_patient


@pytest.fixture
def default_rules(db):
    install_default_rules(AlertRule)
    return {rule.name: rule for rule in AlertRule.objects.filter(patient=None)}


@pytest.fixture
def t0():
    """A fixed clock: readings are measured relative to it and the engine is told the time."""
    return dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(hours=2)


def store(patient, readings, *, now):
    """Store [(metric, value, measured_at)] through devices.ingest; returns the new reading ids."""
    items = [{"metric": metric, "value": value, "unit": UNITS[metric], "measured_at": at}
             for metric, value, at in readings]
    outcome = ingest(patient_id=patient.id, items=items, source="manual", now=now)
    assert all(r.status == "created" for r in outcome.results), outcome.summary()
    return [r.reading_id for r in outcome.results]


UNITS = {"spo2": "%", "heart_rate": "/min", "respiratory_rate": "/min", "systolic_bp": "mm[Hg]",
         "diastolic_bp": "mm[Hg]", "body_temperature": "Cel", "body_weight": "kg", "blood_glucose": "mg/dL",
         "dose_taken": "{dose}", "steps": "{steps}"}


@pytest.fixture
def ward_patient(team, default_rules):
    return make_patient(team, conditions=["virtual_ward"])
