"""Acknowledged means durable: SIGKILL the server mid-load, restart it on the same data, and
find every acknowledged StartTransaction and MeterValues in the views."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import trio
from trio_websocket import open_websocket_url

from store.log import Store
from tests.conftest import Charger

LISTENING = re.compile(rb"OCPP listening on ws://127\.0\.0\.1:(\d+)")


async def start_server(nursery: trio.Nursery, data: Path) -> tuple[trio.Process, int]:
    command = [
        sys.executable,
        "-m",
        "ocppcore",
        "serve",
        "--data",
        str(data),
        "--ocpp-port",
        "0",
        "--http-port",
        "0",
        "--allow-unknown-chargers",
    ]
    process: trio.Process = await nursery.start(
        lambda task_status: trio.run_process(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
            task_status=task_status,
        )
    )
    assert process.stderr is not None
    seen = b""
    with trio.fail_after(20):
        while (match := LISTENING.search(seen)) is None:
            chunk = await process.stderr.receive_some()
            assert chunk, seen.decode()
            seen += chunk

    async def drain() -> None:
        assert process.stderr is not None
        while await process.stderr.receive_some():
            pass

    nursery.start_soon(drain)
    return process, int(match.group(1))


async def test_kill_9_mid_load_loses_nothing_acknowledged(tmp_path: Path) -> None:
    data = tmp_path / "data"
    acknowledged_tx: dict[str, int] = {}
    acknowledged_wh: dict[str, int] = {}
    starts: dict[str, dict[str, object]] = {}

    async def charger(port: int, name: str) -> None:
        try:
            async with open_websocket_url(
                f"ws://127.0.0.1:{port}/ocpp/{name}", subprotocols=["ocpp1.6"]
            ) as ws:
                cp = Charger(ws)
                start = {
                    "connectorId": 1,
                    "idTag": f"TAG-{name}",
                    "meterStart": 1000,
                    "timestamp": "2026-05-01T10:00:00Z",
                }
                starts[name] = start
                acknowledged_tx[name] = (await cp.call("StartTransaction", start))["transactionId"]
                wh = 1000
                while True:
                    wh += 10
                    sample = {
                        "connectorId": 1,
                        "transactionId": acknowledged_tx[name],
                        "meterValue": [
                            {
                                "timestamp": "2026-05-01T10:05:00Z",
                                "sampledValue": [{"value": str(wh)}],
                            }
                        ],
                    }
                    await cp.call("MeterValues", sample)
                    acknowledged_wh[name] = wh
        except Exception:
            return  # the server was killed under us

    names = [f"CP-K{i}" for i in range(6)]
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            process, port = await start_server(nursery, data)
            async with trio.open_nursery() as load:
                for name in names:
                    load.start_soon(charger, port, name)
                while sum(1 for v in acknowledged_wh.values() if v >= 1200) < len(names):
                    await trio.sleep(0.01)
                os.kill(process.pid, signal.SIGKILL)
            await process.wait()
    assert process.returncode == -signal.SIGKILL

    store = Store(data / ".", map_size=64 * 2**30)
    try:
        with store.read() as reader:
            for name in names:
                session = reader.session_by_transaction(acknowledged_tx[name])
                assert session is not None, name
                assert session.id_tag == f"TAG-{name}"
                assert session.energy_consumed >= acknowledged_wh[name] - 1000, name
    finally:
        store.close()

    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            process, port = await start_server(nursery, data)
            async with open_websocket_url(
                f"ws://127.0.0.1:{port}/ocpp/{names[0]}", subprotocols=["ocpp1.6"]
            ) as ws:
                retried = await Charger(ws).call("StartTransaction", starts[names[0]])
            assert retried["transactionId"] == acknowledged_tx[names[0]]
            process.send_signal(signal.SIGTERM)
            await process.wait()
    assert process.returncode == 0
