"""Fixtures for the alert engine: the default rule sets (a transactional test elsewhere may have
flushed the migration's rows), a fixed clock and a virtual-ward patient. Readings: tests.readings.store."""

import datetime as dt

import pytest

from alerts.defaults import install_default_rules
from alerts.models import AlertRule
from tests.builders import make_patient


@pytest.fixture
def default_rules(db):
    install_default_rules(AlertRule)
    return {rule.name: rule for rule in AlertRule.objects.filter(patient=None)}


@pytest.fixture
def t0():
    """A fixed clock: readings are measured relative to it and the engine is told the time."""
    return dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(hours=2)


@pytest.fixture
def ward_patient(team, default_rules):
    return make_patient(team, conditions=["virtual_ward"])
