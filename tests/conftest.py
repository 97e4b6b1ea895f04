import datetime as dt

import pytest
from django.test import Client

from tests.builders import make_device, make_patient, make_team, make_user


@pytest.fixture
def team(db):
    return make_team("Ward A")


@pytest.fixture
def patient(team):
    return make_patient(team)


@pytest.fixture
def device_token(patient):
    """A multiparameter monitor enrolled to `patient`, and its token."""
    device, token = make_device(patient=patient)
    return device, token


@pytest.fixture
def device_client(device_token):
    """A test client that posts as the enrolled device."""
    _, token = device_token
    return Client(headers={"Authorization": f"Device {token}"})


@pytest.fixture
def now():
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture
def nurse(team):
    return make_user("nurse-a", role="nurse", team=team)
