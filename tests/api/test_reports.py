"""Asynchronous CSV reports and events over real HTTP, with sessions from OCPP and the push API."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from ocppcore.clock import now_ms, rfc3339
from ocppcore.service import Service
from store import events as ev
from tests.conftest import BOOT, connect, http, make_config, new_account, store_of

SEED_REQUEST = b"""{
  "parameters": {
    "period_end": "2026-05-02T00:17:49.442Z",
    "period_start": "2026-04-01T00:18:06.932Z",
    "type": "charging_summary"
  }
}"""


async def finished(client: httpx.AsyncClient, report_id: str) -> dict[str, Any]:
    state: dict[str, Any] = {}

    async def poll() -> bool:
        state.update((await client.get(f"/v1/reports/{report_id}")).json())
        return bool(state["status"] != "pending")

    with trio.fail_after(10):
        while not await poll():
            await trio.sleep(0.02)
    return state


async def test_seed_request_pending_then_succeeded_with_an_event(service: Service) -> None:
    _, key = new_account(service, "seed")
    async with http(service, key) as client:
        r = await client.post(
            "/v1/reports", content=SEED_REQUEST, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 201
        pending = r.json()
        assert list(pending) == [
            "id",
            "object",
            "account",
            "created",
            "fleet",
            "parameters",
            "size",
            "status",
            "succeeded_at",
            "type",
            "url",
            "failure_reason",
        ]
        assert (
            pending["id"].startswith("rpt_")
            and pending["status"] == "pending"
            and pending["url"] is None
        )
        assert pending["parameters"] == {
            "filters": {}, "group_by": "vehicle", "period_end": "2026-05-02T00:17:49.442Z",
            "period_start": "2026-04-01T00:18:06.932Z", "type": "charging_summary",
        }  # fmt: skip
        assert (pending["size"], pending["succeeded_at"], pending["type"]) == (0, None, "csv")
        done = await finished(client, pending["id"])
        assert done["status"] == "succeeded" and done["url"] == f"/v1/reports/{pending['id']}/file"
        file = await client.get(done["url"])
        assert file.status_code == 200 and file.headers["content-type"].startswith("text/csv")
        assert len(file.content) == done["size"]
        assert (
            file.text.splitlines()[0]
            == "vehicle,currency,sessions,energy_kwh,amount_due,first_session,last_session"
        )
        events = (await client.get("/v1/events", params={"type": "report.succeeded"})).json()
        (event,) = events["data"]
        assert (
            event["type"] == "report.succeeded" and event["data"]["object"]["id"] == pending["id"]
        )
        assert (await client.get(f"/v1/events/{event['id']}")).json() == event
        assert (await client.get("/v1/events", params={"type": "report.failed"})).json()[
            "data"
        ] == []


async def make_sessions(service: Service, key: str, account: str) -> None:
    """Two OCPP sessions and three pushed ones, with drivers, vehicles and fleets."""
    store = store_of(service)
    store.commit([
        ev.IdTagSet(at=now_ms(), account=account, id_tag="TAG-A", driver="drv_a", vehicle="veh_a", fleet="flt_1"),
        ev.IdTagSet(at=now_ms(), account=account, id_tag="TAG-B", driver="drv_b", vehicle="veh_b", fleet="flt_2"),
    ])  # fmt: skip
    async with http(service, key) as client:
        await client.patch(
            "/v1/account",
            json={"tariff": {"price_per_kwh": 30, "currency": "eur", "country": "FR"}},
        )
        token = (
            await client.post(
                "/v1/charging_stations", json={"charge_point_id": f"CP-{account[-6:]}"}
            )
        ).json()["connection_token"]
        async with connect(service, path=f"/cp/{token}") as cp:
            await cp.call("BootNotification", BOOT)
            for n, tag in enumerate(["TAG-A", "TAG-B"]):
                start = {
                    "connectorId": 1,
                    "idTag": tag,
                    "meterStart": 0,
                    "timestamp": "2026-04-01T10:00:00Z",
                }
                tx = (await cp.call("StartTransaction", start))["transactionId"]
                await cp.call(
                    "StopTransaction",
                    {
                        "transactionId": tx,
                        "meterStop": 10_000 + n * 2_345,
                        "timestamp": "2026-04-01T11:00:00Z",
                    },
                )
        pushed = [
            {
                "carConnected": f"2026-04-0{d}T18:00:00+02:00",
                "carDisconnected": f"2026-04-0{d}T23:00:00+02:00",
                "kiloWattHours": 10 + d / 10,
            }
            for d in range(1, 4)
        ]
        assert (await client.post("/api/gateway/sessions", json={"sessions": pushed})).json()[
            "accepted"
        ] == 3


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def report(
    client: httpx.AsyncClient, parameters: dict[str, Any], **extra: Any
) -> list[dict[str, str]]:
    r = await client.post("/v1/reports", json={"parameters": parameters, **extra})
    assert r.status_code == 201, r.text
    done = await finished(client, r.json()["id"])
    assert done["status"] == "succeeded", done
    return rows((await client.get(done["url"])).text)


async def listed(client: httpx.AsyncClient, params: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    url: str | None = None
    page = (await client.get("/v1/charging_sessions", params={**params, "limit": 100})).json()
    while True:
        out += page["data"]
        url = page["next_page_url"]
        if url is None:
            return out
        page = (await client.get(url)).json()


@pytest.mark.parametrize("group_by", ["vehicle", "driver", "fleet", "charging_station", "day"])
async def test_summary_sums_equal_the_listing(service: Service, group_by: str) -> None:
    account, key = new_account(service, f"sum-{group_by.replace('_', '-')}")
    before = rfc3339(now_ms() - 1)
    await make_sessions(service, key, account)
    after = rfc3339(now_ms() + 1)
    async with http(service, key) as client:
        summary = await report(
            client,
            {
                "type": "charging_summary",
                "period_start": before,
                "period_end": after,
                "group_by": group_by,
            },
        )
        sessions = await listed(client, {"created[gte]": before, "created[lt]": after})
    assert len(sessions) == 5
    assert sum(int(r["sessions"]) for r in summary) == 5
    assert sum(round(float(r["energy_kwh"]) * 1000) for r in summary) == sum(
        s["energy_consumed"] for s in sessions
    )
    assert sum(int(r["amount_due"]) for r in summary) == sum(s["amount_due"] for s in sessions)
    key_of = {"day": lambda s: s["created"][:10]}.get(group_by, lambda s: s[group_by] or "")
    assert sorted(r[group_by] for r in summary) == sorted({key_of(s) for s in sessions})


async def test_sessions_report_and_filters(service: Service) -> None:
    account, key = new_account(service, "rows")
    before = rfc3339(now_ms() - 1)
    await make_sessions(service, key, account)
    after = rfc3339(now_ms() + 1)
    period = {"period_start": before, "period_end": after}
    async with http(service, key) as client:
        all_rows = await report(client, {"type": "charging_sessions", **period})
        sessions = await listed(client, {"created[gte]": before, "created[lt]": after})
        assert [r["id"] for r in all_rows] == [s["id"] for s in sessions]
        assert list(all_rows[0]) == list(sessions[0])  # every field of the session object
        one = await report(
            client,
            {"type": "charging_sessions", **period, "filters": {"driver": ["drv_b", "drv_x"]}},
        )
        assert [r["driver"] for r in one] == ["drv_b"]
        fleet = await report(
            client, {"type": "charging_summary", **period, "group_by": "driver"}, fleet="flt_1"
        )
        assert [(r["driver"], r["sessions"]) for r in fleet] == [("drv_a", "1")]
        station = sessions[-1]["charging_station"] or next(
            s["charging_station"] for s in sessions if s["charging_station"]
        )
        by_station = await report(
            client,
            {"type": "charging_sessions", **period, "filters": {"charging_station": [station]}},
        )
        assert len(by_station) == 2
        empty = await report(
            client,
            {
                "type": "charging_sessions",
                "period_start": "2020-01-01T00:00:00Z",
                "period_end": "2020-01-02T00:00:00Z",
            },
        )
        assert empty == []


BAD = [
    ({"parameters": {"type": "sales", "period_start": "2026-04-01T00:00:00Z", "period_end": "2026-05-01T00:00:00Z"}}, "parameters.type"),
    ({"parameters": {"type": "charging_summary", "group_by": "colour", "period_start": "2026-04-01T00:00:00Z", "period_end": "2026-05-01T00:00:00Z"}}, "parameters.group_by"),
    ({"parameters": {"type": "charging_summary", "period_start": "2026-05-01T00:00:00Z", "period_end": "2026-04-01T00:00:00Z"}}, "parameters.period_end"),
    ({"parameters": {"type": "charging_summary", "period_start": "April", "period_end": "2026-05-01T00:00:00Z"}}, "parameters.period_start"),
    ({"parameters": {"type": "charging_summary", "period_start": "2026-04-01T00:00:00Z", "period_end": "2026-05-01T00:00:00Z", "filters": {"colour": ["red"]}}}, "parameters.filters.colour"),
    ({"parameters": {"type": "charging_summary", "period_start": "2026-04-01T00:00:00Z", "period_end": "2026-05-01T00:00:00Z", "filters": {"charging_station": ["chst_nope"]}}}, "parameters.filters.charging_station"),
    ({"parameters": {"type": "charging_sessions", "group_by": "day", "period_start": "2026-04-01T00:00:00Z", "period_end": "2026-05-01T00:00:00Z"}}, "parameters.group_by"),
    ({"parameters": {"type": "charging_summary", "period_start": "2026-04-01T00:00:00Z"}}, "parameters.period_end"),
    ({"fleet": "flt_1"}, "parameters"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "param"), BAD)
async def test_bad_report_requests_queue_nothing(
    service: Service, body: dict[str, Any], param: str
) -> None:
    _, key = new_account(service, "bad")
    before = store_of(service).last_seq()
    async with http(service, key) as client:
        r = await client.post("/v1/reports", json=body)
    assert r.status_code == 400 and r.json()["error"]["param"] == param, r.text
    assert store_of(service).last_seq() == before


async def test_isolation_and_file_before_success(service: Service) -> None:
    account_a, key_a = new_account(service, "ra")
    _, key_b = new_account(service, "rb")
    # Written straight to the store, so no worker is woken: it stays pending for now.
    store_of(service).commit(
        [
            ev.ReportRequested(
                at=now_ms(),
                account=account_a,
                report="rpt_waiting",
                type="charging_sessions",
                period_start=0,
                period_end=1,
            )
        ]
    )
    async with http(service, key_a) as a, http(service, key_b) as b:
        r = await a.get("/v1/reports/rpt_waiting/file")
        assert (r.status_code, r.json()["error"]["code"]) == (409, "REPORT_NOT_READY")
        created = (
            await a.post(
                "/v1/reports", content=SEED_REQUEST, headers={"Content-Type": "application/json"}
            )
        ).json()
        await finished(a, created["id"])
        for path in (
            f"/v1/reports/{created['id']}",
            f"/v1/reports/{created['id']}/file",
            "/v1/reports/rpt_waiting",
        ):
            r = await b.get(path)
            assert (r.status_code, r.json()["error"]["code"]) == (404, "NOT_FOUND"), path
        assert (await b.get("/v1/reports")).json()["data"] == []
        assert (await b.get("/v1/events")).json()["data"] == []
        assert len((await a.get("/v1/reports")).json()["data"]) == 2
        assert (await a.get("/v1/reports/rpt_waiting")).json()[
            "status"
        ] == "succeeded"  # woken meanwhile


async def test_pending_reports_resume_after_a_restart(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    async with trio.open_nursery() as nursery:
        first: Service = await nursery.start(Service(config, out=io.StringIO()).run)
        account, key = new_account(first, "resume")
        first.stop()
    # As if the server had died between accepting the report and generating it.
    from store.log import Store

    store = Store(Path(config.data), map_size=config.map_size)
    store.commit(
        [
            ev.ReportRequested(
                at=now_ms(),
                account=account,
                report="rpt_resumed",
                type="charging_summary",
                period_start=0,
                period_end=now_ms(),
                group_by="day",
            )
        ]
    )
    store.close()
    async with trio.open_nursery() as nursery:
        second: Service = await nursery.start(Service(config, out=io.StringIO()).run)
        async with http(second, key) as client:
            done = await finished(client, "rpt_resumed")
            assert done["status"] == "succeeded"
            assert (await client.get(done["url"])).text.startswith("day,currency,sessions")
        second.stop()
