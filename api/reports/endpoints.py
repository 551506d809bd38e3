"""`/v1/reports`: create (answered at once, `pending`), list, retrieve, download the CSV."""

from __future__ import annotations

from quart import Response, send_file

from api import render, schemas
from api.context import account, deps, json_body, owned, query, respond
from api.errors import ApiError, invalid
from api.listing import cursor, links
from api.reports.worker import report_path
from api.routes import endpoint
from store import events as ev
from store.records import ReportRecord


@endpoint(
    "POST",
    "/v1/reports",
    summary="Create a report; generated asynchronously (pending, then succeeded or failed)",
    response=schemas.Report,
    status=201,
    body=schemas.ReportCreate,
    errors=(400, 401, 415),
)
async def create_report() -> Response:
    body: schemas.ReportCreate = await json_body(schemas.ReportCreate)
    p = body.parameters
    start = render.parse_time("parameters.period_start", p.period_start)
    end = render.parse_time("parameters.period_end", p.period_end)
    if start >= end:
        raise invalid("parameters.period_end", "period_end must be after period_start")
    if p.type == "charging_sessions" and p.group_by is not None:
        raise invalid("parameters.group_by", "group_by applies to charging_summary reports only")
    filters = {k: sorted(set(v)) for k, v in ((p.filters and _filters(p.filters)) or {}).items()}
    d, mine = deps(), account().id
    with d.store.read() as reader:
        for station in filters.get("charging_station", []):
            found = reader.station(station)
            if found is None or found.account != mine:
                raise invalid(
                    "parameters.filters.charging_station", f"no charging station {station!r}"
                )
    group_by = p.group_by or ("vehicle" if p.type == "charging_summary" else None)
    event = ev.ReportRequested(
        at=d.clock(),
        account=mine,
        report=d.new_id("rpt"),
        type=p.type,
        period_start=start,
        period_end=end,
        filters=filters,
        group_by=group_by,
        fleet=body.fleet,
    )
    await d.writer.submit_one(event)
    d.reports.notify()
    return respond(render.report(_own(event.report)), 201)


def _filters(f: schemas.ReportFilters) -> dict[str, list[str]]:
    pairs = {
        "vehicle": f.vehicle,
        "driver": f.driver,
        "fleet": f.fleet,
        "charging_station": f.charging_station,
    }
    return {k: v for k, v in pairs.items() if v}


def _own(report_id: str) -> ReportRecord:
    with deps().store.read() as reader:
        return owned(reader.report(report_id), "report", report_id)


@endpoint(
    "GET",
    "/v1/reports",
    summary="List reports, newest first",
    response=schemas.ReportList,
    query=schemas.PageQuery,
    errors=(400, 401),
)
async def list_reports() -> Response:
    q: schemas.PageQuery = query(schemas.PageQuery)
    where = cursor()
    with deps().store.read() as reader:
        page = reader.report_page(
            account().id, after=where.after, before=where.before, limit=q.limit
        )
    next_url, previous_url = links(page, where)
    return respond(
        schemas.ReportList([render.report(r) for _, r in page.items], next_url, previous_url)
    )


@endpoint(
    "GET",
    "/v1/reports/{id}",
    summary="Retrieve a report",
    response=schemas.Report,
    errors=(401, 404),
)
async def get_report(id: str) -> Response:
    return respond(render.report(_own(id)))


@endpoint(
    "GET",
    "/v1/reports/{id}/file",
    summary="The report's CSV file, once it succeeded",
    response=None,
    errors=(401, 404, 409),
)
async def report_file(id: str) -> Response:
    record = _own(id)
    if record.status != "succeeded":
        raise ApiError(
            409,
            "REPORT_NOT_READY",
            f"report {id!r} is {record.status}; its file exists once it succeeded",
            "id",
        )
    response: Response = await send_file(
        report_path(deps().reports.directory, id),
        mimetype="text/csv",
        as_attachment=True,
        attachment_filename=f"{id}.csv",
    )
    return response
