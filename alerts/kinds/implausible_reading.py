"""A reading outside its metric's plausible range but within what a device can report (SpO2 of 45 %): stored
with the quality flag `implausible`, kept out of every score and band, and raised here for the care team,
because an artefact and a real event cannot be told apart remotely (../shared/clinical/thresholds.md,
"implausible reading": medium, "check the patient or the device").

Params: none. The rule's `metric` limits it to one metric; blank means every metric. Recovers once a
plausible reading of the same metric is measured after it.
"""

from __future__ import annotations

import datetime as dt

from alerts.kinds.base import PatientFacts, Recovery, RuleLike, Series, Trigger, display, show
from rpm.metrics import IMPLAUSIBLE, METRICS, OK


class ImplausibleReadingKind:
    code = "implausible_reading"
    on_readings = True
    auto_recovers = True

    def validate(self, metric: str, params: dict) -> dict[str, str]:
        if metric and metric not in METRICS:
            return {"metric": "must be a metric from the catalogue, or blank for every metric"}
        return {}

    def metrics(self, rule: RuleLike) -> frozenset[str]:
        return frozenset({rule.metric}) if rule.metric else frozenset(METRICS)

    def lookback(self, params: dict, facts: PatientFacts) -> dt.timedelta:
        return dt.timedelta(0)

    def evaluate(self, rule: RuleLike, series: Series, new_ids: set[int], facts: PatientFacts) -> Trigger | None:
        wrong = [(metric, p) for metric in self.metrics(rule) for p in series.get(metric, ())
                 if p.id in new_ids and p.quality == IMPLAUSIBLE]
        if not wrong:
            return None
        metric, point = max(wrong, key=lambda mp: (mp[1].measured_at, mp[1].id))
        m = METRICS[metric]
        text = (f"{display(metric)} {show(metric, point.value)} is outside the plausible range "
                f"({m.low:g}-{m.high:g} {m.shown_unit}): check the patient or the device")
        return Trigger(rule.severity, text, [p.id for _, p in wrong][-100:], point.measured_at,
                       f"implausible:{point.id}", metric)

    def recover(self, rule: RuleLike, series: Series, facts: PatientFacts, *, after: dt.datetime,
                metric: str = "") -> Recovery | None:
        later = [p for p in series.get(metric, ()) if p.measured_at > after]
        if not metric or not later or later[-1].quality != OK:
            return None
        return Recovery(f"Resolved automatically: a plausible {display(metric).lower()} reading followed "
                        f"({show(metric, later[-1].value)}).", later[-1].measured_at)

    def display_bands(self, rule: RuleLike, facts: PatientFacts) -> list[dict]:
        return []


KIND = ImplausibleReadingKind()
