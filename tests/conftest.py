"""Shared fixtures. Rules for every test module:

- Servers run in-process on 127.0.0.1 with port 0 and talk over real sockets.
- Every I/O test is bounded (`trio.fail_after`). A test that waits for a condition the server
  reaches on its own polls it with `wait_until` (bounded); no test sleeps a fixed time.
- Stores live in pytest's tmp_path; nothing is left behind.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import trio
from trio_websocket import WebSocketConnection, open_websocket_url

from ocppcore.clock import now_ms
from ocppcore.config import Config
from ocppcore.service import Service
from store import admin
from store.ids import new_id
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


ServiceFactory = Callable[..., Awaitable[Service]]


@pytest.fixture
async def start_service(tmp_path: Path, nursery: trio.Nursery) -> AsyncIterator[ServiceFactory]:
    """Starts the whole service in-process; every one started is stopped after the test."""
    started: list[Service] = []

    async def start(*, clock: Callable[[], int] = now_ms, **overrides: Any) -> Service:
        config = make_config(tmp_path, **overrides)
        svc: Service = await nursery.start(Service(config, out=io.StringIO(), clock=clock).run)
        started.append(svc)
        return svc

    yield start
    for svc in started:
        svc.stop()


@pytest.fixture
async def service(start_service: ServiceFactory) -> Service:
    return await start_service(allow_unknown_chargers=True)


def register(
    service: Service, charge_point_id: str, *, password: str | None = None, account: str = "default"
) -> str:
    """Registers a charge point through the store; returns its connection token."""
    assert service.store is not None
    with service.store.read() as reader:
        change = admin.add_charger(
            reader,
            charge_point_id,
            account_name=account,
            password=password,
            rotate_token=False,
            now=now_ms(),
            new_id=new_id,
        )
    for receipt in service.store.commit(change.events):
        assert receipt.error is None
    token: str = change.output["connection_token"]
    return token


async def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    with trio.fail_after(timeout):
        while not condition():
            await trio.sleep(0.01)


def new_account(
    service: Service, name: str, *, id_tag_policy: str | None = None
) -> tuple[str, str]:
    """Creates account `name` with an API key through the store; returns (account id, key)."""
    store = store_of(service)
    with store.read() as reader:
        change = admin.set_account(
            reader, name, id_tag_policy=id_tag_policy, now=now_ms(), new_id=new_id
        )  # type: ignore[arg-type]
    for receipt in store.commit(change.events):
        assert receipt.error is None
    return api_key_for(service, name)


def api_key_for(service: Service, name: str) -> tuple[str, str]:
    """A new API key of the existing account `name`; returns (account id, key)."""
    store = store_of(service)
    with store.read() as reader:
        account = admin.account_named(reader, name)
    key = admin.create_api_key(account, now=now_ms(), new_id=new_id)
    store.commit(key.events)
    return account.id, key.output["api_key"]


@asynccontextmanager
async def http(service: Service, key: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{service.http_port}", headers=headers, timeout=10
    ) as client:
        yield client


def store_of(service: Service) -> Store:
    assert service.store is not None
    return service.store


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
