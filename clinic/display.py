"""What the screens and exports show a person, in that person's units (rpm.units): chart specs and series, the
patient page's values. The API for machines and the stored values stay canonical UCUM."""

from __future__ import annotations

from rpm.metrics import METRICS
from rpm.units import Units


def chart_spec(spec: dict, units: Units) -> dict:
    """A chart's unit symbol, plausible range and band values in the person's units."""
    code = spec["series"][0]
    unit = units.unit(code)
    return {**spec, "unit": unit.symbol, "unit_code": unit.code, "low": unit.show(spec["low"]),
            "high": unit.show(spec["high"]),
            "bands": [{**band, "value": units.show(band.get("metric") or code, band["value"])}
                      for band in spec["bands"]]}


def chart_series(body: dict, units: Units) -> dict:
    """The readings API's chart body with every value (series, implausible marks, alert marks) as shown."""
    for code, series in body["series"].items():
        unit = units.unit(code)
        if unit.scale != 1 or unit.offset:
            series["v"] = [unit.show(v) for v in series["v"]]
        series["unit"] = unit.symbol
    for mark in body.get("implausible", []):
        mark["value"] = units.show(mark["metric"], mark["value"])
    for mark in body.get("alerts", []):
        if mark.get("value") is not None and mark.get("metric") in METRICS:
            mark["value"] = units.show(mark["metric"], mark["value"])
    return body


def value(units: Units, metric: str, canonical: float) -> str:
    """A value as text at its shown precision (e.g. '5.6' mmol/L)."""
    unit = units.unit(metric)
    return f"{unit.show(canonical):.{unit.precision}f}"
