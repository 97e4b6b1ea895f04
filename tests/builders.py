"""Small builders for the objects tests need. Synthetic data only."""

from __future__ import annotations

import datetime as dt
import itertools

from django.contrib.auth.models import Group, User

from devices.credentials import issue_token
from devices.models import Device
from devices.services import enrol_device, register_device
from patients.models import CareTeam, CareTeamMembership, MonitoringPlan, Patient

_seq = itertools.count(1)
PASSWORD = "test-password-123"


def make_user(username: str | None = None, *, role: str | None = "nurse", team: CareTeam | None = None) -> User:
    user = User.objects.create_user(username or f"user{next(_seq)}", password=PASSWORD)
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])  # a transactional test may have flushed it
    if team is not None and role in ("nurse", "physician"):
        CareTeamMembership.objects.create(user=user, care_team=team, role=role)
    return user


def make_team(name: str | None = None) -> CareTeam:
    return CareTeam.objects.create(name=name or f"Ward {next(_seq)}")


def make_patient(team: CareTeam | None = None, **fields) -> Patient:
    n = next(_seq)
    defaults = dict(mrn=f"TEST-{n:06d}", given_name="Testy", family_name=f"Fakename{n}",
                    birth_date=dt.date(1950, 1, 1), sex="female", timezone="Europe/London",
                    conditions=["hypertension"])
    defaults.update(fields)
    patient = Patient.objects.create(care_team=team or make_team(), **defaults)
    MonitoringPlan.objects.create(patient=patient)
    return patient


def make_device(kind: str = "multiparameter_monitor", *, patient: Patient | None = None) -> tuple[Device, str]:
    """A registered device with a fresh token, enrolled to `patient` if given."""
    device = register_device(serial=f"SN-TEST-{next(_seq):06d}", kind=kind, manufacturer="Acme", model="M1")
    if patient is not None:
        enrol_device(device=device, patient=patient)
    return device, issue_token(device=device)
