"""Downsampling keeps every bucket's extremes and never returns more than max_points (property-based)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.history import minmax_buckets

START, END = 0, 1_000_000


@st.composite
def series(draw):
    n = draw(st.integers(min_value=0, max_value=1500))
    times = np.sort(np.array(draw(st.lists(st.integers(START, END - 1), min_size=n, max_size=n)), dtype=np.int64))
    values = np.array(draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=n, max_size=n)))
    return times, values


def buckets_of(times, max_points):
    buckets = max_points // 2
    return ((times - START) * buckets // (END - START)).clip(0, buckets - 1)


@settings(max_examples=100, deadline=None)
@given(series(), st.integers(min_value=2, max_value=500))
def test_never_more_points_than_asked(data, max_points):
    times, values = data
    assert len(minmax_buckets(times, values, start_ms=START, end_ms=END, max_points=max_points)) <= max_points


@settings(max_examples=100, deadline=None)
@given(series(), st.integers(min_value=2, max_value=500))
def test_every_bucket_keeps_its_lowest_and_highest_reading(data, max_points):
    times, values = data
    keep = minmax_buckets(times, values, start_ms=START, end_ms=END, max_points=max_points)
    if len(values) <= max_points:
        assert keep.tolist() == list(range(len(values)))
        return
    raw_buckets, kept_buckets = buckets_of(times, max_points), buckets_of(times[keep], max_points)
    for bucket in np.unique(raw_buckets):
        raw = values[raw_buckets == bucket]
        kept = values[keep][kept_buckets == bucket]
        assert kept.min() == raw.min() and kept.max() == raw.max()


@settings(max_examples=100, deadline=None)
@given(series(), st.integers(min_value=2, max_value=500))
def test_kept_points_are_real_readings_in_time_order(data, max_points):
    times, values = data
    keep = minmax_buckets(times, values, start_ms=START, end_ms=END, max_points=max_points)
    assert np.all(np.diff(keep) > 0)


def test_a_single_spike_among_a_hundred_thousand_readings_survives():
    times = np.arange(0, 100_000, dtype=np.int64) * 10
    values = np.full(100_000, 70.0)
    values[54_321] = 190.0
    keep = minmax_buckets(times, values, start_ms=0, end_ms=1_000_000, max_points=100)
    assert 190.0 in values[keep]
