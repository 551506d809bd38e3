"""The OCPP-J WebSocket listener: handshake, one task per connection, keepalive, shutdown.

Per connection, messages are processed one at a time in arrival order: decode (sans-I/O
session), handle (pure), submit the events to the group-commit writer, and only when they are
durable send the CALLRESULT. Bad input is answered and logged; nothing a charger sends ends
its connection except a binary or oversized frame (closed with 1003 / 1009).
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import trio

from ocppcore import errors
from ocppcore.clock import now_ms
from ocppcore.commands import (
    PENDING_ALLOWED,
    ChargerError,
    ChargerNotAccepted,
    ChargerOffline,
    CommandQueueFull,
    CommandTimeout,
    ConnectionLost,
)
from ocppcore.handlers import Context, check_receipts
from ocppcore.handlers.central import HANDLERS
from ocppcore.session import (
    CallReceived,
    ChargePointSession,
    ErrorReceived,
    Ignored,
    Inbound,
    Rejected,
    ResultReceived,
)
from ocppcore.transport.handshake import (
    ByChargePointId,
    ByToken,
    basic_credentials,
    choose_subprotocol,
    parse_path,
)
from ocppcore.transport.websocket import (
    ConnectionClosed,
    HandshakeRequest,
    WebSocket,
    serve_websocket,
)
from ocppcore.v16 import ACTION_OF_REQUEST
from ocppcore.v16.types import Payload
from store import credentials
from store import events as ev
from store.errors import Conflict, StoreError, WriterClosed
from store.ids import IdFactory, new_id
from store.log import Store
from store.records import StationRecord
from store.writer import Writer

log = logging.getLogger("ocppcore.ocpp")

CLOSE_GOING_AWAY = 1001
CLOSE_UNSUPPORTED_DATA = 1003
CLOSE_POLICY = 1008


@dataclass(frozen=True, slots=True)
class OcppSettings:
    host: str = "127.0.0.1"
    port: int = 9000
    heartbeat_interval: int = 300
    allow_unknown_chargers: bool = False
    default_account: str = "default"
    max_frame_size: int = 64 * 1024
    ping_interval: float = 60.0
    ping_timeout: float = 20.0
    handshake_timeout: float = 10.0
    shutdown_timeout: float = 10.0
    max_queued_commands: int = 16  # per charge point: the outstanding CALL and those waiting


@dataclass(eq=False, slots=True, weakref_slot=True)
class Connection:
    station_id: str
    charge_point_id: str
    ws: WebSocket
    session: ChargePointSession
    id: int = field(default_factory=lambda: secrets.randbits(62))
    stopping: bool = False
    close_code: int = CLOSE_GOING_AWAY
    close_reason: str = "server shutting down"
    close_wait: float = 5.0
    # Only a wait for the next message may be cancelled, never the answer in hand: `reading`
    # tells stop_reading whether cancelling `read_scope` is safe right now. An answer being
    # sent (`sending`) is abandoned only when the peer is gone (it will not take it anyway).
    reading: bool = False
    sending: bool = False
    read_scope: trio.CancelScope = field(default_factory=trio.CancelScope)
    # Outbound CALLs: one outstanding (call_lock), the others wait in a bounded queue. Most
    # chargers never get a command, so the lock is made on the first one. (Frames need no lock
    # of ours: the WebSocket sends each whole, in order, under its own.)
    call_lock: trio.Lock | None = None
    queued: int = 0
    answer: trio.MemorySendChannel[Inbound] | None = None
    closed: bool = False

    def stop_reading(
        self, code: int, reason: str, *, close_wait: float = 5.0, peer_gone: bool = False
    ) -> None:
        """End this connection once the message in hand is answered.

        `close_wait` bounds how long the closing handshake may take: a peer that stopped
        answering pings gets no more grace than it got for its pong. When `peer_gone`, an
        answer stuck in the send (the peer stopped reading) is abandoned too.
        """
        if not self.stopping:
            self.stopping, self.close_code, self.close_reason = True, code, reason
            self.close_wait = close_wait
        if self.reading or (peer_gone and self.sending):
            self.read_scope.cancel()

    async def close(self) -> None:
        # A dead peer never completes the closing handshake: do not wait for it forever.
        with trio.move_on_after(self.close_wait):
            await self.ws.aclose(self.close_code, self.close_reason)


@dataclass(frozen=True, slots=True)
class ServerStatistics:
    connected: int


class OcppServer:
    """Serves charge points; `serve` runs in a nursery, `shutdown` ends it gracefully."""

    def __init__(
        self,
        store: Store,
        writer: Writer,
        settings: OcppSettings,
        *,
        clock: Callable[[], int] = now_ms,
        id_factory: IdFactory = new_id,
    ) -> None:
        self.store = store
        self.writer = writer
        self.settings = settings
        self.clock = clock
        self.new_id = id_factory
        self.connections: dict[str, Connection] = {}
        self.observers: list[Callable[[str, str], None]] = []  # (action, result) per message
        self._accepting = True
        self._listener_scope = trio.CancelScope()
        self._handled = frozenset(HANDLERS)
        # Connections in the order their next ping is due: one keepalive task for all of them
        # instead of a task (and its nursery) per connection, which is most of an idle
        # connection's memory. Weak references: a closed connection is freed at once, not
        # when its next ping would have been due (after a reconnect storm, thousands of them).
        self._pings_due: deque[tuple[float, weakref.ref[Connection]]] = deque()

    def statistics(self) -> ServerStatistics:
        return ServerStatistics(connected=len(self.connections))

    async def serve(self, *, task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
        """Listen until `shutdown`; reports the bound port through `task_status`."""
        s = self.settings
        async with trio.open_nursery() as handlers, trio.open_nursery() as listener:
            self._listener_scope = listener.cancel_scope
            port = await listener.start(
                partial(
                    serve_websocket,
                    self._handle,
                    s.host,
                    s.port,
                    handler_nursery=handlers,
                    max_message_size=s.max_frame_size,
                    handshake_timeout=s.handshake_timeout,
                )
            )
            listener.start_soon(self._keepalive, listener)
            log.info("OCPP listening on ws://%s:%d", s.host, port)
            task_status.started(port)
            # The listener was cancelled by `shutdown`; the handlers nursery now waits for the
            # connections to close.

    async def shutdown(self) -> None:
        """Stop accepting, answer the message each charger has in hand, close with 1001."""
        self._accepting = False
        self._listener_scope.cancel()
        for connection in list(self.connections.values()):
            connection.stop_reading(CLOSE_GOING_AWAY, "server shutting down")

    # --- handshake ---------------------------------------------------------------------

    async def _handle(self, request: HandshakeRequest) -> None:
        if not self._accepting:
            await request.reject(503)
            return
        acceptable, subprotocol = choose_subprotocol(request.proposed_subprotocols)
        if not acceptable:
            log.info("refused %s: no ocpp1.6 among %s", request.path, request.proposed_subprotocols)
            await request.reject(400)
            return
        station, status = await self._identify(request)
        if station is None:
            log.info("refused %s from %s: HTTP %d", request.path, request.remote, status)
            extra = [(b"WWW-Authenticate", b'Basic realm="ocppcore"')] if status == 401 else None
            await request.reject(status, extra_headers=extra)
            return
        ws = await request.accept(subprotocol)
        session = ChargePointSession(station.charge_point_id, self._handled)
        connection = Connection(station.id, station.charge_point_id, ws, session)
        del station  # not kept alive for as long as the connection lasts
        await self._run(connection)

    async def _identify(self, request: HandshakeRequest) -> tuple[StationRecord | None, int]:
        target = parse_path(request.path)
        if target is None:
            return None, 404
        if isinstance(target, ByToken):
            with self.store.read() as reader:
                station = reader.station_by_token_digest(credentials.digest(target.token))
            return (station, 200) if station else (None, 404)
        with self.store.read() as reader:
            station = reader.station_by_charge_point_id(target.charge_point_id)
        if station is None:
            if not self.settings.allow_unknown_chargers:
                return None, 404
            station = await self._register_unknown(target)
            if station is None:
                return None, 404
        if station.password_hash is None:
            return station, 200
        given = basic_credentials(request.headers)
        if given is None or given[0] != station.charge_point_id:
            return None, 401
        password_hash = station.password_hash
        ok = await trio.to_thread.run_sync(credentials.verify_password, given[1], password_hash)
        return (station, 200) if ok else (None, 401)

    async def _register_unknown(self, target: ByChargePointId) -> StationRecord | None:
        with self.store.read() as reader:
            account = reader.account_by_name(self.settings.default_account)
        if account is None:
            return None
        event = ev.StationRegistered(
            at=self.clock(),
            station=self.new_id("chst"),
            account=account.id,
            charge_point_id=target.charge_point_id,
            token_digest=credentials.digest(credentials.new_connection_token()),
        )
        with contextlib.suppress(Conflict):  # registered meanwhile by a concurrent connection
            await self.writer.submit_one(event)
        with self.store.read() as reader:
            return reader.station_by_charge_point_id(target.charge_point_id)

    # --- one connection ------------------------------------------------------------------

    async def _run(self, connection: Connection) -> None:
        previous = self.connections.get(connection.station_id)
        self.connections[connection.station_id] = connection
        if previous is not None:
            log.info("%s: new connection replaces the previous one", connection.charge_point_id)
            previous.stop_reading(CLOSE_POLICY, "replaced by a new connection")
        if not self._accepting:
            connection.stop_reading(CLOSE_GOING_AWAY, "server shutting down")
        cp = connection.charge_point_id
        log.info("%s connected from %s", cp, connection.ws.remote)
        try:
            await self._record(
                ev.StationConnected(
                    at=self.clock(), station=connection.station_id, connection=connection.id
                )
            )
            due = trio.current_time() + self.settings.ping_interval
            self._pings_due.append((due, weakref.ref(connection)))
            await self._receive_loop(connection)
        finally:
            connection.closed = True
            if connection.answer is not None:
                connection.answer.close()  # a command waiting for an answer hears it is gone
            if self.connections.get(connection.station_id) is connection:
                del self.connections[connection.station_id]
            with trio.CancelScope(shield=True):
                await self._record(
                    ev.StationDisconnected(
                        at=self.clock(), station=connection.station_id, connection=connection.id
                    )
                )
            log.info("%s disconnected", cp)

    async def _record(self, event: ev.Event) -> None:
        try:
            await self.writer.submit_one(event)
        except StoreError as exc:
            log.warning("could not record %s: %s", type(event).__name__, exc)

    async def _receive_loop(self, connection: Connection) -> None:
        ws = connection.ws
        with connection.read_scope:
            while not connection.stopping:
                connection.reading = True
                try:
                    message = await ws.get_message()
                except ConnectionClosed as exc:
                    log.info("%s: closed (%s)", connection.charge_point_id, exc)
                    return
                finally:
                    connection.reading = False
                if connection.read_scope.cancel_called:
                    break  # stopped as this message arrived: unanswered, so the charger re-sends it
                if isinstance(message, bytes):
                    log.warning("%s: binary frame refused", connection.charge_point_id)
                    connection.stop_reading(
                        CLOSE_UNSUPPORTED_DATA, "binary frames are not supported"
                    )
                    break
                reply = await self._process(connection, message)
                if reply is not None:
                    # A peer that stops reading holds this send (and the pings queued behind
                    # it) for as long as TCP lets it: the keepalive then abandons the send.
                    connection.sending = True
                    try:
                        await ws.send_message(reply)
                    except ConnectionClosed:
                        return
                    finally:
                        connection.sending = False
        # Replaced, dropped by keepalive, binary frame, or shutting down.
        await connection.close()

    async def _process(self, connection: Connection, message: str) -> str | None:
        """The reply to one text frame (None when nothing is to be sent)."""
        session = connection.session
        cp = connection.charge_point_id
        inbound = session.receive_text(message)
        if isinstance(inbound, CallReceived):
            return await self._answer(connection, inbound)
        if isinstance(inbound, Rejected):
            log.warning(
                "%s %s: %s %s", cp, inbound.unique_id, inbound.error.code, inbound.error.description
            )
            self._observe("?", inbound.error.code)
            return inbound.reply
        if isinstance(inbound, Ignored):
            log.info("%s: ignored frame: %s", cp, inbound.reason)
        elif connection.answer is not None:  # the answer to our outstanding CALL
            connection.answer.send_nowait(inbound)
        return None

    async def _answer(self, connection: Connection, call: CallReceived) -> str:
        session = connection.session
        action = call.action.name
        try:
            now = self.clock()
            with self.store.read() as reader:
                station = reader.station(connection.station_id)
                if station is None:
                    raise errors.SecurityError("this charge point is no longer registered")
                if station.registration != "accepted" and action != "BootNotification":
                    # OCPP 1.6 errata: a charger not (yet) accepted may only boot.
                    state = station.registration
                    raise errors.SecurityError(f"this charge point is not accepted ({state})")
                context = Context(
                    station, reader, now, self.settings.heartbeat_interval, self.new_id
                )
                outcome = HANDLERS[action](call.request, context)
            receipts = await self.writer.submit(outcome.events) if outcome.events else []
            check_receipts(receipts)
            response = outcome.respond(receipts)
        except errors.OcppError as exc:
            log.warning(
                "%s %s %s: %s %s",
                connection.charge_point_id,
                call.unique_id,
                action,
                exc.code,
                exc.description,
            )
            self._observe(action, exc.code)
            return session.reply_error(call.unique_id, exc)
        except WriterClosed:
            self._observe(action, "InternalError")
            return session.reply_error(call.unique_id, errors.InternalError("server shutting down"))
        except Exception:
            log.exception(
                "%s %s %s: handler failed", connection.charge_point_id, call.unique_id, action
            )
            self._observe(action, "InternalError")
            return session.reply_error(call.unique_id, errors.InternalError("internal error"))
        self._observe(action, "ok")
        return session.reply(call.unique_id, response)

    async def call(self, station_id: str, request: Payload, timeout: float) -> Payload:
        """Send `request` to the charge point and return its CALLRESULT payload.

        Raises ChargerOffline, CommandQueueFull, CommandTimeout, ChargerError, ConnectionLost.
        At most one CALL is outstanding per connection; others wait (bounded) in arrival order.
        """
        connection = self.connections.get(station_id)
        if connection is None or connection.closed:
            raise ChargerOffline("the charge point is not connected")
        with self.store.read() as reader:
            station = reader.station(station_id)
        registration = station.registration if station else "rejected"
        action = ACTION_OF_REQUEST[type(request)].name
        if registration == "rejected" or (
            registration == "pending" and action not in PENDING_ALLOWED
        ):
            allowed = ", ".join(sorted(PENDING_ALLOWED))
            detail = "no command" if registration == "rejected" else f"only {allowed}"
            raise ChargerNotAccepted(f"the charge point is {registration}: {detail} may be sent")
        if connection.queued >= self.settings.max_queued_commands:
            waiting = connection.queued
            raise CommandQueueFull(f"{waiting} commands are already waiting for this charge point")
        connection.queued += 1
        if connection.call_lock is None:
            connection.call_lock = trio.Lock()
        try:
            with trio.move_on_after(timeout):
                async with connection.call_lock:
                    return await self._call(connection, request)
        finally:
            connection.queued -= 1
        raise CommandTimeout(f"no answer within {timeout:g} s")

    async def _call(self, connection: Connection, request: Payload) -> Payload:
        if connection.closed:
            raise ConnectionLost("the connection closed before the command could be sent")
        send, receive = trio.open_memory_channel[Inbound](1)
        connection.answer = send
        try:
            unique_id, text = connection.session.call(request)
            try:
                await connection.ws.send_message(text)
            except ConnectionClosed:
                raise ConnectionLost("the connection closed as the command was sent") from None
            async for inbound in receive:
                if isinstance(inbound, ResultReceived) and inbound.unique_id == unique_id:
                    return inbound.response
                if isinstance(inbound, ErrorReceived) and inbound.unique_id == unique_id:
                    raise ChargerError(
                        f"the charge point answered {inbound.code}",
                        {"code": inbound.code, "description": inbound.description},
                    )
            raise ConnectionLost("the connection closed while the command was outstanding")
        finally:
            connection.answer = None
            connection.session.abandon_call()  # a late answer is then ignored

    def _observe(self, action: str, result: str) -> None:
        for observer in self.observers:
            observer(action, result)

    async def _keepalive(self, nursery: trio.Nursery) -> None:
        """Ping every connection each ping_interval after it opened; a ping runs as a task of
        its own only while it waits for its pong."""
        s = self.settings
        due = self._pings_due
        tick = min(1.0, s.ping_interval / 4)
        while True:
            await trio.sleep(tick)
            now = trio.current_time()
            while due and due[0][0] <= now:
                _, ref = due.popleft()
                connection = ref()
                if connection is not None and not connection.closed:
                    nursery.start_soon(self._ping, connection)
                    due.append((now + s.ping_interval, ref))

    async def _ping(self, connection: Connection) -> None:
        """A peer that does not answer within ping_timeout is dropped."""
        timeout = self.settings.ping_timeout
        with trio.move_on_after(timeout) as scope:
            try:
                await connection.ws.ping()
            except ConnectionClosed:
                return
        if scope.cancelled_caught:
            log.warning("%s: no pong within %.0fs, dropping", connection.charge_point_id, timeout)
            connection.stop_reading(
                CLOSE_POLICY, "keepalive timeout", close_wait=timeout, peer_gone=True
            )
