"""NEWS2 as an alert: the aggregate from the latest plausible reading of each parameter within the plan's window
(RCP NEWS2 2017 Chart 2: 5-6 or a single 3 is urgent, medium; 7 or more is an emergency, high).

Readings come from whatever measured them (a cuff, an oximeter and a thermometer at different times), so the
score is always taken over the stored series, never over one arrival. Not for patients NEWS2 is not
validated for (under 16, pregnant). Params: `window_minutes` (else the plan's window).
"""

from __future__ import annotations

import datetime as dt

from alerts import news2
from alerts.kinds.base import PatientFacts, Point, Recovery, RuleLike, Series, Trigger, number, show, usable

NEWS2_METRICS = frozenset(news2.READING_PARAMETERS.values())
LABELS = {"respiration_rate": "respiration rate", "spo2": "SpO2", "air_or_oxygen": "oxygen",
          "systolic_bp": "systolic BP", "pulse": "pulse", "consciousness": "consciousness",
          "temperature": "temperature"}


def window(rule: RuleLike | None, facts: PatientFacts) -> dt.timedelta:
    minutes = (rule.params.get("window_minutes") if rule is not None else None)
    return dt.timedelta(minutes=minutes) if minutes else facts.news2_window


def latest_inputs(series: Series, *, end: dt.datetime, span: dt.timedelta) -> dict[str, Point | None]:
    """The latest plausible reading of each parameter measured in (end - span, end]."""
    latest: dict[str, Point | None] = {}
    for param, metric in news2.READING_PARAMETERS.items():
        inside = [p for p in usable(series.get(metric, ()), {}) if end - span < p.measured_at <= end]
        latest[param] = inside[-1] if inside else None
    return latest


def score_of(latest: dict[str, Point | None], facts: PatientFacts) -> news2.Score | None:
    """NEWS2 from the latest value of each parameter; None unless every parameter has one."""
    if any(latest.get(param) is None for param in news2.READING_PARAMETERS):
        return None
    return news2.score(**{param: latest[param].value for param in news2.READING_PARAMETERS},
                       on_oxygen=facts.on_oxygen, alert=facts.consciousness_alert, spo2_scale=facts.spo2_scale)


def severity_of(result: news2.Score) -> str | None:
    # RCP NEWS2 Chart 2: aggregate >= 7 emergency (high); 5-6 or any single 3 urgent (medium)
    if result.total >= 7:
        return "high"
    if result.total >= 5 or result.any_single_three:
        return "medium"
    return None


def explanation(result: news2.Score, latest: dict[str, Point], facts: PatientFacts) -> str:
    parts = []
    for param, points in result.components.items():
        if not points:
            continue
        if param in news2.READING_PARAMETERS:
            metric = news2.READING_PARAMETERS[param]
            scale = f" (scale {facts.spo2_scale})" if param == "spo2" else ""
            parts.append(f"{LABELS[param]} {show(metric, latest[param].value)}{scale} scores {points}")
        elif param == "air_or_oxygen":
            parts.append(f"on supplemental oxygen scores {points}")
        else:
            parts.append(f"consciousness not alert (CVPU) scores {points}")
    single = " with a single parameter scoring 3" if result.any_single_three and result.total < 5 else ""
    return (f"NEWS2 {result.total}{single}: {result.risk} clinical risk, {result.response}. "
            f"{'; '.join(parts) if parts else 'every parameter scores 0'}.")


class EarlyWarningScoreKind:
    code = "early_warning_score"
    on_readings = True
    auto_recovers = True

    def validate(self, metric: str, params: dict) -> dict[str, str]:
        if params.get("window_minutes") is not None and not number(params["window_minutes"], positive=True):
            return {"params.window_minutes": "must be a positive number of minutes"}
        return {}

    def metrics(self, rule: RuleLike) -> frozenset[str]:
        return NEWS2_METRICS

    def lookback(self, params: dict, facts: PatientFacts) -> dt.timedelta:
        minutes = params.get("window_minutes")
        return dt.timedelta(minutes=minutes) if minutes else facts.news2_window

    def evaluate(self, rule: RuleLike, series: Series, new_ids: set[int], facts: PatientFacts) -> Trigger | None:
        if facts.news2_invalid:
            return None
        new = [p for metric in NEWS2_METRICS for p in usable(series.get(metric, ()), {}) if p.id in new_ids]
        if not new:
            return None
        latest = latest_inputs(series, end=max(p.measured_at for p in new), span=window(rule, facts))
        result = score_of(latest, facts)
        if result is None:
            return None
        severity = severity_of(result)
        if severity is None:
            return None
        points = [latest[param] for param in news2.READING_PARAMETERS]
        ids = sorted(p.id for p in points)
        return Trigger(severity, explanation(result, latest, facts), ids, max(p.measured_at for p in points),
                       "news2:" + ",".join(map(str, ids)), "news2")

    def recover(self, rule: RuleLike, series: Series, facts: PatientFacts, *, after: dt.datetime,
                metric: str = "") -> Recovery | None:
        """Low risk again, from a full set of readings all taken after the alert's last trigger."""
        ends = [p.measured_at for m in NEWS2_METRICS for p in usable(series.get(m, ()), {})]
        if not ends:
            return None
        latest = latest_inputs(series, end=max(ends), span=window(rule, facts))
        result = score_of(latest, facts)
        if result is None or severity_of(result) is not None:
            return None
        if any(latest[param].measured_at <= after for param in news2.READING_PARAMETERS):
            return None
        at = max(latest[param].measured_at for param in news2.READING_PARAMETERS)
        return Recovery(f"Resolved automatically: NEWS2 now {result.total} ({result.risk} risk) on a full set of "
                        f"observations taken after the alert.", at)

    def display_bands(self, rule: RuleLike, facts: PatientFacts) -> list[dict]:
        return []


KIND = EarlyWarningScoreKind()
