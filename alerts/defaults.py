"""Default rule sets (general, hypertension, heart failure, COPD, diabetes) from
../shared/clinical/thresholds.md, each with its source. Installed by a data migration;
physicians override them per patient (alerts.services.override_rule).

Where two rows overlap, the more conservative (earlier) alert is kept, as thresholds.md says.
The SpO2 rows are read as: the general bands apply to scale 1 patients; a patient whose plan
records NEWS2 scale 2 (target 88-92 %, e.g. COPD) is judged on the scale 2 row instead.
"""

from __future__ import annotations

NHS_OXIMETRY = "NHS England pulse oximetry at home / COVID virtual ward guidance; NEWS2 scale 1"
NEWS2_SOURCE = "RCP NEWS2 (2017) Chart 1"

# (name, kind, metric, scope condition or "", severity, params, source)
DEFAULT_RULES: list[dict] = [
    # --- general: everyone ---
    dict(name="SpO2 low", kind="persistence", metric="spo2", condition="", severity="high", params={
        "bands": [{"op": "<", "value": 92, "severity": "medium", "for_minutes": 10},
                  {"op": "<", "value": 88, "severity": "high", "for_minutes": 5}],
        "spo2_scale": 1, "resolve_margin": 1, "resolve_minutes": 10},
        source=NHS_OXIMETRY),
    dict(name="SpO2 low (scale 2 target 88-92 %)", kind="persistence", metric="spo2", condition="",
         severity="medium", params={
             "bands": [{"op": "<", "value": 86, "severity": "medium", "for_minutes": 10}],
             "spo2_scale": 2, "resolve_margin": 1, "resolve_minutes": 10},
         source="COPD (scale 2): NEWS2 scale 2 target 88-92 %"),
    dict(name="Heart rate out of range", kind="persistence", metric="heart_rate", condition="", severity="high",
         params={"bands": [{"op": "<", "value": 40, "severity": "high", "for_minutes": 5},
                           {"op": ">", "value": 130, "severity": "high", "for_minutes": 5},
                           {"op": "<", "value": 50, "severity": "medium", "for_minutes": 15},
                           {"op": ">", "value": 110, "severity": "medium", "for_minutes": 15}],
                 "resolve_margin": 5, "resolve_minutes": 10},
         source=f"{NEWS2_SOURCE}: pulse bands scoring 3 (<= 40, >= 131) and 1-2"),
    dict(name="Respiratory rate extreme", kind="threshold", metric="respiratory_rate", condition="",
         severity="high", params={"bands": [{"op": "<=", "value": 8, "severity": "high"},
                                            {"op": ">=", "value": 25, "severity": "high"}],
                                  "resolve_margin": 1, "resolve_minutes": 10},
         source=NEWS2_SOURCE),
    dict(name="Temperature out of range", kind="threshold", metric="body_temperature", condition="",
         severity="high", params={"bands": [{"op": ">=", "value": 38.1, "severity": "medium"},
                                            {"op": "<=", "value": 35.0, "severity": "high"}],
                                  "resolve_margin": 0.2},
         source=f"{NEWS2_SOURCE} (38.1-39.0 scores 1; >= 39.1 scores 2; <= 35.0 scores 3)"),
    dict(name="Systolic BP low", kind="threshold", metric="systolic_bp", condition="", severity="high",
         params={"bands": [{"op": "<=", "value": 90, "severity": "high"}], "resolve_margin": 5},
         source=f"{NEWS2_SOURCE} (<= 90 scores 3)"),
    dict(name="NEWS2", kind="early_warning_score", metric="", condition="", severity="high", params={},
         source="RCP NEWS2 (2017) Chart 2: aggregate 5-6 or a single 3 urgent (medium); >= 7 emergency (high)"),
    dict(name="Expected measurement missing", kind="missing_data", metric="", condition="", severity="low",
         params={}, source="RPM program practice; CMS CPT 99454 needs readings on 16 of 30 days"),
    dict(name="Missed medication dose", kind="medication_adherence", metric="dose_taken", condition="",
         severity="low", params={"medium_after_consecutive": 2},
         source="Medication adherence practice (default window 2 h; PDC >= 80 % is the adherent bar)"),
    dict(name="Device not in contact", kind="device_health", metric="", condition="", severity="low",
         params={"check": "no_contact", "hours": 24}, source="Device fleet practice"),
    dict(name="Device battery low", kind="device_health", metric="", condition="", severity="low",
         params={"check": "battery", "below": 20, "resolve_margin": 5}, source="Device fleet practice"),
    # --- hypertension ---
    dict(name="Hypertensive crisis (systolic)", kind="threshold", metric="systolic_bp", condition="hypertension",
         severity="high", params={"bands": [{"op": ">", "value": 180, "severity": "high"}], "resolve_margin": 10},
         source="American Heart Association, hypertensive crisis (> 180 and/or > 120)"),
    dict(name="Hypertensive crisis (diastolic)", kind="threshold", metric="diastolic_bp", condition="hypertension",
         severity="high", params={"bands": [{"op": ">", "value": 120, "severity": "high"}], "resolve_margin": 10},
         source="American Heart Association, hypertensive crisis (> 180 and/or > 120)"),
    dict(name="Stage 2 hypertension (systolic, 7-day average)", kind="threshold", metric="systolic_bp",
         condition="hypertension", severity="low",
         params={"bands": [{"op": ">=", "value": 140, "severity": "low"}], "average_days": 7, "min_readings": 3,
                 "resolve_margin": 5},
         source="AHA/ACC 2017: stage 2 hypertension >= 140/90"),
    dict(name="Stage 2 hypertension (diastolic, 7-day average)", kind="threshold", metric="diastolic_bp",
         condition="hypertension", severity="low",
         params={"bands": [{"op": ">=", "value": 90, "severity": "low"}], "average_days": 7, "min_readings": 3,
                 "resolve_margin": 5},
         source="AHA/ACC 2017: stage 2 hypertension >= 140/90"),
    # --- heart failure ---
    dict(name="Heart failure weight gain", kind="rate_of_change", metric="body_weight", condition="heart_failure",
         severity="medium", params={"direction": "rise", "windows": [{"delta": 0.9, "days": 1},
                                                                     {"delta": 2.3, "days": 7}]},
         source="AHA / HFSA heart failure self-care guidance (2-3 lb in a day or 5 lb in a week)"),
    # --- diabetes ---
    dict(name="Hypoglycaemia", kind="threshold", metric="blood_glucose", condition="diabetes", severity="high",
         params={"bands": [{"op": "<", "value": 70, "severity": "medium"},
                           {"op": "<", "value": 54, "severity": "high"}], "resolve_margin": 10},
         source="ADA Standards of Care: level 1 hypoglycaemia < 70 mg/dL, level 2 < 54 mg/dL"),
    dict(name="Hyperglycaemia", kind="persistence", metric="blood_glucose", condition="diabetes", severity="medium",
         params={"bands": [{"op": ">", "value": 250, "severity": "medium", "consecutive": 2}],
                 "resolve_margin": 10},
         source="ADA sick-day guidance (check ketones above 240-250 mg/dL)"),
    dict(name="Glucose falling fast", kind="rate_of_change", metric="blood_glucose", condition="diabetes",
         severity="medium", params={"direction": "fall", "windows": [{"delta": 60, "minutes": 30}]},
         source="CGM trend-arrow convention: falling faster than 2 mg/dL/min (60 mg/dL in 30 min)"),
]


def install_default_rules(rule_model) -> int:
    """Create or refresh the default rules; safe to run again. Returns how many rules it wrote."""
    for spec in DEFAULT_RULES:
        scope = "condition" if spec["condition"] else "everyone"
        rule_model.objects.update_or_create(
            name=spec["name"], scope=scope, condition=spec["condition"], patient=None,
            defaults=dict(kind=spec["kind"], metric=spec["metric"], severity=spec["severity"],
                          params=spec["params"], source=spec["source"], enabled=True),
        )
    return len(DEFAULT_RULES)
