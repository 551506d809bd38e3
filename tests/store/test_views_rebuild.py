"""Views are a pure function of the log: built incrementally (through admission, in random
batches) they equal the views replayed from the log into empty databases."""

from __future__ import annotations

import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store import events as ev
from store import rebuild
from store.log import Store

ACCOUNTS = ["acct_a", "acct_b"]
STATIONS = ["chst_1", "chst_2", "chst_3"]
TAGS = ["TAG1", "tag1", "TAG2"]

at = st.integers(min_value=1_700_000_000_000, max_value=1_700_000_100_000)
station = st.sampled_from(STATIONS)
account = st.sampled_from(ACCOUNTS)
tx = st.integers(min_value=-1, max_value=8)
digest = st.binary(min_size=2, max_size=2)

event_strategy = st.one_of(
    st.builds(
        ev.IdTagPolicySet,
        at=at,
        account=account,
        id_tag_policy=st.sampled_from(["open", "registry"]),
    ),
    st.builds(
        ev.TariffSet,
        at=at,
        account=account,
        tariff=st.builds(
            ev.Tariff,
            price_per_kwh=st.integers(0, 500),
            currency=st.just("eur"),
            country=st.just("FR"),
        ),
    ),
    st.builds(
        ev.IdTagSet,
        at=at,
        account=account,
        id_tag=st.sampled_from(TAGS),
        status=st.sampled_from(["Accepted", "Blocked"]),
        driver=st.none() | st.just("drv_1"),
    ),
    st.builds(
        ev.ApiKeyCreated,
        at=at,
        key_id=st.sampled_from(["key_1", "key_2"]),
        account=account,
        display=st.just("sk_live_x"),
        digest=digest,
    ),
    st.builds(ev.ApiKeyRevoked, at=at, key_id=st.sampled_from(["key_1", "key_2", "key_3"])),
    st.builds(ev.ServerStarted, at=at),
    st.builds(ev.StationConnected, at=at, station=station, connection=st.integers(1, 3)),
    st.builds(ev.StationDisconnected, at=at, station=station, connection=st.integers(1, 3)),
    st.builds(ev.StationBooted, at=at, station=station, vendor=st.just("V"), model=st.just("M")),
    st.builds(ev.StationHeartbeat, at=at, station=station),
    st.builds(
        ev.ConnectorStatusReported,
        at=at,
        station=station,
        connector_id=st.integers(0, 2),
        status=st.sampled_from(["Available", "Charging"]),
        error_code=st.just("NoError"),
    ),
    st.builds(ev.FirmwareStatusReported, at=at, station=station, status=st.just("Installed")),
    st.builds(
        ev.TransactionStarted,
        at=at,
        station=station,
        account=account,
        session=st.uuids().map(lambda u: f"cs_{u.hex}"),
        connector_id=st.integers(1, 2),
        id_tag=st.sampled_from(TAGS),
        meter_start=st.integers(0, 3).map(lambda n: n * 1000),
        timestamp=st.integers(0, 2),
        id_tag_status=st.sampled_from(["Accepted", "Invalid"]),
        tariff=st.none() | st.just(ev.Tariff(price_per_kwh=25, currency="eur", country="FR")),
    ),
    st.builds(
        ev.MeterValuesReported,
        at=at,
        station=station,
        connector_id=st.integers(0, 2),
        digest=digest,
        samples=st.just([]),
        transaction_id=st.none() | tx,
        energy_wh=st.none() | st.integers(0, 20_000),
    ),
    st.builds(
        ev.TransactionStopped,
        at=at,
        station=station,
        transaction_id=tx,
        meter_stop=st.integers(0, 20_000),
        timestamp=st.integers(0, 9),
        digest=digest,
    ),
    st.builds(
        ev.SessionPushed,
        at=at,
        account=account,
        session=st.uuids().map(lambda u: f"cs_{u.hex}"),
        connected=st.integers(0, 3),
        disconnected=st.integers(4, 6),
        energy_wh=st.integers(0, 3),
    ),
    st.builds(
        ev.StationRegistrationSet,
        at=at,
        station=station,
        registration=st.sampled_from(["accepted", "pending", "rejected"]),
    ),
    st.builds(
        ev.RemoteStartAccepted,
        at=at,
        station=station,
        id_tag=st.sampled_from(TAGS),
        command=st.sampled_from(["cmd_1", "cmd_2"]),
    ),
    st.builds(
        ev.ReservationMade,
        at=at,
        station=station,
        reservation_id=st.integers(1, 3),
        connector_id=st.integers(1, 2),
        id_tag=st.sampled_from(TAGS),
        expiry=at,
    ),
    st.builds(ev.ReservationCancelled, at=at, station=station, reservation_id=st.integers(1, 3)),
    st.builds(
        ev.ChargingProfileSet,
        at=at,
        station=station,
        connector_id=st.integers(0, 1),
        profile_id=st.integers(1, 3),
        purpose=st.sampled_from(["TxProfile", "TxDefaultProfile"]),
        stack_level=st.integers(0, 1),
        profile=st.just(b"{}"),
    ),
    st.builds(
        ev.ChargingProfilesCleared, at=at, station=station, purpose=st.none() | st.just("TxProfile")
    ),
    st.builds(
        ev.LocalListSent,
        at=at,
        station=station,
        version=st.integers(1, 5),
        update_type=st.just("Full"),
        entries=st.integers(0, 3),
    ),
    st.builds(
        ev.CommandRequested,
        at=at,
        account=account,
        station=station,
        command=st.sampled_from(["cmd_1", "cmd_2"]),
        action=st.just("Reset"),
        payload=st.just(b"{}"),
    ),
    st.builds(
        ev.CommandFinished,
        at=at,
        command=st.sampled_from(["cmd_1", "cmd_2", "cmd_3"]),
        status=st.sampled_from(["succeeded", "timeout"]),
    ),
    st.builds(
        ev.ReportRequested,
        at=at,
        account=account,
        report=st.sampled_from(["rpt_1", "rpt_2"]),
        type=st.just("charging_summary"),
        period_start=st.just(0),
        period_end=st.just(10),
    ),
    st.builds(
        ev.ReportSucceeded,
        at=at,
        account=account,
        report=st.sampled_from(["rpt_1", "rpt_2"]),
        event=st.uuids().map(lambda u: f"evt_{u.hex}"),
        size=st.integers(0, 9),
    ),
    st.builds(
        ev.WebhookEndpointCreated,
        at=at,
        account=account,
        endpoint=st.sampled_from(["we_1", "we_2"]),
        url=st.just("http://127.0.0.1:1/x"),
        enabled_events=st.just(["report.succeeded"]),
        secret=st.just("s"),
    ),
    st.builds(
        ev.WebhookAttempted,
        at=at,
        endpoint=st.sampled_from(["we_1", "we_2"]),
        event=st.just("evt_x"),
        attempt=st.integers(1, 3),
        delivered=st.booleans(),
        next_attempt=st.none() | at,
    ),
)

SETUP: list[ev.Event] = [
    ev.AccountCreated(at=1, account="acct_a", name="a", id_tag_policy="open"),
    ev.AccountCreated(at=1, account="acct_b", name="b"),
    *(
        ev.StationRegistered(
            at=1,
            station=s,
            account=ACCOUNTS[i % 2],
            charge_point_id=f"CP{i}",
            token_digest=bytes([i]),
        )
        for i, s in enumerate(STATIONS)
    ),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=st.lists(event_strategy, max_size=40), cuts=st.lists(st.integers(1, 8), max_size=10))
def test_incremental_views_equal_rebuilt_views(events: list[ev.Event], cuts: list[int]) -> None:
    with tempfile.TemporaryDirectory(prefix="ocppcore-test-") as path:
        store = Store(path, map_size=2**26)
        try:
            store.commit(SETUP)
            pending = list(events)
            for size in cuts:
                store.commit(pending[:size])
                pending = pending[size:]
            if pending:
                store.commit(pending)
            result = rebuild.rebuild(store, apply=False)
            assert result["equal"], result["views"]
            assert result["events"] == store.last_seq()
        finally:
            store.close()


def test_rebuild_repairs_a_damaged_view(store: Store) -> None:
    store.commit(SETUP)
    start = ev.TransactionStarted(
        at=5,
        station="chst_1",
        account="acct_a",
        session="cs_1",
        connector_id=1,
        id_tag="T",
        meter_start=0,
        timestamp=1,
        id_tag_status="Accepted",
    )
    store.commit([start])
    with store.env.begin(write=True) as txn:
        txn.delete(b"cs_1", db=store.tables.sessions)
    assert not rebuild.rebuild(store, apply=False)["equal"]
    repaired = rebuild.rebuild(store, apply=True)
    assert repaired["views"]["sessions"] is False
    assert rebuild.rebuild(store, apply=False)["equal"]
    with store.read() as reader:
        assert reader.session("cs_1") is not None
