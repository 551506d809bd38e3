"""The server side of WebSocket (RFC 6455) on trio streams, over wsproto's sans-I/O protocol.

Just what an OCPP-J central system needs, with no task or channel of its own per connection:
the task that serves a connection reads its messages itself (`get_message`), so a message goes
from the socket to its handler without a hop between tasks. Control frames are dealt with as
they arrive: pings answered, pongs handed to the pending `ping`, a close answered and raised
as `ConnectionClosed`. Sends may come from several tasks (replies, keepalive pings, commands
from the HTTP API); a lock keeps each frame whole. Once a connection is open only the frame
protocol is kept; the HTTP upgrade machinery is dropped.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from functools import partial

import trio
from wsproto import ConnectionType, WSConnection
from wsproto.connection import Connection, ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Event,
    Message,
    Ping,
    Pong,
    RejectConnection,
    Request,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

log = logging.getLogger(__name__)

RECEIVE_SIZE = 65536
CLOSE_ABNORMAL = 1006  # no close frame: the peer vanished
CLOSE_TOO_BIG = 1009

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

    __slots__ = ("_lock", "_pong", "_protocol", "_stream", "closed", "max_message_size", "remote")

    def __init__(self, stream: trio.SocketStream, protocol: Connection, max_message_size: int):
        self._stream = stream
        self._protocol = protocol
        self._lock = trio.Lock()
        self._pong: trio.Event | None = None
        self.max_message_size = max_message_size
        self.remote = _remote(stream)
        self.closed: ConnectionClosed | None = None

    async def get_message(self) -> str | bytes:
        """The next whole message. Raises ConnectionClosed once the connection is closed; an
        oversized message closes it with 1009 (and raises)."""
        parts: list[str | bytes] = []
        size = 0
        while True:
            for event in self._protocol.events():
                if isinstance(event, Message):
                    data = event.data
                    parts.append(data)
                    # The limit is in bytes; wsproto hands text over decoded.
                    size += len(
                        data.encode() if isinstance(data, str) and not data.isascii() else data
                    )
                    if size > self.max_message_size:
                        reason = f"message over {self.max_message_size} bytes"
                        await self.aclose(CLOSE_TOO_BIG, reason)
                        raise ConnectionClosed(CLOSE_TOO_BIG, reason)
                    if event.message_finished:
                        if isinstance(event, TextMessage):
                            return "".join(parts)  # type: ignore[arg-type]
                        return b"".join(parts)  # type: ignore[arg-type]
                elif isinstance(event, Ping):
                    await self._send(event.response())
                elif isinstance(event, Pong):
                    self._pong_arrived()
                elif isinstance(event, CloseConnection):
                    await self._closed_by_peer(event)
            if self.closed is not None:
                raise self.closed
            await self._receive()

    async def send_message(self, message: str | bytes) -> None:
        """Send one message; raises ConnectionClosed if the connection is closed."""
        if isinstance(message, str):
            await self._send(TextMessage(data=message))
        else:
            await self._send(BytesMessage(data=message))

    async def ping(self) -> None:
        """Send a ping and wait for its pong (read by whoever is in `get_message`)."""
        if self._pong is None:
            self._pong = trio.Event()
            await self._send(Ping())
        await self._pong.wait()
        if self.closed is not None:
            raise self.closed

    async def aclose(self, code: int = 1000, reason: str | None = None) -> None:
        """Close with `code`: send a close frame and wait for the peer's (bound the wait with a
        cancel scope: a dead peer never answers), then close the socket."""
        try:
            if self._protocol.state is ConnectionState.OPEN:
                await self._send(CloseConnection(code=code, reason=reason))
            while self._protocol.state is ConnectionState.LOCAL_CLOSING:
                for event in self._protocol.events():
                    if isinstance(event, CloseConnection):
                        break
                else:
                    await self._receive()
        except (ConnectionClosed, *_LOST):
            pass
        finally:
            self._mark_closed(ConnectionClosed(code, reason))
            with trio.CancelScope(shield=True):
                await self._stream.aclose()

    # --- internals -----------------------------------------------------------------------

    async def _send(self, event: Event) -> None:
        async with self._lock:
            try:
                data = self._protocol.send(event)
            except LocalProtocolError:  # not open any more
                raise self.closed or ConnectionClosed(CLOSE_ABNORMAL) from None
            try:
                await self._stream.send_all(data)
            except _LOST:
                self._mark_closed(ConnectionClosed(CLOSE_ABNORMAL))
                raise self.closed from None  # type: ignore[misc]

    async def _receive(self) -> None:
        try:
            data = await self._stream.receive_some(RECEIVE_SIZE)
        except _LOST:
            data = b""
        if not data:
            if self._protocol.state is not ConnectionState.CLOSED:
                self._protocol.receive_data(None)  # wsproto reports 1006 as an event
            self._mark_closed(ConnectionClosed(CLOSE_ABNORMAL))
            return
        self._protocol.receive_data(data)

    async def _closed_by_peer(self, event: CloseConnection) -> None:
        # The peer's close is answered; frames that broke the protocol (wsproto reports them as
        # a close with the code, the connection still open) fail the connection with that code.
        state = self._protocol.state
        answer = None
        if state is ConnectionState.REMOTE_CLOSING:
            answer = event.response()
        elif state is ConnectionState.OPEN:
            log.info("%s: %s (%d), closing", self.remote, event.reason, event.code)
            answer = CloseConnection(code=event.code, reason=event.reason)
        if answer is not None:
            with contextlib.suppress(ConnectionClosed, *_LOST):
                await self._send(answer)
        self._mark_closed(ConnectionClosed(event.code, event.reason))
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
        self, stream: trio.SocketStream, handshake: WSConnection, request: Request, limit: int
    ) -> None:
        self._stream = stream
        self._handshake = handshake
        self._max_message_size = limit
        self.path = request.target
        self.headers: list[tuple[bytes, bytes]] = list(request.extra_headers)
        self.proposed_subprotocols = tuple(request.subprotocols)
        self.remote = _remote(stream)

    async def accept(self, subprotocol: str | None) -> WebSocket:
        await self._stream.send_all(self._handshake.send(AcceptConnection(subprotocol=subprotocol)))
        protocol = self._handshake.connection
        assert protocol is not None, "wsproto opens the connection on accept"
        return WebSocket(self._stream, protocol, self._max_message_size)

    async def reject(
        self, status: int, *, extra_headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        refusal = RejectConnection(status_code=status, headers=extra_headers or [], has_body=False)
        with contextlib.suppress(*_LOST):
            await self._stream.send_all(self._handshake.send(refusal))


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
    """The upgrade request, or None when the peer left or sent no valid one (answered 400).
    h11 bounds the request head (16 KiB)."""
    handshake = WSConnection(ConnectionType.SERVER)
    while True:
        try:
            data = await stream.receive_some(RECEIVE_SIZE)
        except _LOST:
            return None
        if not data:
            return None
        try:
            handshake.receive_data(data)
        except RemoteProtocolError as exc:
            log.info("refused a bad upgrade request from %s: %s", _remote(stream), exc)
            refusal = RejectConnection(status_code=400, has_body=False)
            with contextlib.suppress(*_LOST, LocalProtocolError):
                await stream.send_all(handshake.send(exc.event_hint or refusal))
            return None
        for event in handshake.events():
            if isinstance(event, Request):
                return HandshakeRequest(stream, handshake, event, limit)
