"""Every API error in the one body shape of rpm.errors, and that shape in the OpenAPI schema.

`exception_handler` (settings REST_FRAMEWORK["EXCEPTION_HANDLER"]) answers domain errors raised by services,
Django's ValidationError, PermissionDenied and Http404, and DRF's own (validation, 401, 403, 404, 405, 415,
429). `not_found` and `server_error` do the same for /api/ URLs that reach no view or fail outside DRF.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from drf_spectacular import openapi
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from rpm.errors import DomainError, InvalidInput, NotAllowed, NotFound, WrongState, error_body

STATUS = ((InvalidInput, 400), (NotAllowed, 403), (NotFound, 404), (WrongState, 409))
NON_FIELD_KEYS = {api_settings.NON_FIELD_ERRORS_KEY, "__all__"}


def _join(prefix: str | None, key: str | None) -> str | None:
    if prefix is None or key is None:
        return prefix if key is None else key
    return f"{prefix}.{key}"


def _flatten(detail: Any, field: str | None = None) -> list[tuple[str | None, str]]:
    """DRF's nested error detail as (field, message) pairs; nested inputs get dotted names (`readings.3.value`)."""
    if isinstance(detail, dict):
        pairs = []
        for key, value in detail.items():
            pairs += _flatten(value, _join(field, None if key in NON_FIELD_KEYS else str(key)))
        return pairs
    if isinstance(detail, list):
        if not any(isinstance(item, (dict, list)) for item in detail):
            return [(field, str(item)) for item in detail]
        pairs = []
        for index, item in enumerate(detail):  # a list of objects: valid ones have empty errors
            pairs += _flatten(item, _join(field, str(index))) if item else []
        return pairs
    return [(field, str(detail))]


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        set_rollback()
        status = next((code for cls, code in STATUS if isinstance(exc, cls)), 400)
        return Response(error_body(exc.errors.items()), status=status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(serializers.as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)  # status and headers (WWW-Authenticate, Retry-After)
    if response is not None:
        response.data = error_body(_flatten(exc.detail))
    return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body([(None, "no such API endpoint")]), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body([(None, "server error; it has been logged")]), status=500)
    return defaults.server_error(request)


class ErrorItemSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="the input at fault, dotted when nested "
                                                             "(`readings.3.value`); null when not about one input")
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """The body of every API error."""

    errors = ErrorItemSerializer(many=True)


class AutoSchema(openapi.AutoSchema):
    """Documents the Error body for the errors every operation may answer (400, 403, and 404 on a path with
    an id); an operation declares others (e.g. 409) with extend_schema(responses={409: ErrorSerializer})."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in ("400", "403", *(("404",) if "{" in self.path else ())):
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code, direction=direction)
        return responses
