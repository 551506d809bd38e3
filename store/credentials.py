"""Secrets at rest: API keys and connection tokens as SHA-256 digests (they are long random
strings, so a plain digest suffices), charge point passwords with salted PBKDF2."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from store.ids import base62

API_KEY_PREFIX = "sk_live_"
# How much of a key is kept in clear to name it (`ocppcore keys revoke sk_live_AbCdEfGh`).
API_KEY_DISPLAY_LENGTH = len(API_KEY_PREFIX) + 8
_PBKDF2_ITERATIONS = 60_000


def new_api_key() -> str:
    return API_KEY_PREFIX + base62(40)


def new_connection_token() -> str:
    return base62(40)


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _PBKDF2_ITERATIONS)
    return f"pbkdf2_sha256${_PBKDF2_ITERATIONS}${salt.hex()}${derived.hex()}"


def verify_password(password: str, encoded: str) -> bool:
    """True when `password` matches `encoded`; compares in constant time."""
    try:
        scheme, iterations, salt, expected = encoded.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256":
        return False
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(derived.hex(), expected)
