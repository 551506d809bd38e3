"""`/v1/charging_stations/{id}/commands`: central system -> charge point CALLs over HTTP.

The payload is validated with the action's own Struct (400 naming `payload.<field>`); the call
goes out on the charger's live connection and the answer is the charger's CALLRESULT payload
(200), its CALLERROR (502 CHARGER_ERROR with code and description), 504 on timeout, 409 when it
is offline, 429 when too many commands wait for it. Every command and its outcome is recorded.
"""

from __future__ import annotations

import msgspec
from quart import Response

from api import schemas
from api.context import account, deps, json_body, query, respond
from api.errors import ApiError, from_validation, invalid
from api.listing import cursor, links
from api.routes import endpoint
from ocppcore.clock import rfc3339
from ocppcore.commands import CommandFailed
from ocppcore.v16 import ACTIONS, Direction
from store import events as ev
from store.records import CommandRecord, StationRecord

_json = msgspec.json.Encoder()


def render(r: CommandRecord) -> schemas.Command:
    error = schemas.CommandError(r.error_code, r.error_description) if r.error_code else None
    return schemas.Command(
        id=r.id, object="command", charging_station=r.station, action=r.action,
        payload=msgspec.json.decode(r.payload), status=r.status,
        response=msgspec.json.decode(r.response) if r.response is not None else None,
        error=error, created=rfc3339(r.created),
        completed=rfc3339(r.completed) if r.completed else None,
    )  # fmt: skip


def _station(station_id: str) -> StationRecord:
    with deps().store.read() as reader:
        station = reader.station(station_id)
    if station is None or station.account != account().id:
        raise ApiError(404, "NOT_FOUND", f"No charging station {station_id!r}", "id")
    return station


@endpoint(
    "POST",
    "/v1/charging_stations/{id}/commands",
    summary="Send an OCPP command to the charge point and return its answer",
    response=schemas.Command,
    body=schemas.CommandCreate,
    errors=(400, 401, 404, 409, 415, 429, 502, 504),
)
async def send_command(id: str) -> Response:
    body: schemas.CommandCreate = await json_body(schemas.CommandCreate)
    station = _station(id)
    action = ACTIONS.get(body.action)
    if action is None or not action.direction & Direction.CS_TO_CP:
        raise invalid(
            "action", f"{body.action!r} is not an OCPP 1.6J central system -> charge point action"
        )
    payload_in = dict(body.payload)
    if body.session is not None:
        payload_in = _stop_by_session(action.name, body.session, station, payload_in)
    try:
        request = msgspec.convert(payload_in, action.request, strict=True)
    except msgspec.ValidationError as exc:
        error = from_validation(exc, where="payload")
        raise invalid(
            f"payload.{error.param}" if error.param else "payload", error.message
        ) from None
    d = deps()
    command_id = d.new_id("cmd")
    payload = _json.encode(request)
    await d.writer.submit_one(
        ev.CommandRequested(
            at=d.clock(),
            account=station.account,
            station=station.id,
            command=command_id,
            action=action.name,
            payload=payload,
        )
    )
    finished: ev.CommandFinished
    failure: CommandFailed | None = None
    try:
        response = await d.send_command(station.id, request, body.timeout)
        finished = ev.CommandFinished(
            at=d.clock(), command=command_id, status="succeeded", response=_json.encode(response)
        )
    except CommandFailed as exc:
        failure = exc
        status = {
            "CHARGER_OFFLINE": "offline",
            "CHARGER_TIMEOUT": "timeout",
            "CONNECTION_LOST": "lost",
            "COMMAND_QUEUE_FULL": "refused",
            "CHARGER_NOT_ACCEPTED": "refused",
        }.get(exc.code, "rejected")
        finished = ev.CommandFinished(
            at=d.clock(), command=command_id, status=status,
            error_code=exc.details.get("code", exc.code),
            error_description=exc.details.get("description", exc.message),
        )  # fmt: skip
    await d.writer.submit_one(finished)
    with d.store.read() as reader:
        record = reader.command(command_id)
    assert record is not None
    if failure is not None:
        message = failure.message
        if failure.details:
            code, description = (
                failure.details.get("code"),
                failure.details.get("description") or "",
            )
            message = f"{message}: {code} {description}".rstrip()
        raise ApiError(failure.http_status, failure.code, message, None)
    return respond(render(record))


def _stop_by_session(
    action: str, session_id: str, station: StationRecord, payload: dict[str, object]
) -> dict[str, object]:
    """RemoteStopTransaction may name the session instead of its transactionId."""
    if action != "RemoteStopTransaction":
        raise invalid("session", "session applies to RemoteStopTransaction only")
    with deps().store.read() as reader:
        session = reader.session(session_id)
    if session is None or session.account != station.account or session.transaction_id is None:
        raise invalid("session", f"no OCPP charging session {session_id!r}")
    if session.charging_station != station.id:
        raise invalid("session", f"session {session_id!r} is on another charging station")
    if "transactionId" in payload and payload["transactionId"] != session.transaction_id:
        raise invalid(
            "payload.transactionId", "transactionId and session name different transactions"
        )
    return {**payload, "transactionId": session.transaction_id}


@endpoint(
    "GET",
    "/v1/charging_stations/{id}/commands",
    summary="Commands sent to the charge point and their outcomes, newest first",
    response=schemas.CommandList,
    query=schemas.PageQuery,
    errors=(400, 401, 404),
)
async def list_commands(id: str) -> Response:
    q: schemas.PageQuery = query(schemas.PageQuery)
    station = _station(id)
    where = cursor()
    with deps().store.read() as reader:
        page = reader.command_page(
            station.id, after=where.after, before=where.before, limit=q.limit
        )
    next_url, previous_url = links(page, where)
    return respond(schemas.CommandList([render(r) for _, r in page.items], next_url, previous_url))
