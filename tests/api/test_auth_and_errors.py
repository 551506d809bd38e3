"""Authentication, account isolation and the one error shape, over real HTTP."""

from __future__ import annotations

import pytest
import trio

from api import app, routes
from ocppcore.service import Service
from tests.conftest import BOOT, ServiceFactory, connect, http, new_account, store_of

assert app.create_app  # importing api.app declares every endpoint
PROTECTED = [e for e in routes.ENDPOINTS if e.auth]


def concrete(path: str) -> str:
    return path.replace("{id}", "x_1").replace("{id_tag}", "T1")


@pytest.fixture
async def svc(start_service: ServiceFactory) -> Service:
    return await start_service(allow_unknown_chargers=True)


async def test_every_protected_endpoint_requires_a_valid_key(svc: Service) -> None:
    assert len(PROTECTED) >= 12
    _, key = new_account(svc, "acme")
    async with (
        http(svc) as anonymous,
        http(svc, "sk_live_notakey") as wrong,
        http(svc, key) as good,
    ):
        for e in PROTECTED:
            r = await anonymous.request(e.method, concrete(e.path))
            assert r.status_code == 401, e.path
            assert r.json() == {
                "error": {
                    "code": "AUTH_HEADER_MISSING",
                    "message": "Authorization header is not present",
                    "param": None,
                }
            }
            r = await wrong.request(e.method, concrete(e.path))
            assert r.status_code == 401 and r.json()["error"]["code"] == "INVALID_API_KEY", e.path
        r = await good.get("/v1/charging_sessions", headers={"Authorization": f"Basic {key}"})
        assert r.json()["error"]["code"] == "INVALID_API_KEY"
        revoked = (await good.post("/v1/api_keys")).json()
        async with http(svc, revoked["secret"]) as soon_revoked:
            assert (await soon_revoked.get("/v1/account")).status_code == 200
            assert (await good.delete(f"/v1/api_keys/{revoked['api_key']['id']}")).json()["revoked"]
            r = await soon_revoked.get("/v1/account")
            assert r.status_code == 401 and r.json()["error"]["code"] == "INVALID_API_KEY"


async def test_a_key_reaches_only_its_own_account(svc: Service) -> None:
    _, key_a = new_account(svc, "a", id_tag_policy="open")
    _, key_b = new_account(svc, "b")
    async with http(svc, key_a) as a, http(svc, key_b) as b:
        created = (await a.post("/v1/charging_stations", json={"charge_point_id": "CP-A"})).json()
        station_id = created["charging_station"]["id"]
        tag = (await a.post("/v1/id_tags", json={"id_tag": "TAG-A", "driver": "drv_a"})).json()
        async with connect(svc, path=f"/cp/{created['connection_token']}") as cp:
            await cp.call("BootNotification", BOOT)
            start = {
                "connectorId": 1,
                "idTag": "TAG-A",
                "meterStart": 0,
                "timestamp": "2026-04-01T10:00:00Z",
            }
            await cp.call("StartTransaction", start)
        (session,) = (await a.get("/v1/charging_sessions")).json()["data"]
        key_a_id = (await a.get("/v1/api_keys")).json()["data"][0]["id"]
        for path in (
            f"/v1/charging_sessions/{session['id']}",
            f"/v1/charging_stations/{station_id}",
            f"/v1/id_tags/{tag['id_tag']}",
        ):
            assert (await a.get(path)).status_code == 200, path
            r = await b.get(path)
            assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND", path
        assert (await b.delete(f"/v1/api_keys/{key_a_id}")).status_code == 404
        assert (await b.patch("/v1/id_tags/TAG-A", json={"status": "Blocked"})).status_code == 404
        for listing in ("/v1/charging_sessions", "/v1/charging_stations", "/v1/id_tags"):
            assert (await b.get(listing)).json()["data"] == [], listing
        assert (await b.get("/v1/charging_sessions", params={"driver": "drv_a"})).json()[
            "data"
        ] == []
        assert (await b.get("/v1/charging_stations", params={"charge_point_id": "CP-A"})).json()[
            "data"
        ] == []
        assert (await b.get("/v1/account")).json()["name"] == "b"


BAD_QUERIES = [
    ({"limit": "0"}, "limit"),
    ({"limit": "101"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"status": "paused"}, "status"),
    ({"created": "yesterday"}, "created"),
    ({"created[gte]": "2026-01-01"}, "created[gte]"),
    ({"created[lt]": "2026-01-01T00:00:00"}, "created[lt]"),
    ({"created": "2026-01-01T00:00:00Z", "created[gt]": "2026-01-01T00:00:00Z"}, "created"),
    ({"colour": "red"}, "colour"),
    ({"page": "nonsense"}, "page"),
    ({"page": "page_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, "page"),
    ({"driver": ""}, "driver"),
]


@pytest.mark.parametrize(("params", "param"), BAD_QUERIES)
async def test_bad_query_parameters_are_400_naming_the_parameter(
    svc: Service, params: dict[str, str], param: str
) -> None:
    _, key = new_account(svc, "q")
    async with http(svc, key) as client:
        r = await client.get("/v1/charging_sessions", params=params)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param
    assert r.json()["error"]["code"] in ("INVALID_PARAMETER", "UNKNOWN_PARAMETER")


async def test_repeated_parameter_and_foreign_page_token(svc: Service) -> None:
    _, key = new_account(svc, "r")
    async with http(svc, key) as client:
        r = await client.get("/v1/charging_sessions?limit=5&limit=6")
        assert r.status_code == 400 and r.json()["error"]["param"] == "limit"
        for n in range(3):
            await client.post("/v1/id_tags", json={"id_tag": f"T{n}"})
        page = (await client.get("/v1/id_tags", params={"limit": 1})).json()
        token = page["next_page_url"].split("page=")[1].split("&")[0]
        r = await client.get("/v1/id_tags", params={"limit": 2, "page": token})
        assert r.status_code == 400 and r.json()["error"]["param"] == "page"
        tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
        r = await client.get("/v1/id_tags", params={"limit": 1, "page": tampered})
        assert r.status_code == 400 and r.json()["error"]["param"] == "page"


async def test_bad_bodies_methods_and_paths(svc: Service) -> None:
    _, key = new_account(svc, "s")
    before = store_of(svc).last_seq()
    async with http(svc, key) as client:
        r = await client.post(
            "/v1/id_tags", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert (r.status_code, r.json()["error"]["code"]) == (400, "INVALID_JSON")
        r = await client.post(
            "/v1/id_tags", content=b'{"id_tag": "A"}', headers={"Content-Type": "text/plain"}
        )
        assert (r.status_code, r.json()["error"]["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")
        r = await client.post("/v1/id_tags", json={"id_tag": "A", "colour": "red"})
        assert (r.status_code, r.json()["error"]["param"]) == (400, "colour")
        r = await client.post("/v1/id_tags", json={"id_tag": 5})
        assert (r.status_code, r.json()["error"]["param"]) == (400, "id_tag")
        r = await client.post("/v1/id_tags", json={"id_tag": "A" * 21})
        assert (r.status_code, r.json()["error"]["param"]) == (400, "id_tag")
        r = await client.post("/v1/id_tags", json={})
        assert (r.status_code, r.json()["error"]["param"]) == (400, "id_tag")
        r = await client.post("/v1/id_tags", json={"id_tag": "A", "expiry_date": "soon"})
        assert (r.status_code, r.json()["error"]["param"]) == (400, "expiry_date")
        r = await client.patch(
            "/v1/account",
            json={"tariff": {"price_per_kwh": -5, "currency": "eur", "country": "FR"}},
        )
        assert (r.status_code, r.json()["error"]["param"]) == (400, "tariff.price_per_kwh")
        r = await client.post("/v1/charging_stations", json={"charge_point_id": "CP/1"})
        assert (r.status_code, r.json()["error"]["param"]) == (400, "charge_point_id")
        r = await client.post(
            "/v1/charging_stations", json={"charge_point_id": "CP-9", "password": "short"}
        )
        assert (r.status_code, r.json()["error"]["param"]) == (400, "password")
        r = await client.delete("/v1/charging_sessions")
        assert (r.status_code, r.json()["error"]["code"]) == (405, "METHOD_NOT_ALLOWED")
        r = await client.get("/v1/nothing_here")
        assert (r.status_code, r.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert store_of(svc).last_seq() == before  # nothing changed


async def test_oversized_body_is_refused_before_it_is_read(svc: Service) -> None:
    _, key = new_account(svc, "big")
    stream = await trio.open_tcp_stream("127.0.0.1", svc.http_port)
    head = (
        "POST /v1/id_tags HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {key}\r\nContent-Length: {2 * 1024 * 1024}\r\n\r\n"
    )
    await stream.send_all(head.encode())
    response = b""
    with trio.fail_after(5):
        while b"\r\n\r\n" not in response:
            response += await stream.receive_some()
    await stream.aclose()
    assert response.startswith(b"HTTP/1.1 413")


async def test_duplicates_conflict(svc: Service) -> None:
    _, key = new_account(svc, "t")
    async with http(svc, key) as client:
        assert (await client.post("/v1/id_tags", json={"id_tag": "DUP"})).status_code == 201
        r = await client.post("/v1/id_tags", json={"id_tag": "dup"})
        assert (r.status_code, r.json()["error"]["code"]) == (409, "CONFLICT")
        assert (
            await client.post("/v1/charging_stations", json={"charge_point_id": "CP-D"})
        ).status_code == 201
        r = await client.post("/v1/charging_stations", json={"charge_point_id": "CP-D"})
        assert (r.status_code, r.json()["error"]["param"]) == (409, "charge_point_id")
