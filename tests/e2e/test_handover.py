"""The handover in a real browser: reached from the top bar, and printed without the controls."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from patients.notes import add_clinical_note
from tests.builders import make_patient, make_team, make_user
from tests.conftest import browser_login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_nurse_opens_the_handover_and_prints_it_without_the_controls(page):
    team = make_team("Ward A")
    nurse = make_user("nurse1", team=team)
    patient = make_patient(team, given_name="Hal", family_name="Handoverperson")
    add_clinical_note(patient=patient, author=nurse, text="Family visiting tonight", minutes=0)

    browser_login(page, "nurse1")
    page.get_by_role("link", name="Handover", exact=True).click()

    expect(page.locator("h1")).to_have_text("Handover: Ward A")
    expect(page.locator("#no-data")).to_contain_text("Hal Handoverperson")
    expect(page.locator("#notes")).to_contain_text("Family visiting tonight")
    page.emulate_media(media="print")
    expect(page.locator("#handover-form")).to_be_hidden()
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator("#notes")).to_be_visible()
