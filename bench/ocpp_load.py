"""`python -m bench ocpp`: durable OCPP throughput with N chargers, one outstanding CALL each.

Each charger boots, starts a transaction, then sends MeterValues back to back: the next CALL
leaves when the previous CALLRESULT arrived, so every counted message was durably committed by
the server before it was acknowledged. By default the server is started here, on a fresh data
directory, pinned to CPU 0, and the load generator to the other CPUs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import trio

from bench.procstat import ProcessSampler
from bench.wsclient import Closed, RawWebSocket

LISTENING = re.compile(rb"OCPP listening on ws://[^:]+:(\d+)")


@dataclass
class WorkerResult:
    messages: int
    errors: int
    connect_failures: int
    latencies_us: list[int]
    timeouts: int = 0


# A charger waiting longer than this past the end of the run for an answer counts as a timeout.
GRACE_S = 15.0


def _meter_values(tx: int, seq: int) -> str:
    wh = 1000 + seq * 10
    return (
        f'[2,"m{seq}","MeterValues",{{"connectorId":1,"transactionId":{tx},"meterValue":'
        f'[{{"timestamp":"2026-05-01T10:00:00Z","sampledValue":[{{"value":"{wh}"}},'
        f'{{"value":"7200","measurand":"Power.Active.Import","unit":"W"}}]}}]}}]'
    )


async def _charger(
    host: str,
    port: int,
    prefix: str,
    name: str,
    stop_at: float,
    warm_at: float,
    result: WorkerResult,
) -> None:
    ws = await _connect(host, port, f"{prefix}/{name}", result)
    if ws is None:
        return
    try:
        await ws.send_text(
            '[2,"b","BootNotification",{"chargePointVendor":"bench","chargePointModel":"load"}]'
        )
        await ws.receive_text()
        start = (
            f'[2,"s","StartTransaction",{{"connectorId":1,"idTag":"{name[-20:]}",'
            '"meterStart":1000,"timestamp":"2026-05-01T10:00:00Z"}]'
        )
        await ws.send_text(start)
        tx = json.loads(await ws.receive_text())[2]["transactionId"]
        seq = 0
        clock = time.perf_counter
        while (now := clock()) < stop_at:
            seq += 1
            await ws.send_text(_meter_values(tx, seq))
            reply = await ws.receive_text()
            done = clock()
            if reply[1] != "3":
                result.errors += 1
            elif now >= warm_at:
                result.messages += 1
                result.latencies_us.append(int((done - now) * 1e6))
    except (OSError, Closed, trio.BrokenResourceError):
        result.errors += 1
    finally:
        await ws.aclose()


async def _connect(host: str, port: int, path: str, result: WorkerResult) -> RawWebSocket | None:
    """Connect as a charger does: retry with backoff when the server drops the attempt (a full
    listen backlog during a connect storm resets connections). Five tries, then a failure."""
    for attempt in range(5):
        try:
            return await RawWebSocket.connect(host, port, path)
        except (OSError, Closed, trio.BrokenResourceError):
            await trio.sleep(0.1 * 2**attempt)
    result.connect_failures += 1
    return None


async def _run_worker(url: str, names: list[str], duration: float, warmup: float) -> WorkerResult:
    parts = urlsplit(url)
    host, port, prefix = parts.hostname or "127.0.0.1", parts.port or 80, parts.path.rstrip("/")
    result = WorkerResult(0, 0, 0, [])
    begin = time.perf_counter()
    stop_at = begin + warmup + duration

    async def bounded(name: str) -> None:
        with trio.move_on_at(trio.current_time() + warmup + duration + GRACE_S) as scope:
            await _charger(host, port, prefix, name, stop_at, begin + warmup, result)
        if scope.cancelled_caught:
            result.timeouts += 1

    async with trio.open_nursery() as nursery:
        for name in names:
            nursery.start_soon(bounded, name)
    return result


def _worker(
    url: str,
    names: list[str],
    duration: float,
    warmup: float,
    cpus: set[int] | None,
    queue: multiprocessing.Queue,
) -> None:  # type: ignore[type-arg]
    if cpus:
        os.sched_setaffinity(0, cpus)
    queue.put(trio.run(_run_worker, url, names, duration, warmup))


def _percentile(sorted_values: list[int], p: float) -> float:
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, round(p / 100 * (len(sorted_values) - 1)))
    return sorted_values[k] / 1000


class ManagedServer:
    """`ocppcore serve` on a fresh data directory, pinned to CPU 0."""

    def __init__(self, extra: list[str] | None = None) -> None:
        self.data = tempfile.mkdtemp(prefix="ocppcore-bench-")
        command = [
            sys.executable,
            "-m",
            "ocppcore",
            "serve",
            "--data",
            self.data,
            "--ocpp-port",
            "0",
            "--http-port",
            "0",
            "--allow-unknown-chargers",
            *(extra or []),
        ]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            preexec_fn=lambda: os.sched_setaffinity(0, {0}),
        )
        seen = b""
        deadline = time.monotonic() + 30
        assert self.process.stderr is not None
        while (match := LISTENING.search(seen)) is None:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"server did not start: {seen.decode(errors='replace')}")
            seen += os.read(self.process.stderr.fileno(), 65536)
        self.port = int(match.group(1))
        # Keep draining the log so the server never blocks on a full pipe.
        self._drain = subprocess.Popen(
            ["cat"], stdin=self.process.stderr, stdout=subprocess.DEVNULL
        )

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._drain.wait(timeout=10)
        shutil.rmtree(self.data, ignore_errors=True)


def run(
    chargers: int, duration: float, warmup: float, processes: int, url: str | None
) -> dict[str, object]:
    server = None if url else ManagedServer()
    target = url or f"ws://127.0.0.1:{server.port}/ocpp"  # type: ignore[union-attr]
    cpus = os.sched_getaffinity(0)
    load_cpus = (cpus - {0}) or cpus if server else None
    sampler = ProcessSampler(server.process.pid) if server else None
    run_id = os.urandom(3).hex()
    names = [f"B{run_id}-{i:05d}" for i in range(chargers)]
    ctx = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue = ctx.Queue()  # type: ignore[type-arg]
    workers = [
        ctx.Process(
            target=_worker, args=(target, names[i::processes], duration, warmup, load_cpus, queue)
        )
        for i in range(processes)
    ]
    try:
        for w in workers:
            w.start()
        if sampler:
            time.sleep(warmup + 1)  # spawning and connecting are not the steady state
            sampler.start()
        results = [queue.get(timeout=warmup + duration + 120) for _ in workers]
        server_stats = sampler.stop() if sampler else {}
        for w in workers:
            w.join(timeout=30)
    finally:
        if server:
            server.stop()
    latencies = sorted(v for r in results for v in r.latencies_us)
    messages = sum(r.messages for r in results)
    return {
        "scenario": "ocpp-metervalues",
        "chargers": chargers,
        "processes": processes,
        "duration_s": duration,
        "messages": messages,
        "msg_per_s": round(messages / duration),
        "errors": sum(r.errors for r in results),
        "timeouts": sum(r.timeouts for r in results),
        "connect_failures": sum(r.connect_failures for r in results),
        "latency_ms": {
            p: round(_percentile(latencies, float(p[1:])), 2) for p in ("p50", "p90", "p99")
        }
        | {"max": round(latencies[-1] / 1000, 2) if latencies else 0.0},
        "server": server_stats,
    }


def report(result: dict[str, Any]) -> str:
    lat = result["latency_ms"]
    return "\n".join(
        [
            f"{result['chargers']} chargers, {result['processes']} load process(es), "
            f"{result['duration_s']:.0f} s measured",
            f"  durable MeterValues/s  {result['msg_per_s']:>10,}",
            f"  ack latency ms         p50 {lat['p50']}  p90 {lat['p90']}  p99 {lat['p99']}  "
            f"max {lat['max']}",
            f"  errors {result['errors']}, timeouts {result['timeouts']}, "
            f"connect failures {result['connect_failures']}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench ocpp", description=__doc__)
    parser.add_argument("--chargers", type=int, default=100)
    parser.add_argument(
        "--duration", type=float, default=10.0, help="measured seconds (after warm-up)"
    )
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--processes", type=int, default=1, help="load generator processes")
    parser.add_argument(
        "--url", help="an already running server, e.g. ws://127.0.0.1:9000/ocpp (loopback only)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    if not 1 <= args.chargers <= 20_000:
        parser.error("--chargers must be between 1 and 20000")
    if not 0 < args.duration <= 3600 or not 0 <= args.warmup <= 600:
        parser.error("--duration must be in (0, 3600] and --warmup in [0, 600]")
    if not 1 <= args.processes <= 64:
        parser.error("--processes must be between 1 and 64")
    if args.url and urlsplit(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("--url must point at loopback (127.0.0.1, localhost or ::1)")
    result = run(args.chargers, args.duration, args.warmup, args.processes, args.url)
    if args.json:
        print(json.dumps(result))
    else:
        print(report(result))
        if result["server"]:
            print(f"  server                 {result['server']}")
    return 0
