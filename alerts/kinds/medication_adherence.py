"""Scheduled doses not taken within their window (../shared/clinical/thresholds.md, "dose events": low; medium
after 2 missed in a row; adherence practice). Checked on a schedule, over the doses as patients.doses matches
them, the same matcher as the patient page and the proportion of days covered.

Params: `medium_after_consecutive` (default 2), `window_minutes` (else each schedule's own window).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from alerts.kinds.base import Trigger, number
from patients.doses import Dose, trailing_missed

RECOVERED = "Resolved automatically: the latest scheduled doses were taken."
NO_SCHEDULE = "Resolved automatically: the monitoring plan no longer schedules any medication."


def trigger(*, severity: str, params: dict, doses_by_medication: Mapping[str, Sequence[Dose]], tz: dt.tzinfo,
            now: dt.datetime) -> Trigger | None:
    """A missed-dose finding over each medication's doses (matched), or None when the latest were taken."""
    medium_after = params.get("medium_after_consecutive") or 2
    texts, worst, last_due = [], 0, None
    for name, doses in doses_by_medication.items():
        missed = trailing_missed(doses)
        if not missed:
            continue
        dose = [d for d in doses if d.status == "missed"][-1]
        due = dose.scheduled_at.astimezone(tz)
        worst = max(worst, missed)
        last_due = max(last_due or due, due)
        run = f"; {missed} missed in a row" if missed > 1 else ""
        texts.append(f"{name} due {due:%H:%M} on {due:%a %d %b} not taken (no dispenser event within "
                     f"{dose.window.total_seconds() / 60:g} min){run}")
    if not texts:
        return None
    return Trigger("medium" if worst >= medium_after else severity, "Missed dose: " + "; ".join(texts) + ".", [],
                   now, f"dose:{last_due.isoformat()}:{worst}")


class MedicationAdherenceKind:
    code = "medication_adherence"
    on_readings = False

    def validate(self, metric: str, params: dict) -> dict[str, str]:
        errors = {}
        if params.get("medium_after_consecutive") is not None and not number(
                params["medium_after_consecutive"], positive=True, integer=True):
            errors["params.medium_after_consecutive"] = "must be a positive whole number"
        if params.get("window_minutes") is not None and not number(params["window_minutes"], positive=True):
            errors["params.window_minutes"] = "must be a positive number of minutes"
        return errors


KIND = MedicationAdherenceKind()
