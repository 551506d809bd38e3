"""Operations: liveness, Prometheus metrics, the OpenAPI document. No authentication."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from quart import Response

from api import schemas
from api.context import deps, respond
from api.openapi import document
from api.routes import endpoint


@endpoint(
    "GET",
    "/healthz",
    summary="Liveness: the store is readable and the writer alive",
    response=schemas.Health,
    auth=False,
    errors=(503,),
)
async def healthz() -> Response:
    d = deps()
    try:
        with d.store.read() as reader:
            reader.account_by_name("default")
        store_ok = True
    except Exception:
        store_ok = False
    ok = store_ok and d.writer.alive
    health = schemas.Health("ok" if ok else "failing", store_ok, d.writer.alive, d.connected())
    return respond(health, 200 if ok else 503)


@endpoint("GET", "/metrics", summary="Prometheus text metrics", response=None, auth=False)
async def metrics() -> Response:
    return Response(generate_latest(deps().metrics.registry), content_type=CONTENT_TYPE_LATEST)


@endpoint(
    "GET", "/openapi.json", summary="This API's OpenAPI 3.1 document", response=None, auth=False
)
async def openapi() -> Response:
    return respond(document())
