"""The idTag registry and account policy, as chargers see them (Authorize, StartTransaction)."""

from __future__ import annotations

import trio

from ocppcore.clock import now_ms
from ocppcore.service import Service
from store import admin
from tests.conftest import ServiceFactory, connect, register, store_of


def apply(service: Service, change: admin.Change) -> None:
    for receipt in store_of(service).commit(change.events):
        assert receipt.error is None


def set_tag(service: Service, tag: str, **kwargs: object) -> None:
    values: dict[str, object] = dict(
        account_name="default",
        status="Accepted",
        expiry=None,
        parent=None,
        driver=None,
        vehicle=None,
        fleet=None,
    )
    values.update(kwargs)
    with store_of(service).read() as reader:
        apply(service, admin.set_id_tag(reader, tag, now=now_ms(), **values))  # type: ignore[arg-type]


async def test_registry_policy(start_service: ServiceFactory) -> None:
    svc = await start_service()
    register(svc, "CP-A")
    with store_of(svc).read() as reader:
        apply(
            svc,
            admin.set_account(
                reader, "default", id_tag_policy="registry", now=now_ms(), new_id=lambda p: p
            ),
        )
    set_tag(svc, "GOOD", driver="drv_1", vehicle="veh_1", fleet="flt_1", parent="GROUP")
    set_tag(svc, "STOLEN", status="Blocked")
    set_tag(svc, "OLD", expiry=now_ms() - 1000)
    with store_of(svc).read() as reader:
        apply(
            svc,
            admin.set_tariff(
                reader, "default", price_per_kwh=25, currency="EUR", country="fr", now=now_ms()
            ),
        )
    with trio.fail_after(5):
        async with connect(svc, "CP-A") as cp:
            good = await cp.call("Authorize", {"idTag": "good"})
            assert good["idTagInfo"] == {"status": "Accepted", "parentIdTag": "GROUP"}
            assert (await cp.call("Authorize", {"idTag": "STOLEN"}))["idTagInfo"][
                "status"
            ] == "Blocked"
            old = await cp.call("Authorize", {"idTag": "OLD"})
            assert old["idTagInfo"]["status"] == "Expired" and "expiryDate" in old["idTagInfo"]
            assert (await cp.call("Authorize", {"idTag": "NOBODY"}))["idTagInfo"][
                "status"
            ] == "Invalid"
            start = await cp.call(
                "StartTransaction",
                {
                    "connectorId": 1,
                    "idTag": "GOOD",
                    "meterStart": 0,
                    "timestamp": "2026-01-01T00:00:00Z",
                },
            )
            tx = start["transactionId"]
            await cp.call(
                "StopTransaction",
                {"transactionId": tx, "meterStop": 12480, "timestamp": "2026-01-01T02:00:00Z"},
            )
            refused = await cp.call(
                "StartTransaction",
                {
                    "connectorId": 2,
                    "idTag": "NOBODY",
                    "meterStart": 0,
                    "timestamp": "2026-01-01T00:00:00Z",
                },
            )
            assert refused["idTagInfo"]["status"] == "Invalid"
    with store_of(svc).read() as reader:
        session = reader.session_by_transaction(tx)
        failed = reader.session_by_transaction(refused["transactionId"])
        assert reader.id_tag(session.account if session else "", "NOBODY") is None  # not recorded
    assert session is not None and failed is not None
    assert (session.driver, session.vehicle, session.fleet) == ("drv_1", "veh_1", "flt_1")
    assert (session.currency, session.country) == ("eur", "FR")
    assert session.amount_due == 312  # 12.48 kWh at 25 cents, rounded half up
    assert failed.status == "failed"


async def test_open_policy_accepts_and_records_unknown_tags(service: Service) -> None:
    with trio.fail_after(5):
        async with connect(service, "CP-OPEN") as cp:
            assert (await cp.call("Authorize", {"idTag": "Fresh-1"}))["idTagInfo"][
                "status"
            ] == "Accepted"
    with store_of(service).read() as reader:
        account = reader.account_by_name("default")
        assert account is not None and account.id_tag_policy == "open"
        record = reader.id_tag(account.id, "FRESH-1")
    assert record is not None and record.status == "Accepted"
