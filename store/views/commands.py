"""Commands sent to charge points and their outcomes, newest first per station."""

from __future__ import annotations

from typing import Any

from store import events as ev
from store import records
from store.records import CommandRecord
from store.tables import join, newest_first


def index_prefix(station: str) -> bytes:
    return join(station, b"")


def _requested(txn: Any, t: Any, seq: int, e: ev.CommandRequested) -> None:
    record = CommandRecord(
        id=e.command, account=e.account, station=e.station, action=e.action,
        payload=e.payload, created=e.at, seq=seq,
    )  # fmt: skip
    txn.put(e.command.encode(), records.encode(record), db=t.commands)
    key = index_prefix(e.station) + newest_first(e.at) + newest_first(seq)
    txn.put(key, e.command.encode(), db=t.commands_index)


def _finished(txn: Any, t: Any, seq: int, e: ev.CommandFinished) -> None:
    data = txn.get(e.command.encode(), db=t.commands)
    if data is None:
        return
    record = records.decode(CommandRecord, data)
    record.status, record.response, record.completed = e.status, e.response, e.at
    record.error_code, record.error_description = e.error_code, e.error_description
    txn.put(e.command.encode(), records.encode(record), db=t.commands)


APPLY: dict[type[ev.Event], Any] = {ev.CommandRequested: _requested, ev.CommandFinished: _finished}
