"""Public identifiers: a prefix and 32 base62 characters (`cs_0WbJ3kQ...`).

The first 8 characters are the creation time in milliseconds, the other 24 are random (about
143 bits). Identifiers made later sort later, so a record keyed by its id is appended to its
B-tree rather than written to a random page: as a store grows to millions of sessions, a batch
of new sessions touches a few pages instead of one per session, and pages stay full.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # in ASCII order
_LENGTH = 32
_TIME_DIGITS = 8  # 62**8 milliseconds is about 6,900 years


def _digits(number: int, length: int) -> str:
    """`number` as `length` base62 digits, most significant first (so they sort like numbers)."""
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 62)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


def base62(length: int = _LENGTH) -> str:
    """`length` random base62 characters (secrets: API keys, connection tokens)."""
    # 24 random bytes carry 192 bits, more than 32 base62 digits hold (about 190.5 bits).
    return _digits(
        int.from_bytes(secrets.token_bytes(24 + max(0, length - _LENGTH)), "big"), length
    )


def new_id(prefix: str, *, now_ms: int | None = None) -> str:
    """A fresh identifier such as `cs_` + 32 base62 characters, ordered by creation time."""
    ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    return f"{prefix}_{_digits(ms, _TIME_DIGITS)}{base62(_LENGTH - _TIME_DIGITS)}"


IdFactory = Callable[[str], str]
