"""What every paginated listing shares: reading the page token, and building the page URLs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quart import request

from api.context import base_url, deps
from api.pagination import filters_digest, page_url
from store.reader import Page


@dataclass(frozen=True)
class Cursor:
    after: bytes | None
    before: bytes | None
    params: list[tuple[str, str]]  # the request's own parameters but `page`, in their order
    digest: bytes


def cursor() -> Cursor:
    """Where the requested page starts; a 400 if the page token is bad or for other filters."""
    params = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
    digest = filters_digest(params)
    token = request.args.get("page")
    if token is None:
        return Cursor(None, None, params, digest)
    forward, position = deps().pager.parse(token, filters=digest)
    return Cursor(position if forward else None, None if forward else position, params, digest)


def links(page: Page[Any], where: Cursor) -> tuple[str | None, str | None]:
    """(next_page_url, previous_page_url) for `page`."""
    pager, base = deps().pager, base_url()
    next_token = previous_token = None
    if page.items and page.has_older:
        next_token = pager.token(forward=True, position=page.items[-1][0], filters=where.digest)
    if page.items and page.has_newer:
        previous_token = pager.token(forward=False, position=page.items[0][0], filters=where.digest)
    return page_url(base, next_token, where.params), page_url(base, previous_token, where.params)
