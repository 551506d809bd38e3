"""The named LMDB databases of one environment, and the key layouts of the indexes.

Index keys are shaped for their queries so that a page is a cursor seek plus `limit` reads:
`session_index` holds `account 0 dimension 0 value 0 (2**64-1-created)(2**64-1-seq)`, newest
first, with the session id as value.
"""

from __future__ import annotations

from typing import Any

LOG = b"log"
VIEW_DBS: tuple[bytes, ...] = (
    b"meta",
    b"accounts",
    b"accounts_by_name",
    b"api_keys",
    b"api_keys_by_digest",
    b"id_tags",
    b"stations",
    b"stations_seen",
    b"stations_index",
    b"stations_by_cpid",
    b"stations_by_token",
    b"sessions",
    b"sessions_by_tx",
    b"session_index",
    b"tx_starts",
    b"tx_stops",
    b"dedupe",
    b"push_dedupe",
    b"solar_readings",
    b"solar_index",
    b"reports",
    b"reports_index",
    b"reports_pending",
    b"events",
    b"events_index",
    b"webhook_endpoints",
    b"webhook_index",
    b"deliveries",
    b"deliveries_due",
    b"commands",
    b"commands_index",
    b"remote_starts",
    b"reservations",
    b"charging_profiles",
)
SEP = b"\x00"
_MAX_U64 = 2**64 - 1


class Tables:
    """Handles of every named database, opened once per environment."""

    def __init__(self, env: Any) -> None:  # an lmdb.Environment
        self.log: Any = env.open_db(LOG)
        self.views: dict[bytes, Any] = {name: env.open_db(name) for name in VIEW_DBS}
        for name, handle in self.views.items():
            setattr(self, name.decode(), handle)

    # Attribute access for the views (set in __init__), typed loosely on purpose.
    def __getattr__(self, name: str) -> Any:  # pragma: no cover - only reached on typos
        raise AttributeError(name)


def u64(n: int) -> bytes:
    return n.to_bytes(8, "big")


def u32(n: int) -> bytes:
    return n.to_bytes(4, "big", signed=False)


def newest_first(ms: int) -> bytes:
    return (_MAX_U64 - ms).to_bytes(8, "big")


def from_newest_first(key: bytes) -> int:
    return _MAX_U64 - int.from_bytes(key, "big")


def join(*parts: str | bytes) -> bytes:
    return SEP.join(p.encode() if isinstance(p, str) else p for p in parts)


def id_tag_key(account: str, id_tag: str) -> bytes:
    # idTags are CiString20: case-insensitive.
    return join(account, id_tag.lower())
