"""Staff API for alerts: the care team's queue, acknowledge, resolve, and the workflow (assign, snooze one alert
or one rule for one patient, end a snooze, the note thread, mark a patient reviewed). Scoped by
patients_visible_to: another team's alert or patient is a 404."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from alerts import services, workflow
from alerts.models import Alert, AlertNote, AlertRule, PatientReview, RuleSnooze
from alerts.selectors import alerts_visible_to, latest_reviews, notes_of
from patients.selectors import patients_visible_to
from rpm import audit
from rpm.api_errors import ErrorSerializer
from rpm.errors import InvalidInput
from rpm.models import AuditEvent
from rpm.roles import IsClinician

STATES = [*Alert.State.values, "unresolved"]
MAX_LIMIT = 500


class AlertSerializer(serializers.ModelSerializer):
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    rule_kind = serializers.CharField(source="rule.kind", read_only=True)
    acknowledged_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    assigned_to = serializers.SlugRelatedField(slug_field="username", read_only=True)
    snoozed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Alert
        fields = ["id", "patient", "rule", "rule_name", "rule_kind", "metric", "severity", "state", "explanation",
                  "reading_ids", "trigger_count", "escalation_level", "notified", "opened_at", "last_triggered_at",
                  "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by", "resolution", "escalated_at",
                  "reopened_at", "recovered_at", "recovery", "assigned_to", "assigned_at", "snoozed_until",
                  "snoozed_by", "snooze_reason"]


class ListQuery(serializers.Serializer):
    state = serializers.ChoiceField(choices=STATES, required=False)
    assigned = serializers.ChoiceField(choices=["me"], required=False, help_text="`me`: alerts assigned to you")
    patient = serializers.IntegerField(required=False, min_value=1)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT, default=100)


class NoteInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


@extend_schema(parameters=[ListQuery], responses=AlertSerializer(many=True))
@api_view(["GET"])
@permission_classes([IsClinician])
def alert_list(request: Request) -> Response:
    """Alerts of the caller's patients, newest first; `?state=open|acknowledged|resolved|unresolved`."""
    query = ListQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    mine = query.validated_data.get("assigned") == "me"
    alerts = alerts_visible_to(request.user, state=query.validated_data.get("state"),
                               assigned_to=request.user if mine else None)
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


def _visible_alert(request: Request, alert_id: int) -> Alert:
    return get_object_or_404(alerts_visible_to(request.user), pk=alert_id)


class AssignInput(serializers.Serializer):
    assignee = serializers.IntegerField(allow_null=True, help_text="a user id on the patient's care team; null: nobody")


@extend_schema(request=AssignInput, responses={200: AlertSerializer, 409: ErrorSerializer})
@api_view(["POST"])
@permission_classes([IsClinician])
def assign(request: Request, alert_id: int) -> Response:
    alert = _visible_alert(request, alert_id)
    body = AssignInput(data=request.data)
    body.is_valid(raise_exception=True)
    assignee = None
    if body.validated_data["assignee"] is not None:
        assignee = User.objects.filter(pk=body.validated_data["assignee"]).first()
        if assignee is None:
            raise InvalidInput("no such user", "assignee")
    return Response(AlertSerializer(workflow.assign_alert(alert=alert, assignee=assignee, by=request.user)).data)


class SnoozeInput(serializers.Serializer):
    minutes = serializers.IntegerField(min_value=1, max_value=workflow.MAX_SNOOZE_MINUTES)
    reason = serializers.CharField(max_length=2000)


@extend_schema(request=SnoozeInput, responses={200: AlertSerializer, 409: ErrorSerializer})
@api_view(["POST"])
@permission_classes([IsClinician])
def snooze(request: Request, alert_id: int) -> Response:
    """This one alert: no escalation or paging until then, ended early if it gets worse."""
    alert = _visible_alert(request, alert_id)
    body = SnoozeInput(data=request.data)
    body.is_valid(raise_exception=True)
    return Response(AlertSerializer(workflow.snooze_alert(alert=alert, by=request.user, **body.validated_data)).data)


@extend_schema(request=None, responses={200: AlertSerializer, 409: ErrorSerializer})
@api_view(["POST"])
@permission_classes([IsClinician])
def unsnooze(request: Request, alert_id: int) -> Response:
    alert = _visible_alert(request, alert_id)
    return Response(AlertSerializer(workflow.end_snooze(alert=alert, by=request.user)).data)


class RuleSnoozeInput(SnoozeInput):
    patient = serializers.IntegerField(min_value=1)
    rule = serializers.IntegerField(min_value=1)


class RuleSnoozeSerializer(serializers.ModelSerializer):
    by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = RuleSnooze
        fields = ["id", "patient", "rule", "until", "reason", "by", "created_at", "ended_at", "ended_because"]


@extend_schema(request=RuleSnoozeInput, responses={201: RuleSnoozeSerializer})
@api_view(["POST"])
@permission_classes([IsClinician])
def snooze_rule(request: Request) -> Response:
    """One rule for one patient: its current alert and those it raises until then, ended early if worse."""
    body = RuleSnoozeInput(data=request.data)
    body.is_valid(raise_exception=True)
    data = dict(body.validated_data)
    patient = get_object_or_404(patients_visible_to(request.user), pk=data.pop("patient"))
    rule = AlertRule.objects.filter(pk=data.pop("rule")).first()
    if rule is None:
        raise InvalidInput("no such rule", "rule")
    snooze = workflow.snooze_rule(patient=patient, rule=rule, by=request.user, **data)
    return Response(RuleSnoozeSerializer(snooze).data, status=201)


class NoteSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = AlertNote
        fields = ["id", "at", "author", "verb", "text"]


class NoteText(serializers.Serializer):
    text = serializers.CharField(max_length=2000)


@extend_schema(methods=["POST"], request=NoteText, responses={201: NoteSerializer})
@extend_schema(methods=["GET"], responses={200: NoteSerializer(many=True)})
@api_view(["GET", "POST"])
@permission_classes([IsClinician])
def notes(request: Request, alert_id: int) -> Response:
    """The alert's thread (every step and every note, oldest first); POST adds a note."""
    alert = _visible_alert(request, alert_id)
    if request.method == "GET":
        audit.record(actor=request.user, action=AuditEvent.Action.VIEW, verb="alert.notes", patient_id=alert.patient_id,
                     target=alert)
        return Response(NoteSerializer(notes_of(alert), many=True).data)
    body = NoteText(data=request.data)
    body.is_valid(raise_exception=True)
    note = services.add_note(alert=alert, by=request.user, text=body.validated_data["text"])
    return Response(NoteSerializer(note).data, status=201)


class ReviewInput(serializers.Serializer):
    patient = serializers.IntegerField(min_value=1)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class ReviewSerializer(serializers.ModelSerializer):
    by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = PatientReview
        fields = ["id", "patient", "by", "at", "note"]


class ReviewQuery(serializers.Serializer):
    patient = serializers.IntegerField(required=False, min_value=1)


@extend_schema(methods=["POST"], request=ReviewInput, responses={201: ReviewSerializer})
@extend_schema(methods=["GET"], parameters=[ReviewQuery], responses={200: ReviewSerializer(many=True)})
@api_view(["GET", "POST"])
@permission_classes([IsClinician])
def reviews(request: Request) -> Response:
    """POST: mark a patient reviewed (who and when). GET: each visible patient's latest review."""
    if request.method == "GET":
        query = ReviewQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        visible = patients_visible_to(request.user)
        if "patient" in query.validated_data:
            visible = visible.filter(pk=query.validated_data["patient"])
        found = latest_reviews(visible.values_list("id", flat=True))
        audit.record_many(actor=request.user, action=AuditEvent.Action.VIEW, verb="patient.reviews",
                          patient_ids=list(found))
        return Response(ReviewSerializer(sorted(found.values(), key=lambda r: r.patient_id), many=True).data)
    body = ReviewInput(data=request.data)
    body.is_valid(raise_exception=True)
    patient = get_object_or_404(patients_visible_to(request.user), pk=body.validated_data["patient"])
    review = workflow.mark_reviewed(patient=patient, by=request.user, note=body.validated_data["note"])
    return Response(ReviewSerializer(review).data, status=201)
