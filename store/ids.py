"""Random public identifiers: a prefix and 32 base62 characters (`cs_AL1gQKYw...`)."""

from __future__ import annotations

import secrets
from collections.abc import Callable

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_LENGTH = 32


def base62(length: int = _LENGTH) -> str:
    # 24 random bytes carry 192 bits, more than 32 base62 digits hold (about 190.5 bits).
    number = int.from_bytes(secrets.token_bytes(24 + max(0, length - _LENGTH)), "big")
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 62)
        chars.append(_ALPHABET[digit])
    return "".join(chars)


def new_id(prefix: str) -> str:
    """A fresh identifier such as `cs_` + 32 base62 characters."""
    return f"{prefix}_{base62()}"


IdFactory = Callable[[str], str]
