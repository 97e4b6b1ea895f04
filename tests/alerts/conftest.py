"""Fixtures for the alert engine: a fixed clock, a virtual-ward patient and their monitor. The default rule sets
are tests.conftest.default_rules; readings are stored with tests.readings.store."""

import datetime as dt

import pytest

from tests.builders import make_device, make_patient


@pytest.fixture
def t0():
    """A fixed clock: readings are measured relative to it and the engine is told the time."""
    return dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(hours=2)


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
