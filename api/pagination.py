"""Opaque, tamper-evident page tokens and the URLs that carry them.

A token holds the direction of travel, the position of the boundary item and a digest of the
filters it was issued for, signed with HMAC-SHA256 under a secret kept in the data directory.
A token that was altered, or used with other filters, is refused with 400.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlencode

import msgspec

from api.errors import invalid

_PREFIX = "page_"
_SIG = 16


class _Token(msgspec.Struct, array_like=True):
    forward: bool  # True: older items (next page); False: newer items (previous page)
    position: bytes
    filters: bytes


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(_Token)


def load_secret(data_dir: str) -> bytes:
    """The data directory's page-token secret, created on first use (readable by owner only)."""
    path = Path(data_dir) / "page-token.key"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it meanwhile
        return path.read_bytes()
    with os.fdopen(fd, "wb") as f:
        f.write(secrets.token_bytes(32))
    return path.read_bytes()


def filters_digest(items: Iterable[tuple[str, str]]) -> bytes:
    canonical = "\x00".join(f"{k}={v}" for k, v in sorted(items))
    return hashlib.sha256(canonical.encode()).digest()[:8]


class Pager:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _sign(self, data: bytes) -> bytes:
        return hmac.new(self._secret, data, hashlib.sha256).digest()[:_SIG]

    def token(self, *, forward: bool, position: bytes, filters: bytes) -> str:
        data = _encoder.encode(_Token(forward, position, filters))
        raw = data + self._sign(data)
        return _PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def parse(self, token: str, *, filters: bytes) -> tuple[bool, bytes]:
        """(forward, position) of a token issued for `filters`. Raises a 400 otherwise."""
        if not token.startswith(_PREFIX):
            raise invalid("page", "page is not a page token from this API")
        text = token[len(_PREFIX) :]
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raise invalid("page", "page token is malformed") from None
        data, signature = raw[:-_SIG], raw[-_SIG:]
        if len(raw) <= _SIG or not hmac.compare_digest(signature, self._sign(data)):
            raise invalid("page", "page token is invalid or was altered")
        try:
            parsed = _decoder.decode(data)
        except msgspec.DecodeError:
            raise invalid("page", "page token is malformed") from None
        if not hmac.compare_digest(parsed.filters, filters):
            raise invalid("page", "page token was issued for other filters or another limit")
        return parsed.forward, parsed.position


def page_url(base: str, token: str | None, params: list[tuple[str, str]]) -> str | None:
    """`base?page=TOKEN&filters...&limit=N`, in the seed's order; None without a token."""
    if token is None:
        return None
    return f"{base}?{urlencode([('page', token), *params])}"
