"""Solar meter readings pushed by sites, newest first per account (`solar_index`)."""

from __future__ import annotations

from typing import Any

from store import events as ev
from store import records
from store.records import SolarReadingRecord
from store.tables import join, newest_first


def index_prefix(account: str) -> bytes:
    return join(account, b"")


def _pushed(txn: Any, t: Any, seq: int, e: ev.SolarReadingPushed) -> None:
    record = SolarReadingRecord(
        id=e.reading,
        account=e.account,
        created=e.at,
        seq=seq,
        tsms=e.tsms,
        meters=e.meters,
        error=e.error,
    )
    txn.put(e.reading.encode(), records.encode(record), db=t.solar_readings)
    key = index_prefix(e.account) + newest_first(e.at) + newest_first(seq)
    txn.put(key, e.reading.encode(), db=t.solar_index)


APPLY: dict[type[ev.Event], Any] = {ev.SolarReadingPushed: _pushed}
