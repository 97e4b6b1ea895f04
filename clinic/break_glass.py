"""Break-glass: a clinician who must see a patient outside their care teams opens access with a reason, for
BREAK_GLASS_MINUTES (an hour by default). It is audited, and the patient's care team is told in-app (and by
e-mail where configured). patients_visible_to() honours it while it lasts: pages, API, socket, FHIR, exports."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alerts.notifiers import tell_team
from patients.models import BreakGlassAccess, Patient
from patients.selectors import patients_visible_to
from rpm import audit
from rpm.errors import InvalidInput, NotAllowed, NotFound, WrongState
from rpm.models import AuditEvent
from rpm.roles import is_clinician

MIN_REASON_LENGTH = 10


def open_break_glass(*, user, patient_id: int, reason: str, now: dt.datetime | None = None) -> BreakGlassAccess:
    now = now or timezone.now()
    if not is_clinician(user):
        raise NotAllowed("only nurses and physicians may open break-glass access to a patient")
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise InvalidInput(f"say why you need this patient's record (at least {MIN_REASON_LENGTH} characters)",
                           field="reason")
    patient = Patient.objects.select_related("care_team").filter(pk=patient_id).first()
    if patient is None:
        raise NotFound(f"no patient #{patient_id}", field="patient")
    if patients_visible_to(user, now=now).filter(pk=patient.pk).exists():
        raise WrongState("you can already see this patient", field="patient")
    with transaction.atomic():
        access = BreakGlassAccess.objects.create(
            user=user, patient=patient, reason=reason, opened_at=now,
            expires_at=now + dt.timedelta(minutes=settings.BREAK_GLASS_MINUTES))
        audit.record(actor=user, action=AuditEvent.Action.VIEW, verb="patient.break_glass", patient=patient,
                     target=access, detail={"reason": reason, "expires_at": access.expires_at.isoformat()})
        message = (f"{user.get_full_name() or user.username} opened break-glass access to patient "
                   f"{patient.mrn} of {patient.care_team.name} until {access.expires_at:%H:%M} UTC. "
                   f"Reason: {reason}")
        transaction.on_commit(lambda: tell_team(care_team_id=patient.care_team_id, kind="break_glass",
                                                message=message))
    return access
