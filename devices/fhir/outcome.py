"""FHIR errors: every error under /fhir/ is an OperationOutcome whose issues name the element or parameter
at fault (`expression`), with the HTTP status that says what kind of error it is."""

from __future__ import annotations

from dataclasses import dataclass

# FHIR R4 IssueType codes (hl7.org/fhir/R4/valueset-issue-type.html) for the statuses we answer
CODE_FOR_STATUS = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
                   406: "not-supported", 409: "conflict", 413: "too-costly", 415: "not-supported",
                   422: "processing", 429: "throttled", 500: "exception"}


@dataclass(frozen=True, slots=True)
class Issue:
    message: str
    expression: str | None = None
    code: str | None = None
    severity: str = "error"

    def as_dict(self, status: int) -> dict:
        out: dict = {"severity": self.severity, "code": self.code or CODE_FOR_STATUS.get(status, "processing"),
                     "diagnostics": self.message}
        if self.expression:
            out["expression"] = [self.expression]
        return out


class FhirError(Exception):
    """A request the FHIR API refuses, answered as an OperationOutcome with this status."""

    def __init__(self, status: int, issues: list[Issue] | str, expression: str | None = None):
        self.status = status
        self.issues = [Issue(issues, expression)] if isinstance(issues, str) else issues
        super().__init__("; ".join(issue.message for issue in self.issues))


def operation_outcome(issues: list[Issue], status: int) -> dict:
    return {"resourceType": "OperationOutcome", "issue": [issue.as_dict(status) for issue in issues]}


def information(message: str) -> dict:
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": "information", "code": "informational", "diagnostics": message}]}
