"""`create_app`: the Quart-trio application, given what it needs from the running service.

Every `/v1` request is authenticated with `Authorization: Bearer <api key>`; the key's account
is the only one it reaches. Every error, ours or the framework's, has the one error shape.
"""

from __future__ import annotations

import logging

from quart import Response, g, request
from quart_trio import QuartTrio
from werkzeug.exceptions import HTTPException

from api import (  # noqa: F401  (declare the endpoints)
    admin,
    commands,
    events,
    ops,
    push,
    routes,
    sessions,
    solar,
    stations,
)
from api.auth import authenticate_header
from api.context import MAX_BODY, Deps, error_response
from api.errors import ApiError
from api.reports import endpoints as report_endpoints  # noqa: F401
from api.webhooks import endpoints as webhook_endpoints  # noqa: F401
from store.errors import RateLimited, StoreError

log = logging.getLogger("ocppcore.api")


def create_app(d: Deps) -> QuartTrio:
    app = QuartTrio("ocppcore")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.extensions["ocppcore"] = d
    app.url_map.strict_slashes = False
    routes.register(app)
    protected = {f"{e.method} {e.path}" for e in routes.ENDPOINTS if e.auth}

    @app.before_request
    async def authenticate() -> None:
        # Refuse an oversized body before reading it (bodies without a length are cut off by
        # MAX_CONTENT_LENGTH while they are read).
        if (request.content_length or 0) > MAX_BODY:
            raise ApiError(413, "PAYLOAD_TOO_LARGE", f"Request body exceeds {MAX_BODY} bytes")
        rule = request.url_rule
        if rule is not None and rule.endpoint in protected:
            g.account = authenticate_header()

    @app.after_request
    async def count(response: Response) -> Response:
        rule = request.url_rule
        route = rule.rule if rule is not None else "unmatched"
        d.metrics.http.labels(route, request.method, str(response.status_code)).inc()
        return response

    @app.errorhandler(ApiError)
    async def api_error(exc: ApiError) -> Response:
        response = error_response(exc.status, exc.code, exc.message, exc.param)
        response.headers.update(exc.headers)
        return response

    @app.errorhandler(StoreError)
    async def store_error(exc: StoreError) -> Response:
        if exc.http_status >= 500:
            log.error("store error: %s", exc.message)
        response = error_response(exc.http_status, exc.code, exc.message, exc.param)
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(HTTPException)
    async def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE"}.get(
            status, "HTTP_ERROR"
        )
        message = {
            404: "No such resource",
            405: f"Method {request.method} is not allowed here",
            413: f"Request body exceeds {MAX_BODY} bytes",
        }.get(status, exc.name)
        return error_response(status, code, message)

    @app.errorhandler(Exception)
    async def internal_error(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "INTERNAL_ERROR", "An internal error occurred")

    return app
