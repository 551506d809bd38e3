"""Errors the store raises. Each carries the HTTP status it maps to (as h11's error_status_hint)."""

from __future__ import annotations


class StoreError(Exception):
    """Base of the store's errors. `code` and `http_status` say how an API answers it."""

    code = "STORE_ERROR"
    http_status = 500

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


class NotFound(StoreError):
    code = "NOT_FOUND"
    http_status = 404


class Conflict(StoreError):
    code = "CONFLICT"
    http_status = 409


class InvalidValue(StoreError):
    code = "INVALID_VALUE"
    http_status = 400


class RateLimited(StoreError):
    code = "RATE_LIMITED"
    http_status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StoreFull(StoreError):
    """The LMDB map is full: raise `map_size` (config `map_size`) and restart."""

    code = "STORE_FULL"
    http_status = 507


class WriterClosed(StoreError):
    """The writer is shutting down and takes no more events."""

    code = "SHUTTING_DOWN"
    http_status = 503
