"""The server's WebSocket layer on its own, over real sockets, with frames written by hand:
fragments, control frames, the closing handshake, and peers that break the protocol."""

from __future__ import annotations

import os
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial

import pytest
import trio

from ocppcore.transport.websocket import ConnectionClosed, HandshakeRequest, serve_websocket
from tests.conftest import wait_until

UPGRADE = (
    b"GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)
TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


def frame(payload: bytes, opcode: int = TEXT, *, fin: bool = True, masked: bool = True) -> bytes:
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    length = struct.pack("!B", n) if n < 126 else struct.pack("!BH", 126, n)
    if not masked:
        return head + length + payload
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + bytes([length[0] | 0x80]) + length[1:] + mask + body


class Peer:
    """A client that speaks raw frames."""

    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self.buffer = b""

    async def read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = await self.stream.receive_some()
            if not chunk:
                raise EOFError(self.buffer)
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    async def receive_frame(self) -> tuple[int, bytes]:
        b0, b1 = await self.read(2)
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", await self.read(2))
        return b0 & 0x0F, await self.read(n)

    async def eof(self) -> bool:
        """The server closed the socket (a reset counts: it may close before our close frame
        arrives, once it has failed the connection)."""
        try:
            return not (self.buffer or await self.stream.receive_some())
        except trio.BrokenResourceError:
            return True


def serving(
    handler: Callable[[HandshakeRequest], Awaitable[None]],
    handlers: trio.Nursery,
    handshake_timeout: float = 0.5,
) -> Callable[..., Awaitable[None]]:
    """The layer on an ephemeral loopback port, for `nursery.start` (which reports the port)."""
    return partial(
        serve_websocket,
        handler,
        "127.0.0.1",
        0,
        handler_nursery=handlers,
        max_message_size=1024,
        handshake_timeout=handshake_timeout,
    )


@pytest.fixture
async def echo(nursery: trio.Nursery) -> AsyncIterator[tuple[int, list[ConnectionClosed]]]:
    """An echo server on the layer: every message back, every way a connection ended kept."""
    ended: list[ConnectionClosed] = []

    async def handle(request: HandshakeRequest) -> None:
        if request.path == "/bug":
            raise RuntimeError("a handler bug")
        if request.path != "/echo":
            await request.reject(404)
            return
        ws = await request.accept(None)
        try:
            while True:
                await ws.send_message(await ws.get_message())
        except ConnectionClosed as closed:
            ended.append(closed)

    port = await nursery.start(serving(handle, nursery))
    yield port, ended


async def open_peer(port: int, request: bytes = UPGRADE) -> tuple[Peer, bytes]:
    peer = Peer(await trio.open_tcp_stream("127.0.0.1", port))
    await peer.stream.send_all(request)
    head = b""
    while b"\r\n\r\n" not in head:
        head += await peer.read(1)
    return peer, head


async def test_fragments_make_one_message(echo: tuple[int, list[ConnectionClosed]]) -> None:
    with trio.fail_after(5):
        peer, head = await open_peer(echo[0])
        assert head.startswith(b"HTTP/1.1 101")
        await peer.stream.send_all(
            frame(b"[2,", fin=False) + frame(b'"a",', 0, fin=False) + frame(b'"Heartbeat",{}]', 0)
        )
        assert await peer.receive_frame() == (TEXT, b'[2,"a","Heartbeat",{}]')
        await peer.stream.send_all(frame(b"\x00\xff", BINARY))
        assert await peer.receive_frame() == (BINARY, b"\x00\xff")


async def test_a_ping_is_answered_in_the_middle_of_a_message(
    echo: tuple[int, list[ConnectionClosed]],
) -> None:
    with trio.fail_after(5):
        peer, _ = await open_peer(echo[0])
        await peer.stream.send_all(frame(b"he", fin=False) + frame(b"beat", PING))
        assert await peer.receive_frame() == (PONG, b"beat")
        await peer.stream.send_all(frame(b"llo", 0))
        assert await peer.receive_frame() == (TEXT, b"hello")


async def test_a_close_is_answered_and_the_socket_closed(
    echo: tuple[int, list[ConnectionClosed]],
) -> None:
    port, ended = echo
    with trio.fail_after(5):
        peer, _ = await open_peer(port)
        await peer.stream.send_all(frame(struct.pack("!H", 1000) + b"bye", CLOSE))
        assert await peer.receive_frame() == (CLOSE, struct.pack("!H", 1000) + b"bye")
        assert await peer.eof()
        await wait_until(lambda: bool(ended))  # the handler hears of it as the socket closes
    assert [(c.code, c.reason) for c in ended] == [(1000, "bye")]


async def test_a_vanished_peer_ends_the_connection_with_1006(
    echo: tuple[int, list[ConnectionClosed]],
) -> None:
    port, ended = echo
    with trio.fail_after(5):
        peer, _ = await open_peer(port)
        await peer.stream.send_all(frame(b"half", fin=False))
        await peer.stream.aclose()
        await wait_until(lambda: bool(ended))
    assert ended[0].code == 1006


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (frame(b"\xff\xfe"), 1007),  # a text message that is not UTF-8
        (frame(b"hello", masked=False), 1002),  # clients must mask their frames
        (frame(b"x" * 1025), 1009),  # over max_message_size
        (frame(b"x" * 600, fin=False) + frame(b"x" * 600, 0), 1009),  # so is the sum of fragments
        (frame("é".encode() * 600), 1009),  # the limit is in bytes, not characters
    ],
)
async def test_protocol_violations_close_with_their_code(
    echo: tuple[int, list[ConnectionClosed]], data: bytes, code: int
) -> None:
    with trio.fail_after(5):
        peer, _ = await open_peer(echo[0])
        await peer.stream.send_all(data)
        opcode, payload = await peer.receive_frame()
        assert (opcode, struct.unpack("!H", payload[:2])[0]) == (CLOSE, code)
        await peer.stream.send_all(frame(payload[:2], CLOSE))  # complete the closing handshake
        assert await peer.eof()


async def test_frames_sent_right_behind_the_request_are_read(
    echo: tuple[int, list[ConnectionClosed]],
) -> None:
    with trio.fail_after(5):
        peer, head = await open_peer(echo[0], UPGRADE + frame(b"eager") + frame(b"x", PING))
        assert head.startswith(b"HTTP/1.1 101")
        assert await peer.receive_frame() == (TEXT, b"eager")
        assert await peer.receive_frame() == (PONG, b"x")


async def test_an_unknown_websocket_version_gets_426_naming_ours(
    echo: tuple[int, list[ConnectionClosed]],
) -> None:
    with trio.fail_after(5):
        _, head = await open_peer(echo[0], UPGRADE.replace(b"Version: 13", b"Version: 8"))
    assert head.startswith(b"HTTP/1.1 426")
    assert b"\r\nsec-websocket-version: 13\r\n" in head.lower()


@pytest.mark.parametrize(
    "request_head",
    [
        b"POST /echo HTTP/1.1\r\nHost: x\r\n\r\n",  # not an upgrade
        b"GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n",  # no key, no version
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",  # TLS to a plain port
    ],
)
async def test_a_bad_upgrade_request_gets_400(
    echo: tuple[int, list[ConnectionClosed]], request_head: bytes
) -> None:
    with trio.fail_after(5):
        peer, head = await open_peer(echo[0], request_head)
        assert head.startswith(b"HTTP/1.1 400")
        with pytest.raises(EOFError):
            while True:
                await peer.read(1)


async def test_a_refused_request_gets_its_status(
    echo: tuple[int, list[ConnectionClosed]],
) -> None:
    with trio.fail_after(5):
        _, head = await open_peer(echo[0], UPGRADE.replace(b"/echo", b"/other"))
    assert head.startswith(b"HTTP/1.1 404")


async def test_a_silent_client_is_dropped_after_the_handshake_timeout(
    echo: tuple[int, list[ConnectionClosed]],
) -> None:
    stream = await trio.open_tcp_stream("127.0.0.1", echo[0])
    await stream.send_all(UPGRADE[:20])  # and then nothing
    with trio.fail_after(3):
        assert await stream.receive_some() == b""


async def test_a_failing_handler_costs_only_its_connection(
    echo: tuple[int, list[ConnectionClosed]], caplog: pytest.LogCaptureFixture
) -> None:
    with trio.fail_after(5):
        peer = Peer(await trio.open_tcp_stream("127.0.0.1", echo[0]))
        await peer.stream.send_all(UPGRADE.replace(b"/echo", b"/bug"))
        assert await peer.eof()
        peer, _ = await open_peer(echo[0])  # the listener serves on
        await peer.stream.send_all(frame(b"still here"))
        assert await peer.receive_frame() == (TEXT, b"still here")
    assert "a handler bug" in caplog.text


async def test_stopping_the_listener_gives_up_requests_being_read() -> None:
    async def never_called(request: HandshakeRequest) -> None:
        raise AssertionError("no request was sent")

    with trio.fail_after(5):  # the handshake timeout is 60 s: it must not be waited for
        async with trio.open_nursery() as handlers, trio.open_nursery() as listener:
            port = await listener.start(serving(never_called, handlers, handshake_timeout=60.0))
            stream = await trio.open_tcp_stream("127.0.0.1", port)
            await stream.send_all(UPGRADE[:20])  # and then nothing
            await trio.sleep(0.2)  # time to be accepted (if not, the backlog closes it anyway)
            listener.cancel_scope.cancel()
        assert await Peer(stream).eof()
