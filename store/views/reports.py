"""Reports (pending until a worker marks them succeeded or failed) and the events they raise.

- `reports`: id -> ReportRecord; `reports_index`: the account's reports, newest first;
  `reports_pending`: ids still to generate (a worker resumes them after a restart).
- `events`: id -> EventRecord; `events_index`: the account's events newest first, once for all
  and once per type.
"""

from __future__ import annotations

from typing import Any

from store import events as ev
from store import records
from store.records import EventRecord, ReportRecord
from store.tables import join, newest_first

ALL_TYPES = ""


def report_prefix(account: str) -> bytes:
    return join(account, b"")


def event_prefix(account: str, type_: str = ALL_TYPES) -> bytes:
    return join(account, type_, b"")


def _requested(txn: Any, t: Any, seq: int, e: ev.ReportRequested) -> None:
    record = ReportRecord(
        id=e.report,
        account=e.account,
        created=e.at,
        seq=seq,
        type=e.type,
        period_start=e.period_start,
        period_end=e.period_end,
        filters=e.filters,
        group_by=e.group_by,
        fleet=e.fleet,
    )
    txn.put(e.report.encode(), records.encode(record), db=t.reports)
    txn.put(
        report_prefix(e.account) + newest_first(e.at) + newest_first(seq),
        e.report.encode(),
        db=t.reports_index,
    )
    txn.put(e.report.encode(), b"", db=t.reports_pending)


def _finished(txn: Any, t: Any, seq: int, e: ev.ReportSucceeded | ev.ReportFailed) -> None:
    data = txn.get(e.report.encode(), db=t.reports)
    if data is None:
        return
    record = records.decode(ReportRecord, data)
    if record.status != "pending":
        return  # a report finishes once; its file never changes afterwards
    if isinstance(e, ev.ReportSucceeded):
        record.status, record.size, record.succeeded_at = "succeeded", e.size, e.at
        type_ = "report.succeeded"
    else:
        record.status, record.failure_reason = "failed", e.reason
        type_ = "report.failed"
    txn.put(e.report.encode(), records.encode(record), db=t.reports)
    txn.delete(e.report.encode(), db=t.reports_pending)
    event = EventRecord(
        id=e.event, account=e.account, type=type_, created=e.at, seq=seq, report=e.report
    )
    txn.put(e.event.encode(), records.encode(event), db=t.events)
    position = newest_first(e.at) + newest_first(seq)
    for prefix in (event_prefix(e.account), event_prefix(e.account, type_)):
        txn.put(prefix + position, e.event.encode(), db=t.events_index)


APPLY: dict[type[ev.Event], Any] = {
    ev.ReportRequested: _requested,
    ev.ReportSucceeded: _finished,
    ev.ReportFailed: _finished,
}
