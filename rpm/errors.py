"""One error vocabulary. Services raise these; the API answers every error in one body shape
(rpm.api_errors), and pages put the same messages on the form fields they name.

    {"errors": [{"field": "serial", "message": "a device with serial SN-1 is already registered"}]}

`field` names the input at fault (dotted for a nested one, e.g. `readings.3.value`), or is null when the
error is not about one input.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class DomainError(Exception):
    """A request the domain refuses. `errors` maps each input at fault (None: not about one input) to why."""

    def __init__(self, message: str | dict[str | None, str], field: str | None = None):
        self.errors: dict[str | None, str] = dict(message) if isinstance(message, dict) else {field: message}
        super().__init__("; ".join(self.errors.values()))

    @property
    def field(self) -> str | None:
        return next(iter(self.errors))

    @property
    def message(self) -> str:
        return next(iter(self.errors.values()))


class InvalidInput(DomainError):
    """The input is wrong (missing, malformed, out of range, already taken): 400."""


class NotAllowed(DomainError):
    """This user may not do this: 403."""


class NotFound(DomainError):
    """The thing asked for does not exist, or is not visible to this user: 404."""


class WrongState(DomainError):
    """The object is in a state that does not allow this (a retired device, a resolved alert): 409."""


def error_body(errors: Iterable[tuple[str | None, str]]) -> dict[str, Any]:
    """The one error body: `[(field or None, message), ...]` as {"errors": [{"field", "message"}, ...]}."""
    return {"errors": [{"field": field, "message": str(message)} for field, message in errors]}


def add_to_form(form, error: DomainError) -> None:
    """Show a service's refusal on a Django form: on the field it names, else above the form."""
    for field, message in error.errors.items():
        form.add_error(field if field in form.fields else None, message)
