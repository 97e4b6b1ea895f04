"""The FHIR read and search API: Patient, Observation, Device under /fhir/, for staff of the patient's care team
only, audited, every answer valid FHIR."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.test import Client

from rpm.models import AuditEvent
from tests.builders import make_device, make_patient, make_team, make_user
from tests.conftest import signed_in, token_client
from tests.devices.fhir.conftest import fhir_body, outcome_of
from tests.readings import add_readings, every

UTC = dt.UTC
DAY = dt.datetime(2026, 1, 10, tzinfo=UTC)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def history(patient):
    """Three days of hourly heart rate, a blood pressure whose halves are a second apart, a CGM glucose and a
    meter glucose, all on the middle day for those last three."""
    monitor, _ = make_device(patient=patient)
    cgm, _ = make_device("cgm", patient=patient)
    meter, _ = make_device("glucometer", patient=patient)
    add_readings(patient, "heart_rate", [(at, 70 + i % 5) for i, at in enumerate(every(DAY - dt.timedelta(days=1),
                                                                                       HOUR, 72))], device=monitor)
    add_readings(patient, "systolic_bp", [(DAY + dt.timedelta(hours=8), 150)], device=monitor)
    add_readings(patient, "diastolic_bp", [(DAY + dt.timedelta(hours=8, seconds=1), 95)], device=monitor)
    add_readings(patient, "blood_glucose", [(DAY + dt.timedelta(hours=9, minutes=5), 120)], device=cgm)
    add_readings(patient, "blood_glucose", [(DAY + dt.timedelta(hours=9, minutes=6), 130)], device=meter)
    return {"monitor": monitor, "cgm": cgm, "meter": meter}


def get(client: Client, path: str, **params):
    return client.get(path, params, HTTP_ACCEPT="application/fhir+json")


def follow(client: Client, url: str) -> dict:
    parts = urlsplit(url)
    return fhir_body(client.get(f"{parts.path}?{parts.query}"))


def all_pages(client: Client, first: dict) -> list[dict]:
    bundles = [first]
    while (link := next((x["url"] for x in bundles[-1]["link"] if x["relation"] == "next"), None)):
        bundles.append(follow(client, link))
    return bundles


def resources(bundle: dict) -> list[dict]:
    return [entry["resource"] for entry in bundle.get("entry", [])]


def test_metadata_is_a_capability_statement_anyone_may_read(db):
    body = fhir_body(Client().get("/fhir/metadata"))
    assert body["resourceType"] == "CapabilityStatement" and body["fhirVersion"] == "4.0.1"
    assert {r["type"] for r in body["rest"][0]["resource"]} == {"Patient", "Observation", "Device"}


def test_a_patient_is_read_with_the_mrn_as_identifier(physician_client, patient):
    body = fhir_body(get(physician_client, f"/fhir/Patient/{patient.id}"))
    assert body["identifier"][0]["value"] == patient.mrn
    assert (body["name"][0]["family"], body["birthDate"]) == (patient.family_name, "1950-01-01")


@pytest.mark.parametrize("identifier", ["{mrn}", "urn:rpm:mrn|{mrn}", "|{mrn}"])
def test_patients_are_found_by_mrn(physician_client, patient, identifier):
    body = fhir_body(get(physician_client, "/fhir/Patient", identifier=identifier.format(mrn=patient.mrn)))
    assert [r["id"] for r in resources(body)] == [str(patient.id)]


def test_patients_are_found_by_name(physician_client, patient, team):
    make_patient(team, family_name="Otherfake")
    body = fhir_body(get(physician_client, "/fhir/Patient", name=patient.family_name[:6]))
    assert str(patient.id) in [r["id"] for r in resources(body)]
    assert [r["name"][0]["family"] for r in resources(fhir_body(get(physician_client, "/fhir/Patient",
                                                                   **{"name:exact": "Otherfake"})))] == ["Otherfake"]


def test_observations_are_searched_by_patient_code_and_date_with_paging(physician_client, patient, history):
    first = fhir_body(get(physician_client, "/fhir/Observation", patient=f"Patient/{patient.id}",
                          code="http://loinc.org|8867-4", date=["ge2026-01-10", "lt2026-01-11"], _count=10))
    bundles = all_pages(physician_client, first)
    observations = [r for b in bundles for r in resources(b)]
    assert [len(resources(b)) for b in bundles] == [10, 10, 4]
    times = [dt.datetime.fromisoformat(o["effectiveDateTime"]) for o in observations]
    assert times == sorted(times, reverse=True) and len(set(times)) == 24
    assert min(times) == DAY and max(times) == DAY + 23 * HOUR
    assert {o["code"]["coding"][0]["code"] for o in observations} == {"8867-4"}


def test_observations_can_be_listed_oldest_first(physician_client, patient, history):
    body = fhir_body(get(physician_client, "/fhir/Observation", patient=patient.id, code="8867-4", _sort="date",
                         _count=2))
    assert [o["effectiveDateTime"] for o in resources(body)] == ["2026-01-09T00:00:00Z", "2026-01-09T01:00:00Z"]


def test_a_date_of_day_precision_covers_the_whole_day(physician_client, patient, history):
    body = fhir_body(get(physician_client, "/fhir/Observation", patient=patient.id, code="8867-4",
                         date="2026-01-10", _count=100))
    assert len(resources(body)) == 24


def test_blood_pressure_is_one_panel_with_two_components(physician_client, patient, history):
    body = fhir_body(get(physician_client, "/fhir/Observation", patient=patient.id, code="85354-9"))
    (bp,) = resources(body)
    assert bp["code"]["coding"][0] == {"system": "http://loinc.org", "code": "85354-9",
                                       "display": "Blood pressure panel with all children optional"}
    assert [(c["code"]["coding"][0]["code"], c["valueQuantity"]["value"], c["valueQuantity"]["code"])
            for c in bp["component"]] == [("8480-6", 150, "mm[Hg]"), ("8462-4", 95, "mm[Hg]")]
    assert "http://hl7.org/fhir/StructureDefinition/bp" in bp["meta"]["profile"]


def test_an_observation_is_read_by_the_id_a_search_gave(physician_client, patient, history):
    found = resources(fhir_body(get(physician_client, "/fhir/Observation", patient=patient.id,
                                    date="2026-01-10T08", _count=100)))
    for observation in found:
        assert fhir_body(get(physician_client, f"/fhir/Observation/{observation['id']}")) == observation


def test_glucose_is_coded_by_the_device_and_searched_by_that_code(physician_client, patient, history):
    cgm = resources(fhir_body(get(physician_client, "/fhir/Observation", patient=patient.id, code="99504-3")))
    meter = resources(fhir_body(get(physician_client, "/fhir/Observation", patient=patient.id, code="41653-7")))
    assert [o["valueQuantity"]["value"] for o in cgm] == [120]
    assert [o["valueQuantity"]["value"] for o in meter] == [130]
    assert cgm[0]["device"]["reference"] == f"Device/{history['cgm'].id}"


def test_category_narrows_the_search(physician_client, patient, history):
    laboratory = resources(fhir_body(get(physician_client, "/fhir/Observation", patient=patient.id,
                                         category="laboratory")))
    assert sorted(o["valueQuantity"]["value"] for o in laboratory) == [120, 130]


def test_devices_are_read_and_found_by_patient(physician_client, patient, history):
    monitor = history["monitor"]
    body = fhir_body(get(physician_client, f"/fhir/Device/{monitor.id}"))
    assert (body["serialNumber"], body["patient"]["reference"]) == (monitor.serial, f"Patient/{patient.id}")
    found = resources(fhir_body(get(physician_client, "/fhir/Device", patient=f"Patient/{patient.id}")))
    assert sorted(d["serialNumber"] for d in found) == sorted(d.serial for d in history.values())


def test_another_teams_patient_is_not_found_on_any_path(patient, history):
    outsider = signed_in(make_user("physician-z", role="physician", team=make_team("Ward Z")))
    observation_id = resources(fhir_body(get(signed_in(make_user("p2", role="physician", team=patient.care_team)),
                                             "/fhir/Observation", patient=patient.id)))[0]["id"]
    for path in [f"/fhir/Patient/{patient.id}", f"/fhir/Observation/{observation_id}",
                 f"/fhir/Device/{history['monitor'].id}"]:
        response = get(outsider, path)
        assert response.status_code == 404, path
        outcome_of(response)
    for path, params in [("/fhir/Observation", {"patient": patient.id}), ("/fhir/Patient", {"identifier": patient.mrn}),
                         ("/fhir/Device", {"patient": patient.id}), ("/fhir/Observation", {})]:
        assert resources(fhir_body(get(outsider, path, **params))) == [], path


def test_scripts_use_their_api_token(physician, patient, history):
    body = fhir_body(get(token_client(physician), "/fhir/Observation", patient=patient.id, code="85354-9"))
    assert len(resources(body)) == 1


def test_reads_and_searches_are_audited_per_patient(physician_client, physician, patient, history):
    get(physician_client, f"/fhir/Patient/{patient.id}")
    get(physician_client, "/fhir/Observation", patient=patient.id, code="85354-9")
    verbs = list(AuditEvent.objects.filter(actor=physician, patient=patient).values_list("verb", flat=True))
    assert sorted(verbs) == ["fhir.observation.search", "fhir.patient.read"]


@pytest.mark.parametrize("params, named", [
    ({"date": "yesterday"}, "date"), ({"_count": "0"}, "_count"), ({"_count": "5000"}, "_count"),
    ({"colour": "red"}, "colour"), ({"patient": "Device/3"}, "patient"), ({"_sort": "value"}, "_sort"),
    ({"_cursor": "nonsense"}, "_cursor"),
])
def test_a_bad_search_parameter_is_a_400_naming_it(physician_client, patient, params, named):
    response = get(physician_client, "/fhir/Observation", **params)
    assert response.status_code == 400
    assert named in [issue["expression"] for issue in outcome_of(response)]


def test_anonymous_callers_get_401_and_admins_403_as_operation_outcomes(admin_client, patient):
    anonymous = Client().get(f"/fhir/Patient/{patient.id}")
    assert anonymous.status_code in (401, 403) and outcome_of(anonymous)
    forbidden = admin_client.get(f"/fhir/Patient/{patient.id}")
    assert forbidden.status_code == 403 and outcome_of(forbidden)


def test_an_unknown_resource_type_is_a_404_operation_outcome(physician_client):
    response = physician_client.get("/fhir/MedicationRequest")
    assert response.status_code == 404 and outcome_of(response)


def test_a_client_that_wants_xml_is_told_406(physician_client, patient):
    response = physician_client.get(f"/fhir/Patient/{patient.id}", HTTP_ACCEPT="application/fhir+xml")
    assert response.status_code == 406 and outcome_of(response)
