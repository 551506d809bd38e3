"""What the central system told each charger and what it agreed to: reservations, charging
profiles (per connector, purpose and stack level). The local list version is on the station.

- `reservations`: station|reservation id -> ReservationRecord; a StartTransaction naming the
  reservation uses it up.
- `charging_profiles`: station|connector|purpose|stack level -> ChargingProfileRecord; a new
  profile with the same id or the same connector, purpose and stack level replaces the old one
  (OCPP 1.6 section 3.13.2).
"""

from __future__ import annotations

from typing import Any

from store import events as ev
from store import records
from store.records import ChargingProfileRecord, ReservationRecord
from store.tables import join


def reservation_key(station: str, reservation_id: int) -> bytes:
    return join(station, str(reservation_id))


def profile_key(station: str, connector_id: int, purpose: str, stack_level: int) -> bytes:
    return join(station, f"{connector_id:010d}", purpose, f"{stack_level:010d}")


def _reserved(txn: Any, t: Any, seq: int, e: ev.ReservationMade) -> None:
    record = ReservationRecord(
        station=e.station, reservation_id=e.reservation_id, connector_id=e.connector_id,
        id_tag=e.id_tag, expiry=e.expiry, created=e.at, parent_id_tag=e.parent_id_tag,
    )  # fmt: skip
    txn.put(reservation_key(e.station, e.reservation_id), records.encode(record), db=t.reservations)


def _reservation_update(
    txn: Any, t: Any, station: str, reservation_id: int, **changes: Any
) -> None:
    key = reservation_key(station, reservation_id)
    data = txn.get(key, db=t.reservations)
    if data is None:
        return
    record = records.decode(ReservationRecord, data)
    if record.status != "active":
        return
    for name, value in changes.items():
        setattr(record, name, value)
    txn.put(key, records.encode(record), db=t.reservations)


def _cancelled(txn: Any, t: Any, seq: int, e: ev.ReservationCancelled) -> None:
    _reservation_update(txn, t, e.station, e.reservation_id, status="cancelled")


def _started(txn: Any, t: Any, seq: int, e: ev.TransactionStarted) -> None:
    if e.reservation_id is not None:
        _reservation_update(txn, t, e.station, e.reservation_id, status="used", session=e.session)


def _profile_set(txn: Any, t: Any, seq: int, e: ev.ChargingProfileSet) -> None:
    prefix = join(e.station, b"")
    with txn.cursor(db=t.charging_profiles) as cursor:
        stale = [
            key
            for key, data in _items(cursor, prefix)
            if records.decode(ChargingProfileRecord, data).profile_id == e.profile_id
        ]
    for key in stale:
        txn.delete(key, db=t.charging_profiles)
    record = ChargingProfileRecord(
        station=e.station, connector_id=e.connector_id, profile_id=e.profile_id,
        purpose=e.purpose, stack_level=e.stack_level, profile=e.profile, set_at=e.at,
    )  # fmt: skip
    key = profile_key(e.station, e.connector_id, e.purpose, e.stack_level)
    txn.put(key, records.encode(record), db=t.charging_profiles)


def _profiles_cleared(txn: Any, t: Any, seq: int, e: ev.ChargingProfilesCleared) -> None:
    prefix = join(e.station, b"")
    with txn.cursor(db=t.charging_profiles) as cursor:
        doomed = []
        for key, data in _items(cursor, prefix):
            p = records.decode(ChargingProfileRecord, data)
            if (
                (e.profile_id is None or p.profile_id == e.profile_id)
                and (e.connector_id is None or p.connector_id == e.connector_id)
                and (e.purpose is None or p.purpose == e.purpose)
                and (e.stack_level is None or p.stack_level == e.stack_level)
            ):
                doomed.append(key)
    for key in doomed:
        txn.delete(key, db=t.charging_profiles)


def _items(cursor: Any, prefix: bytes) -> list[tuple[bytes, bytes]]:
    found: list[tuple[bytes, bytes]] = []
    if not cursor.set_range(prefix):
        return found
    for key, data in cursor:
        if not key.startswith(prefix):
            break
        found.append((key, data))
    return found


APPLY: dict[type[ev.Event], Any] = {
    ev.ReservationMade: _reserved,
    ev.ReservationCancelled: _cancelled,
    ev.TransactionStarted: _started,
    ev.ChargingProfileSet: _profile_set,
    ev.ChargingProfilesCleared: _profiles_cleared,
}
