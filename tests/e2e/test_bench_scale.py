"""`python -m bench scale` scenarios in miniature against the real server in-process: a
reconnect storm in which every charger drops at once and comes back loses nothing, and
heartbeating chargers are listed online."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Awaitable, Callable

import httpx
import trio

from bench import load
from bench.scale import Fleet, FleetResult, Signals
from ocppcore.service import Service
from tests.conftest import ServiceFactory, api_key_for, wait_until


def _signals() -> Signals:
    ctx = multiprocessing.get_context("spawn")
    return Signals(
        ready=ctx.Value("i", 0),
        back=ctx.Value("i", 0),
        storm=ctx.Event(),
        storm_at=ctx.Value("d", 0.0),
        release=ctx.Event(),
    )


def _online(service: Service, key: str, prefix: str) -> int:
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=f"http://127.0.0.1:{service.http_port}", headers=headers) as client:
        stations = load.walk(client, "/v1/charging_stations?status=online&limit=100")
        return sum(s["charge_point_id"].startswith(prefix) for s in stations)


async def _run_fleet(
    service: Service,
    scenario: str,
    prefix: str,
    chargers: int,
    window: float,
    meanwhile: Callable[[Signals], Awaitable[None]],
) -> tuple[FleetResult, int]:
    """Run a fleet until it is ready, then `meanwhile`; the stations listed online then."""
    signals = _signals()
    names = [f"{prefix}{i:02d}" for i in range(chargers)]
    fleet = Fleet(f"ws://127.0.0.1:{service.ocpp_port}/ocpp", chargers, signals, window)
    _, key = api_key_for(service, "default")
    result: list[FleetResult] = []
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:

            async def run() -> None:
                result.append(await fleet.run(scenario, names, 50))

            nursery.start_soon(run)
            await wait_until(lambda: signals.ready.value == chargers, timeout=20)
            await meanwhile(signals)
            online = await trio.to_thread.run_sync(_online, service, key, prefix)
            signals.release.set()
    return result[0], online


async def test_a_reconnect_storm_loses_nothing(service: Service) -> None:
    chargers = 30

    async def storm(signals: Signals) -> None:
        signals.storm_at.value = time.time()
        signals.storm.set()
        await wait_until(lambda: signals.back.value == chargers, timeout=20)

    fleet, online = await _run_fleet(service, "storm", "STORM-", chargers, 0.5, storm)
    assert online == chargers
    assert len(fleet.outcomes) == chargers and all(o.stopped for o in fleet.outcomes)
    assert fleet.counts["boots accepted"] == 2 * chargers
    assert max(fleet.back_after_s) < 5
    url = f"http://127.0.0.1:{service.http_port}"
    _, key = api_key_for(service, "default")
    checked = await trio.to_thread.run_sync(load.verify, url, key, fleet.outcomes)
    assert checked["sessions_checked"] == chargers and checked["problems"] == {}


async def test_heartbeating_chargers_stay_online(start_service: ServiceFactory) -> None:
    service = await start_service(allow_unknown_chargers=True, heartbeat_interval=1)
    chargers = 20

    async def hold(_: Signals) -> None:
        await trio.sleep(2.5)  # the chargers' own heartbeats: about two each

    fleet, online = await _run_fleet(service, "connected", "HB-", chargers, 0, hold)
    assert online == chargers
    assert chargers <= len(fleet.latencies_us["heartbeat"]) <= 4 * chargers
    assert not [k for k in fleet.counts if k != "boots accepted"]
