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
from alerts.selectors import news2_for_patient
from devices.metrics import METRICS
from patients import exports, history, summary
from patients.models import Patient
from patients.selectors import latest_values, patients_visible_to
from rpm import audit
from rpm.errors import InvalidInput
from rpm.models import AuditEvent
from rpm.roles import IsClinician


class PatientSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Patient
        fields = ["id", "mrn", "given_name", "family_name", "birth_date", "sex", "timezone", "status", "conditions",
                  "care_team"]


class OpenAlertSerializer(serializers.ModelSerializer):
    class Meta:
        model = Alert
        fields = ["id", "rule", "metric", "severity", "state", "explanation", "opened_at", "last_triggered_at"]


@api_view(["GET"])
@permission_classes([IsClinician])
def patient_list(request: Request) -> Response:
    patients = patients_visible_to(request.user).select_related("care_team")
    data = PatientSummarySerializer(patients, many=True).data
    audit.record(actor=request.user, action=AuditEvent.Action.VIEW, verb="patient.list",
                 detail={"count": len(data)})
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
    body["news2"] = news2_for_patient(patient)
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
    bundle = exports.fhir_bundle(patient=patient, start=start, end=end)
    audit.record(actor=request.user, action=AuditEvent.Action.EXPORT, verb="patient.export.fhir", patient=patient,
                 detail={"start": start.isoformat(), "end": end.isoformat(), "observations": len(bundle["entry"])})
    response = HttpResponse(orjson.dumps(bundle), content_type="application/fhir+json")
    response["Content-Disposition"] = f'attachment; filename="{_export_name(patient, start, end, "fhir.json")}"'
    return response
