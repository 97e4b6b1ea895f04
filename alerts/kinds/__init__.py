"""Rule kinds: one module per kind, each named by its `code` in KINDS (as healthchecks' TRANSPORTS).

A kind evaluated on readings offers validate(metric, params), metrics(rule), lookback(params, facts),
evaluate(rule, series, new_ids, facts) -> Trigger | None, recover(rule, series, facts, after=, metric=)
-> Recovery | None and display_bands(rule, facts) (what tiles and charts mark). A kind checked on a
schedule (missing data, adherence, device health) offers validate() and the plain functions its check
in alerts.engine calls. All pure: no database access.
"""

from __future__ import annotations

from alerts.kinds import (
    average,
    device_health,
    early_warning_score,
    implausible_reading,
    medication_adherence,
    missing_data,
    persistence,
    rate_of_change,
    threshold,
)

KINDS = {kind.code: kind for kind in (
    threshold.KIND, persistence.KIND, average.KIND, rate_of_change.KIND, early_warning_score.KIND,
    implausible_reading.KIND, missing_data.KIND, medication_adherence.KIND, device_health.KIND,
)}
READING_KINDS = frozenset(code for code, kind in KINDS.items() if kind.on_readings)


def validate_params(kind: str, metric: str, params) -> dict[str, str]:
    """Errors by parameter path ({} when valid). Called from AlertRule.clean()."""
    if not isinstance(params, dict):
        return {"params": "must be a JSON object"}
    entry = KINDS.get(kind)
    if entry is None:
        return {"kind": f"unknown rule kind {kind!r}"}
    return entry.validate(metric, params)
