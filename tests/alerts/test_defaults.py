"""The default rule sets as installed: the safety net for every patient, each rule with a source, and the data
migration's refresh of an existing installation (renamed rules updated in place, their overrides kept)."""

import pytest

from alerts.defaults import DEFAULT_RULES, RETIRED_RULES, install_default_rules
from alerts.kinds import validate_params
from alerts.models import AlertRule
from alerts.services import override_rule
from tests.builders import make_user

SAFETY_NET = {"SpO2 low", "SpO2 out of target (scale 2, target 88-92 %)", "Heart rate out of range",
              "Respiratory rate extreme", "Temperature out of range", "Hypertensive crisis", "Systolic BP low",
              "Severe hypoglycaemia", "NEWS2", "Implausible reading"}


def test_every_default_is_valid_and_cites_a_source():
    for spec in DEFAULT_RULES:
        assert validate_params(spec["kind"], spec["metric"], spec["params"]) == {}, spec["name"]
        assert len(spec["source"]) > 10, spec["name"]


def test_the_safety_net_applies_to_everyone():
    everyone = {spec["name"] for spec in DEFAULT_RULES if not spec["condition"]}
    assert SAFETY_NET <= everyone


@pytest.mark.django_db
def test_refreshing_an_old_installation_updates_renamed_rules_in_place_and_keeps_overrides(team, patient):
    AlertRule.objects.all().delete()  # as an installation from before the corrected defaults
    old_crisis = AlertRule.objects.create(name="Hypertensive crisis (systolic)", kind="threshold",
                                          metric="systolic_bp", scope="condition", condition="hypertension",
                                          severity="high",
                                          params={"bands": [{"op": ">", "value": 180, "severity": "high"}]})
    old_diastolic = AlertRule.objects.create(name="Hypertensive crisis (diastolic)", kind="threshold",
                                             metric="diastolic_bp", scope="condition", condition="hypertension",
                                             severity="high",
                                             params={"bands": [{"op": ">", "value": 120, "severity": "high"}]})
    old_average = AlertRule.objects.create(name="Stage 2 hypertension (systolic, 7-day average)", kind="threshold",
                                           metric="systolic_bp", scope="condition", condition="hypertension",
                                           severity="low", params={"bands": [{"op": ">=", "value": 140,
                                                                              "severity": "low"}],
                                                                   "average_days": 7})
    physician = make_user("doc-d", role="physician", team=team)
    override = override_rule(rule=old_crisis, patient=patient, reason="post-stroke target", by=physician,
                             params={"bands": [{"op": ">", "value": 160, "severity": "high"}]})
    install_default_rules(AlertRule)
    old_crisis.refresh_from_db()
    assert (old_crisis.name, old_crisis.scope, old_crisis.condition) == ("Hypertensive crisis", "everyone", "")
    assert [b["metric"] for b in old_crisis.params["bands"]] == ["systolic_bp", "diastolic_bp"]
    assert AlertRule.objects.get(pk=override.pk).overrides_id == old_crisis.pk
    old_average.refresh_from_db()
    assert (old_average.kind, old_average.params["bands"][0]["value"]) == ("average", 135)
    old_diastolic.refresh_from_db()
    assert old_diastolic.name in RETIRED_RULES and not old_diastolic.enabled
    assert AlertRule.objects.filter(name="Hypertensive crisis", patient=None).count() == 1


@pytest.mark.django_db
def test_refreshing_twice_changes_nothing():
    install_default_rules(AlertRule)
    before = list(AlertRule.objects.order_by("id").values())
    install_default_rules(AlertRule)
    assert list(AlertRule.objects.order_by("id").values()) == [
        {**row, "updated_at": after["updated_at"]} for row, after in
        zip(before, AlertRule.objects.order_by("id").values(), strict=True)]
