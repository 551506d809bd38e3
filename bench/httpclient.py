"""A minimal keep-alive HTTP/1.1 client on trio sockets, for load generation.

httpx spends more CPU per request than the server under test; this one sends a prepared
request and reads a Content-Length response. No chunked bodies, no TLS.
"""

from __future__ import annotations

import trio


class HttpConnection:
    def __init__(self, stream: trio.SocketStream, host: str) -> None:
        self._stream = stream
        self._host = host
        self._buffer = bytearray()

    @classmethod
    async def open(cls, host: str, port: int) -> HttpConnection:
        return cls(await trio.open_tcp_stream(host, port), f"{host}:{port}")

    async def get(self, target: str, headers: dict[str, str]) -> tuple[int, bytes]:
        return await self.request("GET", target, headers)

    async def post(self, target: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        return await self.request("POST", target, headers, body)

    async def request(
        self, method: str, target: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        """One request; reconnects once when the server closed the keep-alive connection
        (Hypercorn does after `keep_alive_max_requests`)."""
        try:
            return await self._request(method, target, headers, body)
        except (ConnectionError, trio.BrokenResourceError):
            await self._stream.aclose()
            host, port = self._host.rsplit(":", 1)
            self._stream = await trio.open_tcp_stream(host, int(port))
            self._buffer.clear()
            return await self._request(method, target, headers, body)

    async def _request(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes]:
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self._host}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        await self._stream.send_all(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        while (end := self._buffer.find(b"\r\n\r\n")) < 0:
            await self._fill()
        head = bytes(self._buffer[:end]).decode("latin-1").split("\r\n")
        del self._buffer[: end + 4]
        status = int(head[0].split(" ", 2)[1])
        length = 0
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        while len(self._buffer) < length:
            await self._fill()
        answer = bytes(self._buffer[:length])
        del self._buffer[:length]
        return status, answer

    async def _fill(self) -> None:
        chunk = await self._stream.receive_some(1 << 16)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self._buffer += chunk

    async def aclose(self) -> None:
        await self._stream.aclose()
