"""The admission and monitoring-plan forms as the services' inputs: parsing only (types, formats), each error
named by the field it is about; the rules (who may, what is allowed) are the services' (patients.admission)."""

from __future__ import annotations

import datetime as dt

from patients.admission import PLANNABLE_METRICS, Admission, PlannedMeasurement, PlannedMedication
from rpm.errors import InvalidInput

BLANK_MEDICATION_ROWS = 2
MAX_MEDICATION_ROWS = 30


def _date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        return None


def _time(raw: str) -> dt.time | None:
    try:
        return dt.time.fromisoformat(raw.strip())
    except ValueError:
        return None


def _int(raw: str | None, default: int | None = None) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return default
    return int(raw) if raw.lstrip("-").isdigit() else None


def admission_from(form) -> Admission:
    errors: dict[str, str] = {}
    birth = form.get("birth_date", "")
    birth_date = _date(birth)
    if birth.strip() and birth_date is None:
        errors["birth_date"] = f"{birth[:20]!r} is not a date (YYYY-MM-DD)"
    team = _int(form.get("care_team"))
    if errors:
        raise InvalidInput(errors)
    return Admission(mrn=form.get("mrn", ""), given_name=form.get("given_name", ""),
                     family_name=form.get("family_name", ""), birth_date=birth_date, sex=form.get("sex", ""),
                     timezone=form.get("timezone", "").strip(), conditions=form.getlist("conditions"),
                     care_team_id=team)


def plan_from(form) -> tuple[list[PlannedMeasurement], list[PlannedMedication]]:
    """Ticked metrics (`expect_<metric>`, with `per_day_`, `due_by_`, `stale_` of it) and the medication rows
    (`med-<i>-drug`, `-dose`, `-times` as "08:00, 20:00", `-window`); a row with neither drug nor dose is blank."""
    errors: dict[str, str] = {}
    measurements = []
    for i, metric in enumerate(m for m in PLANNABLE_METRICS if form.get(f"expect_{m}")):
        per_day = _int(form.get(f"per_day_{metric}"), 1)
        stale = _int(form.get(f"stale_{metric}"), 24)
        due_by = _time(form.get(f"due_by_{metric}") or "20:00")
        if per_day is None:
            errors[f"measurements.{i}.per_day"] = f"{metric}: readings a day must be a whole number"
        if stale is None:
            errors[f"measurements.{i}.stale_after_hours"] = f"{metric}: hours must be a whole number"
        if due_by is None:
            errors[f"measurements.{i}.due_by"] = f"{metric}: the due time must be HH:MM"
        measurements.append(PlannedMeasurement(metric=metric, per_day=per_day or 0, due_by=due_by or dt.time(20),
                                               stale_after_hours=stale or 0))
    medications = []
    for row in range(MAX_MEDICATION_ROWS):
        drug, dose = form.get(f"med-{row}-drug", "").strip(), form.get(f"med-{row}-dose", "").strip()
        if not drug and not dose:
            continue
        i = len(medications)
        times_raw = [t for t in form.get(f"med-{row}-times", "").replace(";", ",").split(",") if t.strip()]
        times = [_time(t) for t in times_raw]
        bad = next((raw for raw, t in zip(times_raw, times, strict=True) if t is None), None)
        if bad is not None:
            errors[f"medications.{i}.times"] = f"{bad.strip()[:10]!r} is not a time (HH:MM, comma-separated)"
        window = _int(form.get(f"med-{row}-window"), 120)
        if window is None:
            errors[f"medications.{i}.window_minutes"] = "the window must be a whole number of minutes"
        medications.append(PlannedMedication(drug=drug, dose=dose, times=[t for t in times if t is not None],
                                             window_minutes=window or 0))
    if errors:
        raise InvalidInput(errors)
    return measurements, medications
