"""The peer for `python -m bench compare`: a central system written with the widely used `ocpp`
library on asyncio and `websockets`, its default schema validation on, storing nothing.
`python -m bench.peer_ocpp PORT`; prints its address the way `ocppcore serve` does."""

from __future__ import annotations

import asyncio
import itertools
import sys
from datetime import UTC, datetime
from typing import Any

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import AuthorizationStatus, RegistrationStatus

_transactions = itertools.count(1)


def _now() -> str:
    return datetime.now(UTC).isoformat()


class CentralSystemChargePoint(ChargePoint):  # type: ignore[misc]
    @on("BootNotification")
    def on_boot(self, **_: Any) -> call_result.BootNotification:
        return call_result.BootNotification(
            current_time=_now(), interval=300, status=RegistrationStatus.accepted
        )

    @on("Heartbeat")
    def on_heartbeat(self, **_: Any) -> call_result.Heartbeat:
        return call_result.Heartbeat(current_time=_now())

    @on("StartTransaction")
    def on_start(self, **_: Any) -> call_result.StartTransaction:
        return call_result.StartTransaction(
            transaction_id=next(_transactions), id_tag_info={"status": AuthorizationStatus.accepted}
        )

    @on("MeterValues")
    def on_meter_values(self, **_: Any) -> call_result.MeterValues:
        return call_result.MeterValues()

    @on("StopTransaction")
    def on_stop(self, **_: Any) -> call_result.StopTransaction:
        return call_result.StopTransaction()


async def _handle(connection: Any) -> None:
    charge_point_id = connection.request.path.rstrip("/").rsplit("/", 1)[-1]
    try:
        await CentralSystemChargePoint(charge_point_id, connection).start()
    except websockets.ConnectionClosed:
        return


async def main(port: int) -> None:
    async with websockets.serve(_handle, "127.0.0.1", port, subprotocols=["ocpp1.6"]) as server:
        bound = next(iter(server.sockets)).getsockname()[1]
        print(f"OCPP listening on ws://127.0.0.1:{bound}", file=sys.stderr, flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
