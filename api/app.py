"""`create_app`: the Quart-trio application, given what it needs from the running service.

Every `/v1` request is authenticated with `Authorization: Bearer <api key>`; the key's account
is the only one it reaches. Every error, ours or the framework's, has the one error shape.
"""

from __future__ import annotations

import hmac
import logging

from quart import Response, g, request
from quart_trio import QuartTrio
from werkzeug.exceptions import HTTPException

from api import admin, ops, routes, sessions, stations  # noqa: F401  (declare the endpoints)
from api.context import MAX_BODY, Deps, deps, error_response
from api.errors import ApiError
from store import credentials
from store.errors import StoreError
from store.records import AccountRecord

log = logging.getLogger("ocppcore.api")


def _authenticate() -> AccountRecord:
    header = request.headers.get("Authorization")
    if not header:
        raise ApiError(401, "AUTH_HEADER_MISSING", "Authorization header is not present")
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise ApiError(401, "INVALID_API_KEY", "Authorization must be 'Bearer <api key>'")
    digest = credentials.digest(key)
    with deps().store.read() as reader:
        record = reader.api_key_by_digest(digest)
        owner = reader.account(record.account) if record else None
    # Constant-time comparison of what was looked up, so a near miss takes as long as a hit.
    if (
        record is None
        or owner is None
        or not hmac.compare_digest(record.digest, digest)
        or record.revoked
    ):
        raise ApiError(401, "INVALID_API_KEY", "The API key is invalid or has been revoked")
    return owner


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
            g.account = _authenticate()

    @app.after_request
    async def count(response: Response) -> Response:
        rule = request.url_rule
        route = rule.rule if rule is not None else "unmatched"
        d.metrics.http.labels(route, request.method, str(response.status_code)).inc()
        return response

    @app.errorhandler(ApiError)
    async def api_error(exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.param)

    @app.errorhandler(StoreError)
    async def store_error(exc: StoreError) -> Response:
        if exc.http_status >= 500:
            log.error("store error: %s", exc.message)
        return error_response(exc.http_status, exc.code, exc.message, exc.param)

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
