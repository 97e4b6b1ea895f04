"""POST /api/v1/readings/ in the OpenAPI schema. The path is answered by devices.device_asgi (and, through Django,
by devices.device_api.post_readings), neither of them DRF: this view routes to post_readings untouched and
carries the description drf-spectacular reads."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from devices.device_api import post_readings


class ReadingIn(serializers.Serializer):
    id = serializers.CharField(max_length=200, help_text="the device's message id: a retry with the same id is "
                                                          "stored once")
    metric = serializers.CharField(help_text="a metric code, e.g. heart_rate")
    value = serializers.FloatField()
    unit = serializers.CharField(help_text="UCUM code or a common alias (bpm, mmHg, F, lb)")
    measured_at = serializers.DateTimeField(help_text="the device clock, with a time zone")


class ReadingBatchIn(serializers.Serializer):
    readings = ReadingIn(many=True, help_text="up to 5,000 readings")


class ReadingStored(serializers.Serializer):
    status = serializers.ChoiceField(choices=["created", "duplicate"])
    id = serializers.IntegerField(required=False, help_text="the stored reading (created only)")


class BatchItem(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "duplicate", "rejected"])
    id = serializers.IntegerField(required=False)
    errors = serializers.DictField(child=serializers.CharField(), required=False, help_text="by field")


class BatchOutcome(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = BatchItem(many=True)


class ReadingRejected(serializers.Serializer):
    error = serializers.CharField()
    status = serializers.CharField()
    errors = serializers.DictField(child=serializers.CharField(), help_text="why, by field")


class DeviceErrorItem(serializers.Serializer):
    field = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class DeviceRefusal(serializers.Serializer):
    errors = DeviceErrorItem(many=True)
    error = serializers.CharField(help_text="the same message, for devices that read one string")
    field = serializers.CharField(required=False)


def _refusal(why: str) -> OpenApiResponse:
    return OpenApiResponse(DeviceRefusal, description=why)


class DeviceReadingsView(APIView):
    """Routes every request to post_readings (DRF's own request handling is not used)."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return post_readings(request)

    @extend_schema(
        operation_id="device_readings_create",
        summary="A device posts readings",
        description="One reading object, or {\"readings\": [...]} (a batch). Send the device credential as "
                    "`Authorization: Device <token>`. The patient is the one the device is enrolled to.",
        auth=[{"deviceToken": []}],
        request=PolymorphicProxySerializer(component_name="ReadingsPost", serializers=[ReadingIn, ReadingBatchIn],
                                           resource_type_field_name=None),
        responses={
            201: OpenApiResponse(ReadingStored, description="stored"),
            200: OpenApiResponse(PolymorphicProxySerializer(component_name="ReadingsAnswer",
                                                            serializers=[ReadingStored, BatchOutcome],
                                                            resource_type_field_name=None),
                                 description="a duplicate of a stored reading, or a batch's outcome per item"),
            400: OpenApiResponse(PolymorphicProxySerializer(component_name="ReadingsRefused",
                                                            serializers=[ReadingRejected, DeviceRefusal],
                                                            resource_type_field_name=None),
                                 description="the reading, or the body, is refused; nothing was stored"),
            401: _refusal("no, an unknown or a revoked device credential"),
            403: _refusal("a retired device"),
            409: _refusal("a device not enrolled to a patient"),
            413: _refusal("a body or batch too large"),
            429: _refusal("over the device's rate limit"),
            503: _refusal("nothing could be stored just now; send again"),
        },
    )
    def post(self, request):  # described only: dispatch() answers
        raise NotImplementedError
