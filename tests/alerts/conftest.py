"""Fixtures for the alert engine: the default rule sets (a transactional test elsewhere may have
flushed the migration's rows) and readings stored through the one ingestion function."""

import datetime as dt
import itertools

import pytest

from devices.ingest import ingest
from tests.builders import make_device, make_patient


@pytest.fixture
def t0():
    """A fixed clock: readings are measured relative to it and the engine is told the time."""
    return dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(hours=2)


def store(patient, readings, *, now, device=None):
    """Store [(metric, value, measured_at)] through devices.ingest; returns the new reading ids.

    Without a device they are manual entries (judged as spot checks); with one, they come from that
    device (a multiparameter monitor, wearable or CGM makes them a continuous stream)."""
    items = [{"metric": metric, "value": value, "unit": UNITS[metric], "measured_at": at}
             for metric, value, at in readings]
    if device is not None:
        items = [{**item, "id": f"m{next(_message_ids)}"} for item in items]
    outcome = ingest(patient_id=patient.id, items=items, source="api" if device else "manual", now=now,
                     device_id=device.id if device else None, device_kind=device.kind if device else None)
    assert all(r.status == "created" for r in outcome.results), outcome.summary()
    return [r.reading_id for r in outcome.results]


_message_ids = itertools.count(1)


UNITS = {"spo2": "%", "heart_rate": "/min", "respiratory_rate": "/min", "systolic_bp": "mm[Hg]",
         "diastolic_bp": "mm[Hg]", "body_temperature": "Cel", "body_weight": "kg", "blood_glucose": "mg/dL",
         "dose_taken": "{dose}", "steps": "{steps}"}


@pytest.fixture
def ward_patient(team, default_rules):
    return make_patient(team, conditions=["virtual_ward"])


@pytest.fixture
def monitor(ward_patient):
    """A multiparameter monitor enrolled to the ward patient: its readings are a continuous stream."""
    device, _ = make_device("multiparameter_monitor", patient=ward_patient)
    return device


def rule_names_in_force(patient):
    from alerts.selectors import rules_in_force

    return {row.rule.name for row in rules_in_force([patient])[patient.id] if row.active}
