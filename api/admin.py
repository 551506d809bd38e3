"""Administration over HTTP, for API clients that cannot run the CLI: the same operations as
`ocppcore chargers/id-tags/tariff/accounts/keys`, through the writer, within the key's account."""

from __future__ import annotations

import msgspec
from quart import Response

from api import render, schemas
from api.context import account, deps, json_body, owned, query, respond
from api.errors import ApiError
from api.listing import cursor, links
from api.routes import endpoint
from store import admin, credentials
from store import events as ev
from store.errors import Conflict
from store.reader import Page
from store.records import IdTagRecord


async def commit(change: admin.Change) -> None:
    if not change.events:
        return
    for receipt in await deps().writer.submit(change.events):
        if receipt.error is not None:
            raise receipt.error


@endpoint(
    "POST",
    "/v1/charging_stations",
    summary="Register a charging station; returns its connection token (shown once) and URLs",
    response=schemas.StationCreated,
    status=201,
    body=schemas.StationCreate,
    errors=(400, 401, 409, 415),
)
async def create_station() -> Response:
    body: schemas.StationCreate = await json_body(schemas.StationCreate)
    d = deps()
    with d.store.read() as reader:
        if reader.station_by_charge_point_id(body.charge_point_id) is not None:
            raise Conflict(
                f"charge point {body.charge_point_id!r} is already registered",
                param="charge_point_id",
            )
        change = admin.add_charger(
            reader,
            body.charge_point_id,
            account_name=account().name,
            password=body.password,
            rotate_token=False,
            now=d.clock(),
            new_id=d.new_id,
            registration=body.registration,
        )
    await commit(change)
    token = change.output["connection_token"]
    with d.store.read() as reader:
        station = reader.station(change.output["id"])
    assert station is not None
    urls = d.connection_urls(body.charge_point_id, token)
    created = schemas.StationCreated(
        render.station(station), token, urls["ocpp_url"] or "", urls["token_url"] or ""
    )
    return respond(created, 201)


@endpoint(
    "PATCH",
    "/v1/charging_stations/{id}",
    summary="Change a charging station's registration (accepted, pending, rejected) or password",
    response=schemas.ChargingStation,
    body=schemas.StationUpdate,
    errors=(400, 401, 404, 415),
)
async def update_station(id: str) -> Response:
    body: schemas.StationUpdate = await json_body(schemas.StationUpdate)
    d = deps()
    with d.store.read() as reader:
        station = owned(reader.station(id), "charging station", id)
    events: list[ev.Event] = []
    now = d.clock()
    if body.registration is not msgspec.UNSET and body.registration != station.registration:
        events.append(ev.StationRegistrationSet(at=now, station=id, registration=body.registration))
    if body.password is not msgspec.UNSET:
        hashed = credentials.hash_password(body.password) if body.password is not None else None
        events.append(ev.StationPasswordSet(at=now, station=id, password_hash=hashed))
    await commit(admin.Change(events))
    with d.store.read() as reader:
        updated = reader.station(id)
    assert updated is not None
    return respond(render.station(updated))


def _id_tag(tag: str) -> IdTagRecord:
    with deps().store.read() as reader:
        record = reader.id_tag(account().id, tag)
    if record is None:
        raise ApiError(404, "NOT_FOUND", f"No idTag {tag!r}", "id_tag")
    return record


def _expiry(text: str | None) -> int | None:
    return render.parse_time("expiry_date", text) if text is not None else None


@endpoint(
    "GET",
    "/v1/id_tags",
    summary="List idTags, in idTag order",
    response=schemas.IdTagList,
    query=schemas.IdTagQuery,
    errors=(400, 401),
)
async def list_id_tags() -> Response:
    q: schemas.IdTagQuery = query(schemas.IdTagQuery)
    where = cursor()
    with deps().store.read() as reader:
        tags = [(t.id_tag.lower().encode(), t) for t in reader.id_tags(account().id)]
    if where.after is not None:
        older = [item for item in tags if item[0] > where.after]
        items, newer_exists = older[: q.limit], len(older) < len(tags)
        page = Page(items, has_older=len(older) > q.limit, has_newer=newer_exists)
    elif where.before is not None:
        newer = [item for item in tags if item[0] < where.before]
        items = newer[-q.limit :]
        page = Page(items, has_older=len(newer) < len(tags), has_newer=len(newer) > q.limit)
    else:
        page = Page(tags[: q.limit], has_older=len(tags) > q.limit, has_newer=False)
    next_url, previous_url = links(page, where)
    return respond(
        schemas.IdTagList([render.id_tag(t) for _, t in page.items], next_url, previous_url)
    )


@endpoint(
    "POST",
    "/v1/id_tags",
    summary="Add an idTag to the registry",
    response=schemas.IdTag,
    status=201,
    body=schemas.IdTagCreate,
    errors=(400, 401, 409, 415),
)
async def create_id_tag() -> Response:
    body: schemas.IdTagCreate = await json_body(schemas.IdTagCreate)
    d = deps()
    with d.store.read() as reader:
        if reader.id_tag(account().id, body.id_tag) is not None:
            raise Conflict(
                f"idTag {body.id_tag!r} exists; PATCH /v1/id_tags/{body.id_tag} changes it",
                param="id_tag",
            )
        change = admin.set_id_tag(
            reader,
            body.id_tag,
            account_name=account().name,
            status=body.status,
            expiry=_expiry(body.expiry_date),
            parent=body.parent_id_tag,
            driver=body.driver,
            vehicle=body.vehicle,
            fleet=body.fleet,
            now=d.clock(),
        )
    await commit(change)
    return respond(render.id_tag(_id_tag(body.id_tag)), 201)


@endpoint(
    "GET",
    "/v1/id_tags/{id_tag}",
    summary="Retrieve an idTag",
    response=schemas.IdTag,
    errors=(401, 404),
)
async def get_id_tag(id_tag: str) -> Response:
    return respond(render.id_tag(_id_tag(id_tag)))


@endpoint(
    "PATCH",
    "/v1/id_tags/{id_tag}",
    summary="Change an idTag",
    response=schemas.IdTag,
    body=schemas.IdTagUpdate,
    errors=(400, 401, 404, 415),
)
async def update_id_tag(id_tag: str) -> Response:
    body: schemas.IdTagUpdate = await json_body(schemas.IdTagUpdate)
    current = _id_tag(id_tag)
    d = deps()

    def pick(value: object, old: object) -> object:
        return old if value is msgspec.UNSET else value

    expiry = current.expiry if body.expiry_date is msgspec.UNSET else _expiry(body.expiry_date)
    with d.store.read() as reader:
        change = admin.set_id_tag(
            reader,
            current.id_tag,
            account_name=account().name,
            status=pick(body.status, current.status),  # type: ignore[arg-type]
            expiry=expiry,
            parent=pick(body.parent_id_tag, current.parent_id_tag),  # type: ignore[arg-type]
            driver=pick(body.driver, current.driver),  # type: ignore[arg-type]
            vehicle=pick(body.vehicle, current.vehicle),  # type: ignore[arg-type]
            fleet=pick(body.fleet, current.fleet),  # type: ignore[arg-type]
            now=d.clock(),
        )
    await commit(change)
    return respond(render.id_tag(_id_tag(id_tag)))


@endpoint(
    "GET",
    "/v1/account",
    summary="The key's account: idTag policy and tariff",
    response=schemas.Account,
    errors=(401,),
)
async def get_account() -> Response:
    return respond(render.account(account()))


@endpoint(
    "PATCH",
    "/v1/account",
    summary="Set the account's idTag policy and tariff",
    response=schemas.Account,
    body=schemas.AccountUpdate,
    errors=(400, 401, 415),
)
async def update_account() -> Response:
    body: schemas.AccountUpdate = await json_body(schemas.AccountUpdate)
    d, name = deps(), account().name
    with d.store.read() as reader:
        changes = [
            admin.set_account(
                reader, name, id_tag_policy=body.id_tag_policy, now=d.clock(), new_id=d.new_id
            )
        ]
        if body.tariff is not None:
            t = body.tariff
            changes.append(
                admin.set_tariff(
                    reader,
                    name,
                    price_per_kwh=t.price_per_kwh,
                    currency=t.currency,
                    country=t.country,
                    now=d.clock(),
                )
            )
    await commit(admin.Change([e for c in changes for e in c.events]))
    with d.store.read() as reader:
        updated = reader.account(account().id)
    assert updated is not None
    return respond(render.account(updated))


@endpoint(
    "GET",
    "/v1/api_keys",
    summary="The account's API keys (never their secrets)",
    response=schemas.ApiKeyList,
    errors=(401,),
)
async def list_api_keys() -> Response:
    with deps().store.read() as reader:
        keys = [render.api_key(k) for k in reader.api_keys() if k.account == account().id]
    return respond(schemas.ApiKeyList(sorted(keys, key=lambda k: k.created, reverse=True)))


@endpoint(
    "POST",
    "/v1/api_keys",
    summary="Create an API key; its secret is shown once",
    response=schemas.ApiKeyCreated,
    status=201,
    errors=(401,),
)
async def create_api_key() -> Response:
    d = deps()
    change = admin.create_api_key(account(), now=d.clock(), new_id=d.new_id)
    await commit(change)
    with d.store.read() as reader:
        record = reader.api_key(change.output["id"])
    assert record is not None
    return respond(schemas.ApiKeyCreated(render.api_key(record), change.output["api_key"]), 201)


@endpoint(
    "DELETE",
    "/v1/api_keys/{id}",
    summary="Revoke an API key",
    response=schemas.ApiKey,
    errors=(401, 404),
)
async def revoke_api_key(id: str) -> Response:
    d = deps()
    with d.store.read() as reader:
        record = owned(reader.api_key(id), "API key", id)
    if record.revoked is None:
        await commit(admin.Change([ev.ApiKeyRevoked(at=d.clock(), key_id=id)]))
    with d.store.read() as reader:
        revoked = reader.api_key(id)
    assert revoked is not None
    return respond(render.api_key(revoked))
