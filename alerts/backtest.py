"""Back-test a rule before it is saved: how many alerts it would have raised on this patient's stored readings,
computed by the same rule functions the engine runs, replayed reading by reading in measured order.

Counting an alert as the engine would open it: a trigger while none is open opens one; it stays open until the
rule's own recovery (a recovered alert counts as reviewed). A kind with no automatic recovery (rate of change)
counts once per patient-local day it fires, as a nurse closes it after looking.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from alerts.kinds import KINDS
from alerts.kinds.base import OPS, PatientFacts, Point, RuleLike, Trigger
from devices import readings
from patients.models import Patient
from rpm.metrics import rounded

EXAMPLES = 5


@dataclass(frozen=True)
class BacktestResult:
    alerts: int
    readings: int
    days: int
    examples: list[dict] = field(default_factory=list)  # the first few: {at, severity, explanation}


def _slice(series: dict[str, list[Point]], times: dict[str, list[dt.datetime]], start: dt.datetime,
           end: dt.datetime) -> dict[str, list[Point]]:
    return {m: pts[bisect.bisect_left(times[m], start):bisect.bisect_right(times[m], end)]
            for m, pts in series.items()}


def _could_fire(bands: dict[str, list[dict]], metric: str, point: Point) -> bool:
    """For a kind judged on bands: a reading outside every band cannot raise (it may still end a run)."""
    return any(OPS[b["op"]](rounded(metric, point.value), b["value"]) for b in bands.get(metric, ()))


def replay(rule: RuleLike, series: dict[str, list[Point]], facts: PatientFacts, *, start: dt.datetime
           ) -> tuple[list[Trigger], int]:
    """The triggers that would have opened an alert for readings measured from `start` on, and how many readings
    were judged. Pure: series in, triggers out."""
    kind = KINDS[rule.kind]
    lookback = kind.lookback(rule.params, facts)
    times = {m: [p.measured_at for p in pts] for m, pts in series.items()}
    bands: dict[str, list[dict]] = {}
    for band in kind.display_bands(rule, facts):
        bands.setdefault(band["metric"], []).append(band)
    recovers = kind.auto_recovers
    points = sorted(((m, p) for m, pts in series.items() for p in pts if p.measured_at >= start),
                    key=lambda mp: (mp[1].measured_at, mp[1].id))
    opened: list[Trigger] = []
    open_after: dt.datetime | None = None
    open_metric = ""
    fired_days: set[dt.date] = set()
    for metric, point in points:
        if open_after is None and bands and not _could_fire(bands, metric, point):
            continue
        at = point.measured_at
        earliest = at - lookback if open_after is None else min(at - lookback, open_after)
        window = _slice(series, times, earliest, at)
        trigger = kind.evaluate(rule, window, {point.id}, facts)
        if trigger is not None:
            if not recovers:
                day = trigger.at.astimezone(facts.tz).date()
                if day not in fired_days:
                    fired_days.add(day)
                    opened.append(trigger)
                continue
            if open_after is None:
                opened.append(trigger)
                open_metric = trigger.metric or rule.metric
            open_after = max(open_after or trigger.at, trigger.at)
            continue
        if open_after is not None and kind.recover(rule, window, facts, after=open_after,
                                                   metric=open_metric) is not None:
            open_after = None
    return opened, len(points)


def backtest(*, patient: Patient, rule: RuleLike, facts: PatientFacts, days: int = 30,
             now: dt.datetime | None = None) -> BacktestResult:
    """Replay `rule` (saved or proposed) over this patient's last `days` of stored readings."""
    kind = KINDS.get(rule.kind)
    if kind is None or not kind.on_readings:
        return BacktestResult(0, 0, days)
    now = now or timezone.now()
    start = now - dt.timedelta(days=days)
    reach = start - kind.lookback(rule.params, facts)
    series = readings.series_since(patient_id=patient.id, since=dict.fromkeys(kind.metrics(rule), reach), until=now)
    triggers, judged = replay(rule, series, facts, start=start)
    examples = [{"at": t.at, "severity": t.severity, "explanation": t.explanation} for t in triggers[:EXAMPLES]]
    return BacktestResult(len(triggers), judged, days, examples)
