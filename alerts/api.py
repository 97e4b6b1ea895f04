"""Staff API for alerts: the care team's queue, acknowledge, resolve. Scoped by patients_visible_to:
another team's alert is a 404."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from alerts import services
from alerts.models import Alert
from alerts.selectors import alerts_visible_to
from rpm import audit
from rpm.api_errors import ErrorSerializer
from rpm.models import AuditEvent
from rpm.roles import IsClinician

STATES = [*Alert.State.values, "unresolved"]
MAX_LIMIT = 500


class AlertSerializer(serializers.ModelSerializer):
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    rule_kind = serializers.CharField(source="rule.kind", read_only=True)
    acknowledged_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Alert
        fields = ["id", "patient", "rule", "rule_name", "rule_kind", "metric", "severity", "state", "explanation",
                  "reading_ids", "trigger_count", "escalation_level", "opened_at", "last_triggered_at",
                  "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by", "resolution", "escalated_at",
                  "reopened_at", "recovered_at", "recovery"]


class ListQuery(serializers.Serializer):
    state = serializers.ChoiceField(choices=STATES, required=False)
    patient = serializers.IntegerField(required=False, min_value=1)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT, default=100)


class NoteInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


@api_view(["GET"])
@permission_classes([IsClinician])
def alert_list(request: Request) -> Response:
    """Alerts of the caller's patients, newest first; `?state=open|acknowledged|resolved|unresolved`."""
    query = ListQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    alerts = alerts_visible_to(request.user, state=query.validated_data.get("state"))
    if "patient" in query.validated_data:
        alerts = alerts.filter(patient_id=query.validated_data["patient"])
    data = AlertSerializer(alerts[: query.validated_data["limit"]], many=True).data
    audit.record_many(actor=request.user, action=AuditEvent.Action.VIEW, verb="alert.list",
                      patient_ids=[alert["patient"] for alert in data])
    return Response(data)


def _act(request: Request, alert_id: int, action) -> Response:
    alert = get_object_or_404(alerts_visible_to(request.user), pk=alert_id)
    body = NoteInput(data=request.data)
    body.is_valid(raise_exception=True)
    alert = action(alert=alert, by=request.user, note=body.validated_data["note"])  # AlertStateError: a 409
    return Response(AlertSerializer(alert).data)


@extend_schema(request=NoteInput, responses={200: AlertSerializer, 409: ErrorSerializer})
@api_view(["POST"])
@permission_classes([IsClinician])
def acknowledge(request: Request, alert_id: int) -> Response:
    return _act(request, alert_id, services.acknowledge_alert)


@extend_schema(request=NoteInput, responses={200: AlertSerializer, 409: ErrorSerializer})
@api_view(["POST"])
@permission_classes([IsClinician])
def resolve(request: Request, alert_id: int) -> Response:
    return _act(request, alert_id, services.resolve_alert)
