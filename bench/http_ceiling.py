"""The ceiling of our HTTP stack: Quart-trio on Hypercorn answering a fixed small JSON body.
`python -m bench.http_ceiling PORT`; prints the bound address like `ocppcore serve` does."""

from __future__ import annotations

import sys

import trio
from hypercorn.config import Config
from hypercorn.trio import serve
from quart import Response
from quart_trio import QuartTrio

app = QuartTrio("ceiling")


@app.get("/v1/charging_sessions")
async def sessions() -> Response:
    return Response(
        b'{"data":[],"next_page_url":null,"previous_page_url":null}',
        content_type="application/json",
    )


async def main(port: int) -> None:
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    async with trio.open_nursery() as nursery:
        binds = await nursery.start(lambda task_status: serve(app, config, task_status=task_status))
        print(f"HTTP API listening on {binds[0]}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    trio.run(main, int(sys.argv[1]) if len(sys.argv) > 1 else 0)
