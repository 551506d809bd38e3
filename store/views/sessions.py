"""Charging sessions, and the indexes that make OCPP transactions idempotent.

- `sessions`: session id -> SessionRecord; `sessions_by_tx`: transactionId -> session id.
- `session_index`: the account's sessions newest first, once for all of them and once per
  filter value (driver, fleet, vehicle, charging station, status); see `index_key`. A page of
  any single filter is a cursor seek plus `limit` reads.
- `tx_starts`: what identifies a StartTransaction (station, connector, idTag, meterStart,
  timestamp) -> its transactionId, so a retried start gets the same id.
- `tx_stops`: transactionIds already stopped; `dedupe`: digests of MeterValues and orphan stops
  already recorded. `meta[next_tx]`: the next transactionId to allocate.
"""

from __future__ import annotations

from typing import Any

from store import events as ev
from store import records
from store.records import SessionRecord
from store.tables import join, newest_first, u32, u64

NEXT_TX = b"next_tx"


def amount_due(energy_wh: int, price_per_kwh: int | None) -> int:
    """Minor units owed for `energy_wh` at `price_per_kwh` minor units, rounded half up."""
    if not price_per_kwh:
        return 0
    return (energy_wh * price_per_kwh + 500) // 1000


def start_key(e: ev.TransactionStarted) -> bytes:
    return join(
        e.station, str(e.connector_id), e.id_tag.lower(), str(e.meter_start), str(e.timestamp)
    )


def dedupe_key(station: str, digest: bytes) -> bytes:
    return join(station, digest)


ALL, DRIVER, FLEET, VEHICLE, STATION, STATUS = (
    "all",
    "driver",
    "fleet",
    "vehicle",
    "station",
    "status",
)


def index_prefix(account: str, dimension: str, value: str = "") -> bytes:
    return join(account, dimension, value, b"")


def position(created: int, seq: int) -> bytes:
    """Newest first; sessions created in the same millisecond in reverse log order."""
    return newest_first(created) + newest_first(seq)


def _index_entries(record: SessionRecord) -> list[bytes]:
    pos = position(record.created, record.seq)
    entries = [index_prefix(record.account, ALL) + pos]
    for dimension, value in (
        (DRIVER, record.driver),
        (FLEET, record.fleet),
        (VEHICLE, record.vehicle),
        (STATION, record.charging_station),
        (STATUS, record.status),
    ):
        if value is not None:
            entries.append(index_prefix(record.account, dimension, value) + pos)
    return entries


def index(txn: Any, t: Any, record: SessionRecord) -> None:
    session_id = record.id.encode()
    for key in _index_entries(record):
        txn.put(key, session_id, db=t.session_index)


def reindex_status(txn: Any, t: Any, record: SessionRecord, old_status: str) -> None:
    if old_status == record.status:
        return
    pos = position(record.created, record.seq)
    txn.delete(index_prefix(record.account, STATUS, old_status) + pos, db=t.session_index)
    txn.put(
        index_prefix(record.account, STATUS, record.status) + pos,
        record.id.encode(),
        db=t.session_index,
    )


def next_transaction_id(txn: Any, t: Any) -> int:
    data = txn.get(NEXT_TX, db=t.meta)
    return int.from_bytes(data, "big") if data else 1


def _get(txn: Any, t: Any, session_id: bytes) -> SessionRecord:
    return records.decode(SessionRecord, txn.get(session_id, db=t.sessions))


def _session_of(txn: Any, t: Any, transaction_id: int) -> tuple[bytes, SessionRecord] | None:
    if transaction_id <= 0:
        return None
    session_id = txn.get(u32(transaction_id), db=t.sessions_by_tx)
    if session_id is None:
        return None
    return session_id, _get(txn, t, session_id)


def _started(txn: Any, t: Any, seq: int, e: ev.TransactionStarted) -> None:
    tariff = e.tariff
    record = SessionRecord(
        id=e.session,
        account=e.account,
        charging_station=e.station,
        connector=f"connector_{e.connector_id}",
        created=e.at,
        updated=e.at,
        status="active" if e.id_tag_status == "Accepted" else "failed",
        energy_consumed=0,
        amount_due=0,
        seq=seq,
        session_started=e.timestamp,
        currency=tariff.currency if tariff else None,
        country=tariff.country if tariff else None,
        price_per_kwh=tariff.price_per_kwh if tariff else None,
        driver=e.driver,
        vehicle=e.vehicle,
        fleet=e.fleet,
        id_tag=e.id_tag,
        transaction_id=e.transaction_id,
        meter_start=e.meter_start,
    )
    remote = join(e.station, e.id_tag.lower())
    command = txn.get(remote, db=t.remote_starts)
    if command is not None:
        record.remote_start = command.decode()
        txn.delete(remote, db=t.remote_starts)
    session_id = e.session.encode()
    txn.put(session_id, records.encode(record), db=t.sessions)
    txn.put(u32(e.transaction_id), session_id, db=t.sessions_by_tx)
    index(txn, t, record)
    txn.put(start_key(e), u32(e.transaction_id), db=t.tx_starts)
    if e.transaction_id >= next_transaction_id(txn, t):
        txn.put(NEXT_TX, u32(e.transaction_id + 1), db=t.meta)


def _meter_values(txn: Any, t: Any, seq: int, e: ev.MeterValuesReported) -> None:
    txn.put(dedupe_key(e.station, e.digest), u64(seq), db=t.dedupe)
    if e.transaction_id is None or e.energy_wh is None:
        return
    found = _session_of(txn, t, e.transaction_id)
    if found is None:
        return
    session_id, record = found
    if record.session_ended is not None or record.meter_start is None:
        return  # a late reading never changes a final figure
    record.energy_consumed = max(0, e.energy_wh - record.meter_start)
    record.amount_due = amount_due(record.energy_consumed, record.price_per_kwh)
    record.updated = e.at
    txn.put(session_id, records.encode(record), db=t.sessions)


def _stopped(txn: Any, t: Any, seq: int, e: ev.TransactionStopped) -> None:
    found = _session_of(txn, t, e.transaction_id)
    if found is None:
        txn.put(dedupe_key(e.station, e.digest), u64(seq), db=t.dedupe)
        return
    txn.put(u32(e.transaction_id), u64(seq), db=t.tx_stops)
    session_id, record = found
    meter_start = record.meter_start or 0
    record.energy_consumed = max(0, e.meter_stop - meter_start)
    record.amount_due = amount_due(record.energy_consumed, record.price_per_kwh)
    record.session_ended = e.timestamp
    record.meter_stop = e.meter_stop
    record.stop_reason = e.reason
    record.updated = e.at
    if record.status == "active":
        record.status = "completed"
        reindex_status(txn, t, record, "active")
    txn.put(session_id, records.encode(record), db=t.sessions)


def push_key(e: ev.SessionPushed) -> bytes:
    return join(e.account, str(e.connected), str(e.disconnected), str(e.energy_wh))


def _pushed(txn: Any, t: Any, seq: int, e: ev.SessionPushed) -> None:
    tariff = e.tariff
    record = SessionRecord(
        id=e.session,
        account=e.account,
        charging_station=None,
        connector=None,
        created=e.at,
        updated=e.at,
        status="completed",
        energy_consumed=e.energy_wh,
        amount_due=amount_due(e.energy_wh, tariff.price_per_kwh if tariff else None),
        seq=seq,
        session_started=e.connected,
        session_ended=e.disconnected,
        source="push",
        currency=tariff.currency if tariff else None,
        country=tariff.country if tariff else None,
        price_per_kwh=tariff.price_per_kwh if tariff else None,
    )
    txn.put(e.session.encode(), records.encode(record), db=t.sessions)
    txn.put(push_key(e), e.session.encode(), db=t.push_dedupe)
    index(txn, t, record)


def _remote_start(txn: Any, t: Any, seq: int, e: ev.RemoteStartAccepted) -> None:
    txn.put(join(e.station, e.id_tag.lower()), e.command.encode(), db=t.remote_starts)


APPLY: dict[type[ev.Event], Any] = {
    ev.RemoteStartAccepted: _remote_start,
    ev.SessionPushed: _pushed,
    ev.TransactionStarted: _started,
    ev.MeterValuesReported: _meter_values,
    ev.TransactionStopped: _stopped,
}
