"""Forms of the admin device pages."""

from __future__ import annotations

from django import forms

from devices.csv_import import MAX_BYTES
from devices.models import Device
from devices.selectors import enrolment_patient
from rpm.metrics import DEVICE_KINDS

KIND_CHOICES = [(k, k.replace("_", " ")) for k in DEVICE_KINDS]


class InventoryFilterForm(forms.Form):
    q = forms.CharField(label="Serial or patient", required=False, max_length=100)
    status = forms.ChoiceField(choices=[("", "any status"), *Device.Status.choices], required=False)
    kind = forms.ChoiceField(choices=[("", "any kind"), *KIND_CHOICES], required=False)
    offline_hours = forms.FloatField(label="Offline for more than (hours)", required=False, min_value=0)
    low_battery = forms.BooleanField(label="Low battery", required=False)


class RegisterDeviceForm(forms.Form):
    serial = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=KIND_CHOICES)
    manufacturer = forms.CharField(max_length=100, required=False)
    model = forms.CharField(max_length=100, required=False)
    firmware = forms.CharField(max_length=50, required=False)

    def clean_serial(self) -> str:
        serial = self.cleaned_data["serial"].strip()
        if Device.objects.filter(serial=serial).exists():
            raise forms.ValidationError(f"A device with serial {serial} is already registered.")
        return serial


class EnrolForm(forms.Form):
    patient_mrn = forms.CharField(label="Patient MRN", max_length=40)

    def clean_patient_mrn(self):
        mrn = self.cleaned_data["patient_mrn"].strip()
        patient = enrolment_patient(mrn=mrn)
        if patient is None:
            raise forms.ValidationError(f"No active patient has MRN {mrn}.")
        self.cleaned_data["patient"] = patient
        return mrn


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="Columns: serial, kind, manufacturer, model, patient_mrn "
                                                       "(optional). UTF-8, first line a header.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it.")
        return upload


class RetireForm(forms.Form):
    confirm = forms.BooleanField(label="I understand a retired device can never send readings again", required=True)
