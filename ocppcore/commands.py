"""Outcomes of a central system -> charge point CALL other than a CALLRESULT. No I/O here.

Each carries the HTTP status an API answers it with (cf. h11's error_status_hint).
"""

from __future__ import annotations


class CommandFailed(Exception):
    code = "COMMAND_FAILED"
    http_status = 502

    def __init__(self, message: str, details: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class ChargerOffline(CommandFailed):
    """The charge point has no live connection."""

    code = "CHARGER_OFFLINE"
    http_status = 409


class ChargerNotAccepted(CommandFailed):
    """The charge point's registration is pending (only configuration commands) or rejected."""

    code = "CHARGER_NOT_ACCEPTED"
    http_status = 409


# While a charge point is pending, the central system may configure it (OCPP 1.6 section 4.2).
PENDING_ALLOWED = frozenset({"GetConfiguration", "ChangeConfiguration", "TriggerMessage"})


class CommandQueueFull(CommandFailed):
    """Too many commands are already waiting for this charge point."""

    code = "COMMAND_QUEUE_FULL"
    http_status = 429


class CommandTimeout(CommandFailed):
    """The charge point did not answer in time."""

    code = "CHARGER_TIMEOUT"
    http_status = 504


class ChargerError(CommandFailed):
    """The charge point answered with a CALLERROR (or with a result that is not valid)."""

    code = "CHARGER_ERROR"
    http_status = 502


class ConnectionLost(CommandFailed):
    """The connection closed (or was replaced) while the command was outstanding."""

    code = "CONNECTION_LOST"
    http_status = 502
