"""Typed reads of the views within one LMDB read transaction (a consistent snapshot)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from types import TracebackType
from typing import Any, Generic, TypeVar

from store import records
from store.records import (
    AccountRecord,
    ApiKeyRecord,
    ChargingProfileRecord,
    CommandRecord,
    DeliveryRecord,
    EventRecord,
    IdTagRecord,
    Record,
    ReportRecord,
    ReservationRecord,
    SessionRecord,
    SolarReadingRecord,
    StationRecord,
    WebhookEndpointRecord,
)
from store.tables import id_tag_key, join, newest_first, u32
from store.views import commands as commands_view
from store.views import reports as reports_view
from store.views import sessions as sessions_view
from store.views import solar as solar_view
from store.views import stations as stations_view
from store.views import webhooks as webhooks_view

R = TypeVar("R", bound=Record)


class _Closed:
    """Stands in for the transaction of a Reader whose block has ended."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError("this Reader's snapshot is closed: read inside its `with` block")


_CLOSED = _Closed()


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
        # py-lmdb frees a read transaction's reader slot only when the Transaction object goes
        # away, not at abort(). A Reader can outlive its block (a handler's Context, a frame
        # awaiting the writer), so drop the transaction now: thousands of chargers awaiting
        # commits would otherwise hold thousands of slots (MDB_READERS_FULL).
        self._txn.abort()
        self._txn = _CLOSED

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
        after: bytes | None = None
        while True:
            page = self.session_page(account, sessions_view.ALL, "", after=after, limit=500)
            yield from (record for _, record in page.items)
            if not page.has_older:
                return
            after = page.items[-1][0]

    def session_page(
        self,
        account: str,
        dimension: str,
        value: str,
        *,
        created_gte: int | None = None,
        created_lte: int | None = None,
        after: bytes | None = None,
        before: bytes | None = None,
        limit: int = 10,
        match: Callable[[Any], bool] | None = None,
        kind: type[Any] = SessionRecord,
    ) -> Page[Any]:
        """Up to `limit` sessions of one index, newest first, within the `created` bounds.

        `after` (a position from a previous page) continues with older sessions; `before` walks
        back to newer ones. `match` filters further (other filters than the index's). Without
        `match` a page costs one cursor seek plus `limit` + 2 reads. `kind` may be a Struct with
        fewer fields than SessionRecord (SessionTotals), decoded faster.
        """
        prefix = sessions_view.index_prefix(account, dimension, value)
        return self._page(
            self._t.session_index,
            prefix,
            kind,
            self._t.sessions,
            created_gte=created_gte,
            created_lte=created_lte,
            after=after,
            before=before,
            limit=limit,
            match=match,
        )

    def report(self, report_id: str) -> ReportRecord | None:
        return self._record(ReportRecord, report_id.encode(), self._t.reports)

    def pending_reports(self) -> list[str]:
        with self._txn.cursor(db=self._t.reports_pending) as cursor:
            return [key.decode() for key in cursor.iternext(values=False)]

    def report_page(
        self,
        account: str,
        *,
        after: bytes | None = None,
        before: bytes | None = None,
        limit: int = 10,
    ) -> Page[ReportRecord]:
        return self._page(
            self._t.reports_index,
            reports_view.report_prefix(account),
            ReportRecord,
            self._t.reports,
            after=after,
            before=before,
            limit=limit,
            match=None,
        )

    def event(self, event_id: str) -> EventRecord | None:
        return self._record(EventRecord, event_id.encode(), self._t.events)

    def event_page(
        self,
        account: str,
        type_: str,
        *,
        after: bytes | None = None,
        before: bytes | None = None,
        limit: int = 10,
    ) -> Page[EventRecord]:
        return self._page(
            self._t.events_index,
            reports_view.event_prefix(account, type_),
            EventRecord,
            self._t.events,
            after=after,
            before=before,
            limit=limit,
            match=None,
        )

    def webhook_endpoint(self, endpoint_id: str) -> WebhookEndpointRecord | None:
        return self._record(WebhookEndpointRecord, endpoint_id.encode(), self._t.webhook_endpoints)

    def webhook_endpoints(self, account: str) -> list[WebhookEndpointRecord]:
        """The account's live endpoints, newest first."""
        return [r for _, r in self._page(
            self._t.webhook_index, webhooks_view.endpoint_prefix(account), WebhookEndpointRecord,
            self._t.webhook_endpoints, after=None, before=None, limit=1000, match=None,
        ).items]  # fmt: skip

    def delivery(self, event: str, endpoint: str) -> DeliveryRecord | None:
        return self._record(
            DeliveryRecord, webhooks_view.delivery_key(event, endpoint), self._t.deliveries
        )

    def deliveries_due(self, now: int, limit: int = 100) -> list[DeliveryRecord]:
        """Deliveries whose next attempt is due at `now`, soonest first."""
        due: list[DeliveryRecord] = []
        with self._txn.cursor(db=self._t.deliveries_due) as cursor:
            for key in cursor.iternext(values=False):
                if int.from_bytes(key[:8], "big") > now or len(due) >= limit:
                    break
                record = self._record(DeliveryRecord, key[8:], self._t.deliveries)
                if record is not None:
                    due.append(record)
        return due

    def command(self, command_id: str) -> CommandRecord | None:
        return self._record(CommandRecord, command_id.encode(), self._t.commands)

    def command_page(
        self,
        station: str,
        *,
        after: bytes | None = None,
        before: bytes | None = None,
        limit: int = 10,
    ) -> Page[CommandRecord]:
        """The station's commands, newest first; paged like sessions."""
        return self._page(
            self._t.commands_index, commands_view.index_prefix(station), CommandRecord,
            self._t.commands, after=after, before=before, limit=limit, match=None,
        )  # fmt: skip

    def reservations(self, station: str) -> list[ReservationRecord]:
        return self._prefixed(ReservationRecord, self._t.reservations, station)

    def charging_profiles(self, station: str) -> list[ChargingProfileRecord]:
        return self._prefixed(ChargingProfileRecord, self._t.charging_profiles, station)

    def _prefixed(self, kind: type[R], db: Any, station: str) -> list[R]:
        prefix = join(station, b"")
        found: list[R] = []
        with self._txn.cursor(db=db) as cursor:
            if not cursor.set_range(prefix):
                return found
            for key, data in cursor:
                if not key.startswith(prefix):
                    break
                found.append(records.decode(kind, data))
        return found

    def solar_reading(self, reading_id: str) -> SolarReadingRecord | None:
        return self._record(SolarReadingRecord, reading_id.encode(), self._t.solar_readings)

    def solar_page(
        self,
        account: str,
        *,
        created_gte: int | None = None,
        created_lte: int | None = None,
        after: bytes | None = None,
        before: bytes | None = None,
        limit: int = 10,
    ) -> Page[SolarReadingRecord]:
        """The account's solar readings, newest first; paged like sessions."""
        return self._page(
            self._t.solar_index,
            solar_view.index_prefix(account),
            SolarReadingRecord,
            self._t.solar_readings,
            created_gte=created_gte,
            created_lte=created_lte,
            after=after,
            before=before,
            limit=limit,
            match=None,
        )

    def station_page(
        self,
        account: str,
        *,
        after: bytes | None = None,
        before: bytes | None = None,
        limit: int = 10,
        match: Callable[[StationRecord], bool] | None = None,
    ) -> Page[StationRecord]:
        """The account's charging stations, newest first; paged like sessions."""
        prefix = stations_view.index_prefix(account)
        page = self._page(
            self._t.stations_index,
            prefix,
            StationRecord,
            self._t.stations,
            after=after,
            before=before,
            limit=limit,
            match=match,
            load=self._station,
        )
        return page

    def _page(
        self,
        index: Any,
        prefix: bytes,
        kind: type[R],
        table: Any,
        *,
        created_gte: int | None = None,
        created_lte: int | None = None,
        after: bytes | None,
        before: bytes | None,
        limit: int,
        match: Callable[[R], bool] | None,
        load: Callable[[bytes], R | None] | None = None,
    ) -> Page[R]:
        low = prefix + (
            newest_first(created_lte) + _ZEROS if created_lte is not None else _ZEROS * 2
        )
        high = prefix + (
            newest_first(created_gte) + _ONES if created_gte is not None else _ONES * 2
        )
        fetch = load or (lambda key: self._record(kind, key, table))

        def matching(keys: Iterator[bytes]) -> Iterator[tuple[bytes, R]]:
            for key in keys:
                record = fetch(cursor.value())  # the index's value: the record's key
                if record is not None and (match is None or match(record)):
                    yield key[len(prefix) :], record

        with self._txn.cursor(db=index) as cursor:
            if before is None:
                start = max(low, prefix + after) if after is not None else low
                found = list(
                    islice(matching(_older(cursor, start, high, skip=after is not None)), limit + 1)
                )
                items, has_older = found[:limit], len(found) > limit
                has_newer = bool(items) and _any(
                    matching(_newer(cursor, prefix + items[0][0], low, high))
                )
            else:
                found = list(
                    islice(matching(_newer(cursor, prefix + before, low, high)), limit + 1)
                )
                items, has_newer = found[:limit][::-1], len(found) > limit
                has_older = bool(items) and _any(
                    matching(_older(cursor, prefix + items[-1][0], high, skip=True))
                )
        return Page(items, has_older=has_older, has_newer=has_newer)


def _any(items: Iterator[Any]) -> bool:
    return next(items, None) is not None


def _older(cursor: Any, start: bytes, high: bytes, *, skip: bool) -> Iterator[bytes]:
    """Keys from `start` (excluded when `skip`) towards older items, up to `high`."""
    if not cursor.set_range(start):
        return
    if skip and cursor.key() == start and not cursor.next():
        return
    while (key := cursor.key()) <= high:
        yield key
        if not cursor.next():
            return


def _newer(cursor: Any, start: bytes, low: bytes, high: bytes) -> Iterator[bytes]:
    """Keys strictly before `start` towards newer items, down to `low`."""
    positioned = cursor.prev() if cursor.set_range(start) else cursor.last()
    while positioned:
        key = cursor.key()
        if key < low:
            return
        if key < start and key <= high:
            yield key
        positioned = cursor.prev()


_ZEROS = b"\x00" * 8
_ONES = b"\xff" * 8


@dataclass(frozen=True, slots=True)
class Page(Generic[R]):
    items: list[tuple[bytes, R]]  # (position, record), newest first
    has_older: bool
    has_newer: bool
