"""The ceiling of our own stack: a trio-websocket server that decodes each OCPP CALL with msgspec
and answers an empty CALLRESULT at once, storing nothing. `python -m bench.echo_server PORT`."""

from __future__ import annotations

import gc
import sys

import msgspec
import trio
from trio_websocket import ConnectionClosed, WebSocketRequest, serve_websocket

from ocppcore.cli import GC_THRESHOLDS

_decoder = msgspec.json.Decoder(tuple[int, str, str, msgspec.Raw])
_encoder = msgspec.json.Encoder()


async def _handle(request: WebSocketRequest) -> None:
    ws = await request.accept(subprotocol="ocpp1.6")
    while True:
        try:
            message = await ws.get_message()
        except ConnectionClosed:
            return
        _, unique_id, action, _payload = _decoder.decode(message)
        if action == "StartTransaction":
            payload: dict[str, object] = {"transactionId": 1, "idTagInfo": {"status": "Accepted"}}
        else:
            payload = {}
        await ws.send_message(_encoder.encode((3, unique_id, payload)).decode())


async def main(port: int) -> None:
    async with trio.open_nursery() as nursery:
        server = await nursery.start(serve_websocket, _handle, "127.0.0.1", port, None)
        print(f"OCPP listening on ws://127.0.0.1:{server.port}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    # The garbage-collector thresholds `ocppcore serve` runs with: a ceiling that paid for
    # collections our server does not pay for would flatter us.
    gc.set_threshold(*GC_THRESHOLDS)
    trio.run(main, int(sys.argv[1]) if len(sys.argv) > 1 else 0)
