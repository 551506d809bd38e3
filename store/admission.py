"""What the store decides inside the write transaction, before an event enters the log.

- A retried StartTransaction (same station, connector, idTag, meterStart, timestamp) is a
  duplicate: it gets the original transactionId and is not logged again.
- A new StartTransaction gets the next transactionId, a positive int32 allocated durably.
- A StopTransaction for a transaction already stopped, and MeterValues or an orphan stop whose
  digest was already recorded, are duplicates.
- A pushed session with the same account, instants and energy as one recorded is a duplicate.
- A solar reading less than its minimum interval after the site's last one is refused.
- Names that must be unique (account names, charge point ids) are checked here, race-free even
  with several processes writing, because LMDB serializes write transactions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from store import events as ev
from store.errors import Conflict, RateLimited, StoreError, StoreFull
from store.tables import from_newest_first, u32
from store.views.sessions import dedupe_key, next_transaction_id, push_key, start_key
from store.views.solar import index_prefix as solar_prefix

MAX_TRANSACTION_ID = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the store did with one submitted event."""

    seq: int = 0  # its position in the log; 0 when nothing was appended
    duplicate: bool = False
    transaction_id: int | None = None
    session: str | None = None
    error: StoreError | None = None


def admit(txn: Any, t: Any, event: ev.Event) -> tuple[ev.Event | None, Receipt]:
    """The event to append (None for a duplicate) and the receipt's content so far."""
    match event:
        case ev.TransactionStarted():
            return _admit_start(txn, t, event)
        case ev.MeterValuesReported():
            if txn.get(dedupe_key(event.station, event.digest), db=t.dedupe) is not None:
                return None, Receipt(duplicate=True, transaction_id=event.transaction_id)
        case ev.TransactionStopped():
            if _already_stopped(txn, t, event):
                return None, Receipt(duplicate=True, transaction_id=event.transaction_id)
        case ev.SessionPushed():
            if txn.get(push_key(event), db=t.push_dedupe) is not None:
                return None, Receipt(duplicate=True)
        case ev.SolarReadingPushed():
            _check_solar_interval(txn, t, event)
        case ev.AccountCreated():
            if txn.get(event.name.encode(), db=t.accounts_by_name) is not None:
                raise Conflict(f"account {event.name!r} already exists", param="name")
        case ev.StationRegistered():
            if txn.get(event.charge_point_id.encode(), db=t.stations_by_cpid) is not None:
                raise Conflict(
                    f"charge point {event.charge_point_id!r} is already registered",
                    param="charge_point_id",
                )
    return event, Receipt()


def _admit_start(txn: Any, t: Any, event: ev.TransactionStarted) -> tuple[ev.Event | None, Receipt]:
    existing = txn.get(start_key(event), db=t.tx_starts)
    if existing is not None:
        transaction_id = int.from_bytes(existing, "big")
        session = txn.get(u32(transaction_id), db=t.sessions_by_tx)
        return None, Receipt(
            duplicate=True,
            transaction_id=transaction_id,
            session=session.decode() if session else None,
        )
    transaction_id = next_transaction_id(txn, t)
    if transaction_id > MAX_TRANSACTION_ID:
        raise StoreFull("the int32 transactionId space is exhausted")
    event = msgspec.structs.replace(event, transaction_id=transaction_id)
    return event, Receipt(transaction_id=transaction_id, session=event.session)


def _check_solar_interval(txn: Any, t: Any, event: ev.SolarReadingPushed) -> None:
    """Pushes closer than `min_interval_ms` for one site are refused, race-free and durably."""
    prefix = solar_prefix(event.account)
    with txn.cursor(db=t.solar_index) as cursor:
        if not cursor.set_range(prefix) or not cursor.key().startswith(prefix):
            return
        last = from_newest_first(cursor.key()[len(prefix) : len(prefix) + 8])
    wait_ms = last + event.min_interval_ms - event.at
    if wait_ms > 0:
        raise RateLimited(
            f"pushes for one site must be at least {event.min_interval_ms // 1000} s apart",
            retry_after=-(-wait_ms // 1000),
        )


def _already_stopped(txn: Any, t: Any, event: ev.TransactionStopped) -> bool:
    if event.transaction_id > 0 and txn.get(u32(event.transaction_id), db=t.sessions_by_tx):
        return txn.get(u32(event.transaction_id), db=t.tx_stops) is not None
    return txn.get(dedupe_key(event.station, event.digest), db=t.dedupe) is not None
