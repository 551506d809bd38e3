"""Webhook delivery: a Trio task that POSTs each due delivery and records every attempt.

Each request carries the event as JSON and `Ocppcore-Signature: t=<unix seconds>,v1=<hex>`, the
HMAC-SHA256 of `"<t>.<body>"` under the endpoint's secret, plus `Ocppcore-Event-Id`. A 2xx
answer delivers; anything else (or no answer within the timeout) is retried with exponential
backoff (base, 2 x base, 4 x base, ... capped at an hour) until `max_attempts`. Every attempt is
an event in the log. Delivery is at least once: a crash between a receiver's 2xx and the
recording of the attempt re-sends it after the restart, with the same event id to dedupe on.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import msgspec
import trio

from api import render
from store import events as ev
from store.errors import WriterClosed
from store.log import Store
from store.records import DeliveryRecord
from store.writer import Writer

log = logging.getLogger("ocppcore.webhooks")
_json = msgspec.json.Encoder()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass(frozen=True)
class DeliverySettings:
    retry_base_ms: int = 10_000
    max_attempts: int = 8
    timeout_s: float = 10.0
    poll_s: float = 1.0


class WebhookDelivery:
    def __init__(
        self, store: Store, writer: Writer, clock: Callable[[], int], settings: DeliverySettings
    ) -> None:
        self.store = store
        self.writer = writer
        self.clock = clock
        self.settings = settings
        self._wakeup = trio.Event()

    def notify(self) -> None:
        self._wakeup.set()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async with httpx.AsyncClient(
            timeout=self.settings.timeout_s, follow_redirects=False
        ) as client:
            task_status.started()
            try:
                while True:
                    self._wakeup = trio.Event()
                    with self.store.read() as reader:
                        due = reader.deliveries_due(self.clock())
                    for delivery in due:
                        await self._attempt(client, delivery)
                    if not due:
                        with trio.move_on_after(self.settings.poll_s):
                            await self._wakeup.wait()
            except WriterClosed:
                return

    def backoff_ms(self, attempt: int) -> int:
        return int(min(self.settings.retry_base_ms * 2 ** (attempt - 1), 3_600_000))

    async def _attempt(self, client: httpx.AsyncClient, delivery: DeliveryRecord) -> None:
        with self.store.read() as reader:
            endpoint = reader.webhook_endpoint(delivery.endpoint)
            event = reader.event(delivery.event)
            about = reader.report(event.report) if event else None
        attempt = delivery.attempts + 1
        now = self.clock()
        if endpoint is None or endpoint.deleted is not None or event is None or about is None:
            final = ev.WebhookAttempted(
                at=now,
                endpoint=delivery.endpoint,
                event=delivery.event,
                attempt=attempt,
                delivered=False,
                error="endpoint deleted",
            )
            await self.writer.submit_one(final)
            return
        body = _json.encode(render.event(event, about))
        headers = {
            "Content-Type": "application/json",
            "Ocppcore-Event-Id": event.id,
            "Ocppcore-Signature": signature(endpoint.secret, now // 1000, body),
            "User-Agent": "ocppcore-webhooks",
        }
        status: int | None = None
        error: str | None = None
        try:
            response = await client.post(endpoint.url, content=body, headers=headers)
            status = response.status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        delivered = status is not None and 200 <= status < 300
        next_attempt = None
        if not delivered and attempt < self.settings.max_attempts:
            next_attempt = self.clock() + self.backoff_ms(attempt)
        if not delivered:
            log.warning(
                "webhook %s -> %s attempt %d failed: %s",
                event.id,
                endpoint.url,
                attempt,
                error or status,
            )
        await self.writer.submit_one(
            ev.WebhookAttempted(
                at=self.clock(), endpoint=endpoint.id, event=event.id, attempt=attempt,
                delivered=delivered, status=status, error=error, next_attempt=next_attempt,
            )
        )  # fmt: skip
