"""Threshold tuning on the patient page: each rule that applies, its default beside this patient's override,
and the chart bands drawn from the rules in force."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError

from alerts.models import AlertRule
from alerts.selectors import applicable_rules
from alerts.services import override_rule
from devices.metrics import METRICS
from patients.history import METRIC_GROUPS
from patients.models import MonitoringPlan, Patient

BAND_KINDS = (AlertRule.Kind.THRESHOLD, AlertRule.Kind.PERSISTENCE)


class OverrideError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


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
        return [{**band, "index": i, "override": mine[i].get("value") if i < len(mine) else None}
                for i, band in enumerate(self.default.params.get("bands", []))]

    @property
    def params_json(self) -> str:
        return json.dumps(self.in_force.params, indent=1, sort_keys=True)


def _spo2_scale(patient: Patient) -> int:
    plan = MonitoringPlan.objects.filter(patient=patient).first()
    return plan.spo2_scale if plan else 1


def rule_rows(*, patient: Patient) -> list[RuleRow]:
    """Every default rule that applies to the patient (their conditions, their SpO2 scale), with any override."""
    defaults = AlertRule.objects.filter(scope__in=[AlertRule.Scope.EVERYONE, AlertRule.Scope.CONDITION]) | \
        AlertRule.objects.filter(patient=patient, overrides__isnull=True)
    overrides = {r.overrides_id: r for r in AlertRule.objects.filter(patient=patient, overrides__isnull=False)
                 .select_related("created_by")}
    chosen = applicable_rules(defaults.order_by("kind", "metric", "name"), patient=patient,
                              spo2_scale=_spo2_scale(patient))
    return [RuleRow(default=rule, override=overrides.get(rule.id)) for rule in chosen]


def default_rule(*, patient: Patient, rule_id: int) -> AlertRule | None:
    return next((row.default for row in rule_rows(patient=patient) if row.default.id == rule_id), None)


def chart_spec(*, metric: str, rules: list[RuleRow]) -> dict:
    """What the chart needs: title, unit, plausible range and the bands of the rules in force."""
    metrics = METRIC_GROUPS.get(metric, (metric,))
    first = METRICS[metrics[0]]
    bands = []
    for row in rules:
        rule = row.in_force
        if rule.enabled and rule.metric in metrics and rule.kind in BAND_KINDS:
            bands += [{"metric": rule.metric, "op": b["op"], "value": b["value"], "severity": b["severity"],
                       "rule": rule.name} for b in rule.params.get("bands", []) if not rule.params.get("average_days")]
    return {"metric": metric, "title": "Blood pressure" if metric == "blood_pressure" else first.display,
            "unit": first.unit, "low": first.low, "high": first.high, "series": list(metrics), "bands": bands}


def _params_from_form(rule: AlertRule, form) -> dict:
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


def set_override(*, patient: Patient, rule: AlertRule, form, by) -> AlertRule:
    """Apply the page's form to this patient's override of `rule` (the engine's service validates and audits)."""
    params = _params_from_form(rule, form)
    try:
        return override_rule(rule=rule, patient=patient, params=params, reason=form.get("reason", ""), by=by,
                             enabled=form.get("enabled", "on") == "on")
    except PermissionDenied as error:
        raise OverrideError({"rule": str(error)}) from None
    except ValidationError as error:
        raise OverrideError({field: "; ".join(messages) for field, messages in error.message_dict.items()}) from None
