"""`python -m bench push`: the sessions gateway, 1,000,000 sessions in requests of 100.

Starts `ocppcore serve` on a fresh data directory pinned to CPU 0, with the gateway's rate limit
lifted by its setting (`gateway_requests_per_hour = 0` in a config file), then pushes from CPU 1
over several keep-alive connections. Every session is acknowledged only once durable. Then it
pushes the same sessions again: each must come back as a duplicate, and the time that takes is
the cost of duplicate detection.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import trio

from bench.httpclient import HttpConnection
from bench.procstat import ProcessSampler
from bench.servers import Ocppcore, load_cpus

BASE = 1_700_000_000  # seconds; sessions start one minute apart from here


def _body(first: int, count: int) -> bytes:
    sessions = []
    for n in range(first, first + count):
        start = BASE + n * 60
        connected = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(start))
        disconnected = time.strftime(
            "%Y-%m-%dT%H:%M:%S+02:00", time.gmtime(start + 7200 + 3 * 3600)
        )
        sessions.append(
            {
                "carConnected": connected,
                "carDisconnected": disconnected,
                "kiloWattHours": (n % 500) / 10,
            }
        )
    return json.dumps({"sessions": sessions}).encode()


async def push_all(
    port: int, key: str, total: int, per_request: int, connections: int
) -> dict[str, int]:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    bodies = [(_body(i, min(per_request, total - i))) for i in range(0, total, per_request)]
    counts = {"accepted": 0, "duplicates": 0, "rejected": 0, "requests": 0}

    async def worker(index: int) -> None:
        connection = await HttpConnection.open("127.0.0.1", port)
        try:
            for body in bodies[index::connections]:
                status, answer = await connection.post("/api/gateway/sessions", headers, body)
                assert status == 200, answer[:300]
                result = json.loads(answer)
                counts["accepted"] += result["accepted"]
                counts["duplicates"] += result["duplicates"]
                counts["rejected"] += len(result["rejected"])
                counts["requests"] += 1
        finally:
            await connection.aclose()

    async with trio.open_nursery() as nursery:
        for i in range(connections):
            nursery.start_soon(worker, i)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench push", description=__doc__)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--per-request", type=int, default=100)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if (
        not 100 <= args.sessions <= 10_000_000
        or not 1 <= args.per_request <= 100
        or not 1 <= args.connections <= 64
    ):
        parser.error(
            "--sessions in [100, 10000000], --per-request in [1, 100], --connections in [1, 64]"
        )
    data = Path(tempfile.mkdtemp(prefix="ocppcore-bench-push-"))
    config = data / "bench.toml"
    config.write_text("gateway_requests_per_hour = 0\n")
    os.sched_setaffinity(0, load_cpus())
    server = Ocppcore(data / "data", extra=["--config", str(config)])
    port = server.http_port
    result: dict[str, Any] = {"sessions": args.sessions, "per_request": args.per_request}
    try:
        key = server.api_key
        assert key is not None, "a fresh data directory prints its API key"
        for phase in ("first push", "same sessions again"):
            sampler = ProcessSampler(server.pid)
            sampler.start()
            started = time.perf_counter()
            counts = trio.run(
                push_all, port, key, args.sessions, args.per_request, args.connections
            )
            elapsed = time.perf_counter() - started
            result[phase] = (
                counts
                | {"seconds": round(elapsed, 1), "sessions_per_s": round(args.sessions / elapsed)}
                | sampler.stop()
            )
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)
    if args.json:
        print(json.dumps(result))
    else:
        shape = f"requests of {args.per_request}, {args.connections} connections"
        print(f"{args.sessions:,} sessions in {shape}")
        for phase in ("first push", "same sessions again"):
            r = result[phase]
            print(
                f"  {phase:<20} {r['sessions_per_s']:>8,} sessions/s  accepted {r['accepted']:,}  "
                f"duplicates {r['duplicates']:,}  rejected {r['rejected']}  ({r['seconds']} s, "
                f"server CPU {r['cpu_percent']} %, RSS {r['rss_mb']} MB)"
            )
    return 0
