import pytest

from tests.builders import make_patient, make_team, make_user
from tests.conftest import browser_login

pytestmark = pytest.mark.e2e


def test_nurse_signs_in_and_sees_only_their_care_team(page):
    ward_a, ward_b = make_team("Ward A"), make_team("Ward B")
    mine = make_patient(ward_a, family_name="Mineperson")
    theirs = make_patient(ward_b, family_name="Otherperson")
    make_user("nurse-e2e", role="nurse", team=ward_a)

    browser_login(page, "nurse-e2e")

    assert page.locator(f'[data-patient="{mine.id}"]').first.is_visible()
    assert page.locator(f'[data-patient="{theirs.id}"]').count() == 0


def test_wrong_password_is_refused_with_a_message(page):
    make_user("nurse-e2e2", role="nurse")
    page.goto("/login/")
    page.fill("#id_username", "nurse-e2e2")
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").is_visible()
    assert "/login/" in page.url
