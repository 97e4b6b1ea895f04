"""The FHIR R4 API under /fhir/: read and search Patient, Observation and Device for staff (the API's own
authentication, scoped by patients_visible_to(), audited), create Observations and post transaction or batch
Bundles for devices (`Authorization: Device <token>`). Answers are `application/fhir+json`; every error is an
OperationOutcome naming what is wrong."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from urllib.parse import urlencode

import orjson
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from devices.admission import Refused, admit, token_from_header
from devices.fhir import capability, ingest, mapping, observations, search, selectors
from devices.fhir.outcome import FhirError, Issue, information, operation_outcome
from rpm import audit
from rpm.api_errors import STATUS
from rpm.errors import DomainError
from rpm.models import AuditEvent
from rpm.roles import IsClinician

log = logging.getLogger(__name__)
FHIR_JSON = "application/fhir+json"


class FhirRenderer(BaseRenderer):
    media_type = FHIR_JSON
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return orjson.dumps(data)


class FhirNegotiation(BaseContentNegotiation):
    """Always FHIR JSON; a client that will take only XML is told so (406)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        wanted = (request.query_params.get("_format") or request.headers.get("Accept") or "").lower()
        if "xml" in wanted and "json" not in wanted and "*/*" not in wanted:
            raise exceptions.NotAcceptable("this server answers application/fhir+json only")
        return renderers[0], FHIR_JSON


def _status_and_issues(exc: Exception, request) -> tuple[int, list[Issue]]:
    if isinstance(exc, FhirError):
        return exc.status, exc.issues
    if isinstance(exc, Refused):
        return exc.status, [Issue(exc.message, exc.field)]
    if isinstance(exc, DomainError):
        status = next((code for cls, code in STATUS if isinstance(exc, cls)), 400)
        return status, [Issue(message, field) for field, message in exc.errors.items()]
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        return 401, [Issue(str(exc.detail))]
    if isinstance(exc, (exceptions.PermissionDenied, DjangoPermissionDenied)):
        return 403, [Issue(str(getattr(exc, "detail", exc)) or "not allowed")]
    if isinstance(exc, (Http404, exceptions.NotFound)):
        return 404, [Issue(str(getattr(exc, "detail", "")) or "not found")]
    if isinstance(exc, exceptions.APIException):
        return exc.status_code, [Issue(str(exc.detail))]
    log.exception("FHIR request failed: %s %s", request.method, request.path)
    return 500, [Issue("server error; it has been logged")]


class FhirView(APIView):
    schema = None  # described by its CapabilityStatement (/fhir/metadata), not the staff API's OpenAPI schema
    renderer_classes = [FhirRenderer]
    content_negotiation_class = FhirNegotiation
    parser_classes: list = []
    permission_classes = [IsClinician]

    def handle_exception(self, exc: Exception) -> Response:
        status, issues = _status_and_issues(exc, self.request)
        response = Response(operation_outcome(issues, status), status=status)
        if status == 401:
            header = self.get_authenticate_header(self.request)
            if header:
                response["WWW-Authenticate"] = header
        return response

    def base(self) -> str:
        return self.request.build_absolute_uri("/fhir").rstrip("/")

    def searchset(self, resources: list[dict], next_params: dict | None) -> dict:
        base = self.base()
        links = [{"relation": "self", "url": self.request.build_absolute_uri()}]
        if next_params is not None:
            path = self.request.build_absolute_uri(self.request.path)
            links.append({"relation": "next", "url": f"{path}?{urlencode(next_params, doseq=True)}"})
        return {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "searchset",
                "timestamp": mapping.instant(dt.datetime.now(dt.UTC)), "link": links,
                "entry": [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r,
                           "search": {"mode": "match"}} for r in resources]}

    def params(self, allowed: set[str]) -> dict[str, list[str]]:
        query = self.request.query_params
        search.check_known(query.keys(), allowed)
        return {key: query.getlist(key) for key in query}

    def next_params(self, cursor_value: str) -> dict:
        query = {key: self.request.query_params.getlist(key) for key in self.request.query_params}
        query["_cursor"] = [cursor_value]
        return query

    def audit(self, verb: str, patient_ids, target=None, **detail) -> None:
        audit.record_many(actor=self.request.user, action=AuditEvent.Action.VIEW, verb=verb,
                          patient_ids=set(patient_ids) or {None}, target=target,
                          detail={"query": self.request.query_params.urlencode(), **detail})


def _ids(resource_id: str) -> list[int]:
    """A numeric id as a one-item list; any other id finds nothing."""
    return [int(resource_id)] if resource_id.isdigit() and len(resource_id) < 19 else []


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise FhirError(400, f"give {name} once (comma-separate values to match any of them)", name)
    return values[0]


class Metadata(FhirView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response(capability.capability_statement(base=self.base(),
                                                        date=dt.date.today().isoformat()))


class PatientRead(FhirView):
    def get(self, request: Request, resource_id: str) -> Response:
        patients, _ = selectors.patients_page(request.user, ids=_ids(resource_id), after_id=None, count=1)
        if not patients:
            raise FhirError(404, f"no Patient/{resource_id} that you may see")
        self.audit("fhir.patient.read", [patients[0].pk])
        return Response(mapping.patient_resource(patients[0], mrn_system=settings.FHIR_MRN_SYSTEM))


class PatientSearch(FhirView):
    def get(self, request: Request) -> Response:
        params = self.params({"identifier", "name", "name:contains", "name:exact", "_id"})
        mrns = None
        if (identifier := _one(params, "identifier")) is not None:
            mrns = search.token_codes(identifier, name="identifier", system=settings.FHIR_MRN_SYSTEM)
        ids = search.reference_id(_one(params, "_id"), resource_type="Patient", name="_id") if "_id" in params \
            else None
        name_param = next((key for key in ("name", "name:contains", "name:exact") if key in params), None)
        after = _one(params, "_cursor")
        if after is not None and not after.isdigit():
            raise FhirError(400, "_cursor is not one this server gave; follow the Bundle's next link", "_cursor")
        patients, next_after = selectors.patients_page(
            request.user, ids=ids, mrns=mrns, name=_one(params, name_param) if name_param else None,
            name_mode=name_param.partition(":")[2] if name_param else "", after_id=int(after) if after else None,
            count=search.count(_one(params, "_count")))
        self.audit("fhir.patient.search", [p.pk for p in patients], count=len(patients))
        return Response(self.searchset(
            [mapping.patient_resource(p, mrn_system=settings.FHIR_MRN_SYSTEM) for p in patients],
            self.next_params(str(next_after)) if next_after else None))


class ObservationRead(FhirView):
    def get(self, request: Request, resource_id: str) -> Response:
        entry = observations.entry(observation_id=resource_id,
                                   patient_ids=selectors.visible_patient_ids(request.user))
        if entry is None:
            raise FhirError(404, f"no Observation/{resource_id} that you may see")
        self.audit("fhir.observation.read", [entry.anchor.patient_id], observation=resource_id)
        return Response(mapping.observation(entry))


class ObservationType(FhirView):
    """GET: search (staff). POST: create (a device)."""

    def _device_posts(self) -> bool:
        return getattr(self.request, "method", None) == "POST"

    def get_authenticators(self):
        return [] if self._device_posts() else super().get_authenticators()

    def get_permissions(self):
        return [AllowAny()] if self._device_posts() else super().get_permissions()

    def get(self, request: Request) -> Response:
        params = self.params({"patient", "subject", "code", "category", "date", "_sort"})
        visible = selectors.visible_patient_ids(request.user)
        patient_ids = visible
        for name in ("patient", "subject"):
            if (value := _one(params, name)) is not None:
                asked = set(search.reference_id(value, resource_type="Patient", name=name))
                patient_ids = [pid for pid in patient_ids if pid in asked]
        sort = _one(params, "_sort") or "-date"
        if sort not in ("date", "-date"):
            raise FhirError(400, "_sort must be date or -date", "_sort")
        start, end = search.date_range(params.get("date", []))
        selection = search.observation_selection(code=_one(params, "code"), category=_one(params, "category"))
        entries, next_cursor = observations.page(
            patient_ids=patient_ids, selection=selection, start=start, end=end,
            after=search.cursor(_one(params, "_cursor")), newest_first=sort == "-date",
            count=search.count(_one(params, "_count")))
        self.audit("fhir.observation.search", [e.anchor.patient_id for e in entries], count=len(entries))
        return Response(self.searchset([mapping.observation(e) for e in entries],
                                       self.next_params(search.cursor_text(next_cursor)) if next_cursor else None))

    def post(self, request: Request) -> Response:
        sender = ingest.Sender.of(admit(token_from_header(request.headers.get("Authorization", ""))))
        resource = _body(request)
        if not isinstance(resource, dict) or resource.get("resourceType") != "Observation":
            raise FhirError(400, "POST an Observation here (a Bundle goes to the server's base URL)",
                            "Observation.resourceType")
        parsed = ingest.parse_observation(resource, sender=sender)
        (result,) = ingest.store(sender=sender, parsed=[parsed], atomic=True, now=dt.datetime.now(dt.UTC))
        if result.entry is None:  # telemetry only
            return Response(information("telemetry recorded"), status=200)
        response = Response(mapping.observation(result.entry), status=201 if result.status.startswith("201") else 200)
        response["Location"] = f"{self.base()}/{result.location}"
        return response


def _body(request: Request) -> object:
    content_type = request.content_type.split(";")[0].strip()
    if content_type not in (FHIR_JSON, "application/json"):
        raise FhirError(415, "send application/fhir+json", "Content-Type")
    if len(request.body) > settings.INGEST_MAX_BODY_BYTES:
        raise FhirError(413, f"body larger than {settings.INGEST_MAX_BODY_BYTES} bytes; send smaller Bundles")
    try:
        return orjson.loads(request.body)
    except orjson.JSONDecodeError as exc:
        raise FhirError(400, f"body is not valid JSON: {exc}") from None


class System(FhirView):
    """POST a transaction or batch Bundle (a device)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        sender = ingest.Sender.of(admit(token_from_header(request.headers.get("Authorization", ""))))
        kind, parsed = ingest.parse_bundle(_body(request), sender=sender)
        errors = [p for p in parsed if isinstance(p, FhirError)]
        now = dt.datetime.now(dt.UTC)
        if kind == "transaction":
            if errors:  # all or nothing: every refused element named, nothing stored
                raise FhirError(400 if any(e.status == 400 for e in errors) else 422,
                                [issue for e in errors for issue in e.issues])
            results = ingest.store(sender=sender, parsed=parsed, atomic=True, now=now)
        else:
            good = [p for p in parsed if not isinstance(p, FhirError)]
            stored = iter(ingest.store(sender=sender, parsed=good, atomic=False, now=now) if good else [])
            results = [ingest.EntryResult(f"{p.status} {_REASONS.get(p.status, 'Error')}", issues=p.issues)
                       if isinstance(p, FhirError) else next(stored) for p in parsed]
        return Response({"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": f"{kind}-response",
                         "entry": [_response_entry(r) for r in results]})


_REASONS = {400: "Bad Request", 413: "Payload Too Large", 422: "Unprocessable Entity"}


def _response_entry(result: ingest.EntryResult) -> dict:
    response: dict = {"status": result.status}
    if result.location:
        response["location"] = result.location
    if result.issues:
        response["outcome"] = operation_outcome(result.issues, int(result.status.split()[0]))
    return {"response": response}


class DeviceRead(FhirView):
    def get(self, request: Request, resource_id: str) -> Response:
        devices, _ = selectors.devices_page(request.user, patient_ids=None, ids=_ids(resource_id), after_id=None,
                                            count=1)
        if not devices:
            raise FhirError(404, f"no Device/{resource_id} that you may see")
        current = selectors.current_patients(device_ids=[devices[0].pk],
                                             visible=selectors.visible_patient_ids(request.user))
        self.audit("fhir.device.read", list(current.values()), target=devices[0])
        return Response(mapping.device_resource(devices[0], patient_id=current.get(devices[0].pk)))


class DeviceSearch(FhirView):
    def get(self, request: Request) -> Response:
        params = self.params({"patient", "_id"})
        visible = selectors.visible_patient_ids(request.user)
        patient_ids = None
        if (value := _one(params, "patient")) is not None:
            patient_ids = [pid for pid in search.reference_id(value, resource_type="Patient", name="patient")
                           if pid in visible]
        ids = search.reference_id(_one(params, "_id"), resource_type="Device", name="_id") if "_id" in params \
            else None
        after = _one(params, "_cursor")
        if after is not None and not after.isdigit():
            raise FhirError(400, "_cursor is not one this server gave; follow the Bundle's next link", "_cursor")
        devices, next_after = selectors.devices_page(request.user, patient_ids=patient_ids, ids=ids,
                                                     after_id=int(after) if after else None,
                                                     count=search.count(_one(params, "_count")))
        current = selectors.current_patients(device_ids=[d.pk for d in devices], visible=visible)
        self.audit("fhir.device.search", current.values(), count=len(devices))
        return Response(self.searchset([mapping.device_resource(d, patient_id=current.get(d.pk)) for d in devices],
                                       self.next_params(str(next_after)) if next_after else None))


class Unknown(FhirView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request: Request, *args, **kwargs) -> Response:
        raise FhirError(404, "this server has Patient, Observation and Device (see /fhir/metadata)")

    post = put = patch = delete = get
