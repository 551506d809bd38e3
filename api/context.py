"""What a request handler needs: the service's dependencies, the caller's account, request
decoding with precise errors, and JSON responses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from quart import Response, current_app, g, request

from api.errors import ApiError, body, from_validation
from api.metrics import Metrics
from api.pagination import Pager
from api.ratelimit import RateLimiter
from api.reports.worker import ReportWorker
from ocppcore.v16.types import Payload
from store.ids import IdFactory
from store.log import Store
from store.records import AccountRecord
from store.writer import Writer


@dataclass
class Deps:
    store: Store
    writer: Writer
    pager: Pager
    metrics: Metrics
    clock: Callable[[], int]
    new_id: IdFactory
    connected: Callable[[], int]
    connection_urls: Callable[[str, str | None], dict[str, str | None]]
    gateway_limiter: RateLimiter
    solar_min_interval_ms: int
    reports: ReportWorker
    # Sends a CALL to a connected charge point: (station id, request, timeout) -> its response.
    send_command: Callable[[str, Payload, float], Awaitable[Payload]]


def deps() -> Deps:
    d: Deps = current_app.extensions["ocppcore"]
    return d


def account() -> AccountRecord:
    a: AccountRecord = g.account
    return a


MAX_BODY = 1024 * 1024
_json = msgspec.json.Encoder()


Owned = TypeVar("Owned")


def owned(record: Owned | None, what: str, id: str) -> Owned:
    """`record` if it exists and belongs to the caller's account, else 404 naming `id`: another
    account's object is indistinguishable from one that does not exist."""
    if record is None or getattr(record, "account", None) != account().id:
        raise ApiError(404, "NOT_FOUND", f"No {what} {id!r}", "id")
    return record


def respond(value: Any, status: int = 200) -> Response:
    return Response(_json.encode(value), status=status, content_type="application/json")


def error_response(status: int, code: str, message: str, param: str | None = None) -> Response:
    return respond(body(code, message, param), status)


async def json_bytes() -> bytes:
    """The raw request body, once its Content-Type says JSON (415 otherwise)."""
    content_type = request.headers.get("Content-Type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json")
    raw = await request.get_data(cache=False, as_text=False)
    assert isinstance(raw, bytes)
    return raw


async def json_body(kind: Any = Any) -> Any:
    """The request body decoded into `kind`, or a 4xx naming what is wrong."""
    raw = await json_bytes()
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.ValidationError as exc:
        raise from_validation(exc, where="body") from None
    except msgspec.DecodeError:
        raise ApiError(400, "INVALID_JSON", "The request body is not valid JSON") from None


def query(kind: type[Any]) -> Any:
    """The query string decoded into `kind`; repeated or unknown parameters are refused."""
    values: dict[str, str] = {}
    for name, value in request.args.items(multi=True):
        if name in values:
            raise ApiError(
                400, "INVALID_PARAMETER", f"parameter {name!r} is given more than once", name
            )
        values[name] = value
    try:
        return msgspec.convert(values, kind, strict=False)
    except msgspec.ValidationError as exc:
        raise from_validation(exc, where="query") from None


def base_url() -> str:
    return f"{request.scheme}://{request.host}{request.path}"
