"""`python -m bench scale SCENARIO`: many chargers at once, and what the server holds for them.

- `connected`: N chargers (10,000 by default) connect, boot and heartbeat at the interval the
  server gives; measures the server's resident memory per connection and the heartbeat ack
  latency while all of them are connected, and checks through the HTTP API that every one of
  them is listed online.
- `storm`: N chargers (5,000) boot and start a transaction; then every connection drops at once
  (as when a site loses power or its network) and each charger reconnects at a random moment
  within `--window` seconds (10), boots again, reports its connector and stops the interrupted
  transaction. Every reboot must be accepted; afterwards every session must be listed once,
  completed, with its final energy, and every station online.
- `soak`: `bench load` at a fixed rate for `--duration` seconds (600) with the server's memory
  sampled every 10 s; the heap must stay flat.

The server is started here on a fresh data directory, pinned to CPU 0; chargers run on the
other CPUs. Everything stays on loopback and stops by itself.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.sharedctypes import Synchronized
from queue import Empty
from typing import Any
from urllib.parse import urlsplit

import httpx
import trio

from bench import load
from bench.latency import summary
from bench.load import LOST, METER_START, ChargerOutcome, connect
from bench.procstat import ProcessSampler, rss_mb
from bench.servers import Ocppcore, load_cpus, prepare_load_process
from bench.wsclient import RawWebSocket

# Handshakes in flight per load process: a fleet powering up does not connect in one instant,
# and the kernel's listen backlog (somaxconn, often 4,096) resets connections beyond it.
CONCURRENT_HANDSHAKES = 256
CONNECT_TIMEOUT_S = 180.0


@dataclass
class Signals:
    """Shared between the coordinating process and the load processes."""

    ready: Synchronized[int]  # chargers that reached their steady state
    back: Synchronized[int]  # storm: chargers whose reboot was accepted
    storm: Any  # multiprocessing.Event: drop every connection now
    storm_at: Synchronized[float]  # wall-clock time of the storm
    release: Any  # multiprocessing.Event: the run is over


@dataclass
class FleetResult:
    counts: Counter[str] = field(default_factory=Counter)
    latencies_us: dict[str, list[int]] = field(default_factory=dict)
    back_after_s: list[float] = field(default_factory=list)  # storm: reconnect to accepted boot
    outcomes: list[ChargerOutcome] = field(default_factory=list)

    def latency(self, name: str, since: float) -> None:
        elapsed = int((trio.current_time() - since) * 1e6)
        self.latencies_us.setdefault(name, []).append(elapsed)


class Fleet:
    """The chargers of one load process."""

    def __init__(self, url: str, total: int, signals: Signals, window: float) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.path = (
            parts.hostname or "127.0.0.1",
            parts.port or 80,
            parts.path,
        )
        self.total = total  # chargers in the whole run, over every load process
        self.signals = signals
        self.window = window
        self.result = FleetResult()
        self.handshakes = trio.CapacityLimiter(CONCURRENT_HANDSHAKES)
        self.before_storm: set[trio.CancelScope] = set()

    async def call(self, ws: RawWebSocket, frame: str, timing: str | None = None) -> Any:
        """Send one CALL and return its answer's payload; None for a CALLERROR."""
        since = trio.current_time()
        await ws.send_text(frame)
        reply = json.loads(await ws.receive_text())
        if reply[0] != 3:
            self.result.counts[f"CALLERROR {reply[2]}"] += 1
            return None
        if timing:
            self.result.latency(timing, since)
        return reply[2]

    async def boot(self, name: str, timing: str = "boot") -> tuple[RawWebSocket, float] | None:
        """Connect, boot and report connector 1; the heartbeat interval the server gave."""
        async with self.handshakes:
            ws = await connect(self.host, self.port, f"{self.path}/{name}")
        if ws is None:
            self.result.counts["connect failures"] += 1
            return None
        boot = '[2,"b","BootNotification",{"chargePointVendor":"bench","chargePointModel":"scale"}]'
        status = (
            '[2,"s","StatusNotification",{"connectorId":1,"errorCode":"NoError",'
            '"status":"Available"}]'
        )
        try:
            answer = await self.call(ws, boot, timing)
            if answer is None or answer["status"] != "Accepted":
                self.result.counts["boots not accepted"] += 1
                await ws.aclose()
                return None
            self.result.counts["boots accepted"] += 1
            await self.call(ws, status)
        except LOST:
            self.result.counts["connections lost while booting"] += 1
            await ws.aclose()
            return None
        return ws, float(answer["interval"])

    def ready(self) -> None:
        with self.signals.ready.get_lock():
            self.signals.ready.value += 1

    async def idle_until(self, ws: RawWebSocket, deadline: float = math.inf) -> None:
        """Stay connected and answer the server's pings until `deadline`."""
        with trio.move_on_at(deadline):
            while True:
                await ws.receive_text()  # a CALL from the server is not part of these scenarios

    async def heartbeating(self, name: str) -> None:
        booted = await self.boot(name)
        if booted is None:
            return
        ws, interval = booted
        self.ready()
        try:
            due = trio.current_time() + random.random() * interval
            while True:
                await self.idle_until(ws, due)
                # The connection phase is measured apart: chargers still connecting load the server.
                settled = self.signals.ready.value >= self.total
                timing = "heartbeat" if settled else "heartbeat while others connect"
                await self.call(ws, '[2,"h","Heartbeat",{}]', timing)
                due += interval
        except LOST:
            self.result.counts["connections lost"] += 1
        finally:
            await ws.aclose()

    async def rebooting(self, name: str) -> None:
        booted = await self.boot(name)
        if booted is None:
            return
        ws, _ = booted
        outcome = ChargerOutcome(name)
        self.result.outcomes.append(outcome)
        try:
            start = (
                f'[2,"t1","StartTransaction",{{"connectorId":1,"idTag":"{name[-20:]}",'
                f'"meterStart":{METER_START},"timestamp":"{load.stamp()}"}}]'
            )
            answer = await self.call(ws, start)
            if answer is None:
                return  # counted as a CALLERROR; the finally below drops the connection
            outcome.transaction = answer["transactionId"]
            self.ready()
            with trio.CancelScope() as until_the_storm:
                self.before_storm.add(until_the_storm)
                await self.idle_until(ws)
        except LOST:
            self.result.counts["connections lost before the storm"] += 1
        finally:
            await ws.abort()
        await trio.sleep(random.random() * self.window)
        since = trio.current_time()
        booted = await self.boot(name, "boot after the storm")
        if booted is None:
            return
        ws, _ = booted
        self.result.back_after_s.append(time.time() - self.signals.storm_at.value)
        with self.signals.back.get_lock():
            self.signals.back.value += 1
        self.result.latency("reconnect to accepted boot", since)
        try:
            outcome.sent_wh = METER_START + 1234
            stop = (
                f'[2,"t2","StopTransaction",{{"transactionId":{outcome.transaction},'
                f'"meterStop":{outcome.sent_wh},"timestamp":"{load.stamp()}","reason":"Reboot"}}]'
            )
            if await self.call(ws, stop) is not None:
                outcome.stopped, outcome.acked_wh = True, outcome.sent_wh
            await self.idle_until(ws)
        except LOST:
            self.result.counts["connections lost after the storm"] += 1
        finally:
            await ws.aclose()

    async def run(self, scenario: str, names: list[str], limit_s: float) -> FleetResult:
        charger = self.heartbeating if scenario == "connected" else self.rebooting
        with trio.move_on_after(limit_s):
            async with trio.open_nursery() as nursery:
                for name in names:
                    nursery.start_soon(charger, name)
                await self._relay_signals()
                nursery.cancel_scope.cancel()
        return self.result

    async def _relay_signals(self) -> None:
        """The coordinator's storm wakes every idle charger; its release ends the run."""
        while not self.signals.release.is_set():
            if self.signals.storm.is_set() and self.before_storm:
                for scope in self.before_storm:
                    scope.cancel()
                self.before_storm.clear()
            await trio.sleep(0.05)


def _fleet_process(
    scenario: str,
    url: str,
    names: list[str],
    total: int,
    window: float,
    limit_s: float,
    signals: Signals,
    cpus: set[int],
    queue: multiprocessing.Queue[FleetResult],
) -> None:
    os.sched_setaffinity(0, cpus)
    prepare_load_process()
    queue.put(trio.run(Fleet(url, total, signals, window).run, scenario, names, limit_s))


# --- the coordinating process ---------------------------------------------------------------


class Run:
    """A server, a fleet of chargers split over the load CPUs, and the signals between them."""

    def __init__(self, scenario: str, chargers: int, server_args: list[str], window: float = 0):
        self.chargers = chargers
        self.server = Ocppcore(extra=["--allow-unknown-chargers", *server_args])
        self.idle_rss_mb = rss_mb(self.server.pid)
        self.idle_heap_mb = rss_mb(self.server.pid, "RssAnon")
        ctx = multiprocessing.get_context("spawn")
        self.signals = Signals(
            ready=ctx.Value("i", 0),
            back=ctx.Value("i", 0),
            storm=ctx.Event(),
            storm_at=ctx.Value("d", 0.0),
            release=ctx.Event(),
        )
        self.prefix = f"S{os.urandom(3).hex()}-"
        names = [f"{self.prefix}{i:05d}" for i in range(chargers)]
        cpus = load_cpus()
        self.queue: multiprocessing.Queue[FleetResult] = ctx.Queue()
        limit_s = CONNECT_TIMEOUT_S + 900
        self.workers = []
        for i in range(len(cpus)):
            share = names[i :: len(cpus)]
            arguments = (scenario, self.server.ocpp_url, share, chargers, window, limit_s)
            arguments += (self.signals,)
            process = ctx.Process(target=_fleet_process, args=(*arguments, cpus, self.queue))
            self.workers.append(process)
        for worker in self.workers:
            worker.start()

    def wait_for(self, counter: Synchronized[int], timeout: float) -> float:
        """Seconds until `counter` reached the fleet's size (or the timeout passed)."""
        started = time.monotonic()
        while counter.value < self.chargers and time.monotonic() - started < timeout:
            if not any(w.is_alive() for w in self.workers):
                break
            time.sleep(0.05)
        return time.monotonic() - started

    def online(self) -> int:
        """This fleet's stations the HTTP API lists as online."""
        assert self.server.api_key is not None
        headers = {"Authorization": f"Bearer {self.server.api_key}"}
        with httpx.Client(base_url=self.server.api_url, headers=headers, timeout=60) as client:
            stations = load.walk(client, "/v1/charging_stations?status=online&limit=100")
            return sum(s["charge_point_id"].startswith(self.prefix) for s in stations)

    def finish(self) -> FleetResult:
        """Release the fleet and merge what its processes saw."""
        self.signals.release.set()
        merged = FleetResult()
        for _ in self.workers:
            try:
                part = self.queue.get(timeout=120)
            except Empty:
                merged.counts["load processes that did not report"] += 1
                continue
            merged.counts.update(part.counts)
            for name, values in part.latencies_us.items():
                merged.latencies_us.setdefault(name, []).extend(values)
            merged.back_after_s += part.back_after_s
            merged.outcomes += part.outcomes
        for worker in self.workers:
            worker.join(timeout=30)
        return merged

    def stop(self) -> None:
        self.signals.release.set()
        for worker in self.workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()
        self.server.stop()


def connected(chargers: int, hold: float, heartbeat_interval: int) -> dict[str, Any]:
    run = Run("connected", chargers, ["--heartbeat-interval", str(heartbeat_interval)])
    try:
        connect_s = run.wait_for(run.signals.ready, CONNECT_TIMEOUT_S)
        ready = run.signals.ready.value
        sampler = ProcessSampler(run.server.pid)
        sampler.start()
        peak = 0.0
        deadline = time.monotonic() + hold
        while time.monotonic() < deadline:
            peak = max(peak, rss_mb(run.server.pid))
            time.sleep(1)
        held = sampler.stop()
        heap = rss_mb(run.server.pid, "RssAnon")
        online = run.online()
        fleet = run.finish()
    finally:
        run.stop()
    per_connection_kb = (peak - run.idle_rss_mb) * 1024 / max(ready, 1)
    return {
        "scenario": "connected",
        "chargers": chargers,
        "connected": ready,
        "listed_online": online,
        "connected_in_s": round(connect_s, 1),
        "heartbeat_interval_s": heartbeat_interval,
        "held_s": hold,
        "server_rss_mb": {
            "idle": round(run.idle_rss_mb, 1),
            "all connected (peak)": round(peak, 1),
        },
        "server_heap_mb": {"idle": round(run.idle_heap_mb, 1), "all connected": round(heap, 1)},
        "rss_per_connection_kb": round(per_connection_kb, 1),
        "server_cpu_percent": held["cpu_percent"],
        "latency_ms": {k: summary(v) for k, v in fleet.latencies_us.items()},
        "counts": dict(fleet.counts),
    }


def storm(chargers: int, window: float) -> dict[str, Any]:
    run = Run("storm", chargers, [], window)
    try:
        ready_s = run.wait_for(run.signals.ready, CONNECT_TIMEOUT_S)
        ready = run.signals.ready.value
        run.signals.storm_at.value = time.time()
        run.signals.storm.set()
        back_s = run.wait_for(run.signals.back, window + 120)
        back = run.signals.back.value
        online = run.online()
        fleet = run.finish()
        assert run.server.api_key is not None
        checked = load.verify(run.server.api_url, run.server.api_key, fleet.outcomes)
    finally:
        run.stop()
    return {
        "scenario": "storm",
        "chargers": chargers,
        "window_s": window,
        "booted_with_a_transaction": ready,
        "booted_in_s": round(ready_s, 1),
        "reboots_accepted": back,
        "all_back_after_s": round(max(fleet.back_after_s, default=0.0), 1),
        "waited_s": round(back_s, 1),
        "listed_online": online,
        "latency_ms": {k: summary(v) for k, v in fleet.latencies_us.items()},
        "counts": dict(fleet.counts),
        "verified": checked,
    }


def soak(chargers: int, rate: float, duration: float) -> dict[str, Any]:
    result = load.run(chargers, duration, 5.0, rate=rate, sample_every=10.0)
    memory = result["memory"]
    # The first two minutes fill caches and allocator pools; flat means no growth after them.
    settled = next((m for m in memory if m["t_s"] >= 120), memory[0] if memory else None)
    last = memory[-1] if memory else None
    if settled and last:
        result["heap_growth_after_settling_mb"] = round(last["heap_mb"] - settled["heap_mb"], 1)
        result["rss_growth_after_settling_mb"] = round(last["rss_mb"] - settled["rss_mb"], 1)
    result["scenario"] = "soak"
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("scenario", choices=("connected", "storm", "soak"))
    parser.add_argument("--chargers", type=int, help="default 10000 / 5000 / 1000")
    parser.add_argument("--hold", type=float, default=30.0, help="connected: seconds held")
    parser.add_argument(
        "--heartbeat-interval", type=int, default=10, help="connected: seconds, given at boot"
    )
    parser.add_argument("--window", type=float, default=10.0, help="storm: reconnect window")
    parser.add_argument("--duration", type=float, default=600.0, help="soak: seconds")
    parser.add_argument("--rate", type=float, default=1.0, help="soak: msg/s per charger")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    chargers = args.chargers or {"connected": 10_000, "storm": 5_000, "soak": 1_000}[args.scenario]
    if not 1 <= chargers <= 15_000:
        parser.error("--chargers must be between 1 and 15000")
    if not 1 <= args.hold <= 3600 or not 1 <= args.heartbeat_interval <= 3600:
        parser.error("--hold and --heartbeat-interval must be between 1 and 3600 seconds")
    if not 0 <= args.window <= 300:
        parser.error("--window must be between 0 and 300 seconds")
    if not 60 <= args.duration <= 7200 or not 0.01 <= args.rate <= 100:
        parser.error("--duration must be in [60, 7200] seconds and --rate in [0.01, 100]")
    if args.scenario == "connected":
        result = connected(chargers, args.hold, args.heartbeat_interval)
    elif args.scenario == "storm":
        result = storm(chargers, args.window)
    else:
        result = soak(chargers, args.rate, args.duration)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return 0 if _passed(result) else 1


def _passed(result: dict[str, Any]) -> bool:
    """Nothing lost: every charger connected (and back after a storm), every check clean."""
    verified = result.get("verified")
    if verified and verified["problems"]:
        return False
    if result["scenario"] == "connected":
        return result["connected"] == result["listed_online"] == result["chargers"]
    if result["scenario"] == "storm":
        return result["reboots_accepted"] == result["listed_online"] == result["chargers"]
    return result["errors"] == result["timeouts"] == result["connect_failures"] == 0
