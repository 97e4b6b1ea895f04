"""Synthetic demo data: obviously fake patients, two wards, devices and 30 days of plausible readings.

The value generators are plain seeded functions of (device kind, patient baseline, local time), shared by
`seed_demo()` (history) and the device simulator (live readings), so both look alike. Nothing here is real
patient data, and `seed_demo()` refuses to run outside development settings.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import random
import secrets
import zoneinfo
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.utils import timezone

from devices.credentials import issue_token
from devices.models import Device, Reading
from devices.services import enrol_device, register_device
from patients.models import (
    CareTeam,
    CareTeamMembership,
    Condition,
    ExpectedMeasurement,
    MedicationSchedule,
    MonitoringPlan,
    Patient,
)
from rpm.metrics import METRICS
from rpm.roles import ADMIN, NURSE, PHYSICIAN

DEMO_USERS = ("nurse1", "nurse2", "physician1", "admin1")
WARDS = ("Demo Ward North", "Demo Ward South")
MRN_PREFIX = "DEMO-"
GIVEN_NAMES = ("Alex", "Sam", "Robin", "Jordan", "Casey", "Morgan", "Taylor", "Jamie", "Riley", "Avery", "Charlie",
               "Drew", "Frankie", "Harper", "Kai", "Logan")
FAMILY_NAMES = ("Testperson", "Sample", "Example", "Placeholder", "Fictional", "Dummy", "Specimen", "Synthetic")
# Seeded history older than this is marked evaluated, so the alert engine looks only at the last day.
EVALUATE_RECENT = dt.timedelta(hours=24)


class DemoRefused(RuntimeError):
    """Demo data may not be written here (production settings, or it is already there)."""


def var_dir() -> Path:
    return Path(os.environ.get("RPM_VAR_DIR", settings.BASE_DIR / "var"))


def tokens_path() -> Path:
    """Demo-only file of device tokens for the simulator; the database keeps only their hashes."""
    return var_dir() / "demo" / "device-tokens.json"


@dataclass(frozen=True)
class Baseline:
    """A patient's usual values, around which the generators add daily rhythm, noise and anomalies."""

    heart_rate: float = 72
    respiratory_rate: float = 16
    spo2: float = 97
    systolic_bp: float = 128
    diastolic_bp: float = 80
    body_temperature: float = 36.7
    body_weight: float = 78
    blood_glucose: float = 105
    steps_per_hour: float = 400


@dataclass(frozen=True)
class Medication:
    drug: str
    dose: str
    times: tuple[dt.time, ...]


@dataclass(frozen=True)
class Archetype:
    """A kind of monitored patient: conditions, the devices they get, and what is expected of them."""

    name: str
    conditions: tuple[str, ...]
    devices: tuple[str, ...]
    baseline: Baseline
    medications: tuple[Medication, ...] = ()
    spo2_scale: int = 1


@dataclass(frozen=True)
class DemoPatient:
    mrn: str
    given_name: str
    family_name: str
    sex: str
    birth_date: dt.date
    timezone: str
    ward: int
    archetype: Archetype
    anomalies: tuple[str, ...] = field(default=())


AM, NOON, PM = dt.time(8, 0), dt.time(14, 0), dt.time(18, 0)
ARCHETYPES = (
    Archetype("hypertension", (Condition.HYPERTENSION,), ("blood_pressure_monitor", "pill_dispenser"),
              Baseline(heart_rate=74, systolic_bp=148, diastolic_bp=92),
              (Medication("Amlodipine", "5 mg", (AM,)),)),
    Archetype("heart failure", (Condition.HEART_FAILURE, Condition.HYPERTENSION),
              ("weight_scale", "blood_pressure_monitor", "pill_dispenser"),
              Baseline(heart_rate=78, systolic_bp=132, diastolic_bp=78, body_weight=86),
              (Medication("Furosemide", "40 mg", (AM, NOON)), Medication("Bisoprolol", "2.5 mg", (AM,)))),
    # Scale 2 only for a clinician-recorded 88-92 % target (RCP NEWS2, Chart 1 notes): hypercapnic COPD.
    Archetype("COPD, target 88-92 %", (Condition.COPD,), ("pulse_oximeter", "thermometer"),
              Baseline(heart_rate=88, respiratory_rate=20, spo2=90), spo2_scale=2),
    Archetype("diabetes", (Condition.DIABETES,), ("glucometer", "pill_dispenser"),
              Baseline(blood_glucose=125), (Medication("Metformin", "500 mg", (AM, PM)),)),
    Archetype("virtual ward", (Condition.VIRTUAL_WARD,), ("multiparameter_monitor",),
              Baseline(heart_rate=82, respiratory_rate=17, spo2=95, systolic_bp=122, diastolic_bp=76)),
    Archetype("active, hypertension", (Condition.HYPERTENSION,), ("wearable", "blood_pressure_monitor"),
              Baseline(heart_rate=66, systolic_bp=142, diastolic_bp=88, steps_per_hour=700)),
    Archetype("COPD", (Condition.COPD,), ("pulse_oximeter", "wearable"), Baseline(heart_rate=80, spo2=94)),
    Archetype("type 1 diabetes", (Condition.DIABETES,), ("cgm",), Baseline(blood_glucose=140)),
)
# One scripted anomaly per archetype within the last day, so the demo opens with something to look at.
SCRIPTED_ANOMALY = {
    "hypertension": "bp_crisis", "heart failure": "weight_gain", "COPD, target 88-92 %": "desaturation",
    "diabetes": "hypoglycaemia", "virtual ward": "fever", "active, hypertension": "tachycardia",
}

# Device schedules: local times of a spot-check device, or the interval of a continuous one.
SPOT_TIMES = {
    "blood_pressure_monitor": (dt.time(7, 30), dt.time(20, 0)),
    "pulse_oximeter": (dt.time(8, 0), dt.time(12, 0), dt.time(16, 0), dt.time(21, 0)),
    "thermometer": (dt.time(8, 30),),
    "weight_scale": (dt.time(7, 0),),
    "glucometer": (dt.time(7, 0), dt.time(10, 0), dt.time(15, 0), dt.time(21, 0)),
}
# Continuous streams report well inside the gap that breaks a persistence run (thresholds.md: 5 min; CGM 15 min).
CONTINUOUS_MINUTES = {"multiparameter_monitor": 2, "wearable": 2, "cgm": 5}
EXPECTED = {  # device kind -> (metric, readings a day, hours before the value is stale)
    "blood_pressure_monitor": (("systolic_bp", 2, 24), ("diastolic_bp", 2, 24)),
    "pulse_oximeter": (("spo2", 3, 12),),
    "thermometer": (("body_temperature", 1, 36),),
    "weight_scale": (("body_weight", 1, 36),),
    "glucometer": (("blood_glucose", 4, 12),),
    "cgm": (("blood_glucose", 48, 2),),
    "multiparameter_monitor": (("heart_rate", 48, 2), ("spo2", 48, 2), ("respiratory_rate", 48, 2)),
    "wearable": (("heart_rate", 24, 4), ("steps", 1, 24)),
}
MAKERS = {
    "blood_pressure_monitor": ("Demo Medical", "BP-200"), "pulse_oximeter": ("Demo Medical", "OX-10"),
    "thermometer": ("Demo Medical", "TH-3"), "weight_scale": ("Demo Scales", "WS-5"),
    "glucometer": ("Demo Diabetes", "GM-1"), "cgm": ("Demo Diabetes", "CGM-14"),
    "multiparameter_monitor": ("Demo Monitors", "MP-6"), "wearable": ("Demo Wear", "Band 2"),
    "pill_dispenser": ("Demo Pharma", "PD-7"),
}


def roster(count: int) -> list[DemoPatient]:
    """`count` fake patients cycling through the archetypes, alternating between the two wards."""
    rng = random.Random(20261122)
    patients = []
    for i in range(count):
        archetype = ARCHETYPES[i % len(ARCHETYPES)]
        if i >= len(ARCHETYPES) and archetype.spo2_scale == 2:
            archetype = ARCHETYPES[-2]  # a single scale 2 patient; later COPD patients use scale 1
        patients.append(DemoPatient(
            mrn=f"{MRN_PREFIX}{i + 1:04d}",
            given_name=GIVEN_NAMES[i % len(GIVEN_NAMES)],
            family_name=FAMILY_NAMES[(i // len(GIVEN_NAMES) + i) % len(FAMILY_NAMES)],
            sex=("female", "male")[i % 2],
            birth_date=dt.date(1940 + rng.randrange(45), rng.randrange(1, 13), rng.randrange(1, 29)),
            timezone="America/New_York" if i % 5 == 4 else "Europe/London",
            ward=i % len(WARDS),
            archetype=archetype,
            anomalies=(SCRIPTED_ANOMALY[archetype.name],) if i < len(ARCHETYPES) and
            archetype.name in SCRIPTED_ANOMALY else (),
        ))
    return patients


# ---- value generators: pure functions of baseline, local time and a seeded random source ----

def _hours(local: dt.datetime) -> float:
    return local.hour + local.minute / 60


def circadian_heart_rate(base: Baseline, local: dt.datetime, rng: random.Random) -> float:
    # Lowest in the small hours, highest mid-afternoon, with activity noise.
    return base.heart_rate + 8 * math.cos(2 * math.pi * (_hours(local) - 15) / 24) + rng.gauss(0, 3)


def blood_pressure(base: Baseline, local: dt.datetime, rng: random.Random) -> tuple[float, float]:
    h = _hours(local)
    surge = 12 * math.exp(-(((h - 7.5) / 1.5) ** 2))  # the morning surge after waking
    daily = 8 * math.cos(2 * math.pi * (h - 15) / 24)  # lower at night (the nocturnal dip)
    systolic = base.systolic_bp + surge + daily * 0.5 + rng.gauss(0, 6)
    diastolic = base.diastolic_bp + surge * 0.5 + daily * 0.3 + rng.gauss(0, 4)
    return systolic, min(diastolic, systolic - 25)


def glucose(base: Baseline, local: dt.datetime, rng: random.Random) -> float:
    h = _hours(local)
    meals = sum(55 * math.exp(-(((h - meal - 1.0) / 0.9) ** 2)) for meal in (8, 13, 19))
    dawn = 10 * math.exp(-(((h - 6) / 1.5) ** 2))
    return base.blood_glucose + meals + dawn + rng.gauss(0, 8)


def steps(base: Baseline, local: dt.datetime, rng: random.Random) -> float:
    h = local.hour
    if h < 7 or h >= 23:
        return 0
    return max(0.0, base.steps_per_hour * (1.6 if h in (8, 12, 17, 18) else 1.0) * rng.uniform(0.3, 1.5))


ANOMALIES = {  # metric -> a value that should catch a clinician's eye (see shared/clinical/thresholds.md)
    "heart_rate": lambda rng: rng.choice((rng.uniform(124, 140), rng.uniform(38, 45))),
    "spo2": lambda rng: rng.uniform(83, 88),
    "systolic_bp": lambda rng: rng.uniform(182, 195),
    "diastolic_bp": lambda rng: rng.uniform(112, 124),
    "body_temperature": lambda rng: rng.uniform(38.2, 39.2),
    "blood_glucose": lambda rng: rng.choice((rng.uniform(48, 66), rng.uniform(260, 320))),
    "respiratory_rate": lambda rng: rng.uniform(25, 29),
}


def measurement(kind: str, base: Baseline, local: dt.datetime, rng: random.Random, *,
                anomaly: bool = False) -> list[tuple[str, float]]:
    """What one device of `kind` would report at `local` time: [(metric, value in canonical unit)]."""
    systolic, diastolic = blood_pressure(base, local, rng)
    hr = circadian_heart_rate(base, local, rng)
    if kind == "blood_pressure_monitor":
        values = [("systolic_bp", systolic), ("diastolic_bp", diastolic), ("heart_rate", hr)]
    elif kind == "pulse_oximeter":
        values = [("spo2", base.spo2 + rng.gauss(0, 1.2)), ("heart_rate", hr)]
    elif kind == "thermometer":
        values = [("body_temperature", base.body_temperature + rng.gauss(0, 0.2))]
    elif kind == "weight_scale":
        values = [("body_weight", base.body_weight + rng.gauss(0, 0.25))]
    elif kind in ("glucometer", "cgm"):
        values = [("blood_glucose", glucose(base, local, rng))]
    elif kind == "wearable":
        values = [("heart_rate", hr)] + ([("steps", steps(base, local, rng))] if local.minute < 10 else [])
    elif kind == "multiparameter_monitor":
        values = [("heart_rate", hr), ("respiratory_rate", base.respiratory_rate + rng.gauss(0, 1.5)),
                  ("spo2", base.spo2 + rng.gauss(0, 1)), ("systolic_bp", systolic), ("diastolic_bp", diastolic),
                  ("body_temperature", base.body_temperature + rng.gauss(0, 0.15))]
    elif kind == "pill_dispenser":
        values = [("dose_taken", 1)]
    else:
        raise ValueError(f"no generator for device kind {kind!r}")
    if anomaly:
        candidates = [i for i, (metric, _) in enumerate(values) if metric in ANOMALIES]
        if candidates:
            i = rng.choice(candidates)
            values[i] = (values[i][0], ANOMALIES[values[i][0]](rng))
    return [(metric, _clamp(metric, value)) for metric, value in values]


def _clamp(metric: str, value: float) -> float:
    m = METRICS[metric]
    return round(min(max(value, m.low), m.high), max(m.precision, 0))


def _scripted(anomaly: str, metric: str, value: float, age: dt.timedelta) -> float:
    """Shape one patient's last days so each kind of alert has an example."""
    hours = age.total_seconds() / 3600
    if anomaly == "bp_crisis" and hours < 14 and metric in ("systolic_bp", "diastolic_bp"):
        return value + (48 if metric == "systolic_bp" else 30)
    if anomaly == "weight_gain" and metric == "body_weight" and hours < 72:
        return value + 0.7 * (3 - hours // 24)  # about 2 kg over three days: fluid retention
    if anomaly == "desaturation" and metric == "spo2" and hours < 10:
        return value - 5
    if anomaly == "hypoglycaemia" and metric == "blood_glucose" and hours < 8:
        return 58
    if anomaly == "fever" and hours < 6:
        return value + {"body_temperature": 1.8, "heart_rate": 28, "respiratory_rate": 7}.get(metric, 0)
    if anomaly == "tachycardia" and metric == "heart_rate" and hours < 3:
        return value + 55
    return value


def _times(kind: str, patient: DemoPatient, start: dt.datetime, end: dt.datetime,
           rng: random.Random) -> Iterator[dt.datetime]:
    """UTC times at which the device measured between start and end, in the patient's local rhythm."""
    tz = zoneinfo.ZoneInfo(patient.timezone)
    if kind in CONTINUOUS_MINUTES:
        step = dt.timedelta(minutes=CONTINUOUS_MINUTES[kind])
        at = start.replace(second=0, microsecond=0)
        while at < end:
            yield at + dt.timedelta(seconds=rng.randrange(60))
            at += step
        return
    if kind == "pill_dispenser":
        local_times = [t for med in patient.archetype.medications for t in med.times]
        jitter, skip = 40, 0.08  # most doses within 40 minutes, about one in twelve missed
    else:
        local_times, jitter, skip = list(SPOT_TIMES[kind]), 30, 0.05
    day = start.astimezone(tz).date()
    while day <= end.astimezone(tz).date():
        for t in sorted(set(local_times)):
            if rng.random() < skip:
                continue
            at = dt.datetime.combine(day, t, tzinfo=tz) + dt.timedelta(minutes=rng.uniform(-jitter, jitter))
            at = at.astimezone(dt.UTC)
            if start <= at < end:
                yield at
        day += dt.timedelta(days=1)


def history(patient: DemoPatient, kind: str, *, start: dt.datetime, end: dt.datetime,
            rng: random.Random) -> Iterator[tuple[dt.datetime, str, float]]:
    """(measured_at, metric, value) for one device of the patient, with noise, rare anomalies and the script."""
    tz = zoneinfo.ZoneInfo(patient.timezone)
    base = patient.archetype.baseline
    for at in _times(kind, patient, start, end, rng):
        values = measurement(kind, base, at.astimezone(tz), rng, anomaly=rng.random() < 0.003)
        for metric, value in values:
            for anomaly in patient.anomalies:
                value = _clamp(metric, _scripted(anomaly, metric, value, end - at))
            yield at, metric, value


# ---- writing it all ----

@dataclass
class SeedResult:
    password: str
    users: int
    patients: int
    devices: int
    readings: int
    tokens_file: Path


def is_seeded() -> bool:
    return User.objects.filter(username__in=DEMO_USERS).exists() or Patient.objects.filter(
        mrn__startswith=MRN_PREFIX).exists()


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def seed_demo(*, password: str | None = None, patients: int = 12, days: int = 30, now: dt.datetime | None = None,
              tokens_file: Path | None = None) -> SeedResult:
    """Write the demo wards, users, patients, plans, devices and history; refuse outside development."""
    if settings.RPM_ENV != "development":
        raise DemoRefused(f"seed_demo writes fake patients and known passwords, so it runs only when "
                          f"RPM_ENV is 'development' (it is {settings.RPM_ENV!r} here)")
    if patients < 1:
        raise DemoRefused("--patients must be at least 1")
    now = now or timezone.now()
    password = password or generate_password()
    tokens_file = tokens_file or tokens_path()
    with transaction.atomic():
        # Serialise concurrent seeds, then refuse a second one rather than duplicating everyone.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('rpm.seed_demo'))")
        if is_seeded():
            raise DemoRefused("demo data is already there (nurse1 or DEMO- patients exist); nothing was changed. "
                              "To start again from nothing: make clean && make run")
        wards = [CareTeam.objects.get_or_create(name=name)[0] for name in WARDS]
        users = _create_users(password=password, wards=wards)
        cast = roster(patients)
        rows: list[tuple] = []
        tokens: list[dict[str, Any]] = []
        rng = random.Random(1122)
        start = now - dt.timedelta(days=days)
        for demo in cast:
            patient = _create_patient(demo, ward=wards[demo.ward],
                                      starts_on=start.astimezone(zoneinfo.ZoneInfo(demo.timezone)).date())
            for kind in demo.archetype.devices:
                device = register_device(serial=f"{MRN_PREFIX}{kind.upper()[:4]}-{demo.mrn[-4:]}", kind=kind,
                                         manufacturer=MAKERS[kind][0], model=MAKERS[kind][1], firmware="1.0.0")
                enrol_device(device=device, patient=patient, at=start - dt.timedelta(hours=1))
                before = len(rows)
                rows.extend(_reading_row(patient.id, device.id, at, metric, value, now)
                            for at, metric, value in history(demo, kind, start=start, end=now, rng=rng))
                last_seen = max((row[5] for row in rows[before:]), default=None)
                Device.objects.filter(pk=device.pk).update(
                    last_seen_at=last_seen, battery_level=15 if kind == "thermometer" else rng.randrange(45, 101))
                tokens.append({"serial": device.serial, "kind": kind, "token": issue_token(device=device),
                               "patient": demo.mrn, "timezone": demo.timezone,
                               "baseline": asdict(demo.archetype.baseline)})
        _copy_readings(rows)
    write_tokens(tokens, path=tokens_file)
    return SeedResult(password=password, users=len(users), patients=len(cast), devices=len(tokens),
                      readings=len(rows), tokens_file=tokens_file)


def _create_users(*, password: str, wards: list[CareTeam]) -> list[User]:
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in (NURSE, PHYSICIAN, ADMIN)}
    names = {"nurse1": ("Nora", "Nurse-One"), "nurse2": ("Ned", "Nurse-Two"),
             "physician1": ("Phil", "Physician-One"), "admin1": ("Ada", "Admin-One")}
    hashed = make_password(password)  # once: a password hash costs most of a second
    users = {username: User.objects.create(username=username, password=hashed, first_name=first, last_name=last,
                                           email=f"{username}@example.invalid")
             for username, (first, last) in names.items()}
    users["nurse1"].groups.add(groups[NURSE])
    users["nurse2"].groups.add(groups[NURSE])
    users["physician1"].groups.add(groups[PHYSICIAN])
    users["admin1"].groups.add(groups[ADMIN])
    # admin1 runs the fleet, care teams and configuration in /django-admin/ (staff, not a superuser: clinical
    # models are absent there for admins, rpm.admin_access); no care team, so no clinical views anywhere.
    User.objects.filter(pk=users["admin1"].pk).update(is_staff=True)
    CareTeamMembership.objects.bulk_create([
        CareTeamMembership(user=users["nurse1"], care_team=wards[0], role=CareTeamMembership.Role.NURSE),
        CareTeamMembership(user=users["nurse2"], care_team=wards[1], role=CareTeamMembership.Role.NURSE),
        *[CareTeamMembership(user=users["physician1"], care_team=w, role=CareTeamMembership.Role.PHYSICIAN)
          for w in wards],
    ])
    return list(users.values())


def _create_patient(demo: DemoPatient, *, ward: CareTeam, starts_on: dt.date) -> Patient:
    patient = Patient.objects.create(
        mrn=demo.mrn, given_name=demo.given_name, family_name=demo.family_name, birth_date=demo.birth_date,
        sex=demo.sex, timezone=demo.timezone, conditions=list(demo.archetype.conditions), care_team=ward)
    plan = MonitoringPlan.objects.create(patient=patient, spo2_scale=demo.archetype.spo2_scale)
    expected: dict[str, tuple[int, int]] = {}
    for kind in demo.archetype.devices:
        for metric, per_day, stale in EXPECTED.get(kind, ()):
            previous = expected.get(metric, (0, 0))
            expected[metric] = (max(previous[0], per_day), max(previous[1], stale))
    ExpectedMeasurement.objects.bulk_create([
        ExpectedMeasurement(plan=plan, metric=metric, per_day=per_day, stale_after_hours=stale)
        for metric, (per_day, stale) in expected.items()
    ])
    MedicationSchedule.objects.bulk_create([
        MedicationSchedule(plan=plan, drug=med.drug, dose=med.dose, times=list(med.times), starts_on=starts_on)
        for med in demo.archetype.medications
    ])
    return patient


def _reading_row(patient_id: int, device_id: int, at: dt.datetime, metric: str, value: float,
                 now: dt.datetime) -> tuple:
    received = at + dt.timedelta(seconds=2)
    evaluated = received if now - at > EVALUATE_RECENT else None
    return (patient_id, device_id, metric, value, METRICS[metric].unit, at, received, Reading.Source.SEED, None,
            evaluated)


def _copy_readings(rows: list[tuple]) -> None:
    # COPY: tens of thousands of rows in well under a second (DESIGN.md performance notes).
    with connection.cursor() as cursor, cursor.cursor.copy(
        "COPY devices_reading (patient_id, device_id, metric, value, unit, measured_at, received_at, source, "
        "device_message_id, evaluated_at) FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row(row)


def write_tokens(tokens: list[dict[str, Any]], *, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"note": "DEMO ONLY: device tokens for `manage.py simulate`. The database stores only their hashes.",
            "devices": tokens}
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(body, fh, indent=1)
    tmp.replace(path)


def read_tokens(path: Path | None = None) -> list[dict[str, Any]]:
    return json.loads((path or tokens_path()).read_text())["devices"]


def reissue_tokens(*, path: Path | None = None) -> int:
    """New tokens for every current demo device (the old ones are revoked); for a lost tokens file."""
    cast = {demo.mrn: demo for demo in roster(Patient.objects.filter(mrn__startswith=MRN_PREFIX).count())}
    tokens = []
    for device in Device.objects.filter(serial__startswith=MRN_PREFIX, status=Device.Status.ACTIVE,
                                        assignments__ended_at__isnull=True).select_related():
        patient = device.assignments.get(ended_at__isnull=True).patient
        demo = cast.get(patient.mrn)
        baseline = asdict(demo.archetype.baseline) if demo else asdict(Baseline())
        tokens.append({"serial": device.serial, "kind": device.kind, "token": issue_token(device=device),
                       "patient": patient.mrn, "timezone": patient.timezone, "baseline": baseline})
    write_tokens(tokens, path=path or tokens_path())
    return len(tokens)


def set_password(*, password: str) -> int:
    """Give every demo user `password` (DEMO_PASSWORD changed after the first seed)."""
    return User.objects.filter(username__in=DEMO_USERS).update(password=make_password(password))
