"""Shared fixtures. Rules for every test module:

- Servers run in-process on 127.0.0.1 with port 0 and talk over real sockets.
- Every I/O test is bounded (`trio.fail_after`); nothing sleeps to wait for a condition.
- Stores live in pytest's tmp_path; nothing is left behind.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import msgspec
import pytest
import trio
from trio_websocket import WebSocketConnection, open_websocket_url

from ocppcore.config import Config
from ocppcore.service import Service
from store.log import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "store", map_size=2**30)
    yield s
    s.close()


def make_config(tmp_path: Path, **overrides: Any) -> Config:
    values: dict[str, Any] = {
        "data": str(tmp_path / "data"),
        "ocpp_port": 0,
        "http_port": 0,
        "map_size": 2**30,
        "ping_interval": 30.0,
        "ping_timeout": 10.0,
    }
    values.update(overrides)
    return msgspec.convert(values, Config)


@pytest.fixture
async def service(tmp_path: Path, nursery: trio.Nursery) -> AsyncIterator[Service]:
    svc: Service = await nursery.start(Service(make_config(tmp_path, allow_unknown_chargers=True), out=io.StringIO()).run)
    yield svc
    svc.stop()


class CallFailed(Exception):
    def __init__(self, code: str, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description


class Charger:
    """A scripted charge point over a real WebSocket."""

    def __init__(self, ws: WebSocketConnection) -> None:
        self.ws = ws
        self._ids = itertools.count(1)

    async def call(self, action: str, payload: dict[str, Any], unique_id: str | None = None) -> Any:
        unique_id = unique_id or f"m{next(self._ids)}"
        await self.ws.send_message(msgspec.json.encode([2, unique_id, action, payload]).decode())
        return await self.answer(unique_id)

    async def send_raw(self, text: str | bytes) -> None:
        await self.ws.send_message(text)

    async def receive(self) -> list[Any]:
        with trio.fail_after(5):
            message = await self.ws.get_message()
        frame: list[Any] = msgspec.json.decode(message)
        return frame

    async def answer(self, unique_id: str) -> Any:
        frame = await self.receive()
        assert frame[1] == unique_id, frame
        if frame[0] == 4:
            raise CallFailed(frame[2], frame[3])
        assert frame[0] == 3, frame
        return frame[2]


def ocpp_url(service: Service, path: str) -> str:
    return f"ws://127.0.0.1:{service.ocpp_port}{path}"


@asynccontextmanager
async def connect(
    service: Service,
    charge_point_id: str | None = None,
    *,
    path: str | None = None,
    subprotocols: list[str] | None = None,
    **kwargs: Any,
) -> AsyncIterator[Charger]:
    """A Charger connected as `charge_point_id` (or to `path`), offering ocpp1.6 by default."""
    url = ocpp_url(service, path or f"/ocpp/{charge_point_id}")
    offered = subprotocols if subprotocols is not None else ["ocpp1.6"]
    async with open_websocket_url(
        url, subprotocols=offered, connect_timeout=5, disconnect_timeout=5, **kwargs
    ) as ws:
        yield Charger(ws)


BOOT = {"chargePointVendor": "Acme", "chargePointModel": "Wallbox 7"}
