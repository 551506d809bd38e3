"""Read snapshots release their LMDB reader slot when their block ends, even while the Reader
object is still referenced (as a handler's context is while its connection awaits the writer)."""

from __future__ import annotations

import pytest

from store import events as ev
from store.log import Store


def test_readers_kept_alive_after_their_block_hold_no_slot(store: Store) -> None:
    store.commit([ev.AccountCreated(at=1, account="acct_1", name="a")])
    kept = []
    for _ in range(1500):  # more than the environment's 1,024 reader slots
        with store.read() as reader:
            assert reader.account("acct_1") is not None
        kept.append(reader)
    assert store.env.info()["num_readers"] < 10


def test_a_closed_reader_refuses_to_read(store: Store) -> None:
    with store.read() as reader:
        pass
    with pytest.raises(RuntimeError, match="closed"):
        reader.account("acct_1")
