"""Threshold tuning on the patient page: each rule in force, its default beside this patient's override, the
chart bands drawn from the same rules, and a back-test of a proposed change before it is saved."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError

from alerts.backtest import BacktestResult, backtest
from alerts.kinds import KINDS
from alerts.kinds.base import PatientFacts
from alerts.models import AlertRule
from alerts.selectors import RuleInForce, display_bands, facts_for, rules_in_force
from alerts.services import override_rule
from clinic.history import METRIC_GROUPS
from patients.models import Patient
from rpm.errors import InvalidInput
from rpm.metrics import METRICS

BAND_KINDS = (AlertRule.Kind.THRESHOLD, AlertRule.Kind.PERSISTENCE, AlertRule.Kind.AVERAGE)


class OverrideError(InvalidInput):
    """A proposed override the rule's kind refuses; `errors` by field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)


@dataclass
class RuleRow:
    default: AlertRule
    override: AlertRule | None

    @property
    def in_force(self) -> AlertRule:
        return self.override or self.default

    @property
    def has_bands(self) -> bool:
        return self.default.kind in BAND_KINDS and isinstance(self.default.params.get("bands"), list)

    @property
    def bands(self) -> list[dict]:
        """The default's bands with this patient's value beside each (None where not overridden)."""
        mine = (self.override.params.get("bands") or []) if self.override else []
        return [{**band, "index": i, "override": mine[i].get("value") if i < len(mine) else None,
                 "metric": band.get("metric") or self.default.metric}
                for i, band in enumerate(self.default.params.get("bands", []))]

    @property
    def params_json(self) -> str:
        return json.dumps(self.in_force.params, indent=1, sort_keys=True)


def rule_rows(*, patient: Patient) -> list[RuleRow]:
    """Every rule in force for the patient (safety net, their conditions, their SpO2 scale), with any override:
    the same selector the alert engine reads."""
    rows: list[RuleInForce] = rules_in_force([patient])[patient.id]
    return [RuleRow(default=row.default, override=row.override) for row in rows]


def default_rule(*, patient: Patient, rule_id: int) -> AlertRule | None:
    return next((row.default for row in rule_rows(patient=patient) if row.default.id == rule_id), None)


def chart_spec(*, metric: str, rules: list[RuleRow], facts: PatientFacts) -> dict:
    """What the chart needs: title, unit, plausible range and the bands of the rules in force."""
    metrics = METRIC_GROUPS.get(metric, (metric,))
    first = METRICS[metrics[0]]
    by_metric = display_bands([RuleInForce(r.default, r.override) for r in rules], facts)
    bands = [band for code in metrics for band in by_metric.get(code, [])]
    return {"metric": metric, "title": "Blood pressure" if metric == "blood_pressure" else first.display,
            "unit": first.shown_unit, "low": first.low, "high": first.high, "series": list(metrics), "bands": bands}


def params_from_form(rule: AlertRule, form) -> dict:
    """The proposed parameters: a JSON object, or the default's with each band value the form changed."""
    if "params" in form and form.get("params", "").strip():
        try:
            params = json.loads(form["params"])
        except json.JSONDecodeError as error:
            raise OverrideError({"params": f"is not valid JSON ({error.msg})"}) from None
        if not isinstance(params, dict):
            raise OverrideError({"params": "must be a JSON object"})
        return params
    params = copy.deepcopy(rule.params)
    errors = {}
    for i, band in enumerate(params.get("bands", [])):
        raw = form.get(f"band-{i}-value", "").strip()
        if raw == "":
            continue
        try:
            band["value"] = float(raw) if "." in raw else int(raw)
        except ValueError:
            errors[f"band-{i}-value"] = "must be a number"
    if errors:
        raise OverrideError(errors)
    return params


def preview(*, patient: Patient, rule: AlertRule, params: dict, days: int = 30) -> tuple[BacktestResult,
                                                                                        BacktestResult]:
    """How many alerts the rule in force and the proposed one would have raised on this patient's last `days`."""
    errors = KINDS[rule.kind].validate(rule.metric, params) if rule.kind in KINDS else {"kind": "unknown kind"}
    if errors:
        raise OverrideError(errors)
    row = next((r for r in rule_rows(patient=patient) if r.default.id == rule.id), None)
    current = row.in_force if row else rule
    facts = facts_for(patient)
    proposed = AlertRule(kind=rule.kind, metric=rule.metric, params=params, severity=current.severity,
                         name=rule.name)
    return (backtest(patient=patient, rule=current, facts=facts, days=days),
            backtest(patient=patient, rule=proposed, facts=facts, days=days))


def set_override(*, patient: Patient, rule: AlertRule, form, by) -> AlertRule:
    """Apply the page's form to this patient's override of `rule` (the engine's service validates and audits)."""
    params = params_from_form(rule, form)
    try:
        return override_rule(rule=rule, patient=patient, params=params, reason=form.get("reason", ""), by=by,
                             enabled=form.get("enabled", "on") == "on")
    except PermissionDenied as error:
        raise OverrideError({"rule": str(error)}) from None
    except ValidationError as error:
        raise OverrideError({field: "; ".join(messages) for field, messages in error.message_dict.items()}) from None
