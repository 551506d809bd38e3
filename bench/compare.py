"""`python -m bench compare`: the same load against ocppcore, a peer and our stack's ceiling.

For 10, 100 and 1,000 chargers sending MeterValues back to back (one CALL outstanding each),
measured one after another on the same machine, each server pinned to CPU 0 and the load to
CPU 1:
- ocppcore (durable: every answer after an fsync'd commit);
- the peer: a central system on the `ocpp` library (asyncio, `websockets`, schema validation
  on), storing nothing (`bench/peer_ocpp.py`);
- two ceilings, msgspec answering at once with no work (`bench/echo_server.py`): on
  trio-websocket, and on ocppcore's own WebSocket layer (what the server runs on).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bench import load
from bench.servers import Peer

SERVERS = {
    "ocppcore": None,  # started by the load run itself, on a fresh data directory
    "peer (ocpp library)": ["-m", "bench.peer_ocpp", "0"],
    "ceiling (echo)": ["-m", "bench.echo_server", "0", "trio-websocket"],
    "own layer (echo)": ["-m", "bench.echo_server", "0", "ocppcore"],
}


def measure(name: str, chargers: int, duration: float, warmup: float) -> dict[str, Any]:
    arguments = SERVERS[name]
    if arguments is None:
        return load.run(chargers, duration, warmup, processes=1)
    peer = Peer(arguments)
    try:
        # The peer and the echo store nothing: there is nothing to verify through an API.
        return load.run(
            chargers, duration, warmup, processes=1, url=peer.ocpp_url, verify_after=False
        )
    finally:
        peer.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench compare", description=__doc__)
    parser.add_argument("--chargers", default="10,100,1000", help="comma-separated counts")
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        counts = [int(c) for c in args.chargers.split(",")]
    except ValueError:
        parser.error("--chargers takes comma-separated integers")
    if not all(1 <= c <= 5000 for c in counts) or not 0 < args.duration <= 600:
        parser.error("charger counts in [1, 5000], --duration in (0, 600]")
    rows = []
    for count in counts:
        row: dict[str, Any] = {"chargers": count}
        for name in SERVERS:
            result = measure(name, count, args.duration, args.warmup)
            row[name] = {
                "msg_per_s": result["msg_per_s"],
                "p99_ms": result["latency_ms"]["p99"],
                "errors": result["errors"] + result["timeouts"],
            }
        ours, peer, ceiling, own = (row[n]["msg_per_s"] for n in SERVERS)
        row["vs peer"] = round(ours / peer, 2) if peer else None
        row["of ceiling"] = round(ours / ceiling, 2) if ceiling else None
        row["of own layer"] = round(ours / own, 2) if own else None
        rows.append(row)
    if args.json:
        print(json.dumps(rows))
        return 0
    names = list(SERVERS)
    print(
        f"{'chargers':>8}  "
        + "  ".join(f"{n:>22}" for n in names)
        + "   vs peer  of ceiling  of own layer"
    )
    for row in rows:
        cells = "  ".join(f"{row[n]['msg_per_s']:>13,} msg/s" + " " * 3 for n in names)
        print(
            f"{row['chargers']:>8}  {cells}   {row['vs peer']:>6}x  {row['of ceiling']:>8.0%}"
            f"  {row['of own layer']:>12.0%}"
        )
    return 0
