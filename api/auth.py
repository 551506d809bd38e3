"""API keys: `Authorization: Bearer <key>` (or, for the solar push, a key in the body).

Keys are looked up by their SHA-256 digest and the stored digest is compared in constant time.
"""

from __future__ import annotations

import hmac

from quart import g, request

from api.context import deps
from api.errors import ApiError
from store import credentials
from store.records import AccountRecord


def authenticate_header() -> AccountRecord:
    """The account of the request's `Authorization: Bearer` key; 401 otherwise."""
    header = request.headers.get("Authorization")
    if not header:
        raise ApiError(401, "AUTH_HEADER_MISSING", "Authorization header is not present")
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise ApiError(401, "INVALID_API_KEY", "Authorization must be 'Bearer <api key>'")
    return authenticate_key(key)


def authenticate_key(key: str) -> AccountRecord:
    """The account of API key `key`; 401 INVALID_API_KEY otherwise. Sets `g.api_key`."""
    digest = credentials.digest(key)
    with deps().store.read() as reader:
        record = reader.api_key_by_digest(digest)
        owner = reader.account(record.account) if record else None
    # Keys are looked up by their SHA-256 digest, so lookup timing tells nothing about the key
    # itself; the stored digest is still compared in constant time, as a second check.
    if (
        record is None
        or owner is None
        or not hmac.compare_digest(record.digest, digest)
        or record.revoked
    ):
        raise ApiError(401, "INVALID_API_KEY", "The API key is invalid or has been revoked")
    g.api_key = record
    return owner
