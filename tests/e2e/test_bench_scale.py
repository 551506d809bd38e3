"""`python -m bench scale` scenarios in miniature against the real server in-process: a
reconnect storm in which every charger drops at once and comes back loses nothing, and
heartbeating chargers are listed online."""

from __future__ import annotations

import multiprocessing
import time

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


async def test_a_reconnect_storm_loses_nothing(service: Service) -> None:
    chargers, signals = 30, _signals()
    names = [f"STORM-{i:02d}" for i in range(chargers)]
    fleet = Fleet(f"ws://127.0.0.1:{service.ocpp_port}/ocpp", chargers, signals, window=0.5)
    _, key = api_key_for(service, "default")
    result: dict[str, FleetResult] = {}
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:

            async def run() -> None:
                result["fleet"] = await fleet.run("storm", names, 50)

            nursery.start_soon(run)
            await wait_until(lambda: signals.ready.value == chargers, timeout=20)
            signals.storm_at.value = time.time()
            signals.storm.set()
            await wait_until(lambda: signals.back.value == chargers, timeout=20)
            online = await trio.to_thread.run_sync(_online, service, key, "STORM-")
            signals.release.set()
    outcomes = result["fleet"].outcomes
    assert online == chargers
    assert len(outcomes) == chargers and all(o.stopped for o in outcomes)
    assert result["fleet"].counts["boots accepted"] == 2 * chargers
    assert max(result["fleet"].back_after_s) < 5
    url = f"http://127.0.0.1:{service.http_port}"
    checked = await trio.to_thread.run_sync(load.verify, url, key, outcomes)
    assert checked["sessions_checked"] == chargers and checked["problems"] == {}


async def test_heartbeating_chargers_stay_online(start_service: ServiceFactory) -> None:
    service = await start_service(allow_unknown_chargers=True, heartbeat_interval=1)
    chargers, signals = 20, _signals()
    names = [f"HB-{i:02d}" for i in range(chargers)]
    fleet = Fleet(f"ws://127.0.0.1:{service.ocpp_port}/ocpp", chargers, signals, window=0)
    _, key = api_key_for(service, "default")
    result: dict[str, FleetResult] = {}
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:

            async def run() -> None:
                result["fleet"] = await fleet.run("connected", names, 50)

            nursery.start_soon(run)
            await wait_until(lambda: signals.ready.value == chargers, timeout=20)
            await trio.sleep(2.5)  # the chargers' own heartbeats: about two each
            online = await trio.to_thread.run_sync(_online, service, key, "HB-")
            signals.release.set()
    assert online == chargers
    heartbeats = result["fleet"].latencies_us["heartbeat"]
    assert chargers <= len(heartbeats) <= 4 * chargers
    assert not [k for k in result["fleet"].counts if k != "boots accepted"]
