"""The running product: store, writer and listeners in one Trio nursery, and their shutdown.

`Service.run` is what `ocppcore serve` runs and what integration tests start in-process
(`service = await nursery.start(Service(config).run)`); `stop` shuts it down gracefully: stop
accepting, answer what chargers have in hand, close their sockets with 1001, then let the
writer commit everything it holds.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve

from api.app import create_app
from api.context import Deps
from api.metrics import Metrics
from api.pagination import Pager, load_secret
from api.ratelimit import RateLimiter
from api.reports.worker import ReportWorker
from api.webhooks.delivery import DeliverySettings, WebhookDelivery
from ocppcore.clock import now_ms
from ocppcore.config import Config, connection_urls
from ocppcore.transport.server import OcppServer, OcppSettings
from ocppcore.v16.types import Payload
from store import admin
from store import events as ev
from store.ids import IdFactory, new_id
from store.log import Store
from store.writer import Writer

log = logging.getLogger("ocppcore")


def bootstrap(store: Store, out: TextIO, *, new_id: IdFactory = new_id) -> None:
    """On an empty store, create account `default` and print one API key for it, once."""
    with store.read() as reader:
        if reader.account_by_name(admin.DEFAULT_ACCOUNT) is not None:
            return
        change = admin.set_account(
            reader, admin.DEFAULT_ACCOUNT, id_tag_policy="open", now=now_ms(), new_id=new_id
        )
    (receipt,) = store.commit(change.events)
    if receipt.error is not None:
        return  # another process bootstrapped the same directory first
    with store.read() as reader:
        account = admin.account_named(reader, admin.DEFAULT_ACCOUNT)
    key = admin.create_api_key(account, now=now_ms(), new_id=new_id)
    store.commit(key.events)
    print(
        json.dumps({"account": account.name, "api_key": key.output["api_key"]}),
        file=out,
        flush=True,
    )
    log.warning("created account 'default'; its API key was printed once on stdout")


class Service:
    def __init__(
        self, config: Config, *, out: TextIO = sys.stdout, clock: Callable[[], int] = now_ms
    ) -> None:
        self.config = config
        self.out = out
        self.clock = clock
        self.store: Store | None = None
        self.writer: Writer | None = None
        self.ocpp: OcppServer | None = None
        self.reports: ReportWorker | None = None
        self.webhooks: WebhookDelivery | None = None
        self.ocpp_port = 0
        self.http_port = 0
        self.metrics = Metrics()
        self._http_stop = trio.Event()
        self._ocpp_done = trio.Event()
        self._stop = trio.Event()
        self.stopped = trio.Event()  # set once `run` has finished and the store is closed

    async def run(
        self, *, task_status: trio.TaskStatus[Service] = trio.TASK_STATUS_IGNORED
    ) -> None:
        c = self.config
        store = self.store = Store(c.data, map_size=c.map_size)
        try:
            bootstrap(store, self.out)
            writer = self.writer = Writer(store)
            settings = OcppSettings(
                host=c.ocpp_host,
                port=c.ocpp_port,
                heartbeat_interval=c.heartbeat_interval,
                allow_unknown_chargers=c.allow_unknown_chargers,
                max_frame_size=c.max_frame_size,
                ping_interval=c.ping_interval,
                ping_timeout=c.ping_timeout,
            )
            async with trio.open_nursery() as nursery:
                await nursery.start(writer.run)
                await writer.submit_one(ev.ServerStarted(at=now_ms()))
                self.ocpp = OcppServer(store, writer, settings, clock=self.clock)
                self.ocpp.observers.append(self.metrics.observe_message)
                writer.observers.append(self.metrics.observe_commit)
                self.metrics.track_connected(lambda: len(self.ocpp.connections) if self.ocpp else 0)
                retry_base_ms = int(c.webhook_retry_base_s * 1000)
                delivery = DeliverySettings(
                    retry_base_ms=retry_base_ms, max_attempts=c.webhook_max_attempts
                )
                self.webhooks = WebhookDelivery(store, writer, self.clock, delivery)
                await nursery.start(self.webhooks.run)
                self.reports = ReportWorker(
                    store, writer, Path(c.data) / "reports", self.clock, new_id
                )
                self.reports.finished.append(self.webhooks.notify)
                nursery.start_soon(self.reports.run)
                self.ocpp_port = await nursery.start(self._serve_ocpp)
                binds = await nursery.start(self._serve_http)
                self.http_port = int(binds[0].rsplit(":", 1)[1])
                log.info("HTTP API listening on %s", binds[0])
                task_status.started(self)
                await self._stop.wait()
                await self._shutdown(nursery)
        finally:
            store.close()
            self.stopped.set()

    async def _serve_ocpp(self, *, task_status: trio.TaskStatus[int]) -> None:
        assert self.ocpp is not None
        try:
            await self.ocpp.serve(task_status=task_status)
        finally:
            self._ocpp_done.set()

    async def _serve_http(self, *, task_status: trio.TaskStatus[list[str]]) -> None:
        assert self.store is not None and self.writer is not None and self.reports is not None
        c = self.config
        app = create_app(
            Deps(
                store=self.store,
                writer=self.writer,
                pager=Pager(load_secret(c.data)),
                metrics=self.metrics,
                clock=self.clock,
                new_id=new_id,
                gateway_limiter=RateLimiter(c.gateway_requests_per_hour, 3_600_000, self.clock),
                solar_min_interval_ms=c.solar_min_interval_s * 1000,
                reports=self.reports,
                send_command=self._send_command,
                connected=lambda: len(self.ocpp.connections) if self.ocpp else 0,
                connection_urls=lambda cp, token: connection_urls(c, cp, token),
            )
        )
        http = HypercornConfig()
        http.bind = [f"{c.http_host}:{c.http_port}"]
        http.accesslog = logging.getLogger("ocppcore.access")
        # Combined Log Format, as Apache and nginx write it.
        http.access_log_format = (
            '%(h)s %(l)s - %(t)s "%(m)s %(Uq)s HTTP/%(H)s" %(s)s %(b)s "%(f)s" "%(a)s"'
        )
        http.errorlog = logging.getLogger("ocppcore.http")
        http.graceful_timeout = 5.0
        await hypercorn_serve(
            app, http, shutdown_trigger=self._http_stop.wait, task_status=task_status
        )

    async def _send_command(self, station_id: str, request: Payload, timeout: float) -> Payload:
        assert self.ocpp is not None
        return await self.ocpp.call(station_id, request, timeout)

    async def _shutdown(self, nursery: trio.Nursery) -> None:
        assert self.ocpp is not None and self.writer is not None
        log.info("shutting down")
        self._http_stop.set()
        await self.ocpp.shutdown()
        with trio.move_on_after(self.ocpp.settings.shutdown_timeout):
            await self._ocpp_done.wait()
        await self.writer.aclose()
        nursery.cancel_scope.cancel()
        stats = self.writer.statistics()
        log.info("stopped; committed %d events in %d batches", stats.events, stats.batches)

    def stop(self) -> None:
        """Ask the service to shut down gracefully; `run` returns when it has."""
        self._stop.set()
