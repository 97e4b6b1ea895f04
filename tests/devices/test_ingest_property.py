"""Whatever JSON a device sends, the answer is never a server error."""

import datetime as dt
import json

import orjson
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rpm.metrics import METRICS

NOW = dt.datetime.now(dt.UTC)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
# Readings that are nearly right, so the checks past the first one are exercised too.
field_values = {
    "id": st.one_of(st.text(max_size=120), st.integers(), json_values),
    "metric": st.one_of(st.sampled_from(list(METRICS)), json_values),
    "value": st.one_of(st.floats(), st.integers(), json_values),
    "unit": st.one_of(st.sampled_from(sorted({u for m in METRICS.values() for u in m.accepted_units()})), json_values),
    "measured_at": st.one_of(
        st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
        st.just(NOW.isoformat()), st.text(max_size=30), json_values,
    ),
}
near_readings = st.fixed_dictionaries({}, optional=field_values)
bodies = st.one_of(json_values, near_readings, st.lists(near_readings, max_size=5).map(lambda r: {"readings": r}))


@override_settings(DEVICE_RATE_LIMIT_PER_MINUTE=1_000_000)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_any_json_body_gets_an_answer_that_is_not_a_server_error(device_client, body):
    raw = json.dumps(body)  # the standard library also writes NaN, Infinity and integers past 64 bits
    response = device_client.post("/api/v1/readings/", raw, content_type="application/json")
    assert response.status_code < 500
    assert isinstance(orjson.loads(response.content), dict)


@override_settings(DEVICE_RATE_LIMIT_PER_MINUTE=1_000_000)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200))
def test_any_bytes_get_an_answer_that_is_not_a_server_error(device_client, raw):
    response = device_client.post("/api/v1/readings/", raw, content_type="application/json")
    assert response.status_code < 500
