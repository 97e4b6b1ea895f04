"""Staff API of the programme's figures: the monthly billing report (DESIGN.md contract)."""

from __future__ import annotations

import datetime as dt

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from clinic import billing
from rpm import audit
from rpm.api_errors import ErrorSerializer
from rpm.models import AuditEvent
from rpm.roles import SeesProgrammeNumbers


class BillingPeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    data_days = serializers.IntegerField()
    codes = serializers.ListField(child=serializers.CharField())
    blocked = serializers.ListField(child=serializers.CharField())


class BillingRowSerializer(serializers.Serializer):
    """The schema of one row of the report (clinic.billing.row_json builds it)."""

    patient = serializers.IntegerField()
    mrn = serializers.CharField()
    care_team = serializers.CharField()
    practitioner = serializers.CharField(allow_null=True)
    data_days = serializers.IntegerField()
    minutes = serializers.IntegerField()
    interactive_communication = serializers.BooleanField()
    codes = serializers.ListField(child=serializers.CharField())
    blocked = serializers.ListField(child=serializers.CharField())
    periods = BillingPeriodSerializer(many=True)


@extend_schema(parameters=[OpenApiParameter("period", str, description="calendar month, YYYY-MM (default: this "
                                                                          "month)")],
               responses={200: BillingRowSerializer(many=True), 400: ErrorSerializer, 403: ErrorSerializer})
@api_view(["GET"])
@permission_classes([SeesProgrammeNumbers])
def billing_report(request: Request) -> Response:
    """One row per patient: `patient`, `data_days` (of the last 30-day period ending in the month), `minutes`,
    `interactive_communication`, `codes` (CMS CY2026, a code repeated per unit) and `blocked` (reasons), with the
    periods, the MRN, the care team and the billing practitioner. A report: nothing is sent to a payer."""
    year, month = billing.parse_period(request.query_params.get("period"), now=dt.datetime.now(dt.UTC))
    report = billing.billing_report(user=request.user, year=year, month=month)
    audit.record(actor=request.user, action=AuditEvent.Action.VIEW, verb="programme.billing",
                 detail={"period": report.label, "patients": [row.patient.id for row in report.rows]})
    return Response([billing.row_json(row) for row in report.rows])
