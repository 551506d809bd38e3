"""One error shape everywhere: `{"error": {"code", "message", "param"}}`."""

from __future__ import annotations

import re

import msgspec


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.headers = headers or {}


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
    """A 400 naming the offending field of a request body or query string, by its full path."""
    message = str(exc)
    path = _PATH.search(message)
    prefix = f"{path.group(1)}." if path else ""
    for pattern, code in ((_MISSING, "INVALID_PARAMETER"), (_UNKNOWN, "UNKNOWN_PARAMETER")):
        match = pattern.search(message)
        if match:
            param = prefix + match.group(1)
            if code == "UNKNOWN_PARAMETER":
                return ApiError(400, code, f"unknown {where} field {param!r}", param)
            return invalid(param, f"missing {where} field {param!r}")
    if path:
        return invalid(path.group(1), f"invalid {where}: {message}")
    return ApiError(400, "INVALID_REQUEST", f"invalid {where}: {message}")
