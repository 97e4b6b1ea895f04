"""Device health (../shared/clinical/thresholds.md, "Schedules and devices"): a continuous monitor silent for
its kind's limit (multiparameter monitor 15 min; wearable and CGM 1 h: "a silent monitor is a missing
patient"), a spot-check device silent for 48 h, a battery below 20 %. Checked on a schedule.

Params: `check` (no_contact | battery); for no_contact, `devices` (continuous | spot_check | all) and an
optional `minutes` or `hours` that replaces the device kind's limit; for battery, `below` and
`resolve_margin`.
"""

from __future__ import annotations

import datetime as dt

from alerts.kinds.base import minutes_text, number
from rpm.metrics import DEVICE_KIND_CATALOGUE, SPOT_CHECK_SILENCE, is_continuous

DEVICE_MODES = ("all", "continuous", "spot_check")


def watches(params: dict, kind: str) -> bool:
    """Does this rule look at a device of this kind?"""
    if params["check"] != "no_contact":
        return True
    mode = params.get("devices", "all")
    return mode == "all" or (mode == "continuous") == is_continuous(kind)


def silence_limit(params: dict, kind: str) -> dt.timedelta:
    if params.get("minutes") is not None:
        return dt.timedelta(minutes=params["minutes"])
    if params.get("hours") is not None:
        return dt.timedelta(hours=params["hours"])
    entry = DEVICE_KIND_CATALOGUE.get(kind)
    return entry.no_contact_after if entry else SPOT_CHECK_SILENCE


def problem(*, params: dict, kind: str, label: str, last_seen_at: dt.datetime | None, since: dt.datetime,
            battery: int | None, now: dt.datetime) -> str | None:
    """What is wrong with one device under this rule, or None."""
    if not watches(params, kind):
        return None
    if params["check"] == "no_contact":
        limit = silence_limit(params, kind)
        silent = now - (last_seen_at or since)
        if silent >= limit:
            seen = "since it was enrolled" if last_seen_at is None else "since its last reading"
            return f"no contact from {label} for {minutes_text(silent)} {seen} (limit {minutes_text(limit)})"
        return None
    if battery is not None and battery < params["below"]:
        return f"battery at {battery} % on {label} (below {params['below']:g} %)"
    return None


def recovered(*, params: dict, kind: str, last_seen_at: dt.datetime | None, battery: int | None,
              now: dt.datetime) -> bool:
    if not watches(params, kind):
        return True
    if params["check"] == "no_contact":
        return last_seen_at is not None and now - last_seen_at < silence_limit(params, kind)
    return battery is not None and battery >= params["below"] + (params.get("resolve_margin") or 0)


def recovered_text(params: dict) -> str:
    if params["check"] == "no_contact":
        return "Resolved automatically: every device is back in contact."
    back_at = params.get("below", 0) + (params.get("resolve_margin") or 0)
    return f"Resolved automatically: battery charged again (at or above {back_at:g} %)."


class DeviceHealthKind:
    code = "device_health"
    on_readings = False

    def validate(self, metric: str, params: dict) -> dict[str, str]:
        check = params.get("check")
        if check == "no_contact":
            errors = {}
            if params.get("devices", "all") not in DEVICE_MODES:
                errors["params.devices"] = f"must be one of {', '.join(DEVICE_MODES)}"
            for name in ("minutes", "hours"):
                if params.get(name) is not None and not number(params[name], positive=True):
                    errors[f"params.{name}"] = "must be a positive number"
            return errors
        if check == "battery":
            errors = {}
            if not number(params.get("below"), positive=True) or params["below"] > 100:
                errors["params.below"] = "must be a percentage between 0 and 100"
            if params.get("resolve_margin") is not None and not number(params["resolve_margin"]):
                errors["params.resolve_margin"] = "must be a number at or above 0"
            return errors
        return {"params.check": "must be 'no_contact' or 'battery'"}


KIND = DeviceHealthKind()
