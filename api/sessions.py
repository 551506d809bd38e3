"""`/v1/charging_sessions`: the account's sessions, from OCPP and from the push API alike."""

from __future__ import annotations

from quart import Response

from api import render, schemas
from api.context import account, deps, owned, query, respond
from api.errors import invalid
from api.listing import cursor, links
from api.routes import endpoint
from store.records import SessionRecord
from store.views import sessions as view

# Which index serves a filter, most selective first; the others filter what it yields.
_INDEXED = (
    ("driver", view.DRIVER),
    ("vehicle", view.VEHICLE),
    ("charging_station", view.STATION),
    ("fleet", view.FLEET),
    ("status", view.STATUS),
)


def created_bounds(q: schemas.CreatedRange) -> tuple[int | None, int | None]:
    """Inclusive (gte, lte) bounds in ms from `created` and `created[gt|gte|lt|lte]`."""
    lo = hi = None
    if q.created is not None:
        if any(v is not None for v in (q.created_gt, q.created_gte, q.created_lt, q.created_lte)):
            raise invalid("created", "give either created or a created[...] range, not both")
        lo = hi = render.parse_time("created", q.created)
    for name, text, shift, is_low in (
        ("created[gt]", q.created_gt, 1, True),
        ("created[gte]", q.created_gte, 0, True),
        ("created[lt]", q.created_lt, -1, False),
        ("created[lte]", q.created_lte, 0, False),
    ):
        if text is None:
            continue
        bound = render.parse_time(name, text) + shift
        if is_low:
            lo = bound if lo is None else max(lo, bound)
        else:
            hi = bound if hi is None else min(hi, bound)
    return lo, hi


@endpoint(
    "GET",
    "/v1/charging_sessions",
    summary="List charging sessions, newest first",
    response=schemas.ChargingSessionList,
    query=schemas.SessionQuery,
    errors=(400, 401),
)
async def list_sessions() -> Response:
    q: schemas.SessionQuery = query(schemas.SessionQuery)
    lo, hi = created_bounds(q)
    where = cursor()
    given = {name: getattr(q, name) for name, _ in _INDEXED if getattr(q, name) is not None}
    name, dimension = next(((n, d) for n, d in _INDEXED if n in given), ("", view.ALL))
    rest = {n: v for n, v in given.items() if n != name}
    fields = {"charging_station": "charging_station"}

    def match(record: SessionRecord) -> bool:
        return all(getattr(record, fields.get(n, n)) == v for n, v in rest.items())

    with deps().store.read() as reader:
        page = reader.session_page(
            account().id,
            dimension,
            given.get(name, ""),
            created_gte=lo,
            created_lte=hi,
            after=where.after,
            before=where.before,
            limit=q.limit,
            match=match if rest else None,
        )
    next_url, previous_url = links(page, where)
    data = [render.session(record) for _, record in page.items]
    return respond(schemas.ChargingSessionList(data, next_url, previous_url))


@endpoint(
    "GET",
    "/v1/charging_sessions/{id}",
    summary="Retrieve a charging session",
    response=schemas.ChargingSession,
    errors=(401, 404),
)
async def get_session(id: str) -> Response:
    with deps().store.read() as reader:
        record = owned(reader.session(id), "charging session", id)
    return respond(render.session(record))
