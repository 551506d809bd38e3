"""The route table: each endpoint is declared once, with the Structs of its query, body and
response. `register` adds them to a Quart app; `api/openapi.py` documents them."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from quart import Quart


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # OpenAPI form: /v1/charging_sessions/{id}
    handler: Callable[..., Awaitable[Any]]
    summary: str
    response: type | None
    status: int = 200
    query: type | None = None
    body: type | None = None
    auth: bool = True
    errors: tuple[int, ...] = field(default=())


ENDPOINTS: list[Endpoint] = []


def endpoint(
    method: str,
    path: str,
    *,
    summary: str,
    response: type | None,
    status: int = 200,
    query: type | None = None,
    body: type | None = None,
    auth: bool = True,
    errors: tuple[int, ...] = (),
) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]:
    def declare(handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        ENDPOINTS.append(
            Endpoint(method, path, handler, summary, response, status, query, body, auth, errors)
        )
        return handler

    return declare


def quart_path(path: str) -> str:
    return re.sub(r"\{(\w+)\}", r"<\1>", path)


def register(app: Quart) -> None:
    for e in ENDPOINTS:
        app.add_url_rule(
            quart_path(e.path),
            endpoint=f"{e.method} {e.path}",
            view_func=e.handler,
            methods=[e.method],
        )
