"""Typed reads of the views within one LMDB read transaction (a consistent snapshot)."""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Any, TypeVar

from store import records
from store.records import (
    AccountRecord,
    ApiKeyRecord,
    IdTagRecord,
    Record,
    SessionRecord,
    StationRecord,
)
from store.tables import SEP, id_tag_key, join, u32

R = TypeVar("R", bound=Record)


class Reader:
    """A snapshot of the views. Use as a context manager; cheap to open (microseconds)."""

    def __init__(self, txn: Any, tables: Any) -> None:
        self._txn = txn
        self._t = tables

    def __enter__(self) -> Reader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._txn.abort()

    def _record(self, kind: type[R], key: bytes | None, db: Any) -> R | None:
        if key is None:
            return None
        data = self._txn.get(key, db=db)
        return records.decode(kind, data) if data is not None else None

    def _via(self, index: Any, key: bytes) -> bytes | None:
        value: bytes | None = self._txn.get(key, db=index)
        return value

    # accounts and keys

    def account(self, account_id: str) -> AccountRecord | None:
        return self._record(AccountRecord, account_id.encode(), self._t.accounts)

    def account_by_name(self, name: str) -> AccountRecord | None:
        key = self._via(self._t.accounts_by_name, name.encode())
        return self._record(AccountRecord, key, self._t.accounts)

    def api_key(self, key_id: str) -> ApiKeyRecord | None:
        return self._record(ApiKeyRecord, key_id.encode(), self._t.api_keys)

    def api_key_by_digest(self, digest: bytes) -> ApiKeyRecord | None:
        key = self._via(self._t.api_keys_by_digest, digest)
        return self._record(ApiKeyRecord, key, self._t.api_keys)

    def api_keys(self) -> Iterator[ApiKeyRecord]:
        with self._txn.cursor(db=self._t.api_keys) as cursor:
            for _, data in cursor:
                yield records.decode(ApiKeyRecord, data)

    def id_tag(self, account: str, id_tag: str) -> IdTagRecord | None:
        return self._record(IdTagRecord, id_tag_key(account, id_tag), self._t.id_tags)

    def id_tags(self, account: str) -> Iterator[IdTagRecord]:
        prefix = join(account, b"")
        with self._txn.cursor(db=self._t.id_tags) as cursor:
            if not cursor.set_range(prefix):
                return
            for key, data in cursor:
                if not key.startswith(prefix):
                    return
                yield records.decode(IdTagRecord, data)

    # stations

    def _station(self, key: bytes | None) -> StationRecord | None:
        record = self._record(StationRecord, key, self._t.stations)
        if record is not None:
            seen = self._txn.get(record.id.encode(), db=self._t.stations_seen)
            record.last_seen = int.from_bytes(seen, "big") if seen else None
        return record

    def station(self, station_id: str) -> StationRecord | None:
        return self._station(station_id.encode())

    def station_by_charge_point_id(self, charge_point_id: str) -> StationRecord | None:
        return self._station(self._via(self._t.stations_by_cpid, charge_point_id.encode()))

    def station_by_token_digest(self, digest: bytes) -> StationRecord | None:
        return self._station(self._via(self._t.stations_by_token, digest))

    def stations(self) -> Iterator[StationRecord]:
        with self._txn.cursor(db=self._t.stations) as cursor:
            for key in cursor.iternext(values=False):
                station = self._station(key)
                if station is not None:
                    yield station

    # sessions

    def session(self, session_id: str) -> SessionRecord | None:
        return self._record(SessionRecord, session_id.encode(), self._t.sessions)

    def session_by_transaction(self, transaction_id: int) -> SessionRecord | None:
        if not 0 < transaction_id < 2**32:
            return None
        key = self._via(self._t.sessions_by_tx, u32(transaction_id))
        return self._record(SessionRecord, key, self._t.sessions)

    def sessions(self, account: str) -> Iterator[SessionRecord]:
        """The account's sessions, newest first."""
        prefix = account.encode() + SEP
        with self._txn.cursor(db=self._t.sessions_by_created) as cursor:
            if not cursor.set_range(prefix):
                return
            for key in cursor.iternext(values=False):
                if not key.startswith(prefix):
                    return
                session = self._record(SessionRecord, key[len(prefix) + 17 :], self._t.sessions)
                if session is not None:
                    yield session
