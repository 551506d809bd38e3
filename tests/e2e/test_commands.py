"""Central system -> charge point commands over HTTP, answered by a scripted charger over a real
WebSocket."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import trio

from ocppcore.service import Service
from tests.conftest import (
    BOOT,
    CallFailed,
    Charger,
    connect,
    http,
    new_account,
    store_of,
    wait_until,
)

Answer = Callable[[str, dict[str, Any]], Any]  # (action, payload) -> frame tail, or None: silence


async def answer_calls(cp: Charger, answer: Answer, seen: list[str] | None = None) -> None:
    """Answer every CALL the central system sends, one at a time, as a charge point does."""
    while True:
        try:
            frame = msgspec.json.decode(await cp.ws.get_message())
        except Exception:
            return
        if frame[0] != 2:
            continue
        _, unique_id, action, payload = frame
        if seen is not None:
            seen.append(action)
        reply = answer(action, payload)
        if reply is not None:
            await cp.ws.send_message(
                msgspec.json.encode([*reply[:1], unique_id, *reply[1:]]).decode()
            )


def accept(action: str, payload: dict[str, Any]) -> Any:
    return [3, {"status": "Accepted"}]


async def setup(service: Service, name: str) -> tuple[str, str]:
    """An account owning charge point `name` (registered over HTTP); returns (key, station id)."""
    _, key = new_account(service, f"acct-{name}")
    async with http(service, key) as client:
        created = (
            await client.post("/v1/charging_stations", json={"charge_point_id": name})
        ).json()
    return key, created["charging_station"]["id"]


async def test_command_answered_recorded_and_listed(
    service: Service, nursery: trio.Nursery
) -> None:
    key, station = await setup(service, "CP-C1")
    async with connect(service, "CP-C1") as cp:
        await cp.call("BootNotification", BOOT)
        nursery.start_soon(answer_calls, cp, accept)
        async with http(service, key) as client:
            r = await client.post(
                f"/v1/charging_stations/{station}/commands",
                json={"action": "Reset", "payload": {"type": "Soft"}},
            )
            assert r.status_code == 200, r.text
            command = r.json()
            assert (command["status"], command["response"], command["payload"]) == (
                "succeeded",
                {"status": "Accepted"},
                {"type": "Soft"},
            )
            r = await client.post(
                f"/v1/charging_stations/{station}/commands", json={"action": "GetConfiguration"}
            )
            assert (
                r.json()["response"] == {}
            )  # decoded with GetConfiguration.conf: an unknown field is dropped
            listed = (
                await client.get(f"/v1/charging_stations/{station}/commands", params={"limit": 1})
            ).json()
            assert listed["data"][0]["action"] == "GetConfiguration" and listed["next_page_url"]
            older = (await client.get(listed["next_page_url"])).json()
            assert older["data"][0]["id"] == command["id"]


async def test_bad_commands_are_400_and_send_nothing(
    service: Service, nursery: trio.Nursery
) -> None:
    key, station = await setup(service, "CP-C2")
    seen: list[str] = []
    async with connect(service, "CP-C2") as cp:
        await cp.call("Heartbeat", {})  # answered after the connection and itself are recorded
        nursery.start_soon(answer_calls, cp, accept, seen)
        before = store_of(service).last_seq()
        async with http(service, key) as client:
            for body, param in (
                ({"action": "Teleport"}, "action"),
                ({"action": "Heartbeat"}, "action"),  # a charge point's action, not ours
                ({"action": "Reset", "payload": {"type": "Medium"}}, "payload.type"),
                ({"action": "Reset", "payload": {}}, "payload.type"),
                (
                    {"action": "RemoteStartTransaction", "payload": {"idTag": "X" * 21}},
                    "payload.idTag",
                ),
                ({"action": "Reset", "payload": {"type": "Soft"}, "timeout": 0}, "timeout"),
                ({"action": "Reset", "payload": {"type": "Soft"}, "colour": "red"}, "colour"),
            ):
                r = await client.post(f"/v1/charging_stations/{station}/commands", json=body)
                assert (r.status_code, r.json()["error"]["param"]) == (400, param), (body, r.text)
        assert store_of(service).last_seq() == before and seen == []


async def test_call_error_timeout_and_offline(service: Service, nursery: trio.Nursery) -> None:
    key, station = await setup(service, "CP-C3")
    calls = 0

    def flaky(action: str, payload: dict[str, Any]) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            return [4, "NotSupported", "no such thing", {}]
        if calls == 2:
            return None  # never answers
        return [3, {"status": "Accepted"}]

    async with http(service, key) as client:
        url = f"/v1/charging_stations/{station}/commands"
        r = await client.post(url, json={"action": "Reset", "payload": {"type": "Hard"}})
        assert (r.status_code, r.json()["error"]["code"]) == (409, "CHARGER_OFFLINE")
        async with connect(service, "CP-C3") as cp:
            nursery.start_soon(answer_calls, cp, flaky)
            r = await client.post(url, json={"action": "ClearCache"})
            assert (r.status_code, r.json()["error"]["code"]) == (502, "CHARGER_ERROR")
            assert "NotSupported" in r.json()["error"]["message"]
            with trio.fail_after(5):
                r = await client.post(url, json={"action": "ClearCache", "timeout": 0.3})
            assert (r.status_code, r.json()["error"]["code"]) == (504, "CHARGER_TIMEOUT")
            r = await client.post(url, json={"action": "ClearCache"})
            assert r.status_code == 200 and r.json()["response"] == {"status": "Accepted"}
        statuses = [c["status"] for c in (await client.get(url)).json()["data"]]
    assert statuses == ["succeeded", "timeout", "rejected", "offline"]


async def test_one_outstanding_call_and_a_bounded_queue(
    service: Service, nursery: trio.Nursery
) -> None:
    key, station = await setup(service, "CP-C4")
    outstanding = 0
    most = 0
    release = trio.Event()

    async with connect(service, "CP-C4") as cp:

        async def slow_charger() -> None:
            nonlocal outstanding, most
            while True:
                try:
                    frame = msgspec.json.decode(await cp.ws.get_message())
                except Exception:
                    return
                outstanding += 1
                most = max(most, outstanding)
                await release.wait()
                outstanding -= 1
                await cp.ws.send_message(
                    msgspec.json.encode([3, frame[1], {"status": "Accepted"}]).decode()
                )

        nursery.start_soon(slow_charger)
        results: list[int] = []
        async with http(service, key) as client:

            async def command() -> None:
                r = await client.post(
                    f"/v1/charging_stations/{station}/commands", json={"action": "ClearCache"}
                )
                results.append(r.status_code)

            async with trio.open_nursery() as senders:
                for _ in range(18):
                    senders.start_soon(command)
                with trio.fail_after(5):
                    while len(results) < 2:  # 16 in flight (1 outstanding, 15 waiting): 2 refused
                        await trio.sleep(0.01)
                assert results == [429, 429]
                release.set()
    assert sorted(results) == [200] * 16 + [429] * 2
    assert most == 1


async def test_replaced_connection_while_a_command_is_outstanding(
    service: Service, nursery: trio.Nursery
) -> None:
    key, station = await setup(service, "CP-C5")
    async with http(service, key) as client, connect(service, "CP-C5") as old:
        seen: list[str] = []
        nursery.start_soon(answer_calls, old, lambda a, p: None, seen)  # never answers
        outcome: list[Any] = []

        async def command() -> None:
            outcome.append(
                await client.post(
                    f"/v1/charging_stations/{station}/commands",
                    json={"action": "ClearCache", "timeout": 10},
                )
            )

        async with trio.open_nursery() as inner:
            inner.start_soon(command)
            await wait_until(lambda: seen == ["ClearCache"])  # outstanding on the old connection
            async with connect(service, "CP-C5") as new:
                nursery.start_soon(answer_calls, new, accept)
                with trio.fail_after(5):
                    while not outcome:
                        await trio.sleep(0.01)
                (r,) = outcome
                assert (r.status_code, r.json()["error"]["code"]) == (502, "CONNECTION_LOST")
                r = await client.post(
                    f"/v1/charging_stations/{station}/commands", json={"action": "ClearCache"}
                )
                assert r.status_code == 200


async def test_commands_to_foreign_or_unknown_stations_are_404(service: Service) -> None:
    _, station = await setup(service, "CP-C6")
    _, other_key = new_account(service, "intruder")
    async with http(service, other_key) as client:
        for target in (station, "chst_unknown"):
            r = await client.post(
                f"/v1/charging_stations/{target}/commands", json={"action": "ClearCache"}
            )
            assert (r.status_code, r.json()["error"]["code"]) == (404, "NOT_FOUND")
            assert (await client.get(f"/v1/charging_stations/{target}/commands")).status_code == 404


async def test_pending_and_rejected_registration(service: Service, nursery: trio.Nursery) -> None:
    _, key = new_account(service, "boot")
    seen: list[str] = []
    async with http(service, key) as client:
        created = (
            await client.post(
                "/v1/charging_stations", json={"charge_point_id": "CP-P", "registration": "pending"}
            )
        ).json()
        station = created["charging_station"]["id"]
        assert created["charging_station"]["registration"] == "pending"
        url = f"/v1/charging_stations/{station}/commands"
        async with connect(service, "CP-P") as cp:
            assert (await cp.call("BootNotification", BOOT))["status"] == "Pending"
            try:
                await cp.call("Heartbeat", {})
            except CallFailed as failed:
                assert failed.code == "SecurityError"
            else:
                raise AssertionError("a pending charger's Heartbeat was answered")
            nursery.start_soon(answer_calls, cp, lambda a, p: [3, {}], seen)
            r = await client.post(url, json={"action": "Reset", "payload": {"type": "Soft"}})
            assert (r.status_code, r.json()["error"]["code"]) == (409, "CHARGER_NOT_ACCEPTED")
            r = await client.post(
                url, json={"action": "GetConfiguration", "payload": {"key": ["HeartbeatInterval"]}}
            )
            assert r.status_code == 200 and seen == ["GetConfiguration"]
            r = await client.patch(
                f"/v1/charging_stations/{station}", json={"registration": "rejected"}
            )
            assert r.json()["registration"] == "rejected"
            r = await client.post(url, json={"action": "GetConfiguration"})
            assert (r.status_code, r.json()["error"]["code"]) == (409, "CHARGER_NOT_ACCEPTED")
        await client.patch(f"/v1/charging_stations/{station}", json={"registration": "accepted"})
        async with connect(service, "CP-P") as cp:
            assert (await cp.call("BootNotification", BOOT))["status"] == "Accepted"
            assert "currentTime" in await cp.call("Heartbeat", {})


async def test_remote_stop_by_session_id(service: Service, nursery: trio.Nursery) -> None:
    key, station = await setup(service, "CP-RS")
    stops: list[dict[str, Any]] = []

    def charger(action: str, payload: dict[str, Any]) -> Any:
        stops.append(payload)
        return [3, {"status": "Accepted"}]

    async with connect(service, "CP-RS") as cp:
        start = {
            "connectorId": 1,
            "idTag": "T",
            "meterStart": 0,
            "timestamp": "2026-01-01T00:00:00Z",
        }
        tx = (await cp.call("StartTransaction", start))["transactionId"]
        nursery.start_soon(answer_calls, cp, charger)
        async with http(service, key) as client:
            (session,) = (await client.get("/v1/charging_sessions")).json()["data"]
            url = f"/v1/charging_stations/{station}/commands"
            r = await client.post(
                url, json={"action": "RemoteStopTransaction", "session": session["id"]}
            )
            assert r.status_code == 200 and r.json()["payload"] == {"transactionId": tx}
            assert stops == [{"transactionId": tx}]
            for body, param in (
                (
                    {"action": "Reset", "payload": {"type": "Soft"}, "session": session["id"]},
                    "session",
                ),
                ({"action": "RemoteStopTransaction", "session": "cs_nope"}, "session"),
                (
                    {
                        "action": "RemoteStopTransaction",
                        "session": session["id"],
                        "payload": {"transactionId": tx + 1},
                    },
                    "payload.transactionId",
                ),
            ):
                r = await client.post(url, json=body)
                assert (r.status_code, r.json()["error"]["param"]) == (400, param), r.text
