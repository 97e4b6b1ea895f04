"""GET /api/v1/billing/?period=YYYY-MM, the billing page and its CSV: codes per CMS CY2026 from the ledger and the
one data-day rule, what blocks a code, who sees which rows, and the audit."""

import csv
import datetime as dt
import io

import pytest

from devices.services import enrol_device
from patients import care_time
from patients.models import DeviceSupplyClaim
from rpm import billing
from rpm.models import AuditEvent
from tests.builders import make_device, make_patient, make_team, make_user
from tests.conftest import signed_in, token_client
from tests.readings import add_readings

UTC = dt.UTC
EPISODE = dt.datetime(2026, 10, 1, 9, 0, tzinfo=UTC)  # periods: 1-30 Oct, 31 Oct-29 Nov, 30 Nov-29 Dec


def enrolled(patient, at=EPISODE):
    device, _ = make_device("blood_pressure_monitor")
    enrol_device(device=device, patient=patient, at=at)
    return device


def data_on(patient, device, days):
    add_readings(patient, "systolic_bp", [(dt.datetime.combine(d, dt.time(10), tzinfo=UTC), 130) for d in days],
                 device=device, source="api")


def days_from(start, count):
    return [start + dt.timedelta(days=i) for i in range(count)]


def log(patient, clinician, minutes, *, interactive, day):
    care_time.add_entry(patient=patient, clinician=clinician, now=dt.datetime(2026, 12, 31, tzinfo=UTC),
                        data=care_time.EntryInput(minutes=minutes, interactive=interactive, day=day))


def rows(client, period="2026-10"):
    response = client.get("/api/v1/billing/", {"period": period})
    assert response.status_code == 200, response.content
    return {row["patient"]: row for row in response.json()}


@pytest.fixture
def programme(db):
    return make_user("manager-a", role="programme")


def test_sixteen_data_days_and_20_minutes_with_a_call_bill_setup_supply_and_management(nurse, patient):
    device = enrolled(patient)
    data_on(patient, device, days_from(dt.date(2026, 10, 1), 16))
    log(patient, nurse, 20, interactive=True, day="2026-10-05")
    row = rows(signed_in(nurse))[patient.id]
    assert (row["data_days"], row["minutes"], row["interactive_communication"]) == (16, 20, True)
    assert row["codes"] == ["99453", "99454", "99457"] and row["blocked"] == []


def test_fifteen_data_days_bill_the_short_supply_code_and_set_up_only_once_per_episode(nurse, patient):
    device = enrolled(patient)
    data_on(patient, device, days_from(dt.date(2026, 10, 1), 15) + days_from(dt.date(2026, 10, 31), 2))
    assert rows(signed_in(nurse))[patient.id]["codes"] == ["99453", "99445"]
    assert rows(signed_in(nurse), "2026-11")[patient.id]["codes"] == ["99445"]


def test_one_data_day_and_manual_entries_bill_no_supply(nurse, patient):
    device = enrolled(patient)
    data_on(patient, device, [dt.date(2026, 10, 3)])
    add_readings(patient, "systolic_bp", [(dt.datetime(2026, 10, d, 9, tzinfo=UTC), 130) for d in range(4, 25)],
                 source="manual")
    row = rows(signed_in(nurse))[patient.id]
    assert (row["data_days"], row["codes"], row["blocked"]) == (1, [], [billing.FEWER_THAN_2_DAYS])


def test_minutes_without_an_interactive_communication_are_blocked(nurse, patient):
    enrolled(patient)
    log(patient, nurse, 15, interactive=False, day="2026-10-05")
    row = rows(signed_in(nurse))[patient.id]
    assert row["minutes"] == 15 and billing.NO_INTERACTIVE in row["blocked"] and "99470" not in row["codes"]


def test_nine_minutes_are_blocked_as_under_ten_and_ten_with_a_call_bill_99470(nurse, patient):
    enrolled(patient)
    log(patient, nurse, 9, interactive=True, day="2026-10-05")
    assert billing.UNDER_10_MINUTES in rows(signed_in(nurse))[patient.id]["blocked"]
    log(patient, nurse, 1, interactive=False, day="2026-10-06")
    assert "99470" in rows(signed_in(nurse))[patient.id]["codes"]


def test_a_second_practitioner_in_the_same_period_blocks_the_supply_codes(nurse, patient):
    device = enrolled(patient)
    data_on(patient, device, days_from(dt.date(2026, 10, 1), 20))
    DeviceSupplyClaim.objects.create(patient=patient, period_start=dt.date(2026, 10, 1), practitioner="Dr Elsewhere")
    row = rows(signed_in(nurse))[patient.id]
    assert row["codes"] == [] and row["blocked"] == [billing.OTHER_PRACTITIONER]


def test_a_period_across_a_month_end_is_counted_whole_in_the_month_it_ends(nurse, patient):
    device = enrolled(patient)
    data_on(patient, device, days_from(dt.date(2026, 11, 30), 16))  # 30 Nov to 15 Dec, all in 30 Nov-29 Dec
    november = rows(signed_in(nurse), "2026-11")[patient.id]  # 31 Oct-29 Nov ends in November, without data
    assert (november["data_days"], november["codes"]) == (0, [])
    row = rows(signed_in(nurse), "2026-12")[patient.id]
    assert row["periods"] == [{"start": "2026-11-30", "end": "2026-12-29", "data_days": 16,
                               "codes": ["99453", "99454"], "blocked": []}]


def test_minutes_count_in_the_patients_calendar_month(nurse, team):
    tokyo = make_patient(team, timezone="Asia/Tokyo")
    enrolled(tokyo)
    care_time.add_entry(patient=tokyo, clinician=nurse, now=dt.datetime(2026, 11, 1, tzinfo=UTC),
                        data=care_time.EntryInput(minutes=12, interactive=True))  # 09:00 on 1 Nov in Tokyo
    assert rows(signed_in(nurse), "2026-11")[tokyo.id]["minutes"] == 12
    assert tokyo.id not in rows(signed_in(nurse), "2026-10") or \
        rows(signed_in(nurse), "2026-10")[tokyo.id]["minutes"] == 0


def test_clinicians_see_their_teams_and_the_programme_role_sees_every_team(nurse, patient, programme):
    other = make_patient(make_team("Ward B"))
    enrolled(patient)
    enrolled(other)
    log(other, make_user(role="nurse", team=other.care_team), 5, interactive=True, day="2026-10-05")
    assert set(rows(signed_in(nurse))) == {patient.id}
    assert set(rows(token_client(programme))) == {patient.id, other.id}
    assert signed_in(programme).get(f"/patients/{other.id}/").status_code == 404


def test_admins_see_no_billing_figures(admin_client):
    assert admin_client.get("/api/v1/billing/").status_code == 403


@pytest.mark.parametrize("period", ["2026-13", "Oct 2026", "2026-1"])
def test_a_bad_period_is_a_clear_400_naming_period(nurse, period):
    response = signed_in(nurse).get("/api/v1/billing/", {"period": period})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "period"


def test_the_page_shows_totals_and_the_csv_has_one_line_per_patient_and_both_are_audited(nurse, patient):
    device = enrolled(patient)
    data_on(patient, device, days_from(dt.date(2026, 10, 1), 16))
    client = signed_in(nurse)
    html = client.get("/programme/billing/", {"period": "2026-10"}).content.decode()
    assert '<span data-total-code="99454">99454 × 1</span>' in html
    response = client.get("/programme/billing.csv", {"period": "2026-10"})
    lines = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(line["mrn"], line["codes"], line["data_days"]) for line in lines] == [(patient.mrn, "99453 99454", "16")]
    verbs = list(AuditEvent.objects.filter(actor=nurse).values_list("verb", flat=True))
    assert "programme.billing" in verbs and "programme.billing.csv" in verbs


def test_the_programme_role_records_another_practitioners_claim_and_the_report_blocks_ours(nurse, patient,
                                                                                            programme):
    device = enrolled(patient)
    data_on(patient, device, days_from(dt.date(2026, 10, 1), 20))
    response = signed_in(programme).post("/programme/billing/claims/", {
        "patient": patient.id, "period_start": "2026-10-01", "practitioner": "Dr Elsewhere", "period": "2026-10"})
    assert response.status_code == 302
    assert rows(signed_in(nurse))[patient.id]["blocked"] == [billing.OTHER_PRACTITIONER]
    event = AuditEvent.objects.get(verb="billing.outside_claim")
    assert (event.actor, event.patient, event.detail["practitioner"]) == (programme, patient, "Dr Elsewhere")


@pytest.mark.parametrize(("form", "message"), [
    ({"period_start": "2026-10-02", "practitioner": "Dr X"},
     "period_start: is not the first day of one of this patient's 30-day periods"),
    ({"period_start": "tomorrow", "practitioner": "Dr X"}, "period_start: must be a date as YYYY-MM-DD"),
    ({"period_start": "2026-10-01", "practitioner": " "}, "practitioner: name the practitioner who billed"),
])
def test_a_claim_that_does_not_fit_is_refused_naming_the_field(patient, programme, form, message):
    enrolled(patient)
    response = signed_in(programme).post("/programme/billing/claims/", {"patient": patient.id, **form})
    assert response.status_code == 400 and message in response.content.decode()
    assert not DeviceSupplyClaim.objects.exists()


def test_only_the_programme_role_records_claims(nurse, patient):
    enrolled(patient)
    response = signed_in(nurse).post("/programme/billing/claims/", {
        "patient": patient.id, "period_start": "2026-10-01", "practitioner": "Dr X"})
    assert response.status_code == 403 and not DeviceSupplyClaim.objects.exists()


def test_the_programme_role_lands_on_the_billing_report(programme):
    assert signed_in(programme).get("/").url == "/programme/billing/"


def test_set_up_goes_with_the_first_period_that_reaches_2_days(nurse, patient):
    device = enrolled(patient)
    data_on(patient, device, [dt.date(2026, 10, 3)] + days_from(dt.date(2026, 10, 31), 16))
    assert rows(signed_in(nurse))[patient.id]["codes"] == []
    assert rows(signed_in(nurse), "2026-11")[patient.id]["codes"] == ["99453", "99454"]
    assert rows(signed_in(nurse), "2026-12")[patient.id]["codes"] == []


def test_the_programme_role_sees_every_teams_rows_on_the_page_without_links_and_may_record_a_claim(patient,
                                                                                                     programme):
    device = enrolled(patient)
    data_on(patient, device, days_from(dt.date(2026, 10, 1), 3))
    html = signed_in(programme).get("/programme/billing/", {"period": "2026-10"}).content.decode()
    assert f'data-billing-patient="{patient.id}"' in html and f'href="/patients/{patient.id}/"' not in html
    assert 'name="period_start" value="2026-10-01"' in html


def test_a_bad_period_on_the_page_and_the_csv_is_a_400_naming_period(nurse):
    client = signed_in(nurse)
    for url in ("/programme/billing/", "/programme/billing.csv"):
        response = client.get(url, {"period": "2026-00"})
        assert response.status_code == 400 and "period: must be a month as YYYY-MM" in response.content.decode()


def test_the_csv_neutralises_a_care_team_name_a_spreadsheet_would_run_as_a_formula(nurse, patient):
    patient.care_team.name = "=HYPERLINK(\"http://example.invalid\")"
    patient.care_team.save()
    device = enrolled(patient)
    data_on(patient, device, days_from(dt.date(2026, 10, 1), 16))
    response = signed_in(nurse).get("/programme/billing.csv", {"period": "2026-10"})
    (line,) = csv.DictReader(io.StringIO(response.content.decode()))
    assert line["care_team"] == "'=HYPERLINK(\"http://example.invalid\")"
