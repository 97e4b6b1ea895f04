"""Pure-rule helpers: the default rules as unsaved objects, and series of points from a device kind."""

import datetime as dt
import itertools

from alerts.defaults import DEFAULT_RULES
from alerts.kinds import KINDS
from alerts.kinds.base import PatientFacts, Point
from alerts.models import AlertRule

T0 = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)
M = dt.timedelta(minutes=1)
_ids = itertools.count(1)


def default(name: str) -> AlertRule:
    spec = next(r for r in DEFAULT_RULES if r["name"] == name)
    return AlertRule(name=spec["name"], kind=spec["kind"], metric=spec["metric"], params=spec["params"],
                     severity=spec["severity"])


def rule(kind: str, metric: str, params: dict, severity: str = "medium") -> AlertRule:
    return AlertRule(name="test rule", kind=kind, metric=metric, params=params, severity=severity)


def points(*pairs, kind=None, start=T0):
    """(minutes after start, value) -> points measured by `kind` (None: a manual spot check)."""
    return [Point(next(_ids), start + m * M, v, kind) for m, v in pairs]


NO_FACTS = PatientFacts()


def evaluate(r: AlertRule, series: dict, new=None, facts: PatientFacts = NO_FACTS):
    """Judge `series` ({metric: points}) with every point new unless `new` says which."""
    ordered = {m: sorted(pts, key=lambda p: (p.measured_at, p.id)) for m, pts in series.items()}
    new_ids = {p.id for pts in ordered.values() for p in pts} if new is None else {p.id for p in new}
    return KINDS[r.kind].evaluate(r, ordered, new_ids, facts)


def recover(r: AlertRule, series: dict, *, after, facts: PatientFacts = NO_FACTS, metric=""):
    ordered = {m: sorted(pts, key=lambda p: (p.measured_at, p.id)) for m, pts in series.items()}
    return KINDS[r.kind].recover(r, ordered, facts, after=after, metric=metric or r.metric)
