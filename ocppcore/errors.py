"""OCPP-J errors (OCPP-J 1.6 section 4.2.3, table 7). An error carries its own wire code.

Each class is named after its wire code, except `NotImplemented`, which would shadow a Python
built-in and is spelled `ActionNotImplemented` here. Spellings follow OCPP 1.6 on purpose
(`OccurenceConstraintViolation`).

These are the peer's mistakes: they become a CALLERROR and the connection lives on. Our own bugs
are ordinary exceptions; the transport logs them and answers `InternalError`.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import msgspec


class OcppError(Exception):
    """An error that is answered with a CALLERROR carrying `code`."""

    code: ClassVar[str] = "GenericError"

    def __init__(self, description: str = "", details: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.details = details or {}


class ActionNotImplemented(OcppError):
    """The action is not an OCPP 1.6J action."""

    code = "NotImplemented"


class NotSupported(OcppError):
    """The action is known but this central system does not handle it."""

    code = "NotSupported"


class InternalError(OcppError):
    """The central system failed while handling the action."""

    code = "InternalError"


class ProtocolError(OcppError):
    """The payload is incomplete."""

    code = "ProtocolError"


class SecurityError(OcppError):
    """The payload is refused for security reasons (e.g. the charger is not accepted)."""

    code = "SecurityError"


class FormationViolation(OcppError):
    """The frame or payload does not conform to the PDU structure."""

    code = "FormationViolation"


class PropertyConstraintViolation(OcppError):
    """A field's value is out of range, too long or not in its enumeration."""

    code = "PropertyConstraintViolation"


class OccurenceConstraintViolation(OcppError):
    """A required field is missing (or a field occurs too often)."""

    code = "OccurenceConstraintViolation"


class TypeConstraintViolation(OcppError):
    """A field has the wrong data type."""

    code = "TypeConstraintViolation"


class GenericError(OcppError):
    code = "GenericError"


ERROR_CODES: dict[str, type[OcppError]] = {
    cls.code: cls
    for cls in (
        ActionNotImplemented,
        NotSupported,
        InternalError,
        ProtocolError,
        SecurityError,
        FormationViolation,
        PropertyConstraintViolation,
        OccurenceConstraintViolation,
        TypeConstraintViolation,
        GenericError,
    )
}

# msgspec reports validation failures as text. This table maps its phrasing to OCPP codes, in
# order; tests/ocppcore/test_errors.py pins every row so a change in msgspec's wording shows up.
_RULES: tuple[tuple[re.Pattern[str], type[OcppError]], ...] = (
    (re.compile(r"^Object missing required field"), OccurenceConstraintViolation),
    (re.compile(r"^Expected `object`, got `\w+`$"), FormationViolation),  # payload is no object
    (re.compile(r"^Expected `[\w |]+`, got `\w+`"), TypeConstraintViolation),
    (re.compile(r"^Invalid RFC3339 encoded datetime"), TypeConstraintViolation),
    (re.compile(r"^Invalid enum value"), PropertyConstraintViolation),
    (re.compile(r"^Expected `\w+` (of length )?[<>]=?"), PropertyConstraintViolation),
)


def error_for(exc: msgspec.ValidationError) -> OcppError:
    """The OcppError that answers a payload which failed to validate."""
    message = str(exc)
    for pattern, cls in _RULES:
        if pattern.search(message):
            return cls(message)
    return FormationViolation(message)
