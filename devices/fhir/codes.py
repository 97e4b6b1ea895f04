"""The FHIR vocabulary of our metrics: LOINC codes with LOINC's own displays, UCUM units, categories, profiles,
and the IEEE 11073 MDC codes of device telemetry.

Source: ../shared/clinical/codes.md (HL7 FHIR R4 vital-signs profile, hl7.org/fhir/R4/observation-vitalsigns.html;
LOINC; UCUM). Telemetry codes: IEEE 11073-10101 as the HL7 Personal Health Device IG uses them
(MDC_ATTR_VAL_BATT_CHARGE 67996 as an Observation in %, MDC_ID_PROD_SPEC_FW 531976 as Device.version) and
IHE PCD device reports (MDC_NCC_WIRELESS_STRENGTH_PERCENT 69425).
"""

from __future__ import annotations

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
MDC = "urn:iso:std:iso:11073:10101"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
IDENTIFIER_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0203"
DATA_ABSENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
DEVICE_SERIAL_SYSTEM = "urn:rpm:device-serial"
DEVICE_KIND_SYSTEM = "urn:rpm:device-kind"

# LOINC's displays, as codes.md lists them
DISPLAY = {
    "85354-9": "Blood pressure panel with all children optional",
    "9279-1": "Respiratory rate",
    "8867-4": "Heart rate",
    "2708-6": "Oxygen saturation in Arterial blood",
    "59408-5": "Oxygen saturation in Arterial blood by Pulse oximetry",
    "8310-5": "Body temperature",
    "29463-7": "Body weight",
    "8480-6": "Systolic blood pressure",
    "8462-4": "Diastolic blood pressure",
    "41653-7": "Glucose [Mass/volume] in Capillary blood by Glucometer",
    "99504-3": "Glucose [Mass/volume] in Interstitial fluid",
    "105272-9": "Glucose [Moles/volume] in Interstitial fluid",
    "14743-9": "Glucose [Moles/volume] in Capillary blood by Glucometer",
    "2339-0": "Glucose [Mass/volume] in Blood",
    "55423-8": "Number of steps in unspecified time Pedometer",
}
BP_PANEL = "85354-9"
SYSTOLIC, DIASTOLIC = "systolic_bp", "diastolic_bp"
BP_METRICS = (SYSTOLIC, DIASTOLIC)
CGM_KIND = "cgm"
GLUCOSE = "blood_glucose"
GLUCOSE_METER, GLUCOSE_CGM = "41653-7", "99504-3"  # mass/volume: what we store (mg/dL)

# metric -> the LOINC codes of its Observation.code, first the primary (spo2: 59408-5 as a second coding)
METRIC_CODES = {
    "heart_rate": ("8867-4",),
    "respiratory_rate": ("9279-1",),
    "spo2": ("2708-6", "59408-5"),
    "body_temperature": ("8310-5",),
    "body_weight": ("29463-7",),
    SYSTOLIC: ("8480-6",),
    DIASTOLIC: ("8462-4",),
    "steps": ("55423-8",),
}

# FHIR R4 vital-signs profile and the per-vital profiles it defines
VITALSIGNS_PROFILE = "http://hl7.org/fhir/StructureDefinition/vitalsigns"
PROFILES = {
    "heart_rate": "http://hl7.org/fhir/StructureDefinition/heartrate",
    "respiratory_rate": "http://hl7.org/fhir/StructureDefinition/resprate",
    "spo2": "http://hl7.org/fhir/StructureDefinition/oxygensat",
    "body_temperature": "http://hl7.org/fhir/StructureDefinition/bodytemp",
    "body_weight": "http://hl7.org/fhir/StructureDefinition/bodyweight",
    "blood_pressure": "http://hl7.org/fhir/StructureDefinition/bp",
}
VITAL_SIGNS = "vital-signs"
CATEGORY_DISPLAY = {"vital-signs": "Vital Signs", "laboratory": "Laboratory", "activity": "Activity"}
CATEGORY = {GLUCOSE: "laboratory", "steps": "activity"}  # every other metric with a LOINC code: vital-signs


def category_of(metric: str) -> str:
    return CATEGORY.get(metric, VITAL_SIGNS)


def observation_codes(metric: str, device_kind: str | None) -> tuple[str, ...]:
    """The LOINC codes of a stored reading's Observation.code: a CGM's glucose is interstitial, a meter's
    capillary; nothing for a metric without one (dose events)."""
    if metric == GLUCOSE:
        return (GLUCOSE_CGM if device_kind == CGM_KIND else GLUCOSE_METER,)
    return METRIC_CODES.get(metric, ())


def coding(code: str) -> dict:
    return {"system": LOINC, "code": code, "display": DISPLAY[code]}


# Incoming: LOINC code -> our metric. Units are checked by ingest (metric catalogue: mmol/L converts to mg/dL).
LOINC_METRIC = {
    **{code: metric for metric, codes in METRIC_CODES.items() for code in codes},
    "41653-7": GLUCOSE, "99504-3": GLUCOSE, "105272-9": GLUCOSE, "14743-9": GLUCOSE, "2339-0": GLUCOSE,
}

# Search by code: LOINC code -> (metrics, device filter: "cgm", "meter" or None for any device)
SEARCH_CODES: dict[str, tuple[tuple[str, ...], str | None]] = {
    **{code: ((metric,), None) for metric, codes in METRIC_CODES.items() for code in codes
       if metric not in BP_METRICS},
    BP_PANEL: (BP_METRICS, None),
    GLUCOSE_METER: ((GLUCOSE,), "meter"),
    GLUCOSE_CGM: ((GLUCOSE,), "cgm"),
}

# IEEE 11073 MDC codes of device telemetry
MDC_BATTERY = "67996"  # MDC_ATTR_VAL_BATT_CHARGE, %
MDC_SIGNAL = "69425"  # MDC_NCC_WIRELESS_STRENGTH_PERCENT, %
MDC_FIRMWARE = "531976"  # MDC_ID_PROD_SPEC_FW
MDC_TELEMETRY = {MDC_BATTERY: "battery", MDC_SIGNAL: "signal_strength"}
MDC_DISPLAY = {MDC_BATTERY: "MDC_ATTR_VAL_BATT_CHARGE", MDC_SIGNAL: "MDC_NCC_WIRELESS_STRENGTH_PERCENT",
               MDC_FIRMWARE: "MDC_ID_PROD_SPEC_FW"}
