"""Bulk device import from CSV: good rows in, every bad row reported by line, no row half-imported."""


from devices.csv_import import MAX_BYTES, import_devices
from devices.models import Device, DeviceAssignment
from tests.builders import make_patient

HEADER = "serial,kind,manufacturer,model,patient_mrn\n"


def reasons(report):
    return {e.line: e.reason for e in report.errors}


def test_a_mix_of_good_and_bad_rows_imports_the_good_and_reports_each_bad_one_by_line(admin, team):
    patient = make_patient(team, mrn="MRN-100")
    Device.objects.create(serial="SN-EXISTS", kind="glucometer")
    csv = (HEADER
           + "SN-1,pulse_oximeter,Acme,Ox,\n"           # line 2: good, not enrolled
           + "SN-2,weight_scale,Acme,Sc,MRN-100\n"      # line 3: good, enrolled
           + "SN-3,toaster,Acme,T,\n"                   # line 4: unknown kind
           + "SN-1,glucometer,Acme,G,\n"                # line 5: duplicate in the file
           + "SN-EXISTS,glucometer,Acme,G,\n"           # line 6: duplicate in the database
           + "SN-4,glucometer,Acme,G,MRN-404\n"         # line 7: unknown MRN
           + ",glucometer,Acme,G,\n")                   # line 8: no serial
    report = import_devices(data=csv.encode(), by=admin)

    assert sorted(d.serial for d in report.created) == ["SN-1", "SN-2"]
    got = reasons(report)
    assert sorted(got) == [4, 5, 6, 7, 8]
    assert "unknown kind" in got[4]
    assert "more than once in the file (first on line 2)" in got[5]
    assert "already registered" in got[6]
    assert "MRN-404" in got[7]
    assert "serial is empty" in got[8]
    assert DeviceAssignment.objects.get(device__serial="SN-2").patient == patient


def test_a_row_whose_enrolment_fails_leaves_no_device_behind(admin, team):
    make_patient(team, mrn="MRN-OUT", status="discharged")
    report = import_devices(data=(HEADER + "SN-5,glucometer,Acme,G,MRN-OUT\n").encode(), by=admin)
    assert report.created == [] and 2 in reasons(report)
    assert not Device.objects.filter(serial="SN-5").exists()


def test_a_utf8_bom_from_excel_is_accepted(admin):
    data = "\ufeff".encode() + (HEADER + "SN-BOM,thermometer,Ädler,T1,\n").encode()
    report = import_devices(data=data, by=admin)
    assert report.errors == [] and report.file_error is None
    assert Device.objects.get(serial="SN-BOM").manufacturer == "Ädler"


def test_a_file_that_is_not_utf8_is_refused_whole_with_a_clear_message(admin):
    data = (HEADER + "SN-L1,thermometer,M\xfcller,T1,\n").encode("latin-1")
    report = import_devices(data=data, by=admin)
    assert "not UTF-8" in report.file_error and "line 2" in report.file_error
    assert not Device.objects.exists()


def test_a_missing_header_is_refused_with_the_expected_columns(admin):
    report = import_devices(data=b"SN-1,glucometer,Acme,G\n", by=admin)
    assert "header" in report.file_error and "serial" in report.file_error
    assert not Device.objects.exists()


def test_maker_and_mrn_are_accepted_as_column_names_and_blank_lines_are_skipped(admin, team):
    make_patient(team, mrn="MRN-9")
    report = import_devices(data=b"Serial,Kind,Maker,Model,MRN\n\nSN-9,cgm,Dex,G7,MRN-9\n", by=admin)
    assert report.errors == []
    device = Device.objects.get(serial="SN-9")
    assert (device.manufacturer, device.status) == ("Dex", "active")


def test_a_row_with_too_many_values_is_reported(admin):
    report = import_devices(data=(HEADER + "SN-1,cgm,A,B,,extra\n").encode(), by=admin)
    assert "6 values" in reasons(report)[2]
    assert not Device.objects.exists()


def test_the_import_is_audited_with_its_counts(admin):
    import_devices(data=(HEADER + "SN-1,cgm,A,B,\nSN-2,toaster,A,B,\n").encode(), by=admin)
    event = admin.audit_events.get(verb="device.import")
    assert event.detail == {"created": 1, "rejected": 1}


def test_a_file_over_the_size_limit_is_refused_whole(admin):
    report = import_devices(data=HEADER.encode() + b"x" * MAX_BYTES, by=admin)
    assert "larger than" in report.file_error
    assert not Device.objects.exists()
