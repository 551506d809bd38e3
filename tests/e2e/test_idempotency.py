"""Retries after reconnect: same transactionId, nothing counted twice."""

from __future__ import annotations

import trio

from ocppcore.service import Service
from tests.conftest import BOOT, connect, store_of

START = {
    "connectorId": 2,
    "idTag": "RFID-9",
    "meterStart": 5000,
    "timestamp": "2026-04-01T08:00:00.123+02:00",
}


def meter(tx: int, wh: int, at: str) -> dict[str, object]:
    return {
        "connectorId": 2,
        "transactionId": tx,
        "meterValue": [{"timestamp": at, "sampledValue": [{"value": str(wh)}]}],
    }


async def test_retries_after_reconnect_are_not_double_counted(service: Service) -> None:
    with trio.fail_after(10):
        async with connect(service, "CP-RETRY") as cp:
            await cp.call("BootNotification", BOOT)
            tx = (await cp.call("StartTransaction", START))["transactionId"]
            await cp.call("MeterValues", meter(tx, 6000, "2026-04-01T06:10:00Z"))
        # The charger did not see the answers, reconnects and re-sends everything.
        async with connect(service, "CP-RETRY") as cp:
            retried = await cp.call("StartTransaction", dict(START, idTag="rfid-9"), unique_id="r1")
            assert retried["transactionId"] == tx
            await cp.call("MeterValues", meter(tx, 6000, "2026-04-01T06:10:00Z"))
            stop = {
                "transactionId": tx,
                "meterStop": 9000,
                "timestamp": "2026-04-01T07:00:00Z",
                "reason": "EVDisconnected",
            }
            await cp.call("StopTransaction", stop)
            await cp.call("StopTransaction", stop)
            # A late duplicate meter reading never changes the final figure.
            await cp.call("MeterValues", meter(tx, 7000, "2026-04-01T06:20:00Z"))
    store = store_of(service)
    with store.read() as reader:
        station = reader.station_by_charge_point_id("CP-RETRY")
        assert station is not None
        sessions = list(reader.sessions(station.account))
    assert len(sessions) == 1
    (session,) = sessions
    assert session.transaction_id == tx
    assert session.energy_consumed == 4000
    assert session.status == "completed"
    assert session.session_started == 1775023200123  # 08:00:00.123+02:00 in UTC ms
    kinds = [type(e).__name__ for _, e in store.events()]
    assert kinds.count("TransactionStarted") == 1
    assert kinds.count("TransactionStopped") == 1
    assert kinds.count("MeterValuesReported") == 2  # the 6000 reading once, the late 7000 once


async def test_transaction_ids_are_unique_across_chargers(service: Service) -> None:
    ids: list[int] = []

    async def charger(n: int) -> None:
        async with connect(service, f"CP-U{n}") as cp:
            for k in range(5):
                start = {
                    "connectorId": 1,
                    "idTag": "T",
                    "meterStart": k,
                    "timestamp": "2026-01-01T00:00:00Z",
                }
                ids.append((await cp.call("StartTransaction", start))["transactionId"])

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            for n in range(8):
                nursery.start_soon(charger, n)
    assert len(set(ids)) == 40
    assert all(0 < i < 2**31 for i in ids)


async def test_stop_for_unknown_or_minus_one_transaction_is_accepted(service: Service) -> None:
    with trio.fail_after(5):
        async with connect(service, "CP-ORPHAN") as cp:
            for tx in (-1, 424242):
                answer = await cp.call(
                    "StopTransaction",
                    {
                        "transactionId": tx,
                        "meterStop": 10,
                        "timestamp": "2026-01-01T00:00:00Z",
                        "idTag": "X",
                    },
                )
                assert answer["idTagInfo"]["status"] == "Accepted"
    kinds = [type(e).__name__ for _, e in store_of(service).events()]
    assert kinds.count("TransactionStopped") == 2
