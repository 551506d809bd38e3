"""The bench simulator against the real server in-process: sessions happen and are all finished
when the run ends, and a server restart mid-run is survived (chargers reconnect and re-send,
nothing is counted twice)."""

from __future__ import annotations

import io
from pathlib import Path

import trio

from bench.simulator import simulate
from ocppcore.service import Service
from store import events as ev
from tests.conftest import make_config

FAST = {"session_seconds": 0.8, "idle_seconds": 0.2, "meter_interval": 0.15}


async def test_simulated_chargers_charge(tmp_path: Path) -> None:
    config = make_config(tmp_path, allow_unknown_chargers=True, heartbeat_interval=1)
    async with trio.open_nursery() as nursery:
        service: Service = await nursery.start(Service(config, out=io.StringIO()).run)
        with trio.fail_after(20):
            stats = await simulate(f"ws://127.0.0.1:{service.ocpp_port}/ocpp", 5, 3.0, FAST, seed=7)
        assert service.store is not None
        with service.store.read() as reader:
            account = reader.account_by_name("default")
            assert account is not None
            sessions = list(reader.sessions(account.id))
        service.stop()
    counts = stats.counts
    assert not [k for k in counts if k.startswith("CALLERROR")], counts
    assert counts["sessions started"] >= 5
    # At the deadline every charger finished its session: none is left open on the server.
    assert counts["sessions stopped"] == counts["sessions started"] == len(sessions)
    assert all(s.status == "completed" for s in sessions), [s.status for s in sessions]
    assert all(s.energy_consumed == (s.meter_stop or 0) - (s.meter_start or 0) for s in sessions)
    assert sum(s.energy_consumed for s in sessions) > 0


async def test_chargers_survive_a_server_restart(tmp_path: Path) -> None:
    config = make_config(tmp_path, allow_unknown_chargers=True, heartbeat_interval=1)
    with trio.fail_after(40):
        await _restart_scenario(tmp_path, config)


async def _restart_scenario(tmp_path: Path, config: object) -> None:
    async with trio.open_nursery() as outer:
        first: Service = await outer.start(Service(config, out=io.StringIO()).run)
        port = first.ocpp_port
        result: dict[str, object] = {}

        async def run_simulation() -> None:
            result["stats"] = await simulate(f"ws://127.0.0.1:{port}/ocpp", 4, 5.0, FAST, seed=11)

        outer.start_soon(run_simulation)
        await trio.sleep(1.5)
        first.stop()
        await first.stopped.wait()  # one process may not hold the same LMDB environment twice
        second_config = make_config(
            tmp_path, allow_unknown_chargers=True, heartbeat_interval=1, ocpp_port=port
        )
        second: Service = await outer.start(Service(second_config, out=io.StringIO()).run)
        with trio.fail_after(30):
            while "stats" not in result:
                await trio.sleep(0.1)
        assert second.store is not None
        starts = [e for _, e in second.store.events() if isinstance(e, ev.TransactionStarted)]
        stops = [e for _, e in second.store.events() if isinstance(e, ev.TransactionStopped)]
        second.stop()
    counts = result["stats"].counts  # type: ignore[attr-defined]
    assert counts["connections"] >= 8  # every charger connected to both servers
    assert not [k for k in counts if k.startswith("CALLERROR")], counts
    # Each transaction started once and stopped at most once, re-sends notwithstanding.
    assert len({e.transaction_id for e in starts}) == len(starts)
    assert len({e.transaction_id for e in stops}) == len(stops)
    assert counts["sessions started"] >= len(starts) - 4  # those cut off by the end may not count
