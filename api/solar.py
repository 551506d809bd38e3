"""`/v1/solar_readings` and `/v1/solar_status`: what sites pushed, and whether it made sense."""

from __future__ import annotations

from quart import Response

from api import render, schemas
from api.context import account, deps, query, respond
from api.listing import cursor, links
from api.routes import endpoint
from api.sessions import created_bounds


@endpoint(
    "GET",
    "/v1/solar_readings",
    summary="List pushed solar readings, newest first",
    response=schemas.SolarReadingList,
    query=schemas.SolarQuery,
    errors=(400, 401),
)
async def list_readings() -> Response:
    q: schemas.SolarQuery = query(schemas.SolarQuery)
    lo, hi = created_bounds(q)
    where = cursor()
    with deps().store.read() as reader:
        page = reader.solar_page(
            account().id,
            created_gte=lo,
            created_lte=hi,
            after=where.after,
            before=where.before,
            limit=q.limit,
        )
    next_url, previous_url = links(page, where)
    data = [render.solar_reading(record) for _, record in page.items]
    return respond(schemas.SolarReadingList(data, next_url, previous_url))


@endpoint(
    "GET",
    "/v1/solar_status",
    summary="The site's status: its last push and its error, if any",
    response=schemas.SolarStatus,
    errors=(401,),
)
async def solar_status() -> Response:
    with deps().store.read() as reader:
        page = reader.solar_page(account().id, limit=1)
    if not page.items:
        return respond(schemas.SolarStatus("solar_status", None, None, None))
    latest = page.items[0][1]
    return respond(
        schemas.SolarStatus("solar_status", render.rfc3339(latest.created), latest.error, latest.id)
    )
