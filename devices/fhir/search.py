"""FHIR search parameters as this server reads them (hl7.org/fhir/R4/search.html): dates with prefixes and
their precision, token codes with an optional system, references, `_count` and the next-page cursor.
A malformed or unknown parameter is a 400 naming it, never ignored in silence."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from devices.fhir import codes
from devices.fhir.observations import NOTHING, Cursor, Selection, selection_for_code
from devices.fhir.outcome import FhirError, Issue

DEFAULT_COUNT = 50
MAX_COUNT = 1000
COMMON = {"_count", "_cursor", "_format", "_pretty"}
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)

_DATE = re.compile(r"(?P<prefix>eq|gt|lt|ge|le|sa|eb)?(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
                   r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,6}))?)?"
                   r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?")


def check_known(params: Iterable[str], allowed: set[str]) -> None:
    unknown = sorted(set(params) - allowed - COMMON)
    if unknown:
        raise FhirError(400, [Issue(f"unknown search parameter {name!r}; this server supports "
                                    f"{', '.join(sorted(allowed | {'_count'}))}", name, "not-supported")
                              for name in unknown])


def count(value: str | None) -> int:
    if value is None:
        return DEFAULT_COUNT
    if not value.isdigit() or not 1 <= int(value) <= MAX_COUNT:
        raise FhirError(400, f"_count must be a whole number from 1 to {MAX_COUNT}", "_count")
    return int(value)


def _range_of(match: re.Match) -> tuple[dt.datetime, dt.datetime]:
    """The instants [lo, hi) that a date of this precision covers (a date without a zone is in UTC)."""
    g = match.groupdict()
    tz = dt.UTC
    if g["tz"] and g["tz"] != "Z":
        sign = 1 if g["tz"][0] == "+" else -1
        tz = dt.timezone(sign * dt.timedelta(hours=int(g["tz"][1:3]), minutes=int(g["tz"][4:6])))
    year = int(g["year"])
    if g["month"] is None:
        return dt.datetime(year, 1, 1, tzinfo=tz), dt.datetime(year + 1, 1, 1, tzinfo=tz)
    month = int(g["month"])
    if g["day"] is None:
        lo = dt.datetime(year, month, 1, tzinfo=tz)
        return lo, (lo + dt.timedelta(days=32)).replace(day=1)
    day = dt.datetime(year, month, int(g["day"]), tzinfo=tz)
    if g["hour"] is None:
        return day, day + dt.timedelta(days=1)
    lo = day.replace(hour=int(g["hour"]), minute=int(g["minute"]))
    if g["second"] is None:
        return lo, lo + dt.timedelta(minutes=1)
    lo = lo.replace(second=int(g["second"]))
    if g["fraction"] is None:
        return lo, lo + dt.timedelta(seconds=1)
    fraction = g["fraction"]
    lo = lo.replace(microsecond=int(fraction.ljust(6, "0")))
    return lo, lo + dt.timedelta(microseconds=10 ** (6 - len(fraction)))


def date_range(values: list[str], name: str = "date") -> tuple[dt.datetime, dt.datetime]:
    """[start, end) that every `date` parameter allows (several are ANDed): ge/gt/le/lt/eq/sa/eb by the value's
    precision, e.g. `gt2026-01-10` starts after that whole day."""
    start, end = EARLIEST, LATEST
    for value in values:
        match = _DATE.fullmatch(value)
        try:
            lo, hi = _range_of(match) if match else (None, None)
        except ValueError:
            lo = None
        if lo is None:
            raise FhirError(400, f"{value!r} is not a FHIR date: use e.g. ge2026-01-10 or lt2026-01-10T12:00:00Z "
                                 "(prefixes eq, gt, lt, ge, le, sa, eb)", name)
        prefix = match["prefix"] or "eq"
        if prefix in ("eq",):
            start, end = max(start, lo), min(end, hi)
        elif prefix in ("ge",):
            start = max(start, lo)
        elif prefix in ("gt", "sa"):
            start = max(start, hi)
        elif prefix in ("lt", "eb"):
            end = min(end, lo)
        else:  # le
            end = min(end, hi)
    return start, end


def token_codes(value: str, *, name: str, system: str) -> list[str]:
    """The codes of a token parameter (`code`, `system|code` or `|code`, comma-separated: any of them)."""
    out = []
    for part in value.split(","):
        given_system, bar, code = part.rpartition("|")
        if not code:
            raise FhirError(400, f"{part!r} names no code; use e.g. {system}|8867-4", name)
        if bar and given_system and given_system != system:
            continue  # another code system: matches nothing here
        out.append(code)
    return out


def observation_selection(*, code: str | None, category: str | None) -> Selection:
    selection = Selection()
    if code is not None:
        chosen = [selection_for_code(c) for c in token_codes(code, name="code", system=codes.LOINC)]
        selection = NOTHING
        for found in chosen:
            selection = selection | (found or NOTHING)
    if category is not None:
        wanted = set(token_codes(category, name="category", system=codes.CATEGORY_SYSTEM))
        in_category = [m for m in (*selection.metrics, *selection.cgm_metrics, *selection.meter_metrics)
                       if codes.category_of(m) in wanted]
        selection = selection & in_category
    return selection


def reference_id(value: str, *, resource_type: str, name: str) -> list[int]:
    """The ids of a reference parameter: `12`, `Patient/12` or a full URL ending in `Patient/12`, comma-separated."""
    ids = []
    for part in value.split(","):
        tail = part.rstrip("/").rsplit("/", 2)
        if len(tail) >= 2 and tail[-2] != resource_type:
            raise FhirError(400, f"{part!r} is not a {resource_type} reference", name)
        if not tail[-1].isdigit() or len(tail[-1]) > 18:
            raise FhirError(400, f"{part!r} is not a {resource_type} id", name)
        ids.append(int(tail[-1]))
    return ids


def cursor(value: str | None) -> Cursor | None:
    """The position a next-page link carries: `<epoch microseconds>_<reading id>`."""
    if value is None:
        return None
    micros, _, reading_id = value.partition("_")
    if not micros.lstrip("-").isdigit() or not reading_id.isdigit():
        raise FhirError(400, "_cursor is not one this server gave; follow the Bundle's next link", "_cursor")
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(micros)), int(reading_id)


def cursor_text(position: Cursor) -> str:
    at, reading_id = position
    delta = at - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return f"{(delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds}_{reading_id}"
