"""Flows that span messages: remote start -> StartTransaction, reservations, charging profiles,
local authorization lists, with a scripted charger over a real WebSocket."""

from __future__ import annotations

import json
from typing import Any

import trio

from ocppcore.service import Service
from store.records import SessionRecord
from tests.conftest import connect, http, store_of, wait_until
from tests.e2e.test_commands import answer_calls, setup

START = {"connectorId": 1, "idTag": "RFID-R", "meterStart": 0, "timestamp": "2026-01-01T00:00:00Z"}
PROFILE = {
    "chargingProfileId": 7, "stackLevel": 1, "chargingProfilePurpose": "TxDefaultProfile",
    "chargingProfileKind": "Absolute",
    "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]},
}  # fmt: skip


def sessions_of(service: Service, station_id: str) -> list[SessionRecord]:
    with store_of(service).read() as reader:
        station = reader.station(station_id)
        assert station is not None
        return [s for s in reader.sessions(station.account) if s.charging_station == station_id]


def accept(action: str, payload: dict[str, Any]) -> Any:
    return [3, {"status": "Accepted"}]


async def test_remote_start_is_linked_to_the_session_it_starts(
    service: Service, nursery: trio.Nursery
) -> None:
    key, station = await setup(service, "CP-F1")
    async with connect(service, "CP-F1") as cp, http(service, key) as client:
        nursery.start_soon(answer_calls, cp, accept)
        url = f"/v1/charging_stations/{station}/commands"
        command = (
            await client.post(
                url,
                json={
                    "action": "RemoteStartTransaction",
                    "payload": {"idTag": "rfid-r", "connectorId": 1},
                },
            )
        ).json()
        assert command["status"] == "succeeded"
        # The charger starts the transaction it was asked to (its answer is read by answer_calls).
        await cp.ws.send_message(json.dumps([2, "s1", "StartTransaction", START]))
        await wait_until(lambda: bool(sessions_of(service, station)))
        (session,) = sessions_of(service, station)
        assert session.remote_start == command["id"]


async def test_reservations_made_used_and_cancelled(
    service: Service, nursery: trio.Nursery
) -> None:
    key, station = await setup(service, "CP-F2")
    async with connect(service, "CP-F2") as cp, http(service, key) as client:
        nursery.start_soon(answer_calls, cp, accept)
        url = f"/v1/charging_stations/{station}/commands"
        for rid in (11, 12):
            reserve = {
                "connectorId": 1,
                "expiryDate": "2099-01-01T00:00:00Z",
                "idTag": "RFID-R",
                "reservationId": rid,
            }
            assert (
                await client.post(url, json={"action": "ReserveNow", "payload": reserve})
            ).status_code == 200
        assert (
            await client.post(
                url, json={"action": "CancelReservation", "payload": {"reservationId": 12}}
            )
        ).status_code == 200
        await cp.ws.send_message(
            json.dumps([2, "s1", "StartTransaction", {**START, "reservationId": 11}])
        )
        await wait_until(lambda: bool(sessions_of(service, station)))
        listed = (await client.get(f"/v1/charging_stations/{station}/reservations")).json()["data"]
    by_id = {r["reservation_id"]: r for r in listed}
    assert by_id[11]["status"] == "used" and by_id[11]["charging_session"].startswith("cs_")
    assert by_id[12]["status"] == "cancelled"


async def test_charging_profiles_stored_replaced_and_cleared(
    service: Service, nursery: trio.Nursery
) -> None:
    key, station = await setup(service, "CP-F3")
    async with connect(service, "CP-F3") as cp, http(service, key) as client:
        nursery.start_soon(answer_calls, cp, accept)
        url = f"/v1/charging_stations/{station}/commands"
        profiles = f"/v1/charging_stations/{station}/charging_profiles"
        await client.post(
            url,
            json={
                "action": "SetChargingProfile",
                "payload": {"connectorId": 1, "csChargingProfiles": PROFILE},
            },
        )
        lower = {
            **PROFILE,
            "chargingSchedule": {
                **PROFILE["chargingSchedule"],
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10.0}],
            },
        }  # type: ignore[dict-item]
        await client.post(
            url,
            json={
                "action": "SetChargingProfile",
                "payload": {"connectorId": 1, "csChargingProfiles": lower},
            },
        )
        other = {
            **PROFILE,
            "chargingProfileId": 8,
            "stackLevel": 2,
            "chargingProfilePurpose": "ChargePointMaxProfile",
        }
        await client.post(
            url,
            json={
                "action": "SetChargingProfile",
                "payload": {"connectorId": 0, "csChargingProfiles": other},
            },
        )
        stored = (await client.get(profiles)).json()["data"]
        assert sorted((p["connector_id"], p["profile"]["chargingProfileId"]) for p in stored) == [
            (0, 8),
            (1, 7),
        ]
        (seven,) = [p for p in stored if p["profile"]["chargingProfileId"] == 7]
        assert seven["profile"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] == 10.0
        await client.post(
            url,
            json={
                "action": "ClearChargingProfile",
                "payload": {"chargingProfilePurpose": "TxDefaultProfile"},
            },
        )
        assert [
            p["profile"]["chargingProfileId"] for p in (await client.get(profiles)).json()["data"]
        ] == [8]


async def test_local_list_full_then_differential(service: Service, nursery: trio.Nursery) -> None:
    key, station = await setup(service, "CP-F4")
    lists: list[dict[str, Any]] = []

    def charger(action: str, payload: dict[str, Any]) -> Any:
        lists.append(payload)
        return [3, {"status": "VersionMismatch" if payload["listVersion"] == 3 else "Accepted"}]

    async with connect(service, "CP-F4") as cp, http(service, key) as client:
        nursery.start_soon(answer_calls, cp, charger)
        for tag in ("A-1", "B-2"):
            await client.post("/v1/id_tags", json={"id_tag": tag})
        url = f"/v1/charging_stations/{station}/local_list"
        await trio.sleep(0.002)  # registry times are in ms: the list must come after the tags
        assert (await client.post(url, json={})).json()["status"] == "succeeded"
        assert lists[-1]["listVersion"] == 1 and lists[-1]["updateType"] == "Full"
        assert sorted(e["idTag"] for e in lists[-1]["localAuthorizationList"]) == ["A-1", "B-2"]
        await trio.sleep(
            0.002
        )  # the registry's change times are in ms: the change must come after the list
        await client.patch("/v1/id_tags/B-2", json={"status": "Blocked"})
        await client.post(url, json={"update_type": "Differential"})
        assert lists[-1]["listVersion"] == 2
        assert lists[-1]["localAuthorizationList"] == [
            {"idTag": "B-2", "idTagInfo": {"status": "Blocked"}}
        ]
        await client.post(url, json={"update_type": "Full"})  # the charger answers VersionMismatch
        station_object = (await client.get(f"/v1/charging_stations/{station}")).json()
    assert station_object["local_list_version"] == 2


async def test_firmware_diagnostics_availability_and_bad_replies(
    service: Service, nursery: trio.Nursery
) -> None:
    key, station = await setup(service, "CP-F5")

    def charger(action: str, payload: dict[str, Any]) -> Any:
        return {
            "UpdateFirmware": [3, {}],
            "GetDiagnostics": [3, {"fileName": "diag-2026.tar.gz"}],
            "ChangeAvailability": [3, {"status": "Scheduled"}],
            "UnlockConnector": [3, {"status": "Perhaps"}],  # not in the schema's enum
        }[action]

    async with connect(service, "CP-F5") as cp, http(service, key) as client:
        await cp.call("FirmwareStatusNotification", {"status": "Downloading"})
        await cp.call("DiagnosticsStatusNotification", {"status": "Uploading"})
        nursery.start_soon(answer_calls, cp, charger)
        url = f"/v1/charging_stations/{station}/commands"
        r = await client.post(
            url,
            json={
                "action": "UpdateFirmware",
                "payload": {
                    "location": "https://fw.example.com/2.1.bin",
                    "retrieveDate": "2026-06-01T02:00:00Z",
                },
            },
        )
        assert (r.status_code, r.json()["response"]) == (200, {})
        r = await client.post(
            url,
            json={"action": "GetDiagnostics", "payload": {"location": "ftp://diag.example.com/"}},
        )
        assert r.json()["response"] == {"fileName": "diag-2026.tar.gz"}
        r = await client.post(
            url,
            json={
                "action": "ChangeAvailability",
                "payload": {"connectorId": 1, "type": "Inoperative"},
            },
        )
        assert r.json()["response"] == {"status": "Scheduled"}
        r = await client.post(
            url, json={"action": "UnlockConnector", "payload": {"connectorId": 1}}
        )
        assert (r.status_code, r.json()["error"]["code"]) == (502, "CHARGER_ERROR")
        assert "InvalidResult" in r.json()["error"]["message"]
        r = await client.post(
            url,
            json={
                "action": "ChangeAvailability",
                "payload": {"connectorId": 1, "type": "Operative"},
            },
        )
        assert r.status_code == 200  # the connection and the session live on
        station_object = (await client.get(f"/v1/charging_stations/{station}")).json()
    assert (station_object["firmware_status"], station_object["diagnostics_status"]) == (
        "Downloading",
        "Uploading",
    )
