"""Device telemetry (battery, firmware, signal strength) beside readings: stored on the device with its time,
shown on the device page, and what the low-battery rule reads."""

import datetime as dt

import pytest

from alerts import engine
from alerts.models import Alert
from devices.models import Device, Reading
from devices.telemetry import parse_telemetry
from tests.conftest import errors_of


def reading(now, message_id="t-1"):
    return {"id": message_id, "metric": "heart_rate", "value": 72, "unit": "/min", "measured_at": now.isoformat()}


def post(client, body):
    return client.post("/api/v1/readings/", body, content_type="application/json")


def test_a_batch_carries_battery_firmware_and_signal_onto_the_device(device_client, device_token, now):
    device, _ = device_token
    response = post(device_client, {"readings": [reading(now)], "battery": 84, "firmware": "2.4.1",
                                    "signal_strength": 61})
    assert response.status_code == 200 and response.json()["created"] == 1
    device.refresh_from_db()
    assert (device.battery_level, device.firmware, device.signal_strength) == (84, "2.4.1", 61)
    assert abs(device.telemetry_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)


def test_a_single_reading_carries_telemetry_too(device_client, device_token, now):
    device, _ = device_token
    assert post(device_client, {**reading(now), "battery": 12.5}).status_code == 201
    device.refresh_from_db()
    assert device.battery_level == 13  # whole percent, half up


def test_telemetry_alone_is_accepted_in_an_empty_batch(device_client, device_token):
    device, _ = device_token
    response = post(device_client, {"readings": [], "signal_strength": 40})
    assert response.status_code == 200 and response.json()["created"] == 0
    device.refresh_from_db()
    assert device.signal_strength == 40


def test_a_report_keeps_the_values_it_does_not_carry(device_client, device_token, now):
    device, _ = device_token
    post(device_client, {"readings": [reading(now, "a")], "battery": 90, "firmware": "1.0"})
    post(device_client, {"readings": [reading(now, "b")], "battery": 70})
    device.refresh_from_db()
    assert (device.battery_level, device.firmware) == (70, "1.0")


@pytest.mark.parametrize("field, value", [("battery", 101), ("battery", -1), ("battery", "full"),
                                          ("signal_strength", 250), ("firmware", ""), ("firmware", "x" * 51)])
def test_bad_telemetry_is_a_400_naming_the_field_and_nothing_is_stored(device_client, device_token, now, field,
                                                                        value):
    device, _ = device_token
    response = post(device_client, {"readings": [reading(now)], field: value})
    assert response.status_code == 400 and field in errors_of(response)
    device.refresh_from_db()
    assert (device.battery_level, device.signal_strength, device.telemetry_at) == (None, None, None)
    assert not Reading.objects.exists()


@pytest.mark.parametrize("value, stored", [(0, 0), (100, 100), (99.5, 100), (19.4, 19)])
def test_percentages_at_their_bounds(value, stored):
    telemetry, errors = parse_telemetry(battery=value)
    assert errors == {} and telemetry.battery == stored


def test_the_device_page_shows_the_reported_telemetry(admin_client, device_client, device_token, now):
    device, _ = device_token
    post(device_client, {"readings": [reading(now)], "battery": 33, "firmware": "3.1.4", "signal_strength": 58})
    page = admin_client.get(f"/devices/{device.id}/").content.decode()
    assert '<dd class="device-battery">33 %</dd>' in page
    assert '<dd class="device-signal">58 %</dd>' in page
    assert '<dd class="device-firmware">3.1.4</dd>' in page


def test_a_low_battery_reported_by_the_device_raises_the_device_alert(device_client, device_token, now,
                                                                      default_rules):
    # thresholds.md: any device, battery < 20 % raises a device alert; 20 % does not
    post(device_client, {"readings": [reading(now, "a")], "battery": 20})
    engine.check_device_health(now=dt.datetime.now(dt.UTC))
    assert not Alert.objects.filter(rule__name="Device battery low").exists()
    post(device_client, {"readings": [reading(now, "b")], "battery": 19})
    engine.check_device_health(now=dt.datetime.now(dt.UTC))
    alert = Alert.objects.get(rule__name="Device battery low")
    assert "Battery at 19 %" in alert.explanation


def test_the_staff_api_lists_the_telemetry(admin_client, device_client, device_token, now):
    device, _ = device_token
    post(device_client, {"readings": [reading(now)], "signal_strength": 77})
    body = admin_client.get(f"/api/v1/devices/{device.id}/").json()
    assert body["signal_strength"] == 77 and body["telemetry_at"] is not None
    assert Device.objects.get(pk=device.pk).signal_strength == 77
