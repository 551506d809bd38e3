"""`/v1/events`: what happened to the account's objects, newest first (report.succeeded, ...)."""

from __future__ import annotations

from quart import Response

from api import render, schemas
from api.context import account, deps, query, respond
from api.errors import ApiError
from api.listing import cursor, links
from api.routes import endpoint
from store.views.reports import ALL_TYPES


@endpoint(
    "GET",
    "/v1/events",
    summary="List events, newest first",
    response=schemas.EventList,
    query=schemas.EventQuery,
    errors=(400, 401),
)
async def list_events() -> Response:
    q: schemas.EventQuery = query(schemas.EventQuery)
    where = cursor()
    with deps().store.read() as reader:
        page = reader.event_page(
            account().id, q.type or ALL_TYPES, after=where.after, before=where.before, limit=q.limit
        )
        data = [render.event(e, about) for _, e in page.items if (about := reader.report(e.report))]
    next_url, previous_url = links(page, where)
    return respond(schemas.EventList(data, next_url, previous_url))


@endpoint(
    "GET",
    "/v1/events/{id}",
    summary="Retrieve an event",
    response=schemas.ApiEvent,
    errors=(401, 404),
)
async def get_event(id: str) -> Response:
    with deps().store.read() as reader:
        event = reader.event(id)
        about = reader.report(event.report) if event else None
    if event is None or about is None or event.account != account().id:
        raise ApiError(404, "NOT_FOUND", f"No event {id!r}", "id")
    return respond(render.event(event, about))
