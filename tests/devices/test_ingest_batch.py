import datetime as dt

from devices.models import IngestRejection, Reading


def reading(now, n, **overrides):
    body = {"id": f"b-{n}", "metric": "heart_rate", "value": 60 + n % 40, "unit": "/min",
            "measured_at": (now - dt.timedelta(minutes=n)).isoformat()}
    body.update(overrides)
    return body


def post_batch(client, items):
    return client.post("/api/v1/readings/", {"readings": items}, content_type="application/json")


def test_a_batch_stores_every_reading_and_reports_each(device_client, patient, now):
    response = post_batch(device_client, [reading(now, n) for n in range(3)])
    assert response.status_code == 200
    body = response.json()
    ids = dict(Reading.objects.values_list("device_message_id", "id"))
    assert body == {
        "created": 3, "duplicates": 0, "rejected": 0,
        "results": [{"index": n, "status": "created", "id": ids[f"b-{n}"]} for n in range(3)],
    }
    assert Reading.objects.filter(patient=patient).count() == 3


def test_valid_items_are_stored_when_others_in_the_batch_are_rejected(device_client, now):
    items = [reading(now, 0), reading(now, 1, metric="blood_sugar"), reading(now, 2, value=999)]
    body = post_batch(device_client, items).json()
    assert (body["created"], body["duplicates"], body["rejected"]) == (1, 0, 2)
    assert [r["status"] for r in body["results"]] == ["created", "rejected", "rejected"]
    assert list(Reading.objects.values_list("device_message_id", flat=True)) == ["b-0"]


def test_each_rejected_item_names_its_field(device_client, now):
    items = [reading(now, 0, metric="blood_sugar"), reading(now, 1, value=999)]
    results = post_batch(device_client, items).json()["results"]
    assert set(results[0]["errors"]) == {"metric"}
    assert set(results[1]["errors"]) == {"value"}


def test_items_already_stored_are_counted_as_duplicates(device_client, now):
    post_batch(device_client, [reading(now, 0), reading(now, 1)])
    body = post_batch(device_client, [reading(now, 0), reading(now, 1), reading(now, 2)]).json()
    assert (body["created"], body["duplicates"], body["rejected"]) == (1, 2, 0)
    assert [r["status"] for r in body["results"]] == ["duplicate", "duplicate", "created"]
    assert Reading.objects.count() == 3


def test_a_repeated_id_within_one_batch_is_rejected_and_the_first_kept(device_client, now):
    body = post_batch(device_client, [reading(now, 0), reading(now, 0, value=99)]).json()
    assert body["results"][1] == {"index": 1, "status": "rejected",
                                  "errors": {"id": "appears more than once in this batch"}}
    assert Reading.objects.get().value == 60.0


def test_a_full_batch_of_five_thousand_is_stored(device_client, now):
    items = [reading(now, n, measured_at=(now - dt.timedelta(seconds=n)).isoformat()) for n in range(5000)]
    body = post_batch(device_client, items).json()
    assert body["created"] == 5000
    assert Reading.objects.count() == 5000


def test_rejected_items_are_kept_for_the_device_page(device_client, device_token, now):
    post_batch(device_client, [reading(now, 0, unit="furlongs")])
    rejection = IngestRejection.objects.get()
    assert (rejection.device, rejection.device_message_id) == (device_token[0], "b-0")
    assert "unit" in rejection.errors
