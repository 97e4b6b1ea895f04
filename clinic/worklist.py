"""The outreach worklist, looking forward: in each patient's current 30-day period, who will miss 16 data days
(or 2, the floor of 99445) unless they measure on k of the days left, sorted by slack (days they can still
miss). The same day rule and periods as the calendar and the billing report (clinic.periods)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic.billing import patients_for_programme
from clinic.periods import current_periods
from patients.models import Patient
from patients.selectors import patients_visible_to
from rpm import billing


@dataclass(frozen=True, slots=True)
class Item:
    patient: Patient
    period: billing.Period
    outlook: billing.Outlook
    visible: bool

    @property
    def target(self) -> int:
        """The bar this call is about: 16 while it can be reached, else the 2 days of 99445."""
        return billing.SUPPLY_FULL_DAYS if self.outlook.reachable or self.outlook.needed_short == 0 \
            else billing.SUPPLY_MIN_DAYS


def outreach_worklist(*, user, now: dt.datetime) -> list[Item]:
    """Active patients short of 16 data days in their current period, least slack first (then fewest days)."""
    patients = list(patients_for_programme(user).filter(status=Patient.Status.ACTIVE))
    visible = set(patients_visible_to(user).values_list("id", flat=True))
    items = [Item(patient=c.patient, period=c.period, outlook=c.outlook, visible=c.patient.id in visible)
             for c in current_periods(patients, now=now).values()]
    short = [item for item in items if item.outlook.needed_full > 0]
    return sorted(short, key=lambda i: (i.outlook.slack, i.outlook.data_days, i.patient.mrn))
