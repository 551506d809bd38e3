"""`/v1/charging_stations`: the account's charge points, their boot info and connectors."""

from __future__ import annotations

from quart import Response

from api import render, schemas
from api.context import account, deps, owned, query, respond
from api.listing import cursor, links
from api.routes import endpoint
from store.reader import Page
from store.records import StationRecord


@endpoint(
    "GET",
    "/v1/charging_stations",
    summary="List charging stations, newest first",
    response=schemas.ChargingStationList,
    query=schemas.StationQuery,
    errors=(400, 401),
)
async def list_stations() -> Response:
    q: schemas.StationQuery = query(schemas.StationQuery)
    where = cursor()
    mine = account().id
    with deps().store.read() as reader:
        if q.charge_point_id is not None:
            # charge point ids are unique: a direct lookup, one page at most.
            found = reader.station_by_charge_point_id(q.charge_point_id)
            hit = (
                found is not None
                and found.account == mine
                and q.status in (None, "online" if found.online else "offline")
            )
            page: Page[StationRecord] = Page([(b"", found)] if hit and found else [], False, False)
        else:
            online = None if q.status is None else q.status == "online"
            page = reader.station_page(
                mine,
                after=where.after,
                before=where.before,
                limit=q.limit,
                match=None if online is None else (lambda s: s.online == online),
            )
    next_url, previous_url = links(page, where)
    data = [render.station(record) for _, record in page.items]
    return respond(schemas.ChargingStationList(data, next_url, previous_url))


@endpoint(
    "GET",
    "/v1/charging_stations/{id}",
    summary="Retrieve a charging station",
    response=schemas.ChargingStation,
    errors=(401, 404),
)
async def get_station(id: str) -> Response:
    with deps().store.read() as reader:
        record = owned(reader.station(id), "charging station", id)
    return respond(render.station(record))
