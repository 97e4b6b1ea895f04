"""Readings of many patients judged together (a group commit's, the sweep's): each patient by their own rules and
their own series, every reading claimed once, and one task per group commit raising every alert it should."""

import datetime as dt
import time

import orjson
import pytest

from alerts import engine
from alerts.models import Alert
from devices.device_api import DevicePost, answer_posts
from devices.ingest import Delivery, ingest_deliveries
from devices.models import Reading
from tests.builders import make_device, make_patient

M = dt.timedelta(minutes=1)


def vital(metric: str, value: float, unit: str, at: dt.datetime) -> dict:
    return {"metric": metric, "value": value, "unit": unit, "measured_at": at.isoformat()}


def stored_ids(outcomes) -> list[int]:
    return [r.id for outcome in outcomes for r in outcome.stored]


def test_one_group_of_many_patients_raises_each_patients_own_alerts_and_no_other(team, default_rules, t0):
    ward = [make_patient(team, conditions=["virtual_ward"]) for _ in range(4)]
    deliveries = [Delivery(p.id, [vital("respiratory_rate", 6 if n % 2 else 16, "/min", t0)], "manual")
                  for n, p in enumerate(ward)]
    outcomes = ingest_deliveries(deliveries, now=t0 + M)

    summary = engine.evaluate_readings(reading_ids=stored_ids(outcomes), now=t0 + M)

    assert summary.readings == 4 and summary.patients == {p.id for p in ward}
    alerted = {a.patient_id for a in Alert.objects.filter(rule__name="Respiratory rate extreme")}
    assert alerted == {ward[1].id, ward[3].id}
    assert not Reading.objects.filter(evaluated_at__isnull=True).exists()


def test_readings_judged_once_are_not_judged_again_by_a_second_worker(team, default_rules, t0):
    ward = [make_patient(team, conditions=["virtual_ward"]) for _ in range(3)]
    outcomes = ingest_deliveries([Delivery(p.id, [vital("respiratory_rate", 6, "/min", t0)], "manual")
                                  for p in ward], now=t0 + M)
    ids = stored_ids(outcomes)
    assert engine.evaluate_readings(reading_ids=ids, now=t0 + M).readings == 3
    again = engine.evaluate_readings(reading_ids=ids, now=t0 + M)
    assert (again.readings, again.opened) == (0, 0)
    assert Alert.objects.filter(rule__name="Respiratory rate extreme").count() == 3


def test_the_sweep_judges_what_many_patients_left_unevaluated(team, default_rules, t0):
    ward = [make_patient(team, conditions=["virtual_ward"]) for _ in range(5)]
    ingest_deliveries([Delivery(p.id, [vital("respiratory_rate", 6, "/min", t0)], "manual") for p in ward],
                      now=t0 + M)
    Reading.objects.update(received_at=t0)  # as if stored while the queue was down
    summary = engine.sweep_unevaluated(now=t0 + 10 * M)
    assert summary.readings == 5
    assert Alert.objects.filter(rule__name="Respiratory rate extreme").count() == 5


@pytest.mark.django_db(transaction=True)
def test_one_group_commit_of_posts_queues_one_evaluation_that_raises_every_patients_alert(celery_worker, team,
                                                                                          default_rules):
    ward = [make_patient(team, conditions=["virtual_ward"]) for _ in range(3)]
    tokens = [make_device(patient=p)[1] for p in ward]
    at = dt.datetime.now(dt.UTC).replace(microsecond=0) - M
    posts = [DevicePost(f"Device {token}", orjson.dumps({"id": f"g{n}", **vital("respiratory_rate", 6, "/min", at)}))
             for n, token in enumerate(tokens)]
    assert [a.status for a in answer_posts(posts)] == [201, 201, 201]

    deadline = time.monotonic() + 30
    while Reading.objects.filter(evaluated_at__isnull=True).exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # the worker's write, polled; not a stand-in for time-based logic
    alerted = set(Alert.objects.filter(rule__name="Respiratory rate extreme").values_list("patient_id", flat=True))
    assert alerted == {p.id for p in ward}
