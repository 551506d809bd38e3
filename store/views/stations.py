"""Charging stations: registration and credentials, boot info, connectors, online and last seen.

Every event a station sends marks it as seen. That is most events of all, so `last_seen` lives in
its own database (`stations_seen`: station -> u64 ms), written without reading the record.
"""

from __future__ import annotations

from typing import Any

from store import events as ev
from store import records
from store.records import BootRecord, ConnectorRecord, StationRecord
from store.tables import join, newest_first, u64


def _get(txn: Any, t: Any, station: str) -> StationRecord | None:
    data = txn.get(station.encode(), db=t.stations)
    return records.decode(StationRecord, data) if data else None


def _put(txn: Any, t: Any, record: StationRecord) -> None:
    txn.put(record.id.encode(), records.encode(record), db=t.stations)


def index_prefix(account: str) -> bytes:
    return join(account, b"")


def _registered(txn: Any, t: Any, seq: int, e: ev.StationRegistered) -> None:
    record = StationRecord(
        id=e.station,
        account=e.account,
        charge_point_id=e.charge_point_id,
        token_digest=e.token_digest,
        password_hash=e.password_hash,
        created=e.at,
    )
    _put(txn, t, record)
    txn.put(e.charge_point_id.encode(), e.station.encode(), db=t.stations_by_cpid)
    txn.put(e.token_digest, e.station.encode(), db=t.stations_by_token)
    key = index_prefix(e.account) + newest_first(e.at) + newest_first(seq)
    txn.put(key, e.station.encode(), db=t.stations_index)


def _server_started(txn: Any, t: Any, seq: int, e: ev.ServerStarted) -> None:
    with txn.cursor(db=t.stations) as cursor:
        for key, data in cursor:
            record = records.decode(StationRecord, data)
            if record.online:
                record.online = False
                txn.put(key, records.encode(record), db=t.stations)


def _seen(txn: Any, t: Any, seq: int, e: Any) -> None:
    txn.put(e.station.encode(), u64(e.at), db=t.stations_seen)


def _updater(change: Any, *, seen: bool = True) -> Any:
    """An apply function that loads the event's station, lets `change` edit it, and saves it.

    Events that come from the station itself (`seen`) also mark it as seen.
    """

    def apply(txn: Any, t: Any, seq: int, e: Any) -> None:
        record = _get(txn, t, e.station)
        if record is None:
            return
        change(record, e)
        _put(txn, t, record)
        if seen:
            _seen(txn, t, seq, e)

    return apply


def _password_set(r: StationRecord, e: ev.StationPasswordSet) -> None:
    r.password_hash = e.password_hash


def _registration_set(r: StationRecord, e: ev.StationRegistrationSet) -> None:
    r.registration = e.registration


def _connected(r: StationRecord, e: ev.StationConnected) -> None:
    r.online = True
    r.connection = e.connection


def _disconnected(r: StationRecord, e: ev.StationDisconnected) -> None:
    # A newer connection may have replaced this one already: only its own end takes it offline.
    if r.connection == e.connection:
        r.online = False


def _booted(r: StationRecord, e: ev.StationBooted) -> None:
    r.boot = BootRecord(
        vendor=e.vendor,
        model=e.model,
        at=e.at,
        charge_point_serial_number=e.charge_point_serial_number,
        charge_box_serial_number=e.charge_box_serial_number,
        firmware_version=e.firmware_version,
        iccid=e.iccid,
        imsi=e.imsi,
        meter_type=e.meter_type,
        meter_serial_number=e.meter_serial_number,
    )


def _connector_status(r: StationRecord, e: ev.ConnectorStatusReported) -> None:
    r.connectors = {
        **r.connectors,
        e.connector_id: ConnectorRecord(
            status=e.status,
            error_code=e.error_code,
            updated=e.at,
            timestamp=e.timestamp,
            info=e.info,
            vendor_id=e.vendor_id,
            vendor_error_code=e.vendor_error_code,
        ),
    }


def _local_list_sent(r: StationRecord, e: ev.LocalListSent) -> None:
    r.local_list_version, r.local_list_sent_at = e.version, e.at


def _firmware_status(r: StationRecord, e: ev.FirmwareStatusReported) -> None:
    r.firmware_status = e.status


def _diagnostics_status(r: StationRecord, e: ev.DiagnosticsStatusReported) -> None:
    r.diagnostics_status = e.status


def _token_rotated(txn: Any, t: Any, seq: int, e: ev.StationTokenRotated) -> None:
    record = _get(txn, t, e.station)
    if record is None:
        return
    txn.delete(record.token_digest, db=t.stations_by_token)
    record.token_digest = e.token_digest
    _put(txn, t, record)
    txn.put(e.token_digest, e.station.encode(), db=t.stations_by_token)


APPLY: dict[type[ev.Event], Any] = {
    ev.StationRegistered: _registered,
    ev.StationTokenRotated: _token_rotated,
    ev.ServerStarted: _server_started,
    ev.StationPasswordSet: _updater(_password_set, seen=False),
    ev.StationRegistrationSet: _updater(_registration_set, seen=False),
    ev.StationConnected: _updater(_connected),
    ev.StationDisconnected: _updater(_disconnected),
    ev.StationBooted: _updater(_booted),
    ev.StationHeartbeat: _seen,
    ev.ConnectorStatusReported: _updater(_connector_status),
    ev.FirmwareStatusReported: _updater(_firmware_status),
    ev.LocalListSent: _updater(_local_list_sent, seen=False),
    ev.DiagnosticsStatusReported: _updater(_diagnostics_status),
    ev.DataTransferred: _seen,
    ev.TransactionStarted: _seen,
    ev.MeterValuesReported: _seen,
    ev.TransactionStopped: _seen,
}
