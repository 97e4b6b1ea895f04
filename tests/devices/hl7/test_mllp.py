"""HL7 v2 over MLLP, against the real listener process (`manage.py mllp_listener`) on the test database: ORU^R01
messages over a TCP socket, answered AA, AE or AR with ERR naming the segment and field; nothing half stored."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import sys

import pytest
import websockets
from django.conf import settings
from django.test import Client

from devices.models import Device, Reading
from tests.builders import make_device, make_patient, make_team, make_user
from tests.conftest import free_port, server_env, wait_for_port
from tests.processes import Process

pytestmark = pytest.mark.django_db(transaction=True)
# ../shared/clinical/hl7v2-oru-example.txt, segment by segment (copied so the suite does not need shared/)
EXAMPLE = [
    'MSH|^~\\&|GATEWAY^0011223344556677^EUI-64|HOMECARE|RPM|CLINIC|20261122101500+0000||ORU^R01^ORU_R01|MSG000123|'
    'P|2.6|||NE|AL||UNICODE UTF-8|||IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO',
    'PID|||MRN-000042^^^CLINIC^MR||Testperson^Alex^^^^^L|||U',
    'PV1||R',
    'OBR|1|MSG000123^GATEWAY|MSG000123^GATEWAY|182777000^monitoring of patient^SNOMED-CT|||20261122101400+0000|'
    '20261122101500+0000',
    'OBX|1||528391^MDC_DEV_SPEC_PROFILE_BP^MDC|1|||||||X|||20261122101400+0000||||SERIAL-BP-0001^EUI-64',
    'OBX|2||150020^MDC_PRESS_BLD_NONINV^MDC|1.0.1|||||||X|||20261122101400+0000',
    'OBX|3|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|1.0.1.1|142|266016^MDC_DIM_MMHG^MDC|||||R|||20261122101400+0000',
    'OBX|4|NM|150022^MDC_PRESS_BLD_NONINV_DIA^MDC|1.0.1.2|91|266016^MDC_DIM_MMHG^MDC|||||R|||20261122101400+0000',
    'OBX|5|NM|149546^MDC_PULS_RATE_NON_INV^MDC|1.0.0.1|77|264864^MDC_DIM_BEAT_PER_MIN^MDC|||||R|||20261122101400+0000',
]
START, END = b"\x0b", b"\x1c\x0d"


@pytest.fixture(scope="session")
def mllp_port(django_db_setup, django_db_blocker):
    """The real listener process on a free port, serving the test database."""
    port = free_port()
    with django_db_blocker.unblock():
        env = server_env()
    listener = Process([sys.executable, "manage.py", "mllp_listener", "--port", str(port)], env=env,
                       log_name=f"test-mllp-{port}.log")
    try:
        wait_for_port(port)
        yield port
    finally:
        listener.stop()


def hl7_time(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S+0000")


def oru(*, serial: str, mrn: str, at: dt.datetime, control_id: str = "MSG000123", systolic="142",
        unit="266016^MDC_DIM_MMHG^MDC", message_type="ORU^R01^ORU_R01", extra: str = "") -> bytes:
    """The shared example message (hl7v2-oru-example.txt) for our device, patient and time."""
    when = hl7_time(at)
    out = []
    for segment in EXAMPLE:
        segment = (segment.replace("SERIAL-BP-0001", serial).replace("MRN-000042", mrn)
                   .replace("20261122101400+0000", when).replace("20261122101500+0000", when)
                   .replace("MSG000123", control_id).replace("ORU^R01^ORU_R01", message_type))
        if segment.startswith("OBX|3|"):
            segment = segment.replace("|142|266016^MDC_DIM_MMHG^MDC|", f"|{systolic}|{unit}|")
        out.append(segment)
    return ("\r".join(out) + "\r" + extra).encode()


def send(port: int, *messages: bytes, frame: bool = True) -> list[str]:
    """Send each message on one connection, in MLLP framing, and read each ACK."""
    answers = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        for message in messages:
            sock.sendall(START + message + END if frame else message + END)
            buffer = b""
            while not buffer.endswith(END):
                chunk = sock.recv(65536)
                assert chunk, "the listener closed the connection"
                buffer += chunk
            assert buffer.startswith(START)
            answers.append(buffer[1:-2].decode())
    return answers


def ack_code(ack: str) -> str:
    msa = next(s for s in ack.split("\r") if s.startswith("MSA|"))
    return msa.split("|")[1]


def err_locations(ack: str) -> list[str]:
    return [s.split("|")[2] for s in ack.split("\r") if s.startswith("ERR|")]


@pytest.fixture
def cuff(team):
    patient = make_patient(team, mrn="MRN-HL7-1")
    device, _ = make_device("blood_pressure_monitor", patient=patient)
    return patient, device


def test_the_example_message_gets_aa_and_its_readings_are_stored(mllp_port, cuff, now):
    patient, device = cuff
    (ack,) = send(mllp_port, oru(serial=device.serial, mrn=patient.mrn, at=now))
    assert ack_code(ack) == "AA" and "MSA|AA|MSG000123" in ack
    stored = sorted(Reading.objects.filter(patient=patient).values_list("metric", "value", "unit", "source",
                                                                        "device_id"))
    assert stored == [("diastolic_bp", 91, "mm[Hg]", "hl7v2", device.id), ("heart_rate", 77, "/min", "hl7v2",
                                                                            device.id),
                      ("systolic_bp", 142, "mm[Hg]", "hl7v2", device.id)]
    assert {r.measured_at for r in Reading.objects.all()} == {now}


def test_the_same_message_twice_stores_one_reading_each_and_both_get_aa(mllp_port, cuff, now):
    patient, device = cuff
    message = oru(serial=device.serial, mrn=patient.mrn, at=now)
    assert [ack_code(a) for a in send(mllp_port, message, message)] == ["AA", "AA"]
    assert Reading.objects.count() == 3


def test_a_value_ingest_refuses_gets_ae_naming_obx_5_and_nothing_is_stored(mllp_port, cuff, now):
    patient, device = cuff
    (ack,) = send(mllp_port, oru(serial=device.serial, mrn=patient.mrn, at=now, systolic="900"))
    assert ack_code(ack) == "AE"
    assert err_locations(ack) == ["OBX^3^5"]
    assert "not a possible systolic blood pressure" in ack
    assert not Reading.objects.exists()  # the diastolic and pulse of the same message are not half stored


def test_an_unknown_unit_gets_ae_naming_obx_6(mllp_port, cuff, now):
    patient, device = cuff
    (ack,) = send(mllp_port, oru(serial=device.serial, mrn=patient.mrn, at=now, unit="999999^MDC_DIM_X^MDC"))
    assert (ack_code(ack), err_locations(ack)) == ("AE", ["OBX^3^6"])
    assert not Reading.objects.exists()


def test_an_unknown_device_gets_ae_naming_obx_18(mllp_port, cuff, now):
    patient, _ = cuff
    (ack,) = send(mllp_port, oru(serial="SN-NOBODY", mrn=patient.mrn, at=now))
    assert (ack_code(ack), err_locations(ack)) == ("AE", ["OBX^1^18"])


def test_a_message_for_another_patient_than_the_devices_gets_ae_naming_pid_3(mllp_port, cuff, now):
    _, device = cuff
    (ack,) = send(mllp_port, oru(serial=device.serial, mrn="MRN-SOMEONE-ELSE", at=now))
    assert (ack_code(ack), err_locations(ack)) == ("AE", ["PID^1^3"])
    assert not Reading.objects.exists()


def test_another_message_type_gets_ar_naming_msh_9(mllp_port, cuff, now):
    patient, device = cuff
    (ack,) = send(mllp_port, oru(serial=device.serial, mrn=patient.mrn, at=now, message_type="ADT^A01^ADT_A01"))
    assert (ack_code(ack), err_locations(ack)) == ("AR", ["MSH^1^9"])


def test_garbage_gets_ar_and_the_connection_stays_usable(mllp_port, cuff, now):
    patient, device = cuff
    garbage, good = send(mllp_port, b"hello, this is not HL7", oru(serial=device.serial, mrn=patient.mrn, at=now))
    assert ack_code(garbage) == "AR" and ack_code(good) == "AA"


def test_an_unframed_message_gets_ar(mllp_port, cuff, now):
    patient, device = cuff
    (ack,) = send(mllp_port, oru(serial=device.serial, mrn=patient.mrn, at=now), frame=False)
    assert ack_code(ack) == "AR" and not Reading.objects.exists()


def test_battery_and_firmware_obx_are_stored_on_the_device(mllp_port, cuff, now):
    patient, device = cuff
    extra = (f"OBX|6|NM|67996^MDC_ATTR_VAL_BATT_CHARGE^MDC|1.0.0.9|17|262688^MDC_DIM_PERCENT^MDC|||||R|||"
             f"{hl7_time(now)}\rOBX|7|ST|531976^MDC_ID_PROD_SPEC_FW^MDC|1.0.0.10|5.0.1||||||R|||{hl7_time(now)}\r")
    (ack,) = send(mllp_port, oru(serial=device.serial, mrn=patient.mrn, at=now, extra=extra))
    assert ack_code(ack) == "AA"
    device = Device.objects.get(pk=device.pk)
    assert (device.battery_level, device.firmware) == (17, "5.0.1")


def test_a_reading_over_mllp_appears_on_a_nurses_live_dashboard(mllp_port, live_server_url, now):
    team = make_team("Ward HL7")
    nurse = make_user("nurse-hl7", team=team)
    patient = make_patient(team, mrn="MRN-HL7-LIVE")
    device, _ = make_device("blood_pressure_monitor", patient=patient)
    client = Client()
    client.force_login(nurse)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    ws_url = live_server_url.replace("http://", "ws://") + "/ws/dashboard/"

    async def scenario() -> tuple[str, list[dict]]:
        async with websockets.connect(ws_url, origin=live_server_url, additional_headers={"Cookie": cookie}) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"
            (ack,) = await asyncio.to_thread(send, mllp_port, oru(serial=device.serial, mrn=patient.mrn, at=now))
            events: list[dict] = []
            while len({e["metric"] for e in events}) < 3:
                frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
                events += [e for e in (frame["events"] if frame["type"] == "batch" else [frame])
                           if e["type"] == "reading"]
            return ack, events

    ack, events = asyncio.run(scenario())
    assert ack_code(ack) == "AA"
    assert {(e["patient"], e["metric"], e["value"]) for e in events} == {
        (patient.id, "systolic_bp", 142.0), (patient.id, "diastolic_bp", 91.0), (patient.id, "heart_rate", 77.0)}
