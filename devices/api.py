"""Staff API for the device fleet (admins only): inventory, register, enrol, unenrol,
credentials, retire, return to inventory, CSV import. Contract in DESIGN.md.

Each action has its own small input serializer; the writes are devices.services.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import BaseParser, FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from devices import csv_import, services
from devices.models import Device
from devices.selectors import (
    active_credential,
    current_patient,
    device_inventory,
    enrolment_patient,
    patients_for_enrolment,
)
from rpm.api_errors import ErrorSerializer
from rpm.errors import InvalidInput
from rpm.metrics import DEVICE_KINDS
from rpm.roles import IsAdminRole


class PatientRefSerializer(serializers.Serializer):
    """A patient as an admin sees one: identifiers only."""

    id = serializers.IntegerField()
    mrn = serializers.CharField()
    name = serializers.CharField()


class DeviceOutSerializer(serializers.ModelSerializer):
    patient = serializers.SerializerMethodField()
    credential = serializers.SerializerMethodField()

    class Meta:
        model = Device
        fields = ["id", "serial", "kind", "manufacturer", "model", "status", "battery_level", "firmware",
                  "signal_strength", "telemetry_at", "last_seen_at", "created_at", "patient", "credential"]

    def get_patient(self, device: Device) -> dict | None:
        patient = current_patient(device)
        return PatientRefSerializer(patient).data if patient else None

    def get_credential(self, device: Device) -> dict | None:
        credential = active_credential(device)
        if credential is None:
            return None
        return {"prefix": credential.prefix, "created_at": credential.created_at,
                "last_used_at": credential.last_used_at}


class DeviceFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Device.Status.choices, required=False)
    kind = serializers.ChoiceField(choices=DEVICE_KINDS, required=False)
    # bounded: a larger window overflowed the date arithmetic (a 500 schemathesis found); ten years is plenty
    offline_hours = serializers.FloatField(required=False, min_value=0, max_value=24 * 366 * 10)
    low_battery = serializers.BooleanField(required=False, default=False)
    search = serializers.CharField(required=False, max_length=100)


class RegisterSerializer(serializers.Serializer):
    serial = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=DEVICE_KINDS)
    manufacturer = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    model = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    firmware = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")

    def validate_serial(self, value: str) -> str:
        value = value.strip()
        if Device.objects.filter(serial=value).exists():
            raise serializers.ValidationError(f"a device with serial {value} is already registered")
        return value


class AssignSerializer(serializers.Serializer):
    patient = serializers.IntegerField()

    def validate_patient(self, value: int):
        patient = enrolment_patient(patient_id=value)
        if patient is None:
            raise serializers.ValidationError(f"no active patient with id {value}")
        return patient


def _device(device_id: int) -> Device:
    return get_object_or_404(Device, pk=device_id)


def _out(device: Device, code: int = status.HTTP_200_OK) -> Response:
    device.refresh_from_db()
    return Response(DeviceOutSerializer(device).data, status=code)


class DevicePageSerializer(serializers.Serializer):
    """GET /devices/ answers a page (LimitOffsetPagination)."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DeviceOutSerializer(many=True)


@extend_schema(methods=["GET"], parameters=[DeviceFilterSerializer], responses=DevicePageSerializer)
@extend_schema(methods=["POST"], request=RegisterSerializer, responses={201: DeviceOutSerializer})
@api_view(["GET", "POST"])
@permission_classes([IsAdminRole])
def device_list(request: Request) -> Response:
    if request.method == "POST":
        data = RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device = services.register_device(**data.validated_data, by=request.user)
        return _out(device, status.HTTP_201_CREATED)
    filters = DeviceFilterSerializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    devices = device_inventory(**filters.validated_data)
    paginator = LimitOffsetPagination()
    page = paginator.paginate_queryset(devices, request)
    return paginator.get_paginated_response(DeviceOutSerializer(page, many=True).data)


@extend_schema(responses=DeviceOutSerializer, operation_id="v1_devices_detail")
@api_view(["GET"])
@permission_classes([IsAdminRole])
def device_detail(request: Request, device_id: int) -> Response:
    return _out(_device(device_id))


@extend_schema(request=AssignSerializer, responses={200: DeviceOutSerializer, 409: ErrorSerializer})
@api_view(["POST"])
@permission_classes([IsAdminRole])
def device_assign(request: Request, device_id: int) -> Response:
    device = _device(device_id)
    data = AssignSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    services.enrol_device(device=device, patient=data.validated_data["patient"], by=request.user)
    return _out(device)


@extend_schema(request=None, responses=DeviceOutSerializer)
@api_view(["POST"])
@permission_classes([IsAdminRole])
def device_unassign(request: Request, device_id: int) -> Response:
    device = _device(device_id)
    services.unenrol_device(device=device, by=request.user)
    return _out(device)


@extend_schema(request=None, responses={200: {"type": "object", "properties": {"token": {"type": "string"}}},
                                        409: ErrorSerializer})
@api_view(["POST"])
@permission_classes([IsAdminRole])
def device_rotate_token(request: Request, device_id: int) -> Response:
    device = _device(device_id)
    token = services.rotate_device_token(device=device, by=request.user)
    # the secret is in this body only: no cache may keep it
    return Response({"token": token}, headers={"Cache-Control": "no-store"})


@extend_schema(request=None, responses=DeviceOutSerializer)
@api_view(["POST"])
@permission_classes([IsAdminRole])
def device_revoke_token(request: Request, device_id: int) -> Response:
    device = _device(device_id)
    services.revoke_device_token(device=device, by=request.user)
    return _out(device)


@extend_schema(request=None, responses=DeviceOutSerializer)
@api_view(["POST"])
@permission_classes([IsAdminRole])
def device_retire(request: Request, device_id: int) -> Response:
    device = _device(device_id)
    services.retire_device(device=device, by=request.user)
    return _out(device)


@extend_schema(request=None, responses={200: DeviceOutSerializer, 409: ErrorSerializer})
@api_view(["POST"])
@permission_classes([IsAdminRole])
def device_return_to_inventory(request: Request, device_id: int) -> Response:
    device = _device(device_id)
    services.return_to_inventory(device=device, by=request.user)
    return _out(device)


class CSVParser(BaseParser):
    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        # one byte over the limit is enough for import_devices to refuse the file without reading it all
        return stream.read(csv_import.MAX_BYTES + 1) if stream is not None else b""


@extend_schema(request={"text/csv": {"type": "string"}, "multipart/form-data": {
    "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}},
    responses={200: OpenApiTypes.OBJECT, 400: ErrorSerializer})
@api_view(["POST"])
@permission_classes([IsAdminRole])
@parser_classes([CSVParser, MultiPartParser, FormParser, JSONParser])
def device_import(request: Request) -> Response:
    """Register devices from CSV sent as the body (text/csv) or as the multipart field `file`."""
    if isinstance(request.data, bytes):
        data = request.data
    elif "file" in request.FILES:
        data = request.FILES["file"].read(csv_import.MAX_BYTES + 1)
    else:
        raise InvalidInput("send the CSV as a text/csv body or as the multipart field 'file'", "file")
    report = csv_import.import_devices(data=data, by=request.user)
    if report.file_error:
        raise InvalidInput(report.file_error, "file")
    return Response(report.as_dict(), status=status.HTTP_200_OK)


class EnrolmentPatientSerializer(serializers.Serializer):
    search = serializers.CharField(required=False, max_length=100)


@extend_schema(parameters=[EnrolmentPatientSerializer], responses=PatientRefSerializer(many=True))
@api_view(["GET"])
@permission_classes([IsAdminRole])
def enrolment_patients(request: Request) -> Response:
    """Active patients a device may be enrolled to: id, MRN and name only."""
    query = EnrolmentPatientSerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    patients = patients_for_enrolment(search=query.validated_data.get("search"))
    return Response(PatientRefSerializer(patients, many=True).data)
