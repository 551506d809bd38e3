"""The group-commit writer: many producers, few transactions, every receipt after the commit."""

from __future__ import annotations

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
