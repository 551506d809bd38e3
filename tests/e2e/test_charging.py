"""A charging session end to end, over a real WebSocket, against the server started in-process."""

from __future__ import annotations

import trio

from ocppcore.service import Service
from tests.conftest import BOOT, connect


def _sample(value: str, **extra: str) -> dict[str, str]:
    return {"value": value, **extra}


async def test_full_charging_session(service: Service) -> None:
    with trio.fail_after(10):
        async with connect(service, "CP-1") as cp:
            boot = await cp.call("BootNotification", BOOT)
            assert boot["status"] == "Accepted"
            assert boot["interval"] == 300
            assert boot["currentTime"].endswith("Z")
            await cp.call(
                "StatusNotification",
                {"connectorId": 1, "errorCode": "NoError", "status": "Preparing"},
            )
            auth = await cp.call("Authorize", {"idTag": "RFID-1"})
            assert auth == {"idTagInfo": {"status": "Accepted"}}
            start = await cp.call(
                "StartTransaction",
                {
                    "connectorId": 1,
                    "idTag": "RFID-1",
                    "meterStart": 1000,
                    "timestamp": "2026-04-01T10:00:00Z",
                },
            )
            tx = start["transactionId"]
            assert start["idTagInfo"]["status"] == "Accepted"
            assert 0 < tx < 2**31
            await cp.call(
                "MeterValues",
                {
                    "connectorId": 1,
                    "transactionId": tx,
                    "meterValue": [
                        {
                            "timestamp": "2026-04-01T10:15:00Z",
                            "sampledValue": [
                                _sample(
                                    "3.5", unit="kWh", measurand="Energy.Active.Import.Register"
                                ),
                                _sample("7200", unit="W", measurand="Power.Active.Import"),
                            ],
                        }
                    ],
                },
            )
            assert service.store is not None
            with service.store.read() as reader:
                live = reader.session_by_transaction(tx)
            assert live is not None
            assert live.status == "active"
            assert live.energy_consumed == 2500  # 3.5 kWh register minus 1000 Wh at start
            stop = await cp.call(
                "StopTransaction",
                {
                    "transactionId": tx,
                    "meterStop": 13480,
                    "timestamp": "2026-04-01T11:00:00Z",
                    "idTag": "rfid-1",
                },
            )
            assert stop == {"idTagInfo": {"status": "Accepted"}}
            with service.store.read() as reader:
                done = reader.session_by_transaction(tx)
                station = reader.station_by_charge_point_id("CP-1")
            assert done is not None and station is not None
            assert done.status == "completed"
            assert done.energy_consumed == 12480
            assert done.session_ended is not None
            assert station.online
            assert station.boot is not None and station.boot.vendor == "Acme"
            assert station.connectors[1].status == "Preparing"
