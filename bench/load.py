"""`python -m bench load`: durable OCPP throughput and latency, verified through the HTTP API.

N chargers each boot, start a transaction, then send MeterValues (energy register and power),
either back to back with one CALL outstanding (as fast as the server acknowledges) or at
`--rate` messages a second each; at the end each stops its transaction. A message counts when
its CALLRESULT arrives, which the server sends only after the batch holding it was committed
with fsync. Afterwards every charger's session is read back through the HTTP API: it must be
there exactly once, with the energy of the last acknowledged value (completed, with the final
energy, when the stop was acknowledged).

By default the server is started here on a fresh data directory, pinned to CPU 0, and the load
runs on the other CPUs, one process per CPU.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from queue import Empty
from typing import Any
from urllib.parse import urlsplit

import httpx
import trio

from bench.latency import summary
from bench.procstat import ProcessSampler, rss_mb
from bench.servers import Ocppcore, load_cpus, prepare_load_process
from bench.wsclient import Closed, RawWebSocket

METER_START = 1000
STEP_WH = 10
# A charger still waiting for an answer this long after the end of the run gives up (a timeout).
GRACE_S = 15.0
LOST = (OSError, Closed, trio.BrokenResourceError, trio.ClosedResourceError)


@dataclass
class Plan:
    """What every charger of a run does, in one load process."""

    host: str
    port: int
    prefix: str
    duration: float
    warmup: float
    rate: float | None  # messages a second per charger; None: back to back


@dataclass
class ChargerOutcome:
    """What one charger knows the server acknowledged: the basis of the verification."""

    name: str
    transaction: int | None = None
    acked_wh: int = METER_START
    sent_wh: int = METER_START
    stopped: bool = False


@dataclass
class WorkerResult:
    messages: int = 0
    errors: int = 0
    connect_failures: int = 0
    timeouts: int = 0
    latencies_us: list[int] = field(default_factory=list)
    outcomes: list[ChargerOutcome] = field(default_factory=list)


def stamp() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def _meter_values(tx: int, seq: int, wh: int) -> str:
    return (
        f'[2,"m{seq}","MeterValues",{{"connectorId":1,"transactionId":{tx},"meterValue":'
        f'[{{"timestamp":"{stamp()}","sampledValue":[{{"value":"{wh}"}},'
        f'{{"value":"7200","measurand":"Power.Active.Import","unit":"W"}}]}}]}}]'
    )


async def connect(host: str, port: int, path: str) -> RawWebSocket | None:
    """Connect as a charger does: retry with backoff when the server drops the attempt (a full
    listen backlog during a connect storm resets connections). Six tries, then None."""
    for attempt in range(6):
        try:
            return await RawWebSocket.connect(host, port, path)
        except LOST:
            await trio.sleep(0.1 * 2**attempt)
    return None


async def _charger(plan: Plan, name: str, begin: float, result: WorkerResult) -> None:
    ws = await connect(plan.host, plan.port, f"{plan.prefix}/{name}")
    if ws is None:
        result.connect_failures += 1
        return
    outcome = ChargerOutcome(name)
    result.outcomes.append(outcome)
    warm_at, stop_at = begin + plan.warmup, begin + plan.warmup + plan.duration
    clock = trio.current_time
    try:
        await ws.send_text(
            '[2,"b","BootNotification",{"chargePointVendor":"bench","chargePointModel":"load"}]'
        )
        await ws.receive_text()
        await ws.send_text(
            f'[2,"s","StartTransaction",{{"connectorId":1,"idTag":"{name[-20:]}",'
            f'"meterStart":{METER_START},"timestamp":"{stamp()}"}}]'
        )
        tx = outcome.transaction = json.loads(await ws.receive_text())[2]["transactionId"]
        interval = 1 / plan.rate if plan.rate else 0.0
        # Fixed rate: each charger keeps its own schedule, at a random phase so sends spread out.
        due = clock() + random.random() * interval
        seq = 0
        while True:
            if interval:
                await trio.sleep_until(due)
                sent_at, due = due, due + interval  # latency counts from when it was due
            else:
                sent_at = clock()
            if sent_at >= stop_at:
                break
            seq += 1
            outcome.sent_wh += STEP_WH
            await ws.send_text(_meter_values(tx, seq, outcome.sent_wh))
            reply = await ws.receive_text()
            if not reply.startswith("[3,"):
                result.errors += 1
                continue
            outcome.acked_wh = outcome.sent_wh
            if sent_at >= warm_at:
                result.messages += 1
                result.latencies_us.append(int((clock() - sent_at) * 1e6))
        outcome.sent_wh += STEP_WH
        await ws.send_text(
            f'[2,"t","StopTransaction",{{"transactionId":{tx},"meterStop":{outcome.sent_wh},'
            f'"timestamp":"{stamp()}","reason":"Local"}}]'
        )
        if (await ws.receive_text()).startswith("[3,"):
            outcome.stopped, outcome.acked_wh = True, outcome.sent_wh
        else:
            result.errors += 1
    except LOST:
        result.errors += 1
    finally:
        await ws.aclose()


async def run_worker(plan: Plan, names: list[str]) -> WorkerResult:
    result = WorkerResult()
    begin = trio.current_time()

    async def bounded(name: str) -> None:
        with trio.move_on_at(begin + plan.warmup + plan.duration + GRACE_S) as scope:
            await _charger(plan, name, begin, result)
        if scope.cancelled_caught:
            result.timeouts += 1

    async with trio.open_nursery() as nursery:
        for name in names:
            nursery.start_soon(bounded, name)
    return result


def _worker(
    plan: Plan, names: list[str], cpus: set[int] | None, queue: multiprocessing.Queue[WorkerResult]
) -> None:
    if cpus:
        os.sched_setaffinity(0, cpus)
    prepare_load_process()
    queue.put(trio.run(run_worker, plan, names))


# --- verification through the HTTP API ----------------------------------------------------


def walk(client: httpx.Client, first: str) -> Iterator[dict[str, Any]]:
    url: str | None = first
    while url:
        response = client.get(url)
        response.raise_for_status()
        page = response.json()
        yield from page["data"]
        url = page["next_page_url"]


def verify(
    api_url: str, api_key: str, outcomes: list[ChargerOutcome], *, since: float | None = None
) -> dict[str, Any]:
    """Check every acknowledged session and energy value against the HTTP API; `since` (epoch
    seconds) skips the account's sessions created before the run, on a server that has many."""
    sessions = "/v1/charging_sessions?limit=100"
    if since is not None:
        start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since))
        sessions += f"&created%5Bgte%5D={start}"
    ours = {o.name: o for o in outcomes if o.transaction is not None}
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=api_url, headers=headers, timeout=60) as client:
        stations = {
            s["id"]: s["charge_point_id"]
            for s in walk(client, "/v1/charging_stations?limit=100")
            if s["charge_point_id"] in ours
        }
        for session in walk(client, sessions):
            if (name := stations.get(session["charging_station"])) is not None:
                found[name].append(session)
    problems: Counter[str] = Counter()
    examples = []
    for name, outcome in ours.items():
        problem = _problem(outcome, found.get(name, []))
        if problem:
            problems[problem] += 1
            examples.append(f"{name}: {problem}")
    return {
        "sessions_checked": len(ours),
        "energy_checked_wh": sum(o.acked_wh - METER_START for o in ours.values()),
        "problems": dict(problems),
        "examples": examples[:5],
    }


def _problem(outcome: ChargerOutcome, sessions: list[dict[str, Any]]) -> str | None:
    if not sessions:
        return "acknowledged session missing"
    if len(sessions) > 1:
        return f"{len(sessions)} sessions for one transaction"
    session = sessions[0]
    energy = session["energy_consumed"]
    if outcome.stopped:
        if session["status"] != "completed":
            return f"stop acknowledged but status {session['status']}"
        if energy != outcome.acked_wh - METER_START:
            return f"final energy {energy} Wh, acknowledged {outcome.acked_wh - METER_START}"
    # Not stopped: a value sent but never answered may or may not have been committed.
    elif not outcome.acked_wh - METER_START <= energy <= outcome.sent_wh - METER_START:
        return f"energy {energy} Wh, acknowledged {outcome.acked_wh - METER_START}"
    return None


# --- the run --------------------------------------------------------------------------------


def run(
    chargers: int,
    duration: float,
    warmup: float = 2.0,
    *,
    rate: float | None = None,
    processes: int = 0,
    url: str | None = None,
    api_url: str | None = None,
    api_key: str | None = None,
    verify_after: bool = True,
    sample_every: float = 0.0,
) -> dict[str, Any]:
    """One load run; `processes=0` means one per CPU left to the load. `sample_every` > 0 also
    records the server's memory at that interval (the soak's flat-RSS evidence)."""
    server = None if url else Ocppcore(extra=["--allow-unknown-chargers"])
    try:
        target = url or server.ocpp_url  # type: ignore[union-attr]
        cpus = load_cpus() if server else None
        processes = processes or max(1, min(len(cpus or os.sched_getaffinity(0)), chargers))
        parts = urlsplit(target)
        plan = Plan(
            parts.hostname or "127.0.0.1",
            parts.port or 80,
            parts.path.rstrip("/"),
            duration,
            warmup,
            rate,
        )
        run_id = os.urandom(3).hex()
        names = [f"L{run_id}-{i:05d}" for i in range(chargers)]
        ctx = multiprocessing.get_context("spawn")
        queue: multiprocessing.Queue[WorkerResult] = ctx.Queue()
        workers = [
            ctx.Process(target=_worker, args=(plan, names[i::processes], cpus, queue))
            for i in range(processes)
        ]
        started = time.time()  # sessions of the run are created after this
        for w in workers:
            w.start()
        sampler = ProcessSampler(server.pid) if server else None
        timeline = MemoryTimeline(server.pid if server else None, sample_every, warmup + duration)
        if sampler:
            time.sleep(warmup + 1)  # spawning and connecting are not the steady state
            sampler.start()
        results = _collect(queue, len(workers), warmup + duration + 180, timeline)
        server_stats = sampler.stop() if sampler else {}
        for w in workers:
            w.join(timeout=30)
        outcomes = [o for r in results for o in r.outcomes]
        checked: dict[str, Any] | None = None
        if verify_after:
            key = api_key or (server.api_key if server else None)
            base = api_url or (server.api_url if server else None)
            if key is None or base is None:
                raise ValueError("verification needs --api-url and --api-key")
            checked = verify(base, key, outcomes, since=started - 60)
    finally:
        if server:
            server.stop()
    messages = sum(r.messages for r in results)
    return {
        "scenario": "ocpp-metervalues",
        "chargers": chargers,
        "processes": processes,
        "rate_per_charger": rate,
        "duration_s": duration,
        "messages": messages,
        "msg_per_s": round(messages / duration),
        "errors": sum(r.errors for r in results),
        "timeouts": sum(r.timeouts for r in results),
        "connect_failures": sum(r.connect_failures for r in results),
        "latency_ms": summary(v for r in results for v in r.latencies_us),
        "server": server_stats,
        "memory": timeline.samples,
        "verified": checked,
    }


class MemoryTimeline:
    """The server's memory every `every` seconds during the `span` seconds of the run (the
    stops and the verification afterwards are not the load)."""

    def __init__(self, pid: int | None, every: float, span: float) -> None:
        self.pid, self.every = pid, every
        self.started = self.next = time.monotonic()
        self.until = self.started + span
        self.samples: list[dict[str, float]] = []

    def tick(self) -> None:
        now = time.monotonic()
        if self.pid is None or not self.every or now < self.next or now > self.until:
            return
        self.samples.append(
            {
                "t_s": round(now - self.started, 1),
                "rss_mb": round(rss_mb(self.pid), 1),
                "heap_mb": round(rss_mb(self.pid, "RssAnon"), 1),
            }
        )
        self.next += self.every


def _collect(
    queue: multiprocessing.Queue[WorkerResult], count: int, timeout: float, timeline: MemoryTimeline
) -> list[WorkerResult]:
    """Wait for every worker's result, sampling the server's memory meanwhile."""
    results: list[WorkerResult] = []
    deadline = time.monotonic() + timeout
    while len(results) < count:
        if time.monotonic() > deadline:
            raise TimeoutError("load processes did not finish")
        timeline.tick()
        try:
            results.append(queue.get(timeout=1.0))
        except Empty:
            continue
    return results


def report(result: dict[str, Any]) -> str:
    lat = result["latency_ms"]
    pace = (
        f"{result['rate_per_charger']:g} msg/s per charger"
        if result["rate_per_charger"]
        else "back to back"
    )
    lines = [
        f"{result['chargers']:,} chargers ({pace}), {result['processes']} load process(es), "
        f"{result['duration_s']:.0f} s measured",
        f"  durable MeterValues/s  {result['msg_per_s']:>10,}",
        f"  ack latency ms         p50 {lat['p50']}  p90 {lat['p90']}  p99 {lat['p99']}  "
        f"max {lat['max']}",
        f"  errors {result['errors']}, timeouts {result['timeouts']}, "
        f"connect failures {result['connect_failures']}",
    ]
    if result["server"]:
        s = result["server"]
        lines.append(f"  server                 CPU {s['cpu_percent']} %, RSS {s['rss_mb']} MB")
    if (v := result["verified"]) is not None:
        verdict = "all present" if not v["problems"] else f"PROBLEMS {v['problems']}"
        lines.append(
            f"  verified via HTTP API  {v['sessions_checked']:,} sessions, "
            f"{v['energy_checked_wh']:,} Wh acknowledged: {verdict}"
        )
        lines += [f"    {e}" for e in v["examples"]]
    return "\n".join(lines)


def is_loopback(url: str) -> bool:
    return urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench load", description=__doc__)
    parser.add_argument("--chargers", type=int, default=100)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument(
        "--rate", type=float, help="MeterValues a second per charger (default: back to back)"
    )
    parser.add_argument(
        "--processes", type=int, default=0, help="load processes (default: one per load CPU)"
    )
    parser.add_argument("--url", help="a running server, e.g. ws://127.0.0.1:9000/ocpp")
    parser.add_argument("--api-url", help="its HTTP API, e.g. http://127.0.0.1:8080")
    parser.add_argument("--api-key", help="an API key of the account the chargers join")
    parser.add_argument("--no-verify", action="store_true", help="skip the HTTP API check")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    if not 1 <= args.chargers <= 20_000:
        parser.error("--chargers must be between 1 and 20000")
    if not 0 < args.duration <= 3600 or not 0 <= args.warmup <= 600:
        parser.error("--duration must be in (0, 3600] and --warmup in [0, 600]")
    if args.rate is not None and not 0.01 <= args.rate <= 1000:
        parser.error("--rate must be between 0.01 and 1000 messages a second")
    if not 0 <= args.processes <= 64:
        parser.error("--processes must be between 0 (one per CPU) and 64")
    for name in ("url", "api_url"):
        if getattr(args, name) and not is_loopback(getattr(args, name)):
            parser.error(f"--{name.replace('_', '-')} must point at loopback (127.0.0.1, ::1)")
    if args.url and not args.no_verify and not (args.api_url and args.api_key):
        parser.error("with --url, give --api-url and --api-key (or --no-verify)")
    result = run(
        args.chargers,
        args.duration,
        args.warmup,
        rate=args.rate,
        processes=args.processes,
        url=args.url,
        api_url=args.api_url,
        api_key=args.api_key,
        verify_after=not args.no_verify,
    )
    print(json.dumps(result) if args.json else report(result))
    # Any charger that could not connect, was not answered or found something missing fails
    # the run: a load figure with silent losses is not a figure.
    verified = result["verified"]
    lost = result["connect_failures"] + result["timeouts"] + result["errors"]
    return 1 if lost or (verified and verified["problems"]) else 0
