"""Charging stations, administration over HTTP, and operations endpoints, over real sockets."""

from __future__ import annotations

import base64

import trio

from ocppcore.service import Service
from tests.conftest import BOOT, connect, http, new_account, store_of, wait_until


async def test_register_station_then_connect_and_list(service: Service) -> None:
    _, key = new_account(service, "ops")
    async with http(service, key) as client:
        r = await client.post(
            "/v1/charging_stations", json={"charge_point_id": "CP-H1", "password": "hunter2hunter2"}
        )
        assert r.status_code == 201
        created = r.json()
        assert created["ocpp_url"].endswith("/ocpp/CP-H1")
        assert created["token_url"].endswith("/cp/" + created["connection_token"])
        assert created["charging_station"]["password_protected"] is True
        await client.post("/v1/charging_stations", json={"charge_point_id": "CP-H2"})
        auth = base64.b64encode(b"CP-H1:hunter2hunter2").decode()
        with trio.fail_after(5):
            async with connect(
                service, "CP-H1", extra_headers=[("Authorization", f"Basic {auth}")]
            ) as cp:
                await cp.call("BootNotification", BOOT)
                await cp.call(
                    "StatusNotification",
                    {"connectorId": 1, "errorCode": "NoError", "status": "Available"},
                )
                online = (
                    await client.get("/v1/charging_stations", params={"status": "online"})
                ).json()["data"]
                assert [s["charge_point_id"] for s in online] == ["CP-H1"]
                (station,) = (
                    await client.get("/v1/charging_stations", params={"charge_point_id": "CP-H1"})
                ).json()["data"]
                assert station["online"] and station["last_seen"] is not None
                assert station["connectors"] == [
                    {
                        "connector_id": 1, "status": "Available", "error_code": "NoError",
                        "info": None,
                        "vendor_id": None, "vendor_error_code": None, "timestamp": None,
                        "updated": station["connectors"][0]["updated"],
                    }
                ]  # fmt: skip

        def both_offline() -> bool:  # the disconnect is recorded just after the socket closes
            with store_of(service).read() as reader:
                stations = [reader.station_by_charge_point_id(c) for c in ("CP-H1", "CP-H2")]
            return all(s is not None and not s.online for s in stations)

        await wait_until(both_offline)
        offline = (
            await client.get("/v1/charging_stations", params={"status": "offline", "limit": 1})
        ).json()
        assert len(offline["data"]) == 1 and offline["next_page_url"] is not None
        second = (await client.get(offline["next_page_url"])).json()
        assert {offline["data"][0]["charge_point_id"], second["data"][0]["charge_point_id"]} == {
            "CP-H1",
            "CP-H2",
        }
        assert second["next_page_url"] is None and second["previous_page_url"] is not None


async def test_id_tags_account_and_keys(service: Service) -> None:
    _, key = new_account(service, "reg")
    async with http(service, key) as client:
        r = await client.post(
            "/v1/id_tags",
            json={"id_tag": "RF-1", "driver": "drv_1", "expiry_date": "2030-01-01T00:00:00+01:00"},
        )
        assert r.status_code == 201
        assert r.json()["expiry_date"] == "2029-12-31T23:00:00.000Z"
        r = await client.patch("/v1/id_tags/rf-1", json={"status": "Blocked", "driver": None})
        assert (r.json()["status"], r.json()["driver"], r.json()["expiry_date"]) == (
            "Blocked",
            None,
            "2029-12-31T23:00:00.000Z",
        )
        for n in range(3):
            await client.post("/v1/id_tags", json={"id_tag": f"RF-{n + 2}"})
        page = (await client.get("/v1/id_tags", params={"limit": 3})).json()
        rest = (await client.get(page["next_page_url"])).json()
        assert [t["id_tag"] for t in page["data"] + rest["data"]] == [
            "RF-1",
            "RF-2",
            "RF-3",
            "RF-4",
        ]
        back = (await client.get(rest["previous_page_url"])).json()
        assert back["data"] == page["data"]
        account = (
            await client.patch(
                "/v1/account",
                json={
                    "id_tag_policy": "open",
                    "tariff": {"price_per_kwh": 30, "currency": "EUR", "country": "de"},
                },
            )
        ).json()
        assert account["id_tag_policy"] == "open"
        assert account["tariff"] == {"price_per_kwh": 30, "currency": "eur", "country": "DE"}
        created = (await client.post("/v1/api_keys")).json()
        assert created["secret"].startswith(created["api_key"]["prefix"])
        listed = (await client.get("/v1/api_keys")).json()["data"]
        assert len(listed) == 2 and all("secret" not in k for k in listed)


async def test_health_metrics_and_openapi(service: Service) -> None:
    async with http(service) as client:
        with trio.fail_after(5):
            async with connect(service, "CP-M") as cp:
                await cp.call("Heartbeat", {})
                await cp.send_raw('[2, "x", "Teleport", {}]')
                await cp.receive()
                health = (await client.get("/healthz")).json()
                assert health == {
                    "status": "ok",
                    "store": True,
                    "writer": True,
                    "connected_chargers": 1,
                }
                metrics = (await client.get("/metrics")).text
        assert "ocppcore_connected_chargers 1.0" in metrics
        assert 'ocppcore_ocpp_messages_total{action="Heartbeat",result="ok"} 1.0' in metrics
        assert 'ocppcore_ocpp_messages_total{action="?",result="NotImplemented"} 1.0' in metrics
        assert (
            "ocppcore_commit_batch_events_bucket" in metrics
            and "ocppcore_commit_seconds_count" in metrics
        )
        await client.get("/v1/charging_sessions")
        metrics = (await client.get("/metrics")).text
        assert (
            "ocppcore_http_requests_total"
            '{method="GET",route="/v1/charging_sessions",status="401"} 1.0' in metrics
        )
        doc = (await client.get("/openapi.json")).json()
    assert doc["openapi"] == "3.1.0"
    listing = doc["paths"]["/v1/charging_sessions"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {
        "driver",
        "fleet",
        "vehicle",
        "charging_station",
        "status",
        "created",
        "created[gt]",
        "limit",
        "page",
    } <= names
    session_schema = doc["components"]["schemas"]["ChargingSession"]
    assert list(session_schema["properties"])[:3] == ["id", "object", "amount_due"]
    assert doc["paths"]["/v1/id_tags"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/IdTagCreate"}
    for path, operations in doc["paths"].items():
        for operation in operations.values():
            for response in operation["responses"].values():
                for content in response.get("content", {}).values():
                    ref = content["schema"]["$ref"].rsplit("/", 1)[1]
                    assert ref in doc["components"]["schemas"], path
