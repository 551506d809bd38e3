"""Who is connecting: the charge point a WebSocket request names, and whether it may connect.

Two URL forms are served: `/ocpp/{chargePointId}` (HTTP Basic auth when the charge point has a
password, OCPP Security Profile 1) and `/cp/{connectionToken}`. Refusals carry an HTTP status
and no detail that would help an attacker tell a wrong id from a wrong password.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

SUBPROTOCOL = "ocpp1.6"


@dataclass(frozen=True, slots=True)
class ByChargePointId:
    charge_point_id: str


@dataclass(frozen=True, slots=True)
class ByToken:
    token: str


Target = ByChargePointId | ByToken


def parse_path(path: str) -> Target | None:
    """The charge point named by a request path, or None for a path we do not serve."""
    parts = urlsplit(path).path.split("/")
    # "/ocpp/CP-1" splits into ["", "ocpp", "CP-1"]; a trailing slash is tolerated.
    if len(parts) == 4 and parts[3] == "":
        parts = parts[:3]
    if len(parts) != 3 or parts[0] != "" or not parts[2]:
        return None
    value = unquote(parts[2])
    if not value.isprintable() or len(value) > 255:
        return None
    if parts[1] == "ocpp":
        return ByChargePointId(value)
    if parts[1] == "cp":
        return ByToken(value)
    return None


def choose_subprotocol(proposed: tuple[str, ...]) -> tuple[bool, str | None]:
    """(acceptable, subprotocol to answer): none offered is fine; others only is not."""
    if not proposed:
        return True, None
    if SUBPROTOCOL in proposed:
        return True, SUBPROTOCOL
    return False, None


def basic_credentials(headers: list[tuple[bytes, bytes]]) -> tuple[str, str] | None:
    """(user, password) from an `Authorization: Basic ...` header, if there is a valid one."""
    for name, value in headers:
        if name.lower() != b"authorization":
            continue
        scheme, _, encoded = value.partition(b" ")
        if scheme.lower() != b"basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        return (user, password) if sep else None
    return None
