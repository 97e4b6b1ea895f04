"""seed_demo: synthetic wards, users, patients, devices and history, for development only."""

import datetime as dt
import random
import stat
import zoneinfo

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db.models import Max, Min
from django.test import Client

from demo import data as demo
from devices.credentials import authenticate_device
from devices.models import Device, DeviceCredential, Reading
from patients.models import MedicationSchedule, MonitoringPlan, Patient
from patients.selectors import patients_visible_to
from rpm.metrics import DEVICE_KIND_METRICS

PASSWORD = "demo-password-for-tests"


@pytest.fixture
def var_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RPM_VAR_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def seeded(db, var_dir):
    call_command("seed_demo", password=PASSWORD, patients=8, days=3)


def test_seed_creates_the_four_demo_users_in_their_groups(seeded):
    groups = {u.username: set(u.groups.values_list("name", flat=True)) for u in User.objects.all()}
    assert groups == {"nurse1": {"nurse"}, "nurse2": {"nurse"}, "physician1": {"physician"}, "admin1": {"admin"}}


def test_the_demo_admin_uses_django_admin_without_being_a_superuser(seeded):
    admin1 = User.objects.get(username="admin1")
    assert admin1.is_staff and not admin1.is_superuser
    assert not User.objects.filter(is_superuser=True).exists()


def test_seed_creates_the_requested_number_of_patients_with_history(seeded):
    assert Patient.objects.count() == 8
    assert Reading.objects.count() > 1000
    assert set(Reading.objects.values_list("patient", flat=True).distinct()) == set(
        Patient.objects.values_list("id", flat=True))


def test_demo_users_log_in_with_the_given_password(seeded):
    assert Client().login(username="nurse1", password=PASSWORD)
    assert Client().login(username="admin1", password=PASSWORD)


def test_nurse1_and_nurse2_see_different_patients(seeded):
    nurse1 = set(patients_visible_to(User.objects.get(username="nurse1")))
    nurse2 = set(patients_visible_to(User.objects.get(username="nurse2")))
    assert nurse1 and nurse2
    assert not nurse1 & nurse2
    assert nurse1 | nurse2 == set(Patient.objects.all())


def test_physician1_sees_both_wards(seeded):
    assert patients_visible_to(User.objects.get(username="physician1")).count() == 8


def test_names_are_obviously_fake(seeded):
    assert all(p.family_name in demo.FAMILY_NAMES and p.mrn.startswith("DEMO-") for p in Patient.objects.all())


def test_one_copd_patient_uses_news2_scale_2(seeded):
    scale_2 = MonitoringPlan.objects.filter(spo2_scale=2)
    assert scale_2.count() == 1
    assert "copd" in scale_2.get().patient.conditions


def test_plans_have_expected_measurements_and_medication_schedules(seeded):
    assert all(plan.expected_measurements.exists() for plan in MonitoringPlan.objects.all())
    assert MedicationSchedule.objects.filter(drug="Furosemide").exists()


def test_every_device_is_enrolled_and_reports_only_metrics_of_its_kind(seeded):
    for device in Device.objects.all():
        assert device.assignments.filter(ended_at__isnull=True).exists()
        metrics = set(device.readings.values_list("metric", flat=True).distinct())
        assert metrics and metrics <= DEVICE_KIND_METRICS[device.kind]


def test_device_tokens_file_holds_working_tokens_the_database_never_stores(seeded, var_dir):
    path = demo.tokens_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    entries = demo.read_tokens(path)
    assert len(entries) == Device.objects.count()
    for entry in entries:
        assert authenticate_device(entry["token"]) is not None
        secret = entry["token"].rsplit("_", 1)[1]
        assert not DeviceCredential.objects.filter(secret_hash=secret).exists()


def test_history_spans_the_requested_days(db, var_dir):
    call_command("seed_demo", password=PASSWORD, patients=2, days=30)
    span = Reading.objects.aggregate(first=Min("measured_at"), last=Max("measured_at"))
    assert span["last"] - span["first"] > dt.timedelta(days=29)


def test_recent_history_is_left_for_the_alert_engine_to_evaluate(seeded):
    recent = Reading.objects.filter(measured_at__gte=dt.datetime.now(dt.UTC) - dt.timedelta(hours=12))
    assert recent.exists()
    assert not recent.filter(evaluated_at__isnull=False).exists()
    assert Reading.objects.filter(evaluated_at__isnull=False).exists()


def test_generated_password_is_printed_and_works(db, var_dir, capsys):
    call_command("seed_demo", patients=1, days=1)
    out = capsys.readouterr().out
    password = out.split("Password (generated): ")[1].split()[0]
    assert Client().login(username="physician1", password=password)


def test_second_run_refuses_and_changes_nothing(seeded):
    before = (User.objects.count(), Patient.objects.count(), Reading.objects.count())
    with pytest.raises(CommandError, match="already there"):
        call_command("seed_demo", password="another-password", patients=8, days=3)
    assert (User.objects.count(), Patient.objects.count(), Reading.objects.count()) == before
    assert Client().login(username="nurse1", password=PASSWORD)


def test_refuses_in_production_settings(db, var_dir, settings):
    settings.RPM_ENV = "production"
    with pytest.raises(CommandError, match="RPM_ENV"):
        call_command("seed_demo", password=PASSWORD, patients=2, days=1)
    assert not User.objects.exists()
    assert not Patient.objects.exists()
    assert not demo.tokens_path().exists()


# The generators are plain functions: the daily patterns can be checked without a database.

def _local(hour: int) -> dt.datetime:
    return dt.datetime(2026, 3, 2, hour, 0, tzinfo=zoneinfo.ZoneInfo("Europe/London"))


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def test_heart_rate_is_lower_at_night_than_in_the_afternoon():
    rng, base = random.Random(1), demo.Baseline()
    night = _mean(demo.circadian_heart_rate(base, _local(3), rng) for _ in range(200))
    afternoon = _mean(demo.circadian_heart_rate(base, _local(15), rng) for _ in range(200))
    assert afternoon - night > 10


def test_blood_pressure_surges_in_the_morning():
    rng, base = random.Random(2), demo.Baseline()
    morning = _mean(demo.blood_pressure(base, _local(7), rng)[0] for _ in range(200))
    night = _mean(demo.blood_pressure(base, _local(2), rng)[0] for _ in range(200))
    assert morning - night > 10


def test_glucose_rises_after_meals():
    rng, base = random.Random(3), demo.Baseline()
    after_lunch = _mean(demo.glucose(base, _local(14), rng) for _ in range(200))
    before_lunch = _mean(demo.glucose(base, _local(11), rng) for _ in range(200))
    assert after_lunch - before_lunch > 30


def test_anomalies_fall_outside_the_usual_range():
    rng, base = random.Random(4), demo.Baseline()
    spo2 = [dict(demo.measurement("pulse_oximeter", base, _local(12), rng, anomaly=True)) for _ in range(50)]
    assert any(m["spo2"] <= 88 or m["heart_rate"] >= 120 or m["heart_rate"] <= 45 for m in spo2)
