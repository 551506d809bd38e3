"""The server side of the WebSocket protocol (RFC 6455), without I/O: the opening handshake
checked on a parsed HTTP request, and frames read from and written to bytes.

It is written for speed on the one path that matters, a small masked text frame in and a small
text frame out (a few µs a message where a general-purpose library spends about 13), and says
no to everything an OCPP-J peer has no business sending: extensions (none is ever negotiated),
unmasked frames, fragmented or long control frames, lengths not in their shortest form.
Errors carry the close code the connection fails with.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

import h11

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_DATA = (TEXT, BINARY)
_CONTROL = (CLOSE, PING, PONG)

CLOSE_NORMAL = 1000
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_NO_STATUS = 1005  # an empty close frame: no code to echo
CLOSE_INVALID_DATA = 1007
CLOSE_TOO_BIG = 1009

_ACCEPT_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class ProtocolError(Exception):
    """The peer broke the protocol: the connection fails with `code`."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


# --- the opening handshake ---------------------------------------------------------------


class HandshakeError(Exception):
    """Not a WebSocket upgrade this server can accept: answer `status` (with `headers`)."""

    def __init__(
        self, reason: str, status: int = 400, headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.headers = headers or []


def _tokens(request: h11.Request, name: bytes) -> list[bytes]:
    """The comma-separated values of every `name` header (h11 lowercases header names)."""
    return [
        token.strip()
        for header, value in request.headers
        if header == name
        for token in value.split(b",")
        if token.strip()
    ]


def _has_token(request: h11.Request, name: bytes, token: bytes) -> bool:
    """Whether a `name` header lists `token` (case-insensitive, as Upgrade and Connection are)."""
    return token in (value.lower() for value in _tokens(request, name))


def check_upgrade(request: h11.Request) -> tuple[bytes, tuple[str, ...]]:
    """(Sec-WebSocket-Key, proposed subprotocols) of a valid upgrade request; raises
    HandshakeError otherwise (426 with the version we speak for a version we do not)."""
    if request.method != b"GET":
        raise HandshakeError("not a GET request")
    if not _has_token(request, b"upgrade", b"websocket"):
        raise HandshakeError("no Upgrade: websocket")
    if not _has_token(request, b"connection", b"upgrade"):
        raise HandshakeError("no Connection: upgrade")
    if _tokens(request, b"sec-websocket-version") != [b"13"]:
        raise HandshakeError(
            "unsupported Sec-WebSocket-Version", 426, [(b"Sec-WebSocket-Version", b"13")]
        )
    keys = [value for name, value in request.headers if name == b"sec-websocket-key"]
    try:
        (key,) = keys
        if len(base64.b64decode(key, validate=True)) != 16:
            raise ValueError
    except (ValueError, binascii.Error):
        raise HandshakeError("Sec-WebSocket-Key missing, repeated or not 16 bytes") from None
    proposed = _tokens(request, b"sec-websocket-protocol")  # case-sensitive names
    return key, tuple(token.decode("ascii", "replace") for token in proposed)


def accept_headers(key: bytes, subprotocol: str | None) -> list[tuple[bytes, bytes]]:
    """The headers of the 101 answer to a request with Sec-WebSocket-Key `key`."""
    token = base64.b64encode(hashlib.sha1(key + _ACCEPT_GUID, usedforsecurity=False).digest())
    headers = [
        (b"Upgrade", b"websocket"),
        (b"Connection", b"Upgrade"),
        (b"Sec-WebSocket-Accept", token),
    ]
    if subprotocol is not None:
        headers.append((b"Sec-WebSocket-Protocol", subprotocol.encode("ascii")))
    return headers


# --- frames ------------------------------------------------------------------------------


def _unmask(mask: bytes, data: bytes) -> bytes:
    n = len(data)
    # One XOR of two big integers: far faster in CPython than a loop over the bytes.
    key = int.from_bytes((mask * (n // 4 + 1))[:n])
    return (int.from_bytes(data) ^ key).to_bytes(n)


def encode_frame(opcode: int, payload: bytes) -> bytes:
    """One whole, unmasked frame (a server never masks)."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, n))
    elif n < 0x10000:
        head = bytes((0x80 | opcode, 126)) + n.to_bytes(2)
    else:
        head = bytes((0x80 | opcode, 127)) + n.to_bytes(8)
    return head + payload


def encode_close(code: int, reason: str | None = None) -> bytes:
    """A close frame; CLOSE_NO_STATUS is sent as an empty one, as it must be."""
    if code == CLOSE_NO_STATUS:
        return encode_frame(CLOSE, b"")
    # A control frame holds 125 bytes: 2 for the code, at most 123 for the reason.
    reason_bytes = (reason or "").encode()[:123].decode(errors="ignore").encode()
    return encode_frame(CLOSE, code.to_bytes(2) + reason_bytes)


def _valid_close_code(code: int) -> bool:
    # 1004-1006 and 1015 are reserved for reporting, never sent; below 1000 is unused.
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


def parse_close(payload: bytes) -> tuple[int, str | None]:
    """(code, reason) of a close frame's payload; raises ProtocolError if it is invalid."""
    if not payload:
        return CLOSE_NO_STATUS, None
    if len(payload) == 1:
        raise ProtocolError(CLOSE_PROTOCOL_ERROR, "close frame with a one-byte payload")
    code = int.from_bytes(payload[:2])
    if not _valid_close_code(code):
        raise ProtocolError(CLOSE_PROTOCOL_ERROR, f"invalid close code {code}")
    try:
        reason = payload[2:].decode()
    except UnicodeDecodeError:
        raise ProtocolError(CLOSE_INVALID_DATA, "close reason is not valid UTF-8") from None
    return code, reason or None


class FrameReader:
    """Frames from a client, fed as they arrive; `next` returns one event at a time:
    (TEXT, str) or (BINARY, bytes) for a whole message, its fragments joined; (PING, payload),
    (PONG, payload) or (CLOSE, payload) for a control frame (see `parse_close`); None until
    more bytes are needed. Raises ProtocolError for a frame that breaks the protocol, or a
    message over `max_message_size` bytes (rejected from its header, before it is buffered)."""

    __slots__ = ("_buffer", "_max", "_opcode", "_parts", "_size")

    def __init__(self, max_message_size: int, received: bytes = b"") -> None:
        self._buffer = bytearray(received)
        self._max = max_message_size
        self._opcode = 0  # of the fragmented message under way, 0 when there is none
        self._parts: list[bytes] = []
        self._size = 0

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def next(self) -> tuple[int, str | bytes] | None:
        while True:
            frame = self._next_frame()
            if frame is None:
                return None
            fin, opcode, payload = frame
            if opcode in _CONTROL:
                return opcode, payload
            if opcode != CONTINUATION:
                self._opcode = opcode
            self._size += len(payload)
            if not fin:
                self._parts.append(payload)
                continue
            if self._parts:
                self._parts.append(payload)
                payload = b"".join(self._parts)
                self._parts = []
            opcode, self._opcode, self._size = self._opcode, 0, 0
            if opcode == BINARY:
                return BINARY, payload
            try:
                return TEXT, payload.decode()
            except UnicodeDecodeError:
                raise ProtocolError(CLOSE_INVALID_DATA, "text message is not valid UTF-8") from None

    def _next_frame(self) -> tuple[bool, int, bytes] | None:
        buffer = self._buffer
        have = len(buffer)
        if have < 2:
            return None
        b0, b1 = buffer[0], buffer[1]
        opcode, length, start = b0 & 0x0F, b1 & 0x7F, 6
        if length == 126:
            if have < 4:
                return None
            length, start = int.from_bytes(buffer[2:4]), 8
            if length < 126:
                raise ProtocolError(CLOSE_PROTOCOL_ERROR, "frame length not in its shortest form")
        elif length == 127:
            if have < 10:
                return None
            length, start = int.from_bytes(buffer[2:10]), 14
            if length < 0x10000 or length >> 63:
                raise ProtocolError(CLOSE_PROTOCOL_ERROR, "frame length not in its shortest form")
        self._check_header(b0, b1, opcode, length)
        end = start + length
        if have < end:
            return None
        payload = _unmask(bytes(buffer[start - 4 : start]), bytes(buffer[start:end]))
        del buffer[:end]
        return bool(b0 & 0x80), opcode, payload

    def _check_header(self, b0: int, b1: int, opcode: int, length: int) -> None:
        if b0 & 0x70:
            raise ProtocolError(CLOSE_PROTOCOL_ERROR, "reserved bits set (no extension agreed)")
        if not b1 & 0x80:
            raise ProtocolError(CLOSE_PROTOCOL_ERROR, "unmasked frame from a client")
        if opcode in _CONTROL:
            if not b0 & 0x80:
                raise ProtocolError(CLOSE_PROTOCOL_ERROR, "fragmented control frame")
            if length > 125:
                raise ProtocolError(CLOSE_PROTOCOL_ERROR, "control frame over 125 bytes")
            return
        if opcode == CONTINUATION:
            if not self._opcode:
                raise ProtocolError(CLOSE_PROTOCOL_ERROR, "continuation of no message")
        elif opcode in _DATA:
            if self._opcode:
                raise ProtocolError(CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one")
        else:
            raise ProtocolError(CLOSE_PROTOCOL_ERROR, f"unknown opcode {opcode:#x}")
        if self._size + length > self._max:
            raise ProtocolError(CLOSE_TOO_BIG, f"message over {self._max} bytes")
