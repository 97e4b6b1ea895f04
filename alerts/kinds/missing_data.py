"""Expected measurements (the monitoring plan) not received by their due time, patient-local
(../shared/clinical/thresholds.md, "expected metric": low; RPM programme practice). Checked on a schedule.

Params: `grace_minutes` after the due time before it counts as missed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from alerts.kinds.base import Trigger, display, lower_display, number, sentence


@dataclass(frozen=True)
class Expectation:
    metric: str
    per_day: int
    due_by: dt.time


@dataclass(frozen=True)
class Miss:
    metric: str
    got: int
    expected: int
    due_by: dt.time

    def text(self) -> str:
        name = lower_display(self.metric)
        if self.got == 0:
            return f"no {name} reading today by {self.due_by:%H:%M} ({self.expected} expected)"
        return f"only {self.got} of {self.expected} expected {name} readings today by {self.due_by:%H:%M}"


def missed_measurements(expected: Sequence[Expectation], counts_today: dict[str, int], *,
                        local_now: dt.datetime, grace_minutes: float = 0) -> list[Miss]:
    """Expected measurements not met by their due time today (patient-local)."""
    misses = []
    for e in expected:
        due = dt.datetime.combine(local_now.date(), e.due_by, tzinfo=local_now.tzinfo)
        if local_now < due + dt.timedelta(minutes=grace_minutes):
            continue
        got = counts_today.get(e.metric, 0)
        if got < e.per_day:
            misses.append(Miss(e.metric, got, e.per_day, e.due_by))
    return misses


def trigger(*, severity: str, misses: Sequence[Miss], local_now: dt.datetime, now: dt.datetime) -> Trigger | None:
    if not misses:
        return None
    return Trigger(severity, sentence("; ".join(m.text() for m in misses)), [], now,
                   f"missing:{local_now.date()}:{','.join(m.metric for m in misses)}")


def metrics_named(key: str) -> list[str]:
    """The metrics an alert's trigger key names (the ones that were missing)."""
    return key.rsplit(":", 1)[-1].split(",") if key.startswith("missing:") else []


def recovered_text(metrics: Sequence[str]) -> str:
    return f"Resolved automatically: the missing readings arrived ({', '.join(display(m) for m in metrics)})."


def no_longer_expected_text(metrics: Sequence[str]) -> str:
    return ("Resolved automatically: the monitoring plan no longer expects "
            f"{', '.join(lower_display(m) for m in metrics)}.")


class MissingDataKind:
    code = "missing_data"
    on_readings = False

    def validate(self, metric: str, params: dict) -> dict[str, str]:
        if params.get("grace_minutes") is not None and not number(params["grace_minutes"]):
            return {"params.grace_minutes": "must be a number at or above 0"}
        return {}


KIND = MissingDataKind()
