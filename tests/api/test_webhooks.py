"""Webhook endpoints and deliveries, to a real HTTP receiver on loopback."""

from __future__ import annotations

import hashlib
import hmac
import io
import itertools
from pathlib import Path
from typing import Any

import msgspec
import trio

from ocppcore.service import Service
from store import events as ev
from tests.conftest import ServiceFactory, http, make_config, new_account, store_of, wait_until

REPORT = {
    "parameters": {
        "type": "charging_summary",
        "period_start": "2026-01-01T00:00:00Z",
        "period_end": "2026-02-01T00:00:00Z",
    }
}


class Receiver:
    """An HTTP server on 127.0.0.1 that records requests and answers scripted statuses."""

    def __init__(self, statuses: list[int] | None = None, port: int = 0) -> None:
        self.statuses = list(statuses or [])
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.port = port

    async def serve(self, *, task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(self.port, host="127.0.0.1")
        self.port = listeners[0].socket.getsockname()[1]
        task_status.started(self.port)
        await trio.serve_listeners(self._connection, listeners)

    async def _connection(self, stream: trio.SocketStream) -> None:
        buffer = b""
        try:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = await stream.receive_some()
                    if not chunk:
                        return
                    buffer += chunk
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                lines = head.decode().split("\r\n")
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:])
                }
                length = int(headers.get("content-length", "0"))
                while len(buffer) < length:
                    buffer += await stream.receive_some()
                body, buffer = buffer[:length], buffer[length:]
                self.requests.append((headers, body))
                status = self.statuses.pop(0) if self.statuses else 200
                await stream.send_all(f"HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n".encode())
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            return

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    fields = dict(part.split("=", 1) for part in headers["ocppcore-signature"].split(","))
    expected = hmac.new(
        secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


async def add_endpoint(service: Service, key: str, url: str) -> dict[str, Any]:
    async with http(service, key) as client:
        r = await client.post(
            "/v1/webhook_endpoints",
            json={"url": url, "enabled_events": ["report.succeeded", "report.failed"]},
        )
        assert r.status_code == 201, r.text
        created: dict[str, Any] = r.json()
        listed = (await client.get("/v1/webhook_endpoints")).json()["data"]
        assert listed[0] == created["webhook_endpoint"] and all("secret" not in e for e in listed)
        return created


def attempts(service: Service) -> list[ev.WebhookAttempted]:
    return [e for _, e in store_of(service).events() if isinstance(e, ev.WebhookAttempted)]


async def test_report_event_is_delivered_signed(service: Service, nursery: trio.Nursery) -> None:
    receiver = Receiver()
    await nursery.start(receiver.serve)
    _, key = new_account(service, "hooks")
    created = await add_endpoint(service, key, receiver.url)
    assert created["secret"].startswith("whsec_")
    async with http(service, key) as client:
        report = (await client.post("/v1/reports", json=REPORT)).json()
        await wait_until(lambda: len(receiver.requests) == 1)
        ((headers, body),) = receiver.requests
        event = msgspec.json.decode(body)
        assert event["type"] == "report.succeeded" and event["data"]["object"]["id"] == report["id"]
        assert headers["ocppcore-event-id"] == event["id"]
        assert verify(created["secret"], headers, body)
        assert not verify("whsec_wrong", headers, body)
        assert (await client.get(f"/v1/events/{event['id']}")).json() == event
    await wait_until(lambda: len(attempts(service)) == 1)
    (attempt,) = attempts(service)
    assert attempt.delivered and attempt.status == 200 and attempt.attempt == 1


async def test_failures_are_retried_with_backoff_and_recorded(
    start_service: ServiceFactory, nursery: trio.Nursery
) -> None:
    svc = await start_service(webhook_retry_base_s=0.05, webhook_max_attempts=3)
    flaky, dead = Receiver([500, 503]), Receiver([500, 500, 500, 500])
    await nursery.start(flaky.serve)
    await nursery.start(dead.serve)
    _, key = new_account(svc, "retry")
    await add_endpoint(svc, key, flaky.url)
    await add_endpoint(svc, key, dead.url)
    async with http(svc, key) as client:
        await client.post("/v1/reports", json=REPORT)
    await wait_until(lambda: len(attempts(svc)) == 6)
    by_endpoint: dict[str, list[ev.WebhookAttempted]] = {}
    for a in attempts(svc):
        by_endpoint.setdefault(a.endpoint, []).append(a)
    outcomes = sorted(
        [(a.attempt, a.status, a.delivered, a.next_attempt is None) for a in tries]
        for tries in by_endpoint.values()
    )
    assert [(1, 500, False, False), (2, 503, False, False), (3, 200, True, True)] in outcomes
    assert [
        (1, 500, False, False),
        (2, 500, False, False),
        (3, 500, False, True),
    ] in outcomes  # gave up
    gaps = [b.at - a.at for tries in by_endpoint.values() for a, b in itertools.pairwise(tries)]
    assert all(gap >= 40 for gap in gaps)  # at least the backoff (50 ms, then 100 ms)
    await trio.sleep(0.3)
    assert len(attempts(svc)) == 6 and len(dead.requests) == 3  # nothing after the last attempt


async def test_delivery_survives_a_restart(tmp_path: Path, nursery: trio.Nursery) -> None:
    listener = (await trio.open_tcp_listeners(0, host="127.0.0.1"))[0]
    port = listener.socket.getsockname()[1]
    await listener.aclose()  # nothing listens there yet: the first attempt fails
    config = make_config(tmp_path, webhook_retry_base_s=0.2)
    async with trio.open_nursery() as inner:
        first: Service = await inner.start(Service(config, out=io.StringIO()).run)
        _, key = new_account(first, "restart")
        await add_endpoint(first, key, f"http://127.0.0.1:{port}/hooks")
        async with http(first, key) as client:
            await client.post("/v1/reports", json=REPORT)
        await wait_until(lambda: len(attempts(first)) == 1)
        first.stop()
    receiver = Receiver(port=port)
    await nursery.start(receiver.serve)
    async with trio.open_nursery() as inner:
        second: Service = await inner.start(Service(config, out=io.StringIO()).run)
        await wait_until(lambda: len(attempts(second)) == 2)
        failed, delivered = attempts(second)
        assert (failed.attempt, failed.delivered, failed.status) == (1, False, None)
        assert (delivered.attempt, delivered.delivered, delivered.status) == (2, True, 200)
        await trio.sleep(0.3)
        assert len(receiver.requests) == 1 and len(attempts(second)) == 2
        second.stop()


async def test_endpoint_validation_and_isolation(service: Service) -> None:
    _, key_a = new_account(service, "wa")
    _, key_b = new_account(service, "wb")
    async with http(service, key_a) as a, http(service, key_b) as b:
        for body, param in (
            ({"url": "ftp://example.com/x", "enabled_events": ["report.succeeded"]}, "url"),
            (
                {"url": "http://127.0.0.1:1/x", "enabled_events": ["charger.exploded"]},
                "enabled_events[0]",
            ),
            ({"url": "http://127.0.0.1:1/x", "enabled_events": []}, "enabled_events"),
            ({"url": "http://127.0.0.1:1/x"}, "enabled_events"),
        ):
            r = await a.post("/v1/webhook_endpoints", json=body)
            assert (r.status_code, r.json()["error"]["param"]) == (400, param), r.text
        created = (
            await a.post(
                "/v1/webhook_endpoints",
                json={"url": "http://127.0.0.1:1/x", "enabled_events": ["report.failed"]},
            )
        ).json()
        endpoint_id = created["webhook_endpoint"]["id"]
        assert (await b.delete(f"/v1/webhook_endpoints/{endpoint_id}")).status_code == 404
        assert (await b.get("/v1/webhook_endpoints")).json()["data"] == []
        assert (await a.delete(f"/v1/webhook_endpoints/{endpoint_id}")).status_code == 200
        assert (await a.get("/v1/webhook_endpoints")).json()["data"] == []
        assert (await a.delete(f"/v1/webhook_endpoints/{endpoint_id}")).status_code == 404
