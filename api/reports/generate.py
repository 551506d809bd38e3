"""CSV reports from the sessions view, streamed to a file with bounded memory.

- `charging_sessions`: one row per session, every field of the `charging_session` object;
- `charging_summary`: one row per group (`group_by`) and currency: session count, energy in kWh,
  amount due, and the first and last session's `created`.

A report covers sessions whose `created` is in [period_start, period_end), the same instant the
listing's `created` filter uses, so a report and a listing of the same period agree. Filters
are ANDed across keys and ORed within a list; a top-level `fleet` is one more fleet filter.
The file is written next to its final name, fsynced, then renamed: a report's file appears
whole or not at all, and never changes once the report succeeded.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from api import render, schemas
from ocppcore.clock import rfc3339
from store.log import Store
from store.records import ReportRecord, SessionRecord, SessionTotals
from store.views import sessions as sessions_view

SESSION_COLUMNS = [f.name for f in msgspec.structs.fields(schemas.ChargingSession)]
_FIELD = {
    "vehicle": "vehicle",
    "driver": "driver",
    "fleet": "fleet",
    "charging_station": "charging_station",
}
_CHUNK = 1000


def sessions_in(
    store: Store, report: ReportRecord, kind: type[Any] = SessionRecord
) -> Iterator[Any]:
    """The report's sessions (as `kind`), newest first, read in chunks from one snapshot."""
    match = _matcher(report)
    with store.read() as reader:
        after: bytes | None = None
        while True:
            page = reader.session_page(
                report.account,
                sessions_view.ALL,
                "",
                created_gte=report.period_start,
                created_lte=report.period_end - 1,
                after=after,
                limit=_CHUNK,
                match=match,
                kind=kind,
            )
            for _, record in page.items:
                yield record
            if not page.has_older:
                return
            after = page.items[-1][0]


def _matcher(report: ReportRecord) -> Callable[[Any], bool] | None:
    wanted = {key: set(values) for key, values in report.filters.items() if values}
    if report.fleet is not None:
        wanted["fleet"] = wanted.get("fleet", {report.fleet}) & {report.fleet}
    if not wanted:
        return None
    return lambda s: all(getattr(s, _FIELD[key]) in values for key, values in wanted.items())


def _group(report: ReportRecord) -> Callable[[Any], str]:
    if report.group_by == "day":
        return lambda s: rfc3339(s.created)[:10]
    field = _FIELD[report.group_by or "vehicle"]
    return lambda s: getattr(s, field) or ""


@dataclass
class _Totals:
    sessions: int = 0
    energy_wh: int = 0
    amount_due: int = 0
    first: int = 0
    last: int = 0


def _write_sessions(store: Store, report: ReportRecord, out: Any) -> None:
    out.writerow(SESSION_COLUMNS)
    for record in sessions_in(store, report):
        row = msgspec.structs.astuple(render.session(record))
        out.writerow(["" if v is None else v for v in row])


def _write_summary(store: Store, report: ReportRecord, out: Any) -> None:
    key_of = _group(report)
    totals: dict[tuple[str, str], _Totals] = {}
    for record in sessions_in(store, report, SessionTotals):
        key = (key_of(record), record.currency or "")
        t = totals.get(key)
        if t is None:
            t = totals[key] = _Totals(first=record.created, last=record.created)
        t.sessions += 1
        t.energy_wh += record.energy_consumed
        t.amount_due += record.amount_due
        t.first, t.last = min(t.first, record.created), max(t.last, record.created)
    out.writerow(
        [
            report.group_by or "vehicle",
            "currency",
            "sessions",
            "energy_kwh",
            "amount_due",
            "first_session",
            "last_session",
        ]
    )
    for (group, currency), t in sorted(totals.items()):
        energy = f"{t.energy_wh / 1000:.3f}"
        out.writerow(
            [group, currency, t.sessions, energy, t.amount_due, rfc3339(t.first), rfc3339(t.last)]
        )


def generate(store: Store, report: ReportRecord, path: Path) -> int:
    """Write `report` to `path` (atomically, durably); returns its size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with open(partial, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        if report.type == "charging_sessions":
            _write_sessions(store, report, out)
        else:
            _write_summary(store, report, out)
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return path.stat().st_size
