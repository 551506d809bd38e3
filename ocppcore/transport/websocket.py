"""The server side of WebSocket (RFC 6455) on trio streams: h11 reads the upgrade request,
`rfc6455` checks it and does the framing.

Just what an OCPP-J central system needs, with no task or channel of its own per connection:
the task that serves a connection reads its messages itself (`get_message`), so a message goes
from the socket to its handler without a hop between tasks. Control frames are dealt with as
they arrive: pings answered, pongs handed to the pending `ping`, a close answered and raised
as `ConnectionClosed`. Sends may come from several tasks (replies, keepalive pings, commands
from the HTTP API); a lock keeps each frame whole. Once a connection is open only the frame
reader is kept; the HTTP machinery is dropped.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from functools import partial

import h11
import trio

from ocppcore.transport.rfc6455 import (
    BINARY,
    CLOSE,
    CLOSE_NORMAL,
    PING,
    PONG,
    TEXT,
    FrameReader,
    HandshakeError,
    ProtocolError,
    accept_headers,
    check_upgrade,
    encode_close,
    encode_frame,
    parse_close,
)

log = logging.getLogger(__name__)

RECEIVE_SIZE = 65536
CLOSE_ABNORMAL = 1006  # no close frame: the peer vanished
MAX_REQUEST_HEAD = 16384

_LOST = (trio.BrokenResourceError, trio.ClosedResourceError, OSError)


class ConnectionClosed(Exception):
    """The connection is closed; `code` and `reason` are those of the closing handshake."""

    def __init__(self, code: int, reason: str | None = None) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.code} {self.reason}" if self.reason else str(self.code)


def _remote(stream: trio.SocketStream) -> str:
    try:
        host, port, *_ = stream.socket.getpeername()
    except (OSError, ValueError):
        return "?"
    return f"{host}:{port}"


class WebSocket:
    """One open connection."""

    __slots__ = ("_closing", "_lock", "_pong", "_reader", "_stream", "closed", "remote")

    def __init__(self, stream: trio.SocketStream, reader: FrameReader) -> None:
        self._stream = stream
        self._reader = reader
        self._lock = trio.Lock()
        self._pong: trio.Event | None = None
        self._closing: ConnectionClosed | None = None  # once our close frame is sent
        self.remote = _remote(stream)
        self.closed: ConnectionClosed | None = None

    async def get_message(self) -> str | bytes:
        """The next whole message. Raises ConnectionClosed once the connection is closed; a
        peer that breaks the protocol (an oversized message among others) fails it with the
        close code that says why (and this raises)."""
        reader = self._reader
        while self.closed is None:
            try:
                event = reader.next()
            except ProtocolError as exc:
                log.info("%s: %s (%d), closing", self.remote, exc.reason, exc.code)
                await self._end(exc.code, exc.reason)
                break
            if event is None:
                await self._receive()
                continue
            opcode, data = event
            if opcode in (TEXT, BINARY):
                return data
            assert isinstance(data, bytes)
            if opcode == PING:
                await self._send(encode_frame(PONG, data))
            elif opcode == PONG:
                self._pong_arrived()
            else:
                await self._closed_by_peer(data)
        raise self.closed  # type: ignore[misc]

    async def send_message(self, message: str | bytes) -> None:
        """Send one message; raises ConnectionClosed if the connection is closed."""
        if isinstance(message, str):
            await self._send(encode_frame(TEXT, message.encode()))
        else:
            await self._send(encode_frame(BINARY, message))

    async def ping(self) -> None:
        """Send a ping and wait for its pong (read by whoever is in `get_message`)."""
        if self._pong is None:
            self._pong = trio.Event()
            await self._send(encode_frame(PING, b""))
        await self._pong.wait()
        if self.closed is not None:
            raise self.closed

    async def aclose(self, code: int = CLOSE_NORMAL, reason: str | None = None) -> None:
        """Close with `code`: send a close frame and wait for the peer's (bound the wait with a
        cancel scope: a dead peer never answers), then close the socket."""
        try:
            if self.closed is None and self._closing is None:
                await self._send(encode_close(code, reason), ConnectionClosed(code, reason))
                while self.closed is None:
                    event = self._reader.next()
                    if event is None:
                        await self._receive()
                    elif event[0] == CLOSE:
                        break
        except (ConnectionClosed, ProtocolError, *_LOST):
            pass
        finally:
            await self._close_socket(ConnectionClosed(code, reason))

    # --- internals -----------------------------------------------------------------------

    async def _send(self, frame: bytes, closing: ConnectionClosed | None = None) -> None:
        async with self._lock:
            # Nothing may follow a close frame.
            if self.closed is not None or self._closing is not None:
                raise self.closed or self._closing  # type: ignore[misc]
            self._closing = closing
            try:
                await self._stream.send_all(frame)
            except _LOST:
                self._mark_closed(ConnectionClosed(CLOSE_ABNORMAL))
                raise self.closed from None  # type: ignore[misc]

    async def _receive(self) -> None:
        try:
            data = await self._stream.receive_some(RECEIVE_SIZE)
        except _LOST:
            data = b""
        if data:
            self._reader.feed(data)
        else:
            self._mark_closed(ConnectionClosed(CLOSE_ABNORMAL))

    async def _closed_by_peer(self, payload: bytes) -> None:
        try:
            code, reason = parse_close(payload)
        except ProtocolError as exc:
            log.info("%s: %s (%d), closing", self.remote, exc.reason, exc.code)
            code, reason = exc.code, exc.reason
        await self._end(code, reason)

    async def _end(self, code: int, reason: str | None) -> None:
        """Answer (or fail the connection) with a close frame of `code`, then close the
        socket: the peer has sent its close, or has nothing more to say that we would read."""
        closed = ConnectionClosed(code, reason)
        with contextlib.suppress(ConnectionClosed, *_LOST):
            await self._send(encode_close(code, reason), closed)
        await self._close_socket(closed)

    async def _close_socket(self, closed: ConnectionClosed) -> None:
        self._mark_closed(closed)
        with trio.CancelScope(shield=True):
            await self._stream.aclose()

    def _pong_arrived(self) -> None:
        if self._pong is not None:
            self._pong.set()
            self._pong = None

    def _mark_closed(self, closed: ConnectionClosed) -> None:
        if self.closed is None:
            self.closed = closed
        self._pong_arrived()  # a ping waiting for its pong learns of the close


class HandshakeRequest:
    """An upgrade request: the handler looks at it, then accepts or rejects it."""

    def __init__(
        self,
        stream: trio.SocketStream,
        http: h11.Connection,
        request: h11.Request,
        key: bytes,
        proposed_subprotocols: tuple[str, ...],
        limit: int,
    ) -> None:
        self._stream = stream
        self._http = http
        self._key = key
        self._max_message_size = limit
        self.path = request.target.decode("ascii")
        self.headers: list[tuple[bytes, bytes]] = list(request.headers)
        self.proposed_subprotocols = proposed_subprotocols
        self.remote = _remote(stream)

    async def accept(self, subprotocol: str | None) -> WebSocket:
        if subprotocol is not None and subprotocol not in self.proposed_subprotocols:
            raise ValueError(f"subprotocol {subprotocol!r} was not proposed")
        answer = h11.InformationalResponse(
            status_code=101,
            headers=accept_headers(self._key, subprotocol),
            reason=b"Switching Protocols",
        )
        await self._stream.send_all(self._http.send(answer) or b"")
        # Frames a client sent right behind its request are already in h11's buffer.
        received, _ = self._http.trailing_data
        return WebSocket(self._stream, FrameReader(self._max_message_size, received))

    async def reject(
        self, status: int, *, extra_headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        with contextlib.suppress(*_LOST):
            await self._stream.send_all(_refusal(self._http, status, extra_headers or []))


def _refusal(http: h11.Connection, status: int, headers: list[tuple[bytes, bytes]]) -> bytes:
    response = h11.Response(status_code=status, headers=[*headers, (b"Content-Length", b"0")])
    return (http.send(response) or b"") + (http.send(h11.EndOfMessage()) or b"")


Handler = Callable[[HandshakeRequest], Awaitable[None]]


async def serve_websocket(
    handler: Handler,
    host: str,
    port: int,
    *,
    handler_nursery: trio.Nursery,
    max_message_size: int,
    handshake_timeout: float,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Accept TCP connections on (host, port) and run `handler` for each upgrade request in
    `handler_nursery`; reports the bound port. The socket is closed when `handler` returns.
    Once this is cancelled (the listener stops), requests still being read are given up, so
    a client that never sends one does not hold up a shutdown."""
    listeners = await trio.open_tcp_listeners(port, host=host)
    reading: set[trio.CancelScope] = set()
    serve_one = partial(_serve_one, handler, max_message_size, handshake_timeout, reading)
    task_status.started(listeners[0].socket.getsockname()[1])
    try:
        await trio.serve_listeners(serve_one, listeners, handler_nursery=handler_nursery)
    finally:
        for scope in reading:
            scope.cancel()


async def _serve_one(
    handler: Handler,
    max_message_size: int,
    handshake_timeout: float,
    reading: set[trio.CancelScope],
    stream: trio.SocketStream,
) -> None:
    try:
        request = None
        with trio.move_on_after(handshake_timeout) as scope:
            reading.add(scope)
            try:
                request = await _read_request(stream, max_message_size)
            finally:
                reading.discard(scope)
        if request is not None:
            await handler(request)
    except Exception:  # one connection's failure must not take the listener down
        log.exception("connection from %s failed", _remote(stream))
    finally:
        with trio.CancelScope(shield=True):
            await stream.aclose()


async def _read_request(stream: trio.SocketStream, limit: int) -> HandshakeRequest | None:
    """The upgrade request, or None when the peer left or sent no valid one (answered 400, or
    426 for a WebSocket version we do not speak). The request head is bounded (16 KiB)."""
    http = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_REQUEST_HEAD)
    request = None
    while True:
        try:
            event = http.next_event()
        except h11.RemoteProtocolError as exc:
            await _refuse(stream, http, HandshakeError(f"bad HTTP request: {exc}"))
            return None
        if isinstance(event, h11.Request):
            request = event
        elif event is h11.PAUSED or isinstance(event, h11.EndOfMessage):
            break  # the request is whole; what follows it belongs to the WebSocket
        elif event is h11.NEED_DATA:
            try:
                data = await stream.receive_some(RECEIVE_SIZE)
            except _LOST:
                return None
            if not data:
                return None
            http.receive_data(data)
        elif isinstance(event, h11.ConnectionClosed):
            return None
    assert request is not None, "h11 ends a message only after its head"
    try:
        key, proposed = check_upgrade(request)
    except HandshakeError as refusal:
        await _refuse(stream, http, refusal)
        return None
    return HandshakeRequest(stream, http, request, key, proposed, limit)


async def _refuse(stream: trio.SocketStream, http: h11.Connection, refusal: HandshakeError) -> None:
    log.info("refused a bad upgrade request from %s: %s", _remote(stream), refusal)
    with contextlib.suppress(*_LOST, h11.LocalProtocolError):
        await stream.send_all(_refusal(http, refusal.status, refusal.headers))
