"""GET /v1/charging_sessions over real HTTP: the seed's shape, filters, and the walk properties
(every matching session exactly once forward, the same sequence backward, stable under ties and
under sessions created while a client pages)."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import httpx
import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ocppcore.clock import rfc3339
from ocppcore.service import Service
from store import events as ev
from tests.conftest import (
    BOOT,
    ServiceFactory,
    api_key_for,
    connect,
    http,
    make_config,
    new_account,
    register,
    store_of,
    wait_until,
)

SEED_KEYS = [
    "id", "object", "amount_due", "amount_paid", "charging_station", "connector", "country",
    "created",
    "currency", "driver", "energy_consumed", "fleet", "payment_method", "session_ended",
    "session_started", "status", "updated", "vehicle",
]  # fmt: skip


async def test_an_ocpp_session_in_the_seed_shape(start_service: ServiceFactory) -> None:
    svc = await start_service()
    register(svc, "CP-17")
    _, key = api_key_for(svc, "default")
    async with http(svc, key) as client:
        await client.patch(
            "/v1/account",
            json={"tariff": {"price_per_kwh": 25, "currency": "EUR", "country": "FR"}},
        )
        await client.post(
            "/v1/id_tags",
            json={"id_tag": "RFID-7", "driver": "drv_1", "vehicle": "veh_1", "fleet": "flt_1"},
        )
        async with connect(svc, "CP-17") as cp:
            await cp.call("BootNotification", BOOT)
            start = {
                "connectorId": 2,
                "idTag": "rfid-7",
                "meterStart": 100,
                "timestamp": "2026-04-01T01:24:13.285Z",
            }
            tx = (await cp.call("StartTransaction", start))["transactionId"]
            meter = {
                "connectorId": 2,
                "transactionId": tx,
                "meterValue": [
                    {
                        "timestamp": "2026-04-01T01:30:00Z",
                        "sampledValue": [{"value": "5.1", "unit": "kWh"}],
                    }
                ],
            }
            await cp.call("MeterValues", meter)
            listed = (
                await client.get("/v1/charging_sessions", params={"driver": "drv_1", "limit": 10})
            ).json()
            (active,) = listed["data"]
            assert list(active) == SEED_KEYS
            assert (
                active["object"] == "charging_session"
                and active["id"].startswith("cs_")
                and len(active["id"]) == 35
            )
            assert active["status"] == "active" and active["energy_consumed"] == 5000
            assert active["amount_due"] == 125 and active["amount_paid"] == 0
            assert (active["currency"], active["country"]) == ("eur", "FR")
            assert active["connector"] == "connector_2" and active["session_ended"] is None
            assert active["session_started"] == "2026-04-01T01:24:13.285Z"
            assert active["charging_station"].startswith("chst_")
            assert listed["next_page_url"] is None and listed["previous_page_url"] is None
            await cp.call(
                "StopTransaction",
                {"transactionId": tx, "meterStop": 12580, "timestamp": "2026-04-01T02:24:13Z"},
            )
        done = (await client.get(f"/v1/charging_sessions/{active['id']}")).json()
        assert (
            done["status"] == "completed"
            and done["energy_consumed"] == 12480
            and done["amount_due"] == 312
        )
        assert done["session_ended"] == "2026-04-01T02:24:13.000Z"
        for params, expected in (
            ({"status": "completed"}, 1),
            ({"status": "active"}, 0),
            ({"vehicle": "veh_1", "fleet": "flt_1"}, 1),
            ({"fleet": "flt_2"}, 0),
            ({"charging_station": active["charging_station"], "status": "completed"}, 1),
            ({"created[gte]": done["created"]}, 1),
            ({"created[gt]": done["created"]}, 0),
            ({"created": done["created"]}, 1),
        ):
            assert (
                len((await client.get("/v1/charging_sessions", params=params)).json()["data"])
                == expected
            ), params
        station_url = f"/v1/charging_stations/{active['charging_station']}"
        station = (await client.get(station_url)).json()
        assert station["charge_point_id"] == "CP-17" and station["boot"]["vendor"] == "Acme"

    # The server records the disconnection once it has seen the socket close.
    def offline() -> bool:
        with store_of(svc).read() as reader:
            record = reader.station_by_charge_point_id("CP-17")
        return record is not None and not record.online

    await wait_until(offline)
    async with http(svc, key) as client:
        assert (await client.get(station_url)).json()["online"] is False


# --- the walk properties ---------------------------------------------------------------------

DRIVERS = ["drv_a", "drv_b"]


def sessions_strategy() -> st.SearchStrategy[list[dict[str, Any]]]:
    one = st.fixed_dictionaries(
        {
            "created": st.integers(0, 6),  # few distinct milliseconds: many ties
            "driver": st.sampled_from([None, *DRIVERS]),
            "stopped": st.booleans(),
        }
    )
    return st.lists(one, max_size=30)


def seed_sessions(
    svc: Service, account: str, specs: list[dict[str, Any]]
) -> list[tuple[int, int, str, dict[str, Any]]]:
    store = store_of(svc)
    base = 1_780_000_000_000
    events: list[ev.Event] = []
    for n, spec in enumerate(specs):
        events.append(
            ev.TransactionStarted(
                at=base + spec["created"],
                station="chst_x",
                account=account,
                session=f"cs_{account[-8:]}{n:04d}",
                connector_id=1,
                id_tag=f"T{n}",
                meter_start=0,
                timestamp=base,
                id_tag_status="Accepted",
                driver=spec["driver"],
            )
        )
    receipts = store.commit(events)
    stops = [
        ev.TransactionStopped(
            at=base + 10,
            station="chst_x",
            transaction_id=r.transaction_id or 0,
            meter_stop=5,
            timestamp=base,
            digest=b"d",
        )
        for r, spec in zip(receipts, specs, strict=True)
        if spec["stopped"]
    ]
    store.commit(stops)
    return [
        (base + s["created"], r.seq, f"cs_{account[-8:]}{n:04d}", s)
        for n, (r, s) in enumerate(zip(receipts, specs, strict=True))
    ]


async def walk(
    client: httpx.AsyncClient, params: dict[str, Any], direction: str, start: str | None = None
) -> tuple[list[str], str | None]:
    """Follow `direction`_page_url to its end; returns the ids in display order and the last URL."""
    url: str | None = start
    response = (
        await client.get("/v1/charging_sessions", params=params)
        if url is None
        else await client.get(url)
    ).json()
    pages = [[s["id"] for s in response["data"]]]
    last = url
    while response[f"{direction}_page_url"] is not None:
        last = response[f"{direction}_page_url"]
        response = (await client.get(last)).json()
        assert response["data"], "a page URL never leads to an empty page"
        assert len(response["data"]) <= int(params["limit"])
        pages.append([s["id"] for s in response["data"]])
    if direction == "previous":
        pages.reverse()
    return [i for page in pages for i in page], last


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    specs=sessions_strategy(),
    limit=st.integers(1, 7),
    driver=st.sampled_from([None, *DRIVERS]),
    status=st.sampled_from([None, "active", "completed"]),
    window=st.sampled_from([None, ("created[gte]", 2), ("created[lt]", 4), ("created", 3)]),
)
def test_walking_pages_visits_every_session_once_both_ways(
    specs: list[dict[str, Any]],
    limit: int,
    driver: str | None,
    status: str | None,
    window: tuple[str, int] | None,
) -> None:
    base = 1_780_000_000_000
    params: dict[str, Any] = {"limit": limit}
    if driver:
        params["driver"] = driver
    if status:
        params["status"] = status
    if window:
        params[window[0]] = rfc3339(base + window[1])

    def keep(created: int, spec: dict[str, Any]) -> bool:
        ok = (driver is None or spec["driver"] == driver) and (
            status is None or (status == "completed") == spec["stopped"]
        )
        if window:
            bound = base + window[1]
            ok = (
                ok
                and {
                    "created[gte]": created >= bound,
                    "created[lt]": created < bound,
                    "created": created == bound,
                }[window[0]]
            )
        return ok

    async def scenario() -> None:
        with tempfile.TemporaryDirectory(prefix="ocppcore-walk-") as data:
            async with trio.open_nursery() as nursery:
                service: Service = await nursery.start(
                    Service(make_config(Path(data)), out=io.StringIO()).run
                )
                account, key = new_account(service, "walker")
                seeded = seed_sessions(service, account, specs)
                ordered = sorted(seeded, key=lambda x: (-x[0], -x[1]))
                expected = [sid for created, _, sid, spec in ordered if keep(created, spec)]
                with trio.fail_after(30):
                    async with http(service, key) as client:
                        forward, last_url = await walk(client, params, "next")
                        assert forward == expected
                        if last_url is not None:
                            backward, _ = await walk(client, params, "previous", start=last_url)
                            assert backward == expected
                service.stop()

    trio.run(scenario)


async def test_sessions_created_while_paging_cause_no_skip_or_repeat(service: Service) -> None:
    account, key = new_account(service, "live")
    seed_sessions(
        service, account, [{"created": n % 3, "driver": None, "stopped": False} for n in range(9)]
    )
    async with http(service, key) as client:
        first = (await client.get("/v1/charging_sessions", params={"limit": 4})).json()
        seen = [s["id"] for s in first["data"]]
        # New sessions arrive, some in the same milliseconds as those already listed.
        seed_sessions(
            service,
            account,
            [{"created": n % 3, "driver": None, "stopped": False} for n in range(5)],
        )
        url = first["next_page_url"]
        while url:
            page = (await client.get(url)).json()
            seen += [s["id"] for s in page["data"]]
            url = page["next_page_url"]
    assert len(seen) == len(set(seen)) == 9
