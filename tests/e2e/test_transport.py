"""The WebSocket transport over real sockets: URL forms, authentication, subprotocols, frame
limits, replacement of connections, keepalive and graceful shutdown."""

from __future__ import annotations

import base64
import contextlib
import gc
import types
import weakref

import h11
import pytest
import trio
from trio_websocket import ConnectionClosed, ConnectionRejected

from bench.wsclient import RawWebSocket
from ocppcore.handlers import central
from ocppcore.service import Service
from ocppcore.transport.rfc6455 import FrameReader
from tests.conftest import BOOT, CallFailed, ServiceFactory, connect, register, store_of, wait_until


async def test_unknown_charge_point_is_refused_before_upgrade(
    start_service: ServiceFactory,
) -> None:
    svc = await start_service()
    with trio.fail_after(5), pytest.raises(ConnectionRejected) as refused:
        async with connect(svc, "NOBODY"):
            pass
    assert refused.value.status_code == 404


async def test_unknown_path_and_token_are_404(start_service: ServiceFactory) -> None:
    svc = await start_service()
    for path in ("/elsewhere/CP", "/cp/not-a-token", "/ocpp/"):
        with trio.fail_after(5), pytest.raises(ConnectionRejected) as refused:
            async with connect(svc, path=path):
                pass
        assert refused.value.status_code == 404, path


async def test_token_url_identifies_the_charge_point(start_service: ServiceFactory) -> None:
    svc = await start_service()
    token = register(svc, "CP-T")
    with trio.fail_after(5):
        async with connect(svc, path=f"/cp/{token}") as cp:
            assert (await cp.call("BootNotification", BOOT))["status"] == "Accepted"
    with store_of(svc).read() as reader:
        station = reader.station_by_charge_point_id("CP-T")
    assert station is not None and station.boot is not None


def _basic(user: str, password: str) -> list[tuple[str, str]]:
    encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
    return [("Authorization", f"Basic {encoded}")]


async def test_basic_auth(start_service: ServiceFactory) -> None:
    svc = await start_service()
    register(svc, "CP-PW", password="correct horse battery")
    for headers in (
        [],
        _basic("CP-PW", "wrong password"),
        _basic("OTHER", "correct horse battery"),
    ):
        with trio.fail_after(5), pytest.raises(ConnectionRejected) as refused:
            async with connect(svc, "CP-PW", extra_headers=headers):
                pass
        assert refused.value.status_code == 401
    with trio.fail_after(5):
        async with connect(
            svc, "CP-PW", extra_headers=_basic("CP-PW", "correct horse battery")
        ) as cp:
            assert "currentTime" in await cp.call("Heartbeat", {})


async def test_subprotocols(service: Service) -> None:
    with trio.fail_after(5):
        async with connect(service, "CP-S1", subprotocols=["ocpp2.0.1", "ocpp1.6"]) as cp:
            assert cp.ws.subprotocol == "ocpp1.6"
        async with connect(service, "CP-S2", subprotocols=[]) as cp:
            assert cp.ws.subprotocol is None
            assert "currentTime" in await cp.call("Heartbeat", {})
        with pytest.raises(ConnectionRejected) as refused:
            async with connect(service, "CP-S3", subprotocols=["ocpp2.0.1"]):
                pass
        assert refused.value.status_code == 400


async def test_bad_frames_are_answered_and_the_connection_lives_on(service: Service) -> None:
    with trio.fail_after(5):
        async with connect(service, "CP-BAD") as cp:
            await cp.send_raw("this is not json")
            assert (await cp.receive())[:3] == [4, "-1", "FormationViolation"]
            await cp.send_raw('[2, "a1", "Teleport", {}]')
            assert (await cp.receive())[:3] == [4, "a1", "NotImplemented"]
            await cp.send_raw('[2, "a2", "Authorize", {"idTag": 5}]')
            assert (await cp.receive())[:3] == [4, "a2", "TypeConstraintViolation"]
            await cp.send_raw('[7, "a3"]')  # ignored: nothing comes back for it
            with pytest.raises(CallFailed) as failed:
                await cp.call(
                    "StartTransaction",
                    {
                        "connectorId": 0,
                        "idTag": "T",
                        "meterStart": 0,
                        "timestamp": "2026-01-01T00:00:00Z",
                    },
                )
            assert failed.value.code == "PropertyConstraintViolation"
            assert "currentTime" in await cp.call("Heartbeat", {})
    with store_of(service).read() as reader:
        station = reader.station_by_charge_point_id("CP-BAD")
        assert station is not None
        assert list(reader.sessions(station.account)) == []


async def test_handler_failure_is_internal_error(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(request: object, context: object) -> object:
        raise RuntimeError("bug")

    monkeypatch.setitem(central.HANDLERS, "DataTransfer", broken)
    with trio.fail_after(5):
        async with connect(service, "CP-IE") as cp:
            with pytest.raises(CallFailed) as failed:
                await cp.call("DataTransfer", {"vendorId": "acme"})
            assert failed.value.code == "InternalError"
            assert "bug" not in failed.value.description
            assert "currentTime" in await cp.call("Heartbeat", {})


async def test_binary_frames_close_with_1003(service: Service) -> None:
    with trio.fail_after(5):
        async with connect(service, "CP-BIN") as cp:
            await cp.send_raw(b"\x00\x01")
            with pytest.raises(ConnectionClosed) as closed:
                await cp.ws.get_message()
    assert closed.value.reason.code == 1003


async def test_oversized_frames_close_with_1009(start_service: ServiceFactory) -> None:
    svc = await start_service(allow_unknown_chargers=True, max_frame_size=2048)
    with trio.fail_after(5):
        async with connect(svc, "CP-BIG") as cp:
            await cp.send_raw(
                '[2, "x", "DataTransfer", {"vendorId": "v", "data": "' + "a" * 4096 + '"}]'
            )
            with pytest.raises(ConnectionClosed) as closed:
                await cp.ws.get_message()
    assert closed.value.reason.code == 1009


async def test_second_connection_replaces_the_first(service: Service) -> None:
    with trio.fail_after(10):
        async with connect(service, "CP-R") as first:
            await first.call("Heartbeat", {})
            async with connect(service, "CP-R") as second:
                with pytest.raises(ConnectionClosed):
                    await first.ws.get_message()
                assert "currentTime" in await second.call("Heartbeat", {})
                assert service.ocpp is not None and len(service.ocpp.connections) == 1
                with store_of(service).read() as reader:
                    station = reader.station_by_charge_point_id("CP-R")
                assert station is not None and station.online


async def test_dead_peer_is_dropped(start_service: ServiceFactory) -> None:
    svc = await start_service(allow_unknown_chargers=True, ping_interval=0.2, ping_timeout=0.2)
    stream = await trio.open_tcp_stream("127.0.0.1", svc.ocpp_port)
    handshake = (
        "GET /ocpp/CP-DEAD HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await stream.send_all(handshake.encode())
    received = b""
    with trio.fail_after(5):
        # Never answer the pings: the server must give up on us and close the stream.
        while chunk := await stream.receive_some():
            received += chunk
    assert received.startswith(b"HTTP/1.1 101")
    await stream.aclose()

    def offline() -> bool:
        with store_of(svc).read() as reader:
            station = reader.station_by_charge_point_id("CP-DEAD")
        return station is not None and not station.online

    await wait_until(offline)


async def test_a_peer_that_stops_reading_is_dropped(start_service: ServiceFactory) -> None:
    # It keeps sending but never reads: the answers fill its socket buffers, the server's send
    # waits for window space for as long as TCP allows, and a ping cannot get past it.
    svc = await start_service(allow_unknown_chargers=True, ping_interval=4.0, ping_timeout=0.3)
    assert svc.ocpp is not None
    sock = trio.socket.socket()
    sock.setsockopt(trio.socket.SOL_SOCKET, trio.socket.SO_RCVBUF, 4096)
    await sock.connect(("127.0.0.1", svc.ocpp_port))
    stream = trio.SocketStream(sock)
    handshake = (
        "GET /ocpp/CP-DEAF HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await stream.send_all(handshake.encode())
    assert (await stream.receive_some()).startswith(b"HTTP/1.1 101")

    def online() -> bool:
        with store_of(svc).read() as reader:
            station = reader.station_by_charge_point_id("CP-DEAF")
        return station is not None and station.online

    await wait_until(online)
    (connection,) = svc.ocpp.connections.values()
    heartbeats = RawWebSocket.frame(b'[2,"h","Heartbeat",{}]') * 64
    sent_at = [trio.current_time()]

    async def flood() -> None:
        with contextlib.suppress(trio.BrokenResourceError):
            while True:
                await stream.send_all(heartbeats)
                sent_at.append(trio.current_time())

    async with trio.open_nursery() as nursery:
        nursery.start_soon(flood)
        # The server stopped reading us because its send is stuck (before the first ping at
        # 4 s). A slow server also stalls our sends for a while, but not in the middle of one.
        await wait_until(lambda: connection.sending and trio.current_time() - sent_at[-1] > 0.3)
        await wait_until(lambda: not online(), timeout=10)  # the keepalive gave up on it
        nursery.cancel_scope.cancel()
    assert svc.ocpp.connections == {}
    assert connection.closed and connection.ws.closed is not None
    await stream.aclose()


async def test_a_live_peer_is_pinged_every_interval_and_kept(start_service: ServiceFactory) -> None:
    svc = await start_service(allow_unknown_chargers=True, ping_interval=0.2, ping_timeout=0.5)
    ws = await RawWebSocket.connect("127.0.0.1", svc.ocpp_port, "/ocpp/CP-LIVE")
    pings = 0
    with trio.move_on_after(1.5):
        while True:
            opcode, payload = await ws._receive_frame()
            assert opcode == 0x9, "nothing but pings is sent to a silent charger"
            pings += 1
            await ws._send_frame(ws.frame(payload, opcode=0xA))
    assert 4 <= pings <= 8  # one each 0.2 s interval, on a tick of a quarter interval
    with trio.fail_after(5):
        await ws.send_text('[2,"h","Heartbeat",{}]')
        assert (await ws.receive_text()).startswith('[3,"h",')
    await ws.aclose()


async def test_a_closed_connection_is_not_kept_for_its_next_ping(service: Service) -> None:
    # After a reconnect storm, thousands of closed connections must not wait ping_interval
    # (30 s here) to be freed.
    assert service.ocpp is not None
    async with connect(service, "CP-GONE") as cp:
        await cp.call("Heartbeat", {})
        (connection,) = service.ocpp.connections.values()
        gone = weakref.ref(connection)
        del connection

    def freed() -> bool:
        gc.collect()
        return gone() is None

    await wait_until(freed)  # once its task has recorded the disconnection


def _reachable(root: object, depth: int = 5) -> list[object]:
    """Objects `root` holds, directly or through `depth` levels (classes and code excluded)."""
    skip = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType)
    seen, frontier, found = {id(root)}, [root], []
    for _ in range(depth):
        following = []
        for obj in frontier:
            for ref in gc.get_referents(obj):
                if id(ref) not in seen and not isinstance(ref, skip):
                    seen.add(id(ref))
                    following.append(ref)
        found += following
        frontier = following
    return found


async def test_an_open_connection_does_not_keep_its_http_handshake(service: Service) -> None:
    # The upgrade's HTTP machinery (an h11 connection, the request, their buffers) is about
    # 2.5 kB a connection, 25 MB at 10,000: once open, only the frame protocol is kept.
    assert service.ocpp is not None
    async with connect(service, "CP-LEAN") as cp:
        await cp.call("Heartbeat", {})
        (connection,) = service.ocpp.connections.values()
        held = _reachable(connection.ws)
        assert any(isinstance(o, FrameReader) for o in held)
        assert not [o for o in held if isinstance(o, (h11.Connection, h11.Request))]
        assert "currentTime" in await cp.call("Heartbeat", {})  # frames still flow both ways


async def test_shutdown_closes_sockets_with_1001(service: Service) -> None:
    with trio.fail_after(10):
        async with connect(service, "CP-SD") as cp:
            await cp.call("Heartbeat", {})
            service.stop()
            with pytest.raises(ConnectionClosed) as closed:
                await cp.ws.get_message()
    assert closed.value.reason.code == 1001
