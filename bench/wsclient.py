"""A minimal WebSocket client (RFC 6455) on trio sockets, for load generation.

wsproto-based clients spend more CPU per message than the server under test, so a load
generator built on them measures itself. This one sends text frames with an integer XOR mask and
parses the server's unmasked frames directly. Client side only; no extensions, no fragmentation.
"""

from __future__ import annotations

import base64
import os
import struct

import trio


class Closed(Exception):
    pass


class RawWebSocket:
    def __init__(self, stream: trio.SocketStream) -> None:
        self._stream = stream
        self._buffer = bytearray()
        self._closed = False
        self._send_lock = (
            trio.Lock()
        )  # frames from several tasks (replies, pongs, close) never interleave
        self.subprotocol: str | None = None

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int,
        path: str,
        subprotocol: str | None = "ocpp1.6",
        headers: dict[str, str] | None = None,
    ) -> RawWebSocket:
        stream = await trio.open_tcp_stream(host, port)
        ws = cls(stream)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {host}:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
        ]
        if subprotocol:
            lines.append(f"Sec-WebSocket-Protocol: {subprotocol}")
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        await stream.send_all(("\r\n".join(lines) + "\r\n\r\n").encode())
        while b"\r\n\r\n" not in ws._buffer:
            chunk = await stream.receive_some(65536)
            if not chunk:
                raise Closed("connection closed during handshake")
            ws._buffer += chunk
        head, _, rest = bytes(ws._buffer).partition(b"\r\n\r\n")
        ws._buffer = bytearray(rest)
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status:
            await stream.aclose()
            raise Closed(f"handshake refused: {status.decode(errors='replace')}")
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"sec-websocket-protocol":
                ws.subprotocol = value.strip().decode()
        return ws

    @staticmethod
    def frame(payload: bytes, opcode: int = 0x1) -> bytes:
        """A masked client frame carrying `payload`."""
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        mask = os.urandom(4)
        repeated = (mask * (n // 4 + 1))[:n]
        masked = (int.from_bytes(payload, "little") ^ int.from_bytes(repeated, "little")).to_bytes(
            n, "little"
        )
        return header + mask + masked

    async def _send_frame(self, frame: bytes) -> None:
        async with self._send_lock:
            await self._stream.send_all(frame)

    async def send_text(self, text: str) -> None:
        await self._send_frame(self.frame(text.encode()))

    async def receive_text(self) -> str:
        while True:
            opcode, payload = await self._receive_frame()
            if opcode == 0x1:
                return payload.decode()
            if opcode == 0x9:  # ping: answer with a pong carrying the same data
                await self._send_frame(self.frame(payload, opcode=0xA))
            elif opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                await self.aclose()  # answer the closing handshake, then let go of the socket
                raise Closed(f"closed by server with {code}")

    async def _fill(self, n: int) -> None:
        while len(self._buffer) < n:
            chunk = await self._stream.receive_some(65536)
            if not chunk:
                raise Closed("connection lost")
            self._buffer += chunk

    async def _receive_frame(self) -> tuple[int, bytes]:
        await self._fill(2)
        b0, b1 = self._buffer[0], self._buffer[1]
        n = b1 & 0x7F
        offset = 2
        if n == 126:
            await self._fill(4)
            n = struct.unpack_from("!H", self._buffer, 2)[0]
            offset = 4
        elif n == 127:
            await self._fill(10)
            n = struct.unpack_from("!Q", self._buffer, 2)[0]
            offset = 10
        await self._fill(offset + n)
        payload = bytes(self._buffer[offset : offset + n])
        del self._buffer[: offset + n]
        return b0 & 0x0F, payload

    async def abort(self) -> None:
        """Drop the connection without a closing handshake, as a charger losing power does."""
        self._closed = True
        await self._stream.aclose()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            with trio.move_on_after(1):
                await self._send_frame(self.frame(struct.pack("!H", 1000), opcode=0x8))
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        await self._stream.aclose()
