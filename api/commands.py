"""`/v1/charging_stations/{id}/commands` and what builds on it: central system -> charge point
CALLs over HTTP.

The payload is validated with the action's own Struct (400 naming `payload.<field>`); the call
goes out on the charger's live connection and the answer is the charger's CALLRESULT payload
(200), its CALLERROR (502 CHARGER_ERROR with code and description), 504 on timeout, 409 when it
is offline or not accepted, 429 when too many commands wait for it. Every command and its
outcome is recorded, with what an accepted command changes (`ocppcore.handlers.outbound`).
"""

from __future__ import annotations

from typing import Any

import msgspec
from quart import Response

from api import schemas
from api.context import deps, json_body, owned, query, respond
from api.errors import ApiError, from_validation, invalid
from api.listing import cursor, links
from api.routes import endpoint
from ocppcore.clock import from_ms, rfc3339
from ocppcore.commands import CommandFailed
from ocppcore.handlers.outbound import effects
from ocppcore.v16 import ACTIONS, Direction, local_auth_list
from ocppcore.v16.types import IdTagInfo, Payload
from store import events as ev
from store.records import CommandRecord, StationRecord

_json = msgspec.json.Encoder()
_STATUS = {
    "CHARGER_OFFLINE": "offline",
    "CHARGER_TIMEOUT": "timeout",
    "CONNECTION_LOST": "lost",
    "COMMAND_QUEUE_FULL": "refused",
    "CHARGER_NOT_ACCEPTED": "refused",
}
LOCAL_LIST_MAX = 1000  # entries per SendLocalList; chargers advertise their own limit


def render(r: CommandRecord) -> schemas.Command:
    error = schemas.CommandError(r.error_code, r.error_description) if r.error_code else None
    return schemas.Command(
        id=r.id,
        object="command",
        charging_station=r.station,
        action=r.action,
        payload=msgspec.json.decode(r.payload),
        status=r.status,
        response=msgspec.json.decode(r.response) if r.response is not None else None,
        error=error,
        created=rfc3339(r.created),
        completed=rfc3339(r.completed) if r.completed else None,
    )


def _station(station_id: str) -> StationRecord:
    with deps().store.read() as reader:
        return owned(reader.station(station_id), "charging station", station_id)


async def run_command(station: StationRecord, request: Payload, timeout: float) -> CommandRecord:
    """Record, send and record the outcome of one command; a 4xx/5xx ApiError if it failed."""
    d = deps()
    action = type(request).__name__.removesuffix("Request")
    command_id = d.new_id("cmd")
    requested = ev.CommandRequested(
        at=d.clock(), account=station.account, station=station.id, command=command_id,
        action=action, payload=_json.encode(request),
    )  # fmt: skip
    await d.writer.submit_one(requested)
    outcome: list[ev.Event]
    failure: CommandFailed | None = None
    try:
        response = await d.send_command(station.id, request, timeout)
        now = d.clock()
        done = ev.CommandFinished(
            at=now, command=command_id, status="succeeded", response=_json.encode(response)
        )
        outcome = [
            done,
            *effects(request, response, station=station.id, command=command_id, now=now),
        ]
    except CommandFailed as exc:
        failure = exc
        outcome = [
            ev.CommandFinished(
                at=d.clock(), command=command_id, status=_STATUS.get(exc.code, "rejected"),
                error_code=exc.details.get("code", exc.code),
                error_description=exc.details.get("description", exc.message),
            )
        ]  # fmt: skip
    for receipt in await d.writer.submit(outcome):
        if receipt.error is not None:
            raise receipt.error
    if failure is not None:
        message = failure.message
        if failure.details:
            code, description = failure.details.get("code"), failure.details.get("description")
            message = f"{message}: {code} {description or ''}".rstrip()
        raise ApiError(failure.http_status, failure.code, message)
    with d.store.read() as reader:
        record = reader.command(command_id)
    assert record is not None
    return record


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
        message = f"{body.action!r} is not an OCPP 1.6J central system -> charge point action"
        raise invalid("action", message)
    payload = dict(body.payload)
    if body.session is not None:
        payload = _stop_by_session(action.name, body.session, station, payload)
    try:
        request = msgspec.convert(payload, action.request, strict=True)
    except msgspec.ValidationError as exc:
        error = from_validation(exc, where="payload")
        raise invalid(
            f"payload.{error.param}" if error.param else "payload", error.message
        ) from None
    return respond(render(await run_command(station, request, body.timeout)))


def _stop_by_session(
    action: str, session_id: str, station: StationRecord, payload: dict[str, Any]
) -> dict[str, Any]:
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


@endpoint(
    "POST",
    "/v1/charging_stations/{id}/local_list",
    summary="Send the charger its local authorization list, built from the idTag registry",
    response=schemas.Command,
    body=schemas.LocalListCreate,
    errors=(400, 401, 404, 409, 415, 429, 502, 504),
)
async def send_local_list(id: str) -> Response:
    """Full: every registry entry. Differential: entries changed since the last list the charger
    accepted. The version is the charger's last accepted version plus one."""
    body: schemas.LocalListCreate = await json_body(schemas.LocalListCreate)
    station = _station(id)
    since = station.local_list_sent_at if body.update_type == "Differential" else None
    with deps().store.read() as reader:
        # >=: a tag changed in the very millisecond the last list was recorded is sent again.
        tags = [t for t in reader.id_tags(station.account) if since is None or t.updated >= since]
    if len(tags) > LOCAL_LIST_MAX:
        raise invalid("update_type", f"{len(tags)} entries exceed {LOCAL_LIST_MAX} for one list")
    entries = [
        local_auth_list.AuthorizationData(
            id_tag=t.id_tag,
            id_tag_info=IdTagInfo(
                status=t.status,
                expiry_date=from_ms(t.expiry) if t.expiry is not None else None,
                parent_id_tag=t.parent_id_tag,
            ),
        )
        for t in tags
    ]
    request = local_auth_list.SendLocalListRequest(
        list_version=station.local_list_version + 1,
        update_type=body.update_type,
        local_authorization_list=entries,
    )
    return respond(render(await run_command(station, request, body.timeout)))


@endpoint(
    "GET",
    "/v1/charging_stations/{id}/reservations",
    summary="Reservations the charger accepted, and whether they are active, cancelled or used",
    response=schemas.ReservationList,
    errors=(401, 404),
)
async def list_reservations(id: str) -> Response:
    station = _station(id)
    with deps().store.read() as reader:
        found = reader.reservations(station.id)
    now = deps().clock()
    data = [
        schemas.Reservation(
            reservation_id=r.reservation_id,
            object="reservation",
            connector_id=r.connector_id,
            id_tag=r.id_tag,
            parent_id_tag=r.parent_id_tag,
            expiry_date=rfc3339(r.expiry),
            status="expired" if r.status == "active" and r.expiry <= now else r.status,
            charging_session=r.session,
            created=rfc3339(r.created),
        )
        for r in found
    ]
    return respond(schemas.ReservationList(data))


@endpoint(
    "GET",
    "/v1/charging_stations/{id}/charging_profiles",
    summary="The charging profiles the charger accepted, per connector, purpose and stack level",
    response=schemas.ChargingProfileList,
    errors=(401, 404),
)
async def list_charging_profiles(id: str) -> Response:
    station = _station(id)
    with deps().store.read() as reader:
        found = reader.charging_profiles(station.id)
    data = [
        schemas.StoredChargingProfile(
            object="charging_profile",
            connector_id=p.connector_id,
            profile=msgspec.json.decode(p.profile),
            set_at=rfc3339(p.set_at),
        )
        for p in found
    ]
    return respond(schemas.ChargingProfileList(data))
