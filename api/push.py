"""The push APIs: charging sessions (ChargeReport gateway) and solar meter data (Charge HQ).

Gateway rules (`POST /api/gateway/sessions`):
- the body is `{"sessions": [...]}` with 1 to 100 elements; otherwise the request fails as a
  whole (SESSIONS_ARRAY_REQUIRED, MAX_SESSIONS_EXCEEDED) and nothing is stored;
- each element is validated on its own: the valid ones are stored, the others listed in
  `rejected` with their index, a code and a reason;
- timestamps are ISO 8601 with an offset, compared in UTC; `kiloWattHours` is rounded half up
  to one decimal (0.1 kWh = 100 Wh), the precision the seed allows;
- energy must be >= 0 and plausible: at most 350 kW on average over the plug-in time (the
  fastest public chargers) plus 1 kWh, and at most 1,000 kWh;
- a duplicate (same account, same instants, same energy) is counted, not stored twice, whether
  it repeats an earlier request or an element of the same one;
- 100 requests per hour per key (a setting), with X-RateLimit-* headers and 429 + Retry-After.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import msgspec
from quart import Response, g, request

from api import render, schemas
from api.auth import authenticate_key
from api.context import account, deps, json_body, json_bytes, respond
from api.errors import ApiError, from_validation
from api.routes import endpoint
from ocppcore.clock import to_ms
from store import events as ev

MAX_SESSIONS = 100
MAX_AVERAGE_KW = 350
MAX_SESSION_KWH = 1000
MAX_FUTURE_MS = 24 * 3600 * 1000
# Power balance tolerance: meters disagree a little; 0.1 kW or 5 % of the largest flow.
BALANCE_ABSOLUTE_KW = 0.1
BALANCE_RELATIVE = 0.05
INCONSISTENT = "power values are inconsistent"


class _Rejected(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _instant(name: str, text: str, now: int) -> int:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _Rejected(
            "INVALID_TIMESTAMP", f"{name} is not an ISO 8601 timestamp: {text!r}"
        ) from None
    if moment.tzinfo is None:
        raise _Rejected("INVALID_TIMESTAMP", f"{name} has no timezone offset: {text!r}")
    ms = to_ms(moment)
    if ms > now + MAX_FUTURE_MS:
        raise _Rejected("INVALID_TIMESTAMP", f"{name} is in the future: {text!r}")
    return ms


def validate(element: Any, now: int) -> tuple[int, int, int]:
    """(connected ms, disconnected ms, energy Wh) of one pushed session, or _Rejected."""
    try:
        pushed = msgspec.convert(element, schemas.PushedSession)
    except msgspec.ValidationError as exc:
        raise _Rejected("INVALID_SESSION", str(exc).replace("$.", "")) from None
    connected = _instant("carConnected", pushed.carConnected, now)
    disconnected = _instant("carDisconnected", pushed.carDisconnected, now)
    if disconnected <= connected:
        span = f"carDisconnected ({pushed.carDisconnected}), carConnected ({pushed.carConnected})"
        raise _Rejected("DISCONNECTED_BEFORE_CONNECTED", f"{span}: the car left before it arrived")
    if pushed.kiloWattHours < 0:
        raise _Rejected("NEGATIVE_ENERGY", f"kiloWattHours is negative: {pushed.kiloWattHours}")
    kwh = Decimal(repr(pushed.kiloWattHours)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    hours = Decimal(disconnected - connected) / Decimal(3_600_000)
    ceiling = min(Decimal(MAX_SESSION_KWH), hours * MAX_AVERAGE_KW + 1)
    if kwh > ceiling:
        limit = f"at most {ceiling:.1f} kWh"
        raise _Rejected(
            "IMPLAUSIBLE_ENERGY",
            f"{kwh} kWh in {hours:.2f} h is more than a charger delivers ({limit})",
        )
    return connected, disconnected, int(kwh * 1000)


@endpoint(
    "POST",
    "/api/gateway/sessions",
    summary="Push charging sessions (ChargeReport gateway API)",
    response=schemas.GatewayResult,
    body=schemas.GatewayPush,
    errors=(400, 401, 415, 429),
)
async def push_sessions() -> Response:
    d = deps()
    decision = d.gateway_limiter.take(g.api_key.id)
    headers = decision.headers() if decision else {}
    if decision is not None and not decision.allowed:
        raise ApiError(
            429,
            "RATE_LIMITED",
            "100 requests per hour per API key; retry in the next window",
            headers=headers,
        )
    sessions = await _sessions_array(headers)
    now = d.clock()
    with d.store.read() as reader:
        owner = reader.account(account().id)
    tariff = owner.tariff if owner else None
    rejected: list[schemas.Rejection] = []
    events: list[ev.Event] = []
    for index, element in enumerate(sessions):
        try:
            connected, disconnected, wh = validate(element, now)
        except _Rejected as exc:
            rejected.append(schemas.Rejection(index, exc.code, exc.message))
            continue
        events.append(
            ev.SessionPushed(
                at=now,
                account=account().id,
                session=d.new_id("cs"),
                connected=connected,
                disconnected=disconnected,
                energy_wh=wh,
                tariff=tariff,
            )
        )
    receipts = await d.writer.submit(events) if events else []
    for receipt in receipts:
        if receipt.error is not None:
            raise receipt.error
    duplicates = sum(1 for r in receipts if r.duplicate)
    result = schemas.GatewayResult(len(receipts) - duplicates, duplicates, rejected)
    response = respond(result)
    response.headers.update(headers)
    return response


async def _sessions_array(headers: dict[str, str]) -> list[Any]:
    try:
        body = await json_body()
    except ApiError as exc:
        exc.headers.update(headers)  # the rate-limit headers go on every answer
        raise
    if not isinstance(body, dict) or not isinstance(body.get("sessions"), list):
        raise ApiError(
            400,
            "SESSIONS_ARRAY_REQUIRED",
            "Request body must contain a sessions array",
            "sessions",
            headers,
        )
    unknown = sorted(set(body) - {"sessions"})
    if unknown:
        raise ApiError(
            400, "UNKNOWN_PARAMETER", f"unknown body field {unknown[0]!r}", unknown[0], headers
        )
    sessions: list[Any] = body["sessions"]
    if not sessions:
        raise ApiError(
            400, "SESSIONS_ARRAY_REQUIRED", "The sessions array is empty", "sessions", headers
        )
    if len(sessions) > MAX_SESSIONS:
        raise ApiError(
            400,
            "MAX_SESSIONS_EXCEEDED",
            f"More than {MAX_SESSIONS} sessions in a single request",
            "sessions",
            headers,
        )
    return sessions


def power_balance_error(m: schemas.SiteMetersIn) -> str | None:
    """`consumption = production + net_import [+ battery_discharge]`, when those are present."""
    if m.consumption_kw is None or m.production_kw is None or m.net_import_kw is None:
        return None
    flows = [m.production_kw, m.net_import_kw]
    if m.battery_discharge_kw is not None:
        flows.append(m.battery_discharge_kw)
    tolerance = max(
        BALANCE_ABSOLUTE_KW, BALANCE_RELATIVE * max(abs(v) for v in [m.consumption_kw, *flows])
    )
    return INCONSISTENT if abs(m.consumption_kw - sum(flows)) > tolerance else None


@endpoint(
    "POST",
    "/api/public/push-solar-data",
    summary="Push solar and battery meter data (Charge HQ push API); the key is in the body",
    response=schemas.SolarReading,
    body=schemas.SolarPush,
    auth=False,
    errors=(400, 401, 415, 429),
)
async def push_solar() -> Response:
    raw = await json_bytes()
    try:
        push = msgspec.json.decode(raw, type=schemas.SolarPush)
    except msgspec.ValidationError as exc:
        if "apiKey" in str(exc) and "missing" in str(exc):
            where = (
                " (it belongs in the JSON body, not in a header)"
                if request.headers.get("Authorization")
                else ""
            )
            raise ApiError(
                401, "API_KEY_REQUIRED", f"apiKey is required{where}", "apiKey"
            ) from None
        raise from_validation(exc, where="body") from None
    except msgspec.DecodeError:
        raise ApiError(400, "INVALID_JSON", "The request body is not valid JSON") from None
    owner = authenticate_key(push.apiKey)
    d = deps()
    meters = push.siteMeters
    error = (
        push.error if push.error is not None else (power_balance_error(meters) if meters else None)
    )
    reading = ev.SolarReadingPushed(
        at=d.clock(),
        account=owner.id,
        reading=d.new_id("sol"),
        tsms=push.tsms,
        meters=ev.SiteMeters(**msgspec.structs.asdict(meters)) if meters else None,
        error=error,
        min_interval_ms=d.solar_min_interval_ms,
    )
    await d.writer.submit_one(reading)
    with d.store.read() as reader:
        record = reader.solar_reading(reading.reading)
    assert record is not None
    return respond(render.solar_reading(record))
