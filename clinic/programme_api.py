"""Staff API of the programme's figures: the monthly billing report (DESIGN.md contract)."""

from __future__ import annotations

import datetime as dt

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from clinic import billing
from rpm import audit
from rpm.models import AuditEvent
from rpm.roles import SeesProgrammeNumbers


@extend_schema(parameters=[OpenApiParameter("period", str, description="calendar month, YYYY-MM (default: this "
                                                                          "month)")])
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
