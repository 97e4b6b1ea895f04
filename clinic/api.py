"""Staff API for patients: list and detail, scoped to the caller's care teams and audited."""

from __future__ import annotations

import datetime as dt

import orjson
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from alerts.models import Alert
from alerts.selectors import news2_status
from clinic import exports, history, summary, thresholds
from devices.readings import latest_values
from patients import services
from patients.models import MonitoringPlan, Patient
from patients.selectors import patients_visible_to
from rpm import audit
from rpm.errors import InvalidInput, NotAllowed, NotFound
from rpm.metrics import METRICS
from rpm.models import AuditEvent
from rpm.roles import IsClinician, IsPhysician


class PatientSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Patient
        fields = ["id", "mrn", "given_name", "family_name", "birth_date", "sex", "timezone", "status", "conditions",
                  "care_team"]


class OpenAlertSerializer(serializers.ModelSerializer):
    class Meta:
        model = Alert
        fields = ["id", "rule", "metric", "severity", "state", "explanation", "opened_at", "last_triggered_at",
                  "reopened_at", "recovered_at", "recovery"]


@api_view(["GET"])
@permission_classes([IsClinician])
def patient_list(request: Request) -> Response:
    patients = patients_visible_to(request.user).select_related("care_team")
    data = PatientSummarySerializer(patients, many=True).data
    audit.record_many(actor=request.user, action=AuditEvent.Action.VIEW, verb="patient.list",
                      patient_ids=[patient["id"] for patient in data])
    return Response(data)


@api_view(["GET"])
@permission_classes([IsClinician])
def patient_detail(request: Request, patient_id: int) -> Response:
    patient = get_object_or_404(patients_visible_to(request.user), pk=patient_id)
    latest = latest_values([patient.id])[patient.id]
    body = PatientSummarySerializer(patient).data
    body["age"] = patient.age()
    body["latest"] = {
        metric: {**reading, "display": METRICS[metric].display} for metric, reading in latest.items()
    }
    news2 = news2_status(patient)
    body["news2"], body["news2_reason"] = news2["score"], news2["reason"]
    body["open_alerts"] = OpenAlertSerializer(
        patient.alerts.exclude(state=Alert.State.RESOLVED).order_by("-opened_at"), many=True
    ).data
    audit.record(actor=request.user, action=AuditEvent.Action.VIEW, verb="patient.detail", patient=patient)
    return Response(body)


def _range(request: Request, patient: Patient, *, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    return history.parse_range(start=request.query_params.get("start"), end=request.query_params.get("end"),
                               tz=patient.tz, now=now)


@api_view(["GET"])
@permission_classes([IsClinician])
def patient_readings(request: Request, patient_id: int) -> HttpResponse:
    """A chart's series, downsampled to at most `max_points` keeping each bucket's lowest and highest reading."""
    patient = get_object_or_404(patients_visible_to(request.user).only("id", "timezone"), pk=patient_id)
    metric = request.query_params.get("metric", "")
    if metric not in METRICS and metric not in history.METRIC_GROUPS:
        raise InvalidInput(f"unknown metric {metric[:40]!r}; known: {', '.join([*METRICS, *history.METRIC_GROUPS])}",
                           "metric")
    start, end = _range(request, patient, now=dt.datetime.now(dt.UTC))
    max_points = history.parse_max_points(request.query_params.get("max_points"))
    body = history.chart_series(patient_id=patient.id, metric=metric, start=start, end=end, tz=patient.tz,
                                max_points=max_points)
    body["alerts"] = summary.chart_alerts(patient=patient, metrics=list(body["series"]), start=start, end=end)
    audit.record(actor=request.user, action=AuditEvent.Action.VIEW, verb="patient.readings", patient=patient,
                 detail={"metric": metric, "start": body["start"], "end": body["end"]})
    return HttpResponse(orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), content_type="application/json")


def _export_name(patient: Patient, start: dt.datetime, end: dt.datetime, suffix: str) -> str:
    return f"readings-{patient.mrn}-{start:%Y%m%dT%H%M}-{end:%Y%m%dT%H%M}.{suffix}"


@api_view(["GET"])
@permission_classes([IsClinician])
def export_csv(request: Request, patient_id: int) -> HttpResponse:
    patient = get_object_or_404(patients_visible_to(request.user), pk=patient_id)
    start, end = _range(request, patient, now=dt.datetime.now(dt.UTC))
    audit.record(actor=request.user, action=AuditEvent.Action.EXPORT, verb="patient.export.csv", patient=patient,
                 detail={"start": start.isoformat(), "end": end.isoformat()})
    response = StreamingHttpResponse(exports.readings_csv(patient=patient, start=start, end=end),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_export_name(patient, start, end, "csv")}"'
    return response


@api_view(["GET"])
@permission_classes([IsClinician])
def export_fhir(request: Request, patient_id: int) -> HttpResponse:
    patient = get_object_or_404(patients_visible_to(request.user), pk=patient_id)
    start, end = _range(request, patient, now=dt.datetime.now(dt.UTC))
    bundle = exports.fhir_bundle(patient=patient, start=start, end=end,
                                 base=request.build_absolute_uri("/fhir").rstrip("/"))
    audit.record(actor=request.user, action=AuditEvent.Action.EXPORT, verb="patient.export.fhir", patient=patient,
                 detail={"start": start.isoformat(), "end": end.isoformat(),
                         "observations": len(bundle["entry"]) - 1})
    response = HttpResponse(orjson.dumps(bundle), content_type="application/fhir+json")
    response["Content-Disposition"] = f'attachment; filename="{_export_name(patient, start, end, "fhir.json")}"'
    return response


class News2SettingsSerializer(serializers.Serializer):
    spo2_scale = serializers.ChoiceField(choices=[1, 2])
    on_supplemental_oxygen = serializers.BooleanField(default=False)
    consciousness = serializers.ChoiceField(choices=MonitoringPlan.Consciousness.values,
                                            default=MonitoringPlan.Consciousness.ALERT)
    pregnant = serializers.BooleanField(default=False)
    spo2_target_low = serializers.IntegerField(required=False, allow_null=True, min_value=50, max_value=100,
                                               default=None)
    spo2_target_high = serializers.IntegerField(required=False, allow_null=True, min_value=50, max_value=100,
                                                default=None)
    prescriber = serializers.CharField(required=False, allow_blank=True, max_length=120, default="")
    reason = serializers.CharField(max_length=2000)


@api_view(["GET", "POST"])
@permission_classes([IsClinician])
def news2_settings(request: Request, patient_id: int) -> Response:
    """The patient's NEWS2 settings; physicians of the care team change them (with the prescriber and a reason)."""
    patient = get_object_or_404(patients_visible_to(request.user), pk=patient_id)
    if request.method == "POST":
        if not IsPhysician().has_permission(request, None):
            raise NotAllowed("only physicians change the NEWS2 settings")
        body = News2SettingsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # the service's PermissionDenied and ValidationError answer in the one error shape (rpm.api_errors)
        services.set_news2_settings(patient=patient, by=request.user,
                                    settings=services.News2Settings(**body.validated_data))
    else:
        audit.record(actor=request.user, action=AuditEvent.Action.VIEW, verb="patient.news2_settings",
                     patient=patient)
    return Response(services.news2_settings_of(patient))


class BacktestSerializer(serializers.Serializer):
    params = serializers.JSONField()
    days = serializers.IntegerField(required=False, min_value=1, max_value=90, default=30)


def _result(result) -> dict:
    return {"alerts": result.alerts, "readings": result.readings, "examples": result.examples}


@api_view(["POST"])
@permission_classes([IsClinician])
def rule_backtest(request: Request, patient_id: int, rule_id: int) -> Response:
    """How many alerts the rule in force and the proposed `params` would have raised on this patient's last
    `days` of readings (the same rule functions as the engine). Nothing is saved."""
    patient = get_object_or_404(patients_visible_to(request.user), pk=patient_id)
    rule = thresholds.default_rule(patient=patient, rule_id=rule_id)
    if rule is None:
        raise NotFound("no such rule in force for this patient", "rule")
    body = BacktestSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    params = body.validated_data["params"]
    if not isinstance(params, dict):
        raise InvalidInput("must be a JSON object", "params")
    current, proposed = thresholds.preview(patient=patient, rule=rule, params=params,
                                           days=body.validated_data["days"])
    audit.record(actor=request.user, action=AuditEvent.Action.VIEW, verb="alert_rule.backtest", patient=patient,
                 target=rule, detail={"params": params, "current": current.alerts, "proposed": proposed.alerts})
    return Response({"rule": rule.id, "days": body.validated_data["days"], "current": _result(current),
                     "proposed": _result(proposed)})
