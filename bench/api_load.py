"""`python -m bench api`: session listing with a large store.

Generates N sessions through the store's group-commit writer (cached in a data directory for
later runs), starts `ocppcore serve` on it pinned to CPU 0, then measures from CPU 1:
- latency of one client sending requests one after another (close to server time: loopback adds
  tens of microseconds), for a page of 100 without and with a filter, first page and page 5,000;
- throughput with several concurrent keep-alive connections.
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
from bench.latency import summary
from bench.procstat import ProcessSampler
from bench.servers import Ocppcore, Peer, load_cpus

DRIVERS = 1000  # the filter scenario selects one driver: about N / 1000 sessions


async def generate(data: Path, sessions: int) -> str:
    """Fill `data` with `sessions` sessions of account `bench`; returns an API key for it."""
    from ocppcore.clock import now_ms
    from store import admin
    from store import events as ev
    from store.ids import new_id
    from store.log import Store
    from store.writer import Writer

    store = Store(data, map_size=64 * 2**30)
    try:
        with store.read() as reader:
            change = admin.set_account(
                reader, "bench", id_tag_policy="open", now=now_ms(), new_id=new_id
            )
        store.commit(change.events)
        with store.read() as reader:
            account = admin.account_named(reader, "bench")
        key = admin.create_api_key(account, now=now_ms(), new_id=new_id)
        store.commit(key.events)
        writer = Writer(store)
        start = now_ms() - sessions * 10
        async with trio.open_nursery() as nursery:
            await nursery.start(writer.run)

            async def produce(first: int, count: int) -> None:
                batch = []
                for n in range(first, first + count):
                    batch.append(
                        ev.TransactionStarted(
                            at=start + n * 10 // 3,  # several sessions per millisecond: ties
                            station=f"chst_bench{n % 200:03d}",
                            account=account.id,
                            session=f"cs_bench{n:024d}",
                            connector_id=1 + n % 2,
                            id_tag=f"T{n % 5000}",
                            meter_start=n,
                            timestamp=start + n * 10,
                            id_tag_status="Accepted",
                            driver=f"drv_{n % DRIVERS:04d}",
                            fleet=f"flt_{n % 10}",
                            vehicle=f"veh_{n % 3000:04d}",
                        )
                    )
                    if len(batch) == 2000:
                        await writer.submit(batch)
                        batch = []
                if batch:
                    await writer.submit(batch)

            per = sessions // 4
            async with trio.open_nursery() as producers:
                for i in range(4):
                    producers.start_soon(produce, i * per, per if i < 3 else sessions - 3 * per)
            await writer.aclose()
        return str(key.output["api_key"])
    finally:
        store.close()


def deep_token(data: Path, page: int, limit: int, params: list[tuple[str, str]]) -> str:
    """The page token a client would hold after walking to page `page` (minted with the data
    directory's own secret, to avoid walking 5,000 pages first)."""
    from api.pagination import Pager, filters_digest, load_secret
    from store.log import Store

    store = Store(data, map_size=64 * 2**30)
    try:
        with store.read() as reader:
            account = reader.account_by_name("bench")
            assert account is not None
            dimension, value = (
                ("driver", params[0][1]) if params and params[0][0] == "driver" else ("all", "")
            )
            after: bytes | None = None
            for _ in range(page - 1):
                result = reader.session_page(account.id, dimension, value, after=after, limit=limit)
                after = result.items[-1][0]
    finally:
        store.close()
    assert after is not None
    digest = filters_digest([*params, ("limit", str(limit))])
    return Pager(load_secret(str(data))).token(forward=True, position=after, filters=digest)


async def sequential(port: int, key: str, target: str, count: int) -> dict[str, float]:
    connection = await HttpConnection.open("127.0.0.1", port)
    headers = {"Authorization": f"Bearer {key}"}
    latencies = []
    try:
        for _ in range(count):
            t = time.perf_counter()
            status, body = await connection.get(target, headers)
            latencies.append(int((time.perf_counter() - t) * 1e6))
            assert status == 200, body[:200]
    finally:
        await connection.aclose()
    return summary(latencies)


async def throughput(port: int, key: str, target: str, connections: int, seconds: float) -> float:
    headers = {"Authorization": f"Bearer {key}"}
    done = 0
    stop = trio.current_time() + seconds

    async def client() -> None:
        nonlocal done
        connection = await HttpConnection.open("127.0.0.1", port)
        try:
            while trio.current_time() < stop:
                status, _ = await connection.get(target, headers)
                assert status == 200
                done += 1
        finally:
            await connection.aclose()

    async with trio.open_nursery() as nursery:
        for _ in range(connections):
            nursery.start_soon(client)
    return done / seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench api", description=__doc__)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--data", help="keep the generated store here and reuse it next time")
    parser.add_argument(
        "--requests", type=int, default=2000, help="sequential requests per scenario"
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not 1000 <= args.sessions <= 10_000_000 or not 1 <= args.requests <= 100_000:
        parser.error("--sessions must be in [1000, 10000000] and --requests in [1, 100000]")
    if not 1 <= args.connections <= 256 or not 0 < args.seconds <= 600:
        parser.error("--connections must be in [1, 256] and --seconds in (0, 600]")
    data = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="ocppcore-bench-api-"))
    marker = data / f"generated-{args.sessions}.key"
    os.sched_setaffinity(0, load_cpus())
    started = time.monotonic()
    if not marker.exists():
        data.mkdir(parents=True, exist_ok=True)
        marker.write_text(trio.run(generate, data, args.sessions))
    generation_s = time.monotonic() - started
    key = marker.read_text()
    page = min(5000, args.sessions // 100)
    scenarios = {
        "first page": ("/v1/charging_sessions?limit=100", []),
        "first page of 10 (default limit)": ("/v1/charging_sessions", []),
        "first page, driver filter": (
            "/v1/charging_sessions?driver=drv_0042&limit=100",
            [("driver", "drv_0042")],
        ),
    }
    deep = deep_token(data, page, 100, [])
    scenarios[f"page {page}"] = (f"/v1/charging_sessions?page={deep}&limit=100", [])
    driver_page = min(page, args.sessions // DRIVERS // 100)
    if driver_page >= 2:
        token = deep_token(data, driver_page, 100, [("driver", "drv_0042")])
        scenarios[f"page {driver_page}, driver filter"] = (
            f"/v1/charging_sessions?page={token}&driver=drv_0042&limit=100",
            [],
        )
    server = Ocppcore(data)
    port = server.http_port
    result: dict[str, Any] = {
        "sessions": args.sessions,
        "generation_s": round(generation_s, 1),
        "latency_ms": {},
    }
    try:
        for name, (target, _) in scenarios.items():
            result["latency_ms"][name] = trio.run(sequential, port, key, target, args.requests)
        sampler = ProcessSampler(server.pid)
        sampler.start()
        result["requests_per_s"] = round(
            trio.run(
                throughput, port, key, scenarios["first page"][0], args.connections, args.seconds
            )
        )
        result["server"] = sampler.stop()
        default_target = scenarios["first page of 10 (default limit)"][0]
        result["requests_per_s_limit_10"] = round(
            trio.run(throughput, port, key, default_target, args.connections, args.seconds)
        )
    finally:
        server.stop()
    ceiling = Peer(["-m", "bench.http_ceiling", "0"], http=True)
    try:
        result["ceiling_requests_per_s"] = round(
            trio.run(throughput, ceiling.port, key, default_target, args.connections, args.seconds)
        )
    finally:
        ceiling.stop()
        if not args.data:
            shutil.rmtree(data, ignore_errors=True)
    if args.json:
        print(json.dumps(result))
    else:
        generated = f"generated in {result['generation_s']} s through the writer"
        print(f"{args.sessions:,} sessions ({generated})")
        for name, lat in result["latency_ms"].items():
            figures = "  ".join(f"{p} {lat[p]:>6} ms" for p in ("p50", "p90", "p99"))
            print(f"  {name:<32} {figures}")
        pages = f"{args.connections} connections"
        print(f"  first page of 100, {pages}: {result['requests_per_s']:,} requests/s")
        print(f"  first page of 10, {pages}: {result['requests_per_s_limit_10']:,} requests/s")
        print(f"  bare Quart-trio + Hypercorn, {pages}: {result['ceiling_requests_per_s']:,}")
        print(f"  server during the first: {result['server']}")
    return 0
