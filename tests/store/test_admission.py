"""The store's decisions inside the write transaction: idempotency, allocation, uniqueness."""

from __future__ import annotations

from store import events as ev
from store.errors import Conflict
from store.log import Store

SETUP = [
    ev.AccountCreated(at=1, account="acct_1", name="default", id_tag_policy="open"),
    ev.StationRegistered(
        at=1, station="chst_1", account="acct_1", charge_point_id="CP-1", token_digest=b"t"
    ),
]


def start(
    session: str = "cs_1", meter_start: int = 0, id_tag: str = "TAG"
) -> ev.TransactionStarted:
    return ev.TransactionStarted(
        at=10,
        station="chst_1",
        account="acct_1",
        session=session,
        connector_id=1,
        id_tag=id_tag,
        meter_start=meter_start,
        timestamp=1000,
        id_tag_status="Accepted",
    )


def test_retried_start_gets_the_same_transaction_id(store: Store) -> None:
    store.commit(SETUP)
    first, retry_same_batch = store.commit([start(), start(session="cs_2")])
    (retry_later,) = store.commit(
        [start(session="cs_3", id_tag="tag")]
    )  # idTags are case-insensitive
    assert first.transaction_id == 1 and not first.duplicate
    assert retry_same_batch.duplicate and retry_same_batch.transaction_id == 1
    assert retry_later.duplicate and retry_later.session == "cs_1"
    (other,) = store.commit([start(session="cs_4", meter_start=5)])
    assert other.transaction_id == 2 and not other.duplicate
    with store.read() as reader:
        assert reader.session("cs_2") is None
        assert [s.id for s in reader.sessions("acct_1")] == ["cs_4", "cs_1"]


def test_transaction_ids_survive_reopening(tmp_path: object) -> None:
    path = str(tmp_path) + "/s"
    s = Store(path, map_size=2**26)
    s.commit(SETUP)
    s.commit([start()])
    s.close()
    s = Store(path, map_size=2**26)
    (receipt,) = s.commit([start(session="cs_9", meter_start=1)])
    s.close()
    assert receipt.transaction_id == 2


def test_stop_and_meter_values_are_counted_once(store: Store) -> None:
    store.commit(SETUP)
    store.commit([start()])
    meter = ev.MeterValuesReported(
        at=11,
        station="chst_1",
        connector_id=1,
        digest=b"m1",
        samples=[],
        transaction_id=1,
        energy_wh=500,
    )
    stop = ev.TransactionStopped(
        at=12, station="chst_1", transaction_id=1, meter_stop=900, timestamp=2000, digest=b"s1"
    )
    receipts = store.commit([meter, meter, stop, stop])
    assert [r.duplicate for r in receipts] == [False, True, False, True]
    (late_retry,) = store.commit([stop])
    assert late_retry.duplicate
    with store.read() as reader:
        session = reader.session("cs_1")
    assert session is not None and session.energy_consumed == 900 and session.status == "completed"
    assert store.last_seq() == 5


def test_orphan_stop_is_recorded_once(store: Store) -> None:
    store.commit(SETUP)
    orphan = ev.TransactionStopped(
        at=12, station="chst_1", transaction_id=-1, meter_stop=900, timestamp=2000, digest=b"o"
    )
    first, again = store.commit([orphan, orphan])
    assert first.seq > 0 and again.duplicate


def test_conflicts_refuse_one_event_and_keep_the_others(store: Store) -> None:
    store.commit(SETUP)
    clash = ev.StationRegistered(
        at=2, station="chst_2", account="acct_1", charge_point_id="CP-1", token_digest=b"u"
    )
    fine = ev.StationHeartbeat(at=3, station="chst_1")
    refused, accepted = store.commit([clash, fine])
    assert isinstance(refused.error, Conflict) and refused.seq == 0
    assert accepted.error is None and accepted.seq > 0
    with store.read() as reader:
        assert reader.station("chst_2") is None


def test_a_view_failure_isolates_the_culprit(store: Store, monkeypatch: object) -> None:
    from store import views

    store.commit(SETUP)

    def broken(txn: object, t: object, seq: int, e: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setitem(views.DISPATCH, ev.DataTransferred, (broken,))  # type: ignore[attr-defined]
    bad = ev.DataTransferred(at=2, station="chst_1", vendor_id="v")
    good = ev.StationHeartbeat(at=3, station="chst_1")
    r_bad, r_good = store.commit([bad, good])
    assert r_bad.error is not None and r_good.error is None
    assert [type(e).__name__ for _, e in store.events(after=2)] == ["StationHeartbeat"]
