"""Default rule sets from ../shared/clinical/thresholds.md, each with its source: the safety net that applies to
every patient whatever their conditions, then what each condition adds. Installed and refreshed by data
migrations; physicians override them per patient with a reason (alerts.services.override_rule).

Boundaries are inclusive exactly as the sources write them ("<= 92" means 92 alerts) and compared after the
one half-up rounding at display precision (rpm.metrics.round_half_up), as NEWS2 does. Spot-check
readings are judged one by one; `for_minutes` applies to continuous streams only (alerts.kinds.threshold).
"""

from __future__ import annotations

from django.utils import timezone

from rpm.metrics import LOW_BATTERY_PERCENT

NHS_OXIMETRY = "NHS England, pulse oximetry at home and virtual wards: 92 % or less needs urgent review"
NEWS2_CHART_1 = "RCP NEWS2 (2017) Chart 1"
AHA_CRISIS = "AHA/ACC 2017, hypertensive crisis: systolic > 180 and/or diastolic > 120 (180/120 itself does not alert)"

# Each: name, kind, metric, condition ("" = everyone: the safety net), severity, params, source; `formerly`
# lists names an installation may still have, so a refresh updates that row (and its overrides) in place.
DEFAULT_RULES: list[dict] = [
    # --- safety net: every patient ---
    dict(name="SpO2 low", kind="threshold", metric="spo2", condition="", severity="high", params={
        "bands": [{"op": "<=", "value": 92, "severity": "medium"},
                  {"op": "<=", "value": 88, "severity": "high"}],
        "spo2_scale": 1, "resolve_margin": 1, "resolve_minutes": 10},
        source=f"{NHS_OXIMETRY}; NEWS2 scale 1 (<= 91 scores 3), NHS oximetry @home red band (<= 88)"),
    dict(name="SpO2 out of target (scale 2, target 88-92 %)", kind="threshold", metric="spo2", condition="",
         severity="high", formerly=["SpO2 low (scale 2 target 88-92 %)"], params={
             "bands": [{"op": "<=", "value": 87, "severity": "medium"},
                       {"op": "<=", "value": 83, "severity": "high"},
                       {"op": ">=", "value": 97, "severity": "medium", "on_oxygen": True}],
             "spo2_scale": 2, "resolve_margin": 1, "resolve_minutes": 10},
         source="RCP NEWS2 (2017) scale 2: 86-87 scores 1, <= 83 scores 3, >= 97 on oxygen scores 3 (hypercapnia)"),
    dict(name="Heart rate out of range", kind="threshold", metric="heart_rate", condition="", severity="high",
         params={"bands": [{"op": "<=", "value": 40, "severity": "high"},
                           {"op": ">=", "value": 131, "severity": "high"},
                           {"op": "<=", "value": 50, "severity": "medium", "for_minutes": 15},
                           {"op": ">=", "value": 111, "severity": "medium", "for_minutes": 15}],
                 "resolve_margin": 5, "resolve_minutes": 10},
         source=f"{NEWS2_CHART_1}: pulse bands scoring 3 (<= 40, >= 131) and 1-2 (<= 50, >= 111; continuous: "
                f"for 15 min)"),
    dict(name="Respiratory rate extreme", kind="threshold", metric="respiratory_rate", condition="",
         severity="high", params={"bands": [{"op": "<=", "value": 8, "severity": "high"},
                                            {"op": ">=", "value": 25, "severity": "high"}],
                                  "resolve_margin": 1, "resolve_minutes": 10},
         source=f"{NEWS2_CHART_1}: <= 8 and >= 25 score 3"),
    dict(name="Temperature out of range", kind="threshold", metric="body_temperature", condition="",
         severity="high", params={"bands": [{"op": "<=", "value": 35.0, "severity": "high"},
                                            {"op": ">=", "value": 38.1, "severity": "medium"},
                                            {"op": ">=", "value": 39.1, "severity": "high"}],
                                  "resolve_margin": 0.2},
         source=f"{NEWS2_CHART_1}: <= 35.0 scores 3, 38.1-39.0 scores 1, >= 39.1 scores 2 (38.0 does not alert)"),
    dict(name="Hypertensive crisis", kind="threshold", metric="systolic_bp", condition="", severity="high",
         formerly=["Hypertensive crisis (systolic)"],
         params={"bands": [{"metric": "systolic_bp", "op": ">", "value": 180, "severity": "high"},
                           {"metric": "diastolic_bp", "op": ">", "value": 120, "severity": "high"}],
                 "resolve_margin": 10},
         source=AHA_CRISIS),
    dict(name="Systolic BP low", kind="threshold", metric="systolic_bp", condition="", severity="high",
         params={"bands": [{"op": "<=", "value": 90, "severity": "high"}], "resolve_margin": 5},
         source=f"{NEWS2_CHART_1}: <= 90 scores 3"),
    dict(name="Severe hypoglycaemia", kind="threshold", metric="blood_glucose", condition="", severity="high",
         params={"bands": [{"op": "<", "value": 54, "severity": "high"}], "resolve_margin": 10},
         source="ADA Standards of Care: level 2 hypoglycaemia < 54 mg/dL (3.0 mmol/L)"),
    dict(name="NEWS2", kind="early_warning_score", metric="", condition="", severity="high", params={},
         source="RCP NEWS2 (2017) Chart 2: aggregate 5-6 or a single 3 urgent (medium); >= 7 emergency (high); "
                "adults 16 and over, not pregnant"),
    dict(name="Implausible reading", kind="implausible_reading", metric="", condition="", severity="medium",
         params={}, source="thresholds.md: outside the plausible range but displayable: check the patient or "
                           "the device (an artefact and a real event cannot be told apart remotely)"),
    dict(name="Expected measurement missing", kind="missing_data", metric="", condition="", severity="low",
         params={}, source="RPM programme practice: no reading in the plan's window"),
    dict(name="Missed medication dose", kind="medication_adherence", metric="dose_taken", condition="",
         severity="low", params={"medium_after_consecutive": 2},
         source="Adherence practice: dose not taken within its window (default 2 h); medium after 2 in a row"),
    dict(name="Continuous monitor not in contact", kind="device_health", metric="", condition="",
         severity="medium", params={"check": "no_contact", "devices": "continuous"},
         source="Virtual-ward practice: a silent monitor is a missing patient (multiparameter monitor 15 min; "
                "wearable and CGM 1 h)"),
    dict(name="Device not in contact", kind="device_health", metric="", condition="", severity="low",
         params={"check": "no_contact", "devices": "spot_check"}, source="Device fleet practice: spot-check "
                                                                         "device silent for 48 h"),
    dict(name="Device battery low", kind="device_health", metric="", condition="", severity="low",
         params={"check": "battery", "below": LOW_BATTERY_PERCENT, "resolve_margin": 5},
         source="Device fleet practice: battery < 20 %"),
    # --- hypertension ---
    dict(name="Home blood pressure high (systolic, 7-day average)", kind="average", metric="systolic_bp",
         condition="hypertension", severity="low", formerly=["Stage 2 hypertension (systolic, 7-day average)"],
         params={"bands": [{"op": ">=", "value": 135, "severity": "low"}], "average_days": 7, "min_readings": 3,
                 "resolve_margin": 5},
         source="ACC/AHA 2017 Table 11: home BP 135/85 corresponds to office 140/90"),
    dict(name="Home blood pressure high (diastolic, 7-day average)", kind="average", metric="diastolic_bp",
         condition="hypertension", severity="low", formerly=["Stage 2 hypertension (diastolic, 7-day average)"],
         params={"bands": [{"op": ">=", "value": 85, "severity": "low"}], "average_days": 7, "min_readings": 3,
                 "resolve_margin": 5},
         source="ACC/AHA 2017 Table 11: home BP 135/85 corresponds to office 140/90"),
    # --- heart failure ---
    dict(name="Heart failure weight gain", kind="rate_of_change", metric="body_weight", condition="heart_failure",
         severity="medium", params={"direction": "rise", "windows": [{"delta": 0.9, "days": 1},
                                                                     {"delta": 2.0, "days": 3, "op": ">"},
                                                                     {"delta": 2.2, "days": 7}]},
         source="AHA/HFSA self-care (2-3 lb a day, 5 lb a week: >= 0.9 kg in 1 day, >= 2.2 kg in 7 days); "
                "ESC/HFA (more than 2 kg in 3 days)"),
    # --- diabetes ---
    dict(name="Hypoglycaemia", kind="threshold", metric="blood_glucose", condition="diabetes", severity="medium",
         params={"bands": [{"op": "<", "value": 70, "severity": "medium"}], "resolve_margin": 10},
         source="ADA Standards of Care: level 1 hypoglycaemia < 70 mg/dL (3.9 mmol/L)"),
    dict(name="Hyperglycaemia", kind="persistence", metric="blood_glucose", condition="diabetes", severity="medium",
         params={"bands": [{"op": ">", "value": 250, "severity": "medium", "consecutive": 2}],
                 "resolve_margin": 10},
         source="ADA sick-day guidance (check ketones above 240-250 mg/dL): > 250 for 2 readings"),
    dict(name="Glucose falling fast", kind="rate_of_change", metric="blood_glucose", condition="diabetes",
         severity="medium", params={"direction": "fall", "windows": [{"delta": 60, "minutes": 30}]},
         source="CGM trend-arrow convention: falling faster than 2 mg/dL/min (60 mg/dL in 30 min)"),
]
# Former defaults folded into another rule: switched off on refresh (never deleted: alerts may point at them).
RETIRED_RULES = ["Hypertensive crisis (diastolic)"]


def install_default_rules(rule_model) -> int:
    """Create or refresh the default rules in place (a renamed rule keeps its row and its overrides); safe to
    run again. Returns how many rules it wrote."""
    for spec in DEFAULT_RULES:
        names = [spec["name"], *spec.get("formerly", ())]
        existing = rule_model.objects.filter(patient=None, overrides=None, name__in=names).order_by("id")
        row = next((r for name in names for r in existing if r.name == name), None)
        values = dict(name=spec["name"], kind=spec["kind"], metric=spec["metric"], severity=spec["severity"],
                      params=spec["params"], source=spec["source"], enabled=True,
                      scope="condition" if spec["condition"] else "everyone", condition=spec["condition"],
                      updated_at=timezone.now())
        # an old name beside the current one is a stale copy: switched off
        stale = [r.pk for r in existing if row is not None and r.pk != row.pk]
        rule_model.objects.filter(pk__in=stale).update(enabled=False, updated_at=timezone.now())
        if row is None:
            rule_model.objects.create(**values)
        else:
            rule_model.objects.filter(pk=row.pk).update(**values)
            # a patient's override keeps its own values but follows the kind and metric it overrides
            rule_model.objects.filter(overrides=row).update(kind=spec["kind"], metric=spec["metric"],
                                                            updated_at=timezone.now())
    rule_model.objects.filter(patient=None, name__in=RETIRED_RULES).update(enabled=False,
                                                                           updated_at=timezone.now())
    return len(DEFAULT_RULES)
