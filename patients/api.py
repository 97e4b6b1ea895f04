"""Staff API for patients: list and detail, scoped to the caller's care teams and audited."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from alerts.models import Alert
from devices.metrics import METRICS
from patients.models import Patient
from patients.selectors import latest_values, patients_visible_to
from rpm import audit
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
    body["open_alerts"] = OpenAlertSerializer(
        patient.alerts.exclude(state=Alert.State.RESOLVED).order_by("-opened_at"), many=True
    ).data
    audit.record(actor=request.user, action=AuditEvent.Action.VIEW, verb="patient.detail", patient=patient)
    return Response(body)
