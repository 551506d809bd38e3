"""The push APIs over real HTTP: ChargeReport's sessions gateway and Charge HQ's solar push.

Clocks are injected (`Clock`), never slept on."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import trio

from ocppcore.service import Service
from tests.conftest import ServiceFactory, http, make_config, new_account, store_of

# The seed's example, verbatim: it unplugs twelve hours before it plugs in.
SEED_BODY = b"""{
"sessions": [
{
"carConnected": "2026-04-14T18:30:00+02:00",
"carDisconnected": "2026-04-14T06:45:00+02:00",
"kiloWattHours": 32.5
}
]
}"""
GOOD = {
    "carConnected": "2026-04-14T18:30:00+02:00",
    "carDisconnected": "2026-04-15T06:45:00+02:00",
    "kiloWattHours": 32.5,
}
T0 = 1_781_000_000_000  # a fixed "now" for the injected clock, mid-2026


class Clock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


@pytest.fixture
async def clock() -> Clock:
    return Clock(T0 - T0 % 3_600_000 + 60_000)  # one minute into an hour


@pytest.fixture
async def svc(start_service: ServiceFactory, clock: Clock) -> Service:
    return await start_service(clock=clock)


def post_json(body: Any) -> dict[str, Any]:
    return {"json": body}


async def test_seed_example_is_rejected_with_a_reason(svc: Service) -> None:
    _, key = new_account(svc, "cr")
    async with http(svc, key) as client:
        r = await client.post(
            "/api/gateway/sessions", content=SEED_BODY, headers={"Content-Type": "application/json"}
        )
    assert r.status_code == 200
    body = r.json()
    assert (body["accepted"], body["duplicates"]) == (0, 0)
    (rejection,) = body["rejected"]
    assert rejection["index"] == 0 and rejection["code"] == "DISCONNECTED_BEFORE_CONNECTED"
    assert "2026-04-14T06:45:00+02:00" in rejection["message"]


async def test_accepted_sessions_are_listed_with_ocpp_ones(svc: Service) -> None:
    _, key = new_account(svc, "list")
    async with http(svc, key) as client:
        await client.patch(
            "/v1/account",
            json={"tariff": {"price_per_kwh": 20, "currency": "eur", "country": "FR"}},
        )
        r = await client.post(
            "/api/gateway/sessions", json={"sessions": [GOOD, dict(GOOD, kiloWattHours=7.25)]}
        )
        assert r.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
        assert (
            r.headers["X-RateLimit-Limit"] == "100" and r.headers["X-RateLimit-Remaining"] == "99"
        )
        sessions = (
            await client.get("/v1/charging_sessions", params={"status": "completed"})
        ).json()["data"]
    energies = sorted(s["energy_consumed"] for s in sessions)
    assert energies == [7300, 32500]  # 7.25 kWh rounds half up to 7.3
    pushed = next(s for s in sessions if s["energy_consumed"] == 32500)
    assert pushed["session_started"] == "2026-04-14T16:30:00.000Z"
    assert pushed["session_ended"] == "2026-04-15T04:45:00.000Z"
    assert (pushed["charging_station"], pushed["connector"], pushed["amount_due"]) == (
        None,
        None,
        650,
    )


async def test_duplicates_within_across_requests_and_offsets(svc: Service) -> None:
    _, key = new_account(svc, "dup")
    same_moment = {
        "carConnected": "2026-04-14T16:30:00Z",
        "carDisconnected": "2026-04-15T05:45:00+01:00",
        "kiloWattHours": 32.5,
    }
    async with http(svc, key) as client:
        r = await client.post("/api/gateway/sessions", json={"sessions": [GOOD, GOOD, same_moment]})
        assert r.json() == {"accepted": 1, "duplicates": 2, "rejected": []}
        r = await client.post(
            "/api/gateway/sessions",
            json={"sessions": [same_moment, dict(GOOD, kiloWattHours=32.4)]},
        )
        assert r.json() == {"accepted": 1, "duplicates": 1, "rejected": []}
        assert len((await client.get("/v1/charging_sessions")).json()["data"]) == 2
    _, other = new_account(svc, "dup2")  # another account's identical session is not a duplicate
    async with http(svc, other) as client:
        assert (await client.post("/api/gateway/sessions", json={"sessions": [GOOD]})).json()[
            "accepted"
        ] == 1


async def test_duplicates_across_a_restart(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    async with trio.open_nursery() as nursery:
        first: Service = await nursery.start(Service(config, out=io.StringIO()).run)
        _, key = new_account(first, "restart")
        async with http(first, key) as client:
            assert (await client.post("/api/gateway/sessions", json={"sessions": [GOOD]})).json()[
                "accepted"
            ] == 1
        first.stop()
    async with trio.open_nursery() as nursery:
        second: Service = await nursery.start(Service(config, out=io.StringIO()).run)
        async with http(second, key) as client:
            r = await client.post("/api/gateway/sessions", json={"sessions": [GOOD]})
            assert r.json() == {"accepted": 0, "duplicates": 1, "rejected": []}
        second.stop()


ELEMENT_ERRORS = [
    ("not an object", "text", "INVALID_SESSION"),
    ("missing field", {"carConnected": "2026-04-14T18:30:00+02:00", "kiloWattHours": 1}, "INVALID_SESSION"),
    ("wrong type", dict(GOOD, kiloWattHours="32.5"), "INVALID_SESSION"),
    ("unknown field", dict(GOOD, apiKey="x"), "INVALID_SESSION"),
    ("no offset", dict(GOOD, carConnected="2026-04-14T18:30:00"), "INVALID_TIMESTAMP"),
    ("not a timestamp", dict(GOOD, carDisconnected="tomorrow"), "INVALID_TIMESTAMP"),
    ("future", dict(GOOD, carConnected="2099-01-01T00:00:00Z", carDisconnected="2099-01-02T00:00:00Z"), "INVALID_TIMESTAMP"),
    ("equal instants", dict(GOOD, carDisconnected=GOOD["carConnected"]), "DISCONNECTED_BEFORE_CONNECTED"),
    ("negative energy", dict(GOOD, kiloWattHours=-1), "NEGATIVE_ENERGY"),
    ("absurd energy", dict(GOOD, kiloWattHours=99999), "IMPLAUSIBLE_ENERGY"),
    ("too much for the time", {"carConnected": "2026-04-14T18:30:00Z", "carDisconnected": "2026-04-14T18:40:00Z", "kiloWattHours": 80}, "IMPLAUSIBLE_ENERGY"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("element", "code"), [e[1:] for e in ELEMENT_ERRORS], ids=[e[0] for e in ELEMENT_ERRORS]
)
async def test_invalid_elements_are_rejected_and_the_valid_ones_stored(
    svc: Service, element: Any, code: str
) -> None:
    _, key = new_account(svc, "bad")
    async with http(svc, key) as client:
        r = await client.post("/api/gateway/sessions", json={"sessions": [element, GOOD]})
        assert r.status_code == 200
        body = r.json()
        assert body["accepted"] == 1 and body["duplicates"] == 0
        assert [(x["index"], x["code"]) for x in body["rejected"]] == [(0, code)]
        assert len((await client.get("/v1/charging_sessions")).json()["data"]) == 1


REQUEST_ERRORS = [
    ("no sessions key", {"session": [GOOD]}, 400, "SESSIONS_ARRAY_REQUIRED"),
    ("sessions not an array", {"sessions": GOOD}, 400, "SESSIONS_ARRAY_REQUIRED"),
    ("empty", {"sessions": []}, 400, "SESSIONS_ARRAY_REQUIRED"),
    ("body not an object", [GOOD], 400, "SESSIONS_ARRAY_REQUIRED"),
    ("too many", {"sessions": [GOOD] * 101}, 400, "MAX_SESSIONS_EXCEEDED"),
    ("extra key", {"sessions": [GOOD], "apiKey": "k"}, 400, "UNKNOWN_PARAMETER"),
]


@pytest.mark.parametrize(
    ("body", "status", "code"), [e[1:] for e in REQUEST_ERRORS], ids=[e[0] for e in REQUEST_ERRORS]
)
async def test_request_errors_store_nothing(
    svc: Service, body: Any, status: int, code: str
) -> None:
    _, key = new_account(svc, "req")
    before = store_of(svc).last_seq()
    async with http(svc, key) as client:
        r = await client.post("/api/gateway/sessions", json=body)
    assert (r.status_code, r.json()["error"]["code"]) == (status, code)
    assert store_of(svc).last_seq() == before


async def test_gateway_auth_and_body_errors(svc: Service) -> None:
    _, key = new_account(svc, "auth")
    async with (
        http(svc) as anonymous,
        http(svc, "cr_live_abc123") as wrong,
        http(svc, key) as client,
    ):
        r = await anonymous.post("/api/gateway/sessions", json={"sessions": [GOOD]})
        assert (r.status_code, r.json()["error"]["code"]) == (401, "AUTH_HEADER_MISSING")
        r = await wrong.post("/api/gateway/sessions", json={"sessions": [GOOD]})
        assert (r.status_code, r.json()["error"]["code"]) == (401, "INVALID_API_KEY")
        r = await client.post(
            "/api/gateway/sessions", content=b"{oops", headers={"Content-Type": "application/json"}
        )
        assert (r.status_code, r.json()["error"]["code"]) == (400, "INVALID_JSON")
        r = await client.post(
            "/api/gateway/sessions",
            content=b'{"sessions": []}',
            headers={"Content-Type": "text/plain"},
        )
        assert (r.status_code, r.json()["error"]["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")


async def test_gateway_rate_limit_per_key_and_window(svc: Service, clock: Clock) -> None:
    _, key = new_account(svc, "rate")
    _, other_key = new_account(svc, "rate2")
    async with http(svc, key) as client, http(svc, other_key) as other:
        for n in range(100):
            r = await client.post(
                "/api/gateway/sessions", json={"sessions": []}
            )  # a 400 still counts
            assert r.headers["X-RateLimit-Remaining"] == str(99 - n)
        r = await client.post("/api/gateway/sessions", json={"sessions": [GOOD]})
        assert (r.status_code, r.json()["error"]["code"]) == (429, "RATE_LIMITED")
        assert r.headers["Retry-After"] == str(59 * 60)  # we are one minute into the hour
        assert r.headers["X-RateLimit-Remaining"] == "0"
        assert (
            await other.post("/api/gateway/sessions", json={"sessions": [GOOD]})
        ).status_code == 200
        clock.now += 59 * 60 * 1000
        r = await client.post("/api/gateway/sessions", json={"sessions": [GOOD]})
        assert r.status_code == 200 and r.json()["accepted"] == 1


async def test_rate_limit_is_a_setting(start_service: ServiceFactory) -> None:
    svc = await start_service(gateway_requests_per_hour=0)
    _, key = new_account(svc, "bench")
    async with http(svc, key) as client:
        for _ in range(105):
            r = await client.post("/api/gateway/sessions", json={"sessions": [GOOD]})
            assert r.status_code == 200 and "X-RateLimit-Remaining" not in r.headers


# --- solar --------------------------------------------------------------------------------


def solar(key: str, **meters: float) -> dict[str, Any]:
    return {"apiKey": key, "siteMeters": meters}


async def test_solar_push_power_balance(svc: Service, clock: Clock) -> None:
    _, key = new_account(svc, "sun")
    cases = [
        ({"production_kw": 5, "net_import_kw": -2, "consumption_kw": 3}, None),
        ({"production_kw": 5, "net_import_kw": -4, "consumption_kw": 2, "battery_discharge_kw": 1, "battery_soc": 0.5}, None),
        ({"production_kw": 5, "net_import_kw": -6, "consumption_kw": 2, "battery_discharge_kw": 3}, None),
        ({"production_kw": 0, "net_import_kw": -1.5, "consumption_kw": -1.5}, None),  # unmonitored inverter
        ({"production_kw": 5, "net_import_kw": 1, "consumption_kw": 3}, "power values are inconsistent"),
        ({"production_kw": 5, "net_import_kw": -2, "consumption_kw": 3, "battery_discharge_kw": 2}, "power values are inconsistent"),
        ({"production_kw": 4.0}, None),  # nothing to check against
    ]  # fmt: skip
    async with http(svc) as client, http(svc, key) as reader:
        for meters, error in cases:
            r = await client.post("/api/public/push-solar-data", json=solar(key, **meters))
            assert r.status_code == 200, r.text
            assert r.json()["error"] == error, meters
            assert r.json()["site_meters"] == {k: float(v) for k, v in meters.items()}
            status = (await reader.get("/v1/solar_status")).json()
            assert status["error"] == error
            clock.now += 30_000
        r = await client.post(
            "/api/public/push-solar-data",
            json={"apiKey": key, "tsms": T0, "error": "inverter offline"},
        )
        assert (r.json()["error"], r.json()["measured"], r.json()["site_meters"]) == (
            "inverter offline",
            "2026-06-09T10:13:20.000Z",
            None,
        )
        listed = (await reader.get("/v1/solar_readings", params={"limit": 3})).json()
        assert [x["error"] for x in listed["data"]] == [
            "inverter offline",
            None,
            "power values are inconsistent",
        ]
        seen, url = len(listed["data"]), listed["next_page_url"]
        while url:
            page = (await reader.get(url)).json()
            seen, url = seen + len(page["data"]), page["next_page_url"]
        assert seen == len(cases) + 1


async def test_solar_pushes_closer_than_30_seconds(svc: Service, clock: Clock) -> None:
    _, key = new_account(svc, "fast")
    _, other = new_account(svc, "fast2")
    async with http(svc) as client:
        assert (
            await client.post("/api/public/push-solar-data", json=solar(key, production_kw=1))
        ).status_code == 200
        clock.now += 10_000
        r = await client.post("/api/public/push-solar-data", json=solar(key, production_kw=1))
        assert (r.status_code, r.json()["error"]["code"], r.headers["Retry-After"]) == (
            429,
            "RATE_LIMITED",
            "20",
        )
        assert (
            await client.post("/api/public/push-solar-data", json=solar(other, production_kw=1))
        ).status_code == 200
        clock.now += 20_000
        assert (
            await client.post("/api/public/push-solar-data", json=solar(key, production_kw=1))
        ).status_code == 200


SOLAR_ERRORS = [
    ({"siteMeters": {"production_kw": 1}}, 401, "API_KEY_REQUIRED", "apiKey"),
    (
        {"apiKey": "abab01010-a6b1-4206-eeff-ba9b94ed5c0d", "siteMeters": {}},
        401,
        "INVALID_API_KEY",
        None,
    ),
    (
        {"apiKey": "K", "siteMeters": {"production_kw": "high"}},
        400,
        "INVALID_PARAMETER",
        "siteMeters.production_kw",
    ),
    (
        {"apiKey": "K", "siteMeters": {"battery_soc": 1.5}},
        400,
        "INVALID_PARAMETER",
        "siteMeters.battery_soc",
    ),
    (
        {"apiKey": "K", "siteMeters": {"solar_kw": 1}},
        400,
        "UNKNOWN_PARAMETER",
        "siteMeters.solar_kw",
    ),
    ({"apiKey": "K", "tsms": -5}, 400, "INVALID_PARAMETER", "tsms"),
    ({"apiKey": "K", "sessions": []}, 400, "UNKNOWN_PARAMETER", "sessions"),
]


@pytest.mark.parametrize(("body", "status", "code", "param"), SOLAR_ERRORS)
async def test_solar_push_errors(
    svc: Service, body: dict[str, Any], status: int, code: str, param: str | None
) -> None:
    _, key = new_account(svc, "solarerr")
    body = {k: (key if v == "K" else v) for k, v in body.items()}
    before = store_of(svc).last_seq()
    async with http(svc) as client:
        r = await client.post("/api/public/push-solar-data", json=body)
    assert (r.status_code, r.json()["error"]["code"], r.json()["error"]["param"]) == (
        status,
        code,
        param,
    )
    assert store_of(svc).last_seq() == before


async def test_solar_key_in_the_wrong_place(svc: Service) -> None:
    _, key = new_account(svc, "wrongplace")
    async with http(svc, key) as client:
        r = await client.post(
            "/api/public/push-solar-data", json={"siteMeters": {"production_kw": 1}}
        )
    assert r.status_code == 401 and "JSON body" in r.json()["error"]["message"]
