"""`/v1/webhook_endpoints`: where the account's events are delivered."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from quart import Response

from api import schemas
from api.context import account, deps, json_body, respond
from api.errors import ApiError, invalid
from api.routes import endpoint
from ocppcore.clock import rfc3339
from store import events as ev
from store.records import WebhookEndpointRecord


def _render(r: WebhookEndpointRecord) -> schemas.WebhookEndpoint:
    return schemas.WebhookEndpoint(
        r.id, "webhook_endpoint", r.url, r.enabled_events, rfc3339(r.created)
    )


@endpoint(
    "POST",
    "/v1/webhook_endpoints",
    summary="Add a webhook endpoint; its signing secret is shown once",
    response=schemas.WebhookEndpointCreated,
    status=201,
    body=schemas.WebhookEndpointCreate,
    errors=(400, 401, 415),
)
async def create_endpoint() -> Response:
    body: schemas.WebhookEndpointCreate = await json_body(schemas.WebhookEndpointCreate)
    parts = urlsplit(body.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid("url", "url must be an absolute http or https URL")
    d = deps()
    event = ev.WebhookEndpointCreated(
        at=d.clock(), account=account().id, endpoint=d.new_id("we"), url=body.url,
        enabled_events=sorted(set(body.enabled_events)),
        secret="whsec_" + secrets.token_urlsafe(32),
    )  # fmt: skip
    await d.writer.submit_one(event)
    with d.store.read() as reader:
        record = reader.webhook_endpoint(event.endpoint)
    assert record is not None
    return respond(schemas.WebhookEndpointCreated(_render(record), record.secret), 201)


@endpoint(
    "GET",
    "/v1/webhook_endpoints",
    summary="The account's webhook endpoints",
    response=schemas.WebhookEndpointList,
    errors=(401,),
)
async def list_endpoints() -> Response:
    with deps().store.read() as reader:
        records = reader.webhook_endpoints(account().id)
    return respond(schemas.WebhookEndpointList([_render(r) for r in records]))


@endpoint(
    "DELETE",
    "/v1/webhook_endpoints/{id}",
    summary="Remove a webhook endpoint",
    response=schemas.WebhookEndpoint,
    errors=(401, 404),
)
async def delete_endpoint(id: str) -> Response:
    d = deps()
    with d.store.read() as reader:
        record = reader.webhook_endpoint(id)
    if record is None or record.account != account().id or record.deleted is not None:
        raise ApiError(404, "NOT_FOUND", f"No webhook endpoint {id!r}", "id")
    await d.writer.submit_one(ev.WebhookEndpointDeleted(at=d.clock(), endpoint=id))
    return respond(_render(record))
