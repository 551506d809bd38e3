"""Ceilings: WebSocket servers that decode each OCPP CALL with msgspec and answer an empty
CALLRESULT at once, storing nothing.

`python -m bench.echo_server PORT trio-websocket` is a bare trio-websocket server, the ceiling
the comparison was first defined against; `python -m bench.echo_server PORT ocppcore` runs the
same on ocppcore's own WebSocket layer (`ocppcore/transport/websocket.py`), the ceiling of the
stack the server now stands on.
"""

from __future__ import annotations

import gc
import sys
from functools import partial

import msgspec
import trio
import trio_websocket

from ocppcore.cli import GC_THRESHOLDS
from ocppcore.transport import websocket

_decoder = msgspec.json.Decoder(tuple[int, str, str, msgspec.Raw])
_encoder = msgspec.json.Encoder()


def _answer(message: str | bytes) -> str:
    _, unique_id, action, _payload = _decoder.decode(message)
    if action == "StartTransaction":
        payload: dict[str, object] = {"transactionId": 1, "idTagInfo": {"status": "Accepted"}}
    else:
        payload = {}
    return _encoder.encode((3, unique_id, payload)).decode()


async def _echo(ws: trio_websocket.WebSocketConnection | websocket.WebSocket, closed: type) -> None:
    while True:
        try:
            message = await ws.get_message()
        except closed:
            return
        await ws.send_message(_answer(message))


async def _trio_websocket(request: trio_websocket.WebSocketRequest) -> None:
    await _echo(await request.accept(subprotocol="ocpp1.6"), trio_websocket.ConnectionClosed)


async def _ocppcore(request: websocket.HandshakeRequest) -> None:
    await _echo(await request.accept("ocpp1.6"), websocket.ConnectionClosed)


async def main(port: int, layer: str) -> None:
    async with trio.open_nursery() as nursery:
        if layer == "trio-websocket":
            server = await nursery.start(
                trio_websocket.serve_websocket, _trio_websocket, "127.0.0.1", port, None
            )
            port = server.port
        else:
            serve = partial(
                websocket.serve_websocket,
                _ocppcore,
                "127.0.0.1",
                port,
                handler_nursery=nursery,
                max_message_size=64 * 1024,
                handshake_timeout=10.0,
            )
            port = await nursery.start(serve)
        print(f"OCPP listening on ws://127.0.0.1:{port}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[2] not in ("trio-websocket", "ocppcore"):
        sys.exit("usage: python -m bench.echo_server PORT trio-websocket|ocppcore")
    # The garbage-collector thresholds `ocppcore serve` runs with: a ceiling that paid for
    # collections our server does not pay for would flatter us.
    gc.set_threshold(*GC_THRESHOLDS)
    trio.run(main, int(sys.argv[1]), sys.argv[2])
