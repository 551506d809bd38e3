"""Webhook endpoints, and the deliveries each event owes them.

When a report event is recorded, every live endpoint of its account subscribed to its type gets
a delivery, due at once. `deliveries`: event|endpoint -> DeliveryRecord; `deliveries_due`:
(due ms, event|endpoint) for the deliveries still to attempt, soonest first. Each attempt is
an event of its own, so a restart resumes what was due and never forgets an attempt made.
"""

from __future__ import annotations

from typing import Any

from store import events as ev
from store import records
from store.records import DeliveryRecord, WebhookEndpointRecord
from store.tables import join, newest_first, u64


def endpoint_prefix(account: str) -> bytes:
    return join(account, b"")


def delivery_key(event: str, endpoint: str) -> bytes:
    return join(event, endpoint)


def _created(txn: Any, t: Any, seq: int, e: ev.WebhookEndpointCreated) -> None:
    record = WebhookEndpointRecord(
        id=e.endpoint, account=e.account, url=e.url, enabled_events=e.enabled_events,
        secret=e.secret, created=e.at, seq=seq,
    )  # fmt: skip
    txn.put(e.endpoint.encode(), records.encode(record), db=t.webhook_endpoints)
    key = endpoint_prefix(e.account) + newest_first(e.at) + newest_first(seq)
    txn.put(key, e.endpoint.encode(), db=t.webhook_index)


def _deleted(txn: Any, t: Any, seq: int, e: ev.WebhookEndpointDeleted) -> None:
    data = txn.get(e.endpoint.encode(), db=t.webhook_endpoints)
    if data is None:
        return
    record = records.decode(WebhookEndpointRecord, data)
    record.deleted = e.at
    txn.put(e.endpoint.encode(), records.encode(record), db=t.webhook_endpoints)
    key = endpoint_prefix(record.account) + newest_first(record.created) + newest_first(record.seq)
    txn.delete(key, db=t.webhook_index)


def _schedule(txn: Any, t: Any, delivery: DeliveryRecord) -> None:
    key = delivery_key(delivery.event, delivery.endpoint)
    txn.put(key, records.encode(delivery), db=t.deliveries)
    if delivery.next_attempt is not None:
        txn.put(u64(delivery.next_attempt) + key, b"", db=t.deliveries_due)


def _report_event(txn: Any, t: Any, seq: int, e: ev.ReportSucceeded | ev.ReportFailed) -> None:
    type_ = "report.succeeded" if isinstance(e, ev.ReportSucceeded) else "report.failed"
    prefix = endpoint_prefix(e.account)
    with txn.cursor(db=t.webhook_index) as cursor:
        if not cursor.set_range(prefix):
            return
        for key, endpoint_id in cursor:
            if not key.startswith(prefix):
                break
            endpoint = records.decode(
                WebhookEndpointRecord, txn.get(endpoint_id, db=t.webhook_endpoints)
            )
            if type_ in endpoint.enabled_events:
                _schedule(
                    txn, t, DeliveryRecord(event=e.event, endpoint=endpoint.id, next_attempt=e.at)
                )


def _attempted(txn: Any, t: Any, seq: int, e: ev.WebhookAttempted) -> None:
    key = delivery_key(e.event, e.endpoint)
    data = txn.get(key, db=t.deliveries)
    if data is None:
        return
    delivery = records.decode(DeliveryRecord, data)
    if delivery.next_attempt is not None:
        txn.delete(u64(delivery.next_attempt) + key, db=t.deliveries_due)
    delivery.attempts = max(delivery.attempts, e.attempt)
    delivery.delivered = delivery.delivered or e.delivered
    delivery.last_status, delivery.last_error = e.status, e.error
    delivery.next_attempt = None if delivery.delivered else e.next_attempt
    delivery.abandoned = not delivery.delivered and e.next_attempt is None
    _schedule(txn, t, delivery)


APPLY: dict[type[ev.Event], Any] = {
    ev.WebhookEndpointCreated: _created,
    ev.WebhookEndpointDeleted: _deleted,
    ev.ReportSucceeded: _report_event,
    ev.ReportFailed: _report_event,
    ev.WebhookAttempted: _attempted,
}
