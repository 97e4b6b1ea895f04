"""Reads of stored readings as Observations: a search page, one Observation by id, and every Observation of a
range (the export). Each pairs blood pressure halves over the rows it reads plus PAIR_WINDOW either side, so a
panel comes out once, at its anchor's place, whichever page or range holds it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from devices import readings
from devices.fhir import codes
from devices.fhir.mapping import BP_PREFIX, PAIR_WINDOW, Entry, Pairing
from devices.readings import ReadingRow
from rpm.metrics import METRICS

EXPORTED = tuple(code for code in METRICS if code == codes.GLUCOSE or codes.METRIC_CODES.get(code))
CHUNK = 2000
Cursor = tuple[dt.datetime, int]


@dataclass(frozen=True)
class Selection:
    """Which readings a search asks for: metrics from any device, and glucose by the device that measured it."""

    metrics: tuple[str, ...] = EXPORTED
    cgm_metrics: tuple[str, ...] = ()
    meter_metrics: tuple[str, ...] = ()

    def __or__(self, other: Selection) -> Selection:
        return Selection(tuple(dict.fromkeys(self.metrics + other.metrics)),
                         tuple(dict.fromkeys(self.cgm_metrics + other.cgm_metrics)),
                         tuple(dict.fromkeys(self.meter_metrics + other.meter_metrics)))

    def __and__(self, metrics: Sequence[str]) -> Selection:
        return Selection(*(tuple(m for m in group if m in metrics)
                           for group in (self.metrics, self.cgm_metrics, self.meter_metrics)))


NOTHING = Selection((), (), ())


def selection_for_code(code: str) -> Selection | None:
    found = codes.SEARCH_CODES.get(code)
    if found is None:
        return None
    metrics, device = found
    return replace(NOTHING, **{{None: "metrics", "cgm": "cgm_metrics", "meter": "meter_metrics"}[device]: metrics})


def _pairing(rows: Sequence[ReadingRow]) -> Pairing:
    halves = [r for r in rows if r.metric in codes.BP_METRICS]
    if not halves:
        return Pairing([])
    return Pairing(readings.rows_of_metrics(
        patient_ids=sorted({r.patient_id for r in halves}), metrics=codes.BP_METRICS,
        start=min(r.measured_at for r in halves) - PAIR_WINDOW, end=max(r.measured_at for r in halves) + PAIR_WINDOW))


def page(*, patient_ids: Sequence[int], selection: Selection, start: dt.datetime, end: dt.datetime,
         after: Cursor | None, newest_first: bool, count: int) -> tuple[list[Entry], Cursor | None]:
    """Up to `count` Observations whose time is in [start, end), after the cursor; and the cursor of the next
    page (None when there is none)."""
    entries: list[Entry] = []
    position = after
    while True:
        rows = readings.rows_page(patient_ids=patient_ids, metrics=selection.metrics,
                                  cgm_metrics=selection.cgm_metrics, meter_metrics=selection.meter_metrics,
                                  start=start, end=end, after=position, newest_first=newest_first, limit=CHUNK)
        pairing = _pairing(rows)
        for row in rows:
            entry = pairing.entry_for(row)
            if entry is not None:
                if len(entries) == count:
                    return entries, position
                entries.append(entry)
            position = (row.measured_at, row.id)
        if len(rows) < CHUNK:
            return entries, None


def entry(*, observation_id: str, patient_ids: Sequence[int]) -> Entry | None:
    """The Observation with this id, when it is of one of these patients; None for any other id."""
    panel = observation_id.startswith(BP_PREFIX)
    number = observation_id[len(BP_PREFIX):] if panel else observation_id
    if not number.isdigit() or len(number) > 18:
        return None
    rows = readings.rows_by_id(reading_ids=[int(number)], patient_ids=patient_ids)
    if not rows or (rows[0].metric in codes.BP_METRICS) != panel:
        return None
    found = _pairing(rows).entry_for(rows[0]) if panel else Entry(rows[0])
    if found is None or found.id != observation_id or not codes.observation_codes(found.anchor.metric,
                                                                                  found.anchor.device_kind):
        return None
    return found


def between(*, patient_id: int, start: dt.datetime, end: dt.datetime) -> list[Entry]:
    """Every Observation of the patient with start <= time < end, oldest first (the export)."""
    out: list[Entry] = []
    cursor: Cursor | None = None
    while True:
        entries, cursor = page(patient_ids=[patient_id], selection=Selection(), start=start, end=end, after=cursor,
                               newest_first=False, count=CHUNK)
        out += entries
        if cursor is None:
            return out
