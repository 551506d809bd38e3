"""The group-commit writer: many producers, few transactions, every receipt after the commit."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from store import events as ev
from store.errors import WriterClosed
from store.log import Store
from store.writer import Writer


async def test_concurrent_producers_share_commits(store: Store) -> None:
    store.commit([ev.AccountCreated(at=1, account="acct_1", name="a")])
    writer = Writer(store)
    seen: list[int] = []
    committed_before_receipt: list[bool] = []
    async with trio.open_nursery() as nursery:
        await nursery.start(writer.run)

        async def produce(i: int) -> None:
            receipt = await writer.submit_one(ev.IdTagSet(at=i, account="acct_1", id_tag=f"T{i}"))
            seen.append(receipt.seq)
            # Durable before acknowledged: a fresh read transaction already sees the event.
            committed_before_receipt.append(store.last_seq() >= receipt.seq)

        with trio.fail_after(10):
            async with trio.open_nursery() as producers:
                for i in range(500):
                    producers.start_soon(produce, i)
        await writer.aclose()
    assert sorted(seen) == list(range(2, 502))
    assert all(committed_before_receipt)
    stats = writer.statistics()
    assert stats.events == 500
    assert stats.batches < 500  # grouped
    assert not stats.running


async def test_closed_writer_refuses_and_commits_what_it_holds(store: Store) -> None:
    store.commit([ev.AccountCreated(at=1, account="acct_1", name="a")])
    writer = Writer(store)
    async with trio.open_nursery() as nursery:
        await nursery.start(writer.run)
        results: list[int] = []

        async def produce() -> None:
            results.append(
                (await writer.submit_one(ev.IdTagSet(at=2, account="acct_1", id_tag="X"))).seq
            )

        nursery.start_soon(produce)
        await trio.testing.wait_all_tasks_blocked()
        await writer.aclose()
        try:
            await writer.submit_one(ev.IdTagSet(at=3, account="acct_1", id_tag="Y"))
        except WriterClosed:
            pass
        else:
            raise AssertionError("a closed writer accepted an event")
    assert results == [2]
    assert store.last_seq() == 2


async def test_a_cancelled_writer_fails_producers_still_waiting(store: Store) -> None:
    # A connection records its disconnection shielded from cancellation; if the writer task is
    # cancelled meanwhile (the whole service is), that producer must hear so, not wait forever.
    store.commit([ev.AccountCreated(at=1, account="acct_1", name="a")])
    writer = Writer(store)
    async with trio.open_nursery() as nursery:
        await nursery.start(writer.run)
        nursery.cancel_scope.cancel()
        with trio.CancelScope(shield=True), trio.fail_after(5), pytest.raises(WriterClosed):
            await writer.submit_one(ev.IdTagSet(at=2, account="acct_1", id_tag="X"))
        with pytest.raises(WriterClosed):  # and a stopped writer refuses at once
            await writer.submit_one(ev.IdTagSet(at=3, account="acct_1", id_tag="Y"))
    assert store.last_seq() == 1
