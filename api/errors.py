"""One error shape everywhere: `{"error": {"code", "message", "param"}}`."""

from __future__ import annotations

import re

import msgspec


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param


class ErrorBody(msgspec.Struct):
    code: str
    message: str
    param: str | None = None


class ErrorResponse(msgspec.Struct):
    error: ErrorBody


def body(code: str, message: str, param: str | None = None) -> ErrorResponse:
    return ErrorResponse(ErrorBody(code, message, param))


def invalid(param: str, message: str) -> ApiError:
    return ApiError(400, "INVALID_PARAMETER", message, param)


_PATH = re.compile(r"`\$\.([A-Za-z0-9_.\[\]]+)`")
_MISSING = re.compile(r"missing required field `([^`]+)`")
_UNKNOWN = re.compile(r"unknown field `([^`]+)`")


def from_validation(exc: msgspec.ValidationError, *, where: str) -> ApiError:
    """A 400 naming the offending field of a request body or query string."""
    message = str(exc)
    for pattern in (_MISSING, _UNKNOWN, _PATH):
        match = pattern.search(message)
        if match:
            param = match.group(1)
            if pattern is _UNKNOWN:
                return ApiError(400, "UNKNOWN_PARAMETER", f"unknown {where} field {param!r}", param)
            return invalid(param, f"invalid {where}: {message}")
    return ApiError(400, "INVALID_REQUEST", f"invalid {where}: {message}")
