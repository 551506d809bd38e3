"""`python -m bench report`: a charging_summary over a large store, while chargers keep talking.

Uses the store `python -m bench api --data DIR` generated (1,000,000 sessions by default), starts
`ocppcore serve` on it pinned to CPU 0, and from CPU 1 runs chargers sending MeterValues at a
fixed rate. It measures their ack latency idle, then while a `charging_summary` over every
session is generated, the time the report takes to succeed, and the server's RSS growth
(sampled every 50 ms) while it runs.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import trio

from bench.httpclient import HttpConnection
from bench.latency import summary
from bench.procstat import rss_mb
from bench.servers import Ocppcore, load_cpus
from bench.wsclient import RawWebSocket

REPORT_TIMEOUT_S = 600.0


async def _chargers(port: int, count: int, rate: float, stop: trio.Event) -> list[int]:
    """`count` chargers, each connected once, sending MeterValues at `rate` until `stop`."""
    latencies: list[int] = []

    async def charger(n: int) -> None:
        ws = await RawWebSocket.connect("127.0.0.1", port, f"/ocpp/RPT-{os.getpid()}-{n}")
        try:
            seq = 0
            while not stop.is_set():
                seq += 1
                frame = (
                    f'[2,"m{seq}","MeterValues",{{"connectorId":1,"meterValue":[{{"timestamp":'
                    f'"2026-05-01T10:00:00Z","sampledValue":[{{"value":"{seq}"}}]}}]}}]'
                )
                t = time.perf_counter()
                await ws.send_text(frame)
                await ws.receive_text()
                latencies.append(int((time.perf_counter() - t) * 1e6))
                with trio.move_on_after(1 / rate):
                    await stop.wait()
        finally:
            await ws.aclose()

    async with trio.open_nursery() as nursery:
        for n in range(count):
            nursery.start_soon(charger, n)
    return latencies


async def _run(
    http_port: int, ocpp_port: int, key: str, pid: int, chargers: int, rate: float
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    idle_over = trio.Event()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_stop_after, 5.0, idle_over)
        idle = await _chargers(ocpp_port, chargers, rate, idle_over)
    result["ocpp_idle_ms"] = summary(idle, ("p50", "p99"))
    baseline = {kind: rss_mb(pid, kind) for kind in ("RssAnon", "RssFile")}
    peak = dict(baseline)
    connection = await HttpConnection.open("127.0.0.1", http_port)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    everything = {"period_start": "2000-01-01T00:00:00Z", "period_end": "2100-01-01T00:00:00Z"}
    parameters = {"type": "charging_summary", "group_by": "driver", **everything}
    body = json.dumps({"parameters": parameters}).encode()
    started = time.perf_counter()
    status, answer = await connection.post("/v1/reports", headers, body)
    assert status == 201, answer
    report_id = json.loads(answer)["id"]
    during: list[int] = []
    done = trio.Event()

    async def load() -> None:
        during.extend(await _chargers(ocpp_port, chargers, rate, done))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(load)
        with trio.fail_after(REPORT_TIMEOUT_S):
            while True:
                for kind in peak:
                    peak[kind] = max(peak[kind], rss_mb(pid, kind))
                status, answer = await connection.get(
                    f"/v1/reports/{report_id}", {"Authorization": headers["Authorization"]}
                )
                report = json.loads(answer)
                if report["status"] != "pending":
                    break
                await trio.sleep(0.05)
        result["report_s"] = round(time.perf_counter() - started, 2)
        done.set()
    await connection.aclose()
    result["report_status"] = report["status"]
    result["report_bytes"] = report["size"]
    result["heap_growth_mb"] = round(peak["RssAnon"] - baseline["RssAnon"], 1)
    result["mapped_file_growth_mb"] = round(peak["RssFile"] - baseline["RssFile"], 1)
    result["ocpp_during_report_ms"] = summary(during, ("p50", "p99"))
    return result


async def _stop_after(seconds: float, stop: trio.Event) -> None:
    await trio.sleep(seconds)
    stop.set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench report", description=__doc__)
    parser.add_argument(
        "--data", required=True, help="a store made by `python -m bench api --data DIR`"
    )
    parser.add_argument("--chargers", type=int, default=20)
    parser.add_argument(
        "--rate", type=float, default=5.0, help="MeterValues per second per charger"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    data = Path(args.data)
    keys = sorted(data.glob("generated-*.key"))
    if not keys:
        parser.error(f"{data} holds no store generated by `python -m bench api`")
    if not 1 <= args.chargers <= 1000 or not 0 < args.rate <= 100:
        parser.error("--chargers in [1, 1000], --rate in (0, 100]")
    os.sched_setaffinity(0, load_cpus())
    server = Ocppcore(data, extra=["--allow-unknown-chargers"])
    try:
        key = keys[0].read_text()
        result = trio.run(
            _run,
            server.http_port,
            server.ocpp_port,
            key,
            server.pid,
            args.chargers,
            args.rate,
        )
    finally:
        server.stop()
    result["sessions"] = int(keys[0].stem.split("-")[1])
    print(json.dumps(result) if args.json else "\n".join(f"  {k}: {v}" for k, v in result.items()))
    return 0
