"""Replaying the log into fresh views, comparing them with the live ones, and swapping them in.

Replay and comparison read one snapshot of the live store. With `apply`, that snapshot is the
write transaction that swaps the views in, so nothing written meanwhile can be lost; the
server's writer waits for it (LMDB has one writer at a time).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

from store import events as ev
from store import views
from store.log import Store
from store.tables import VIEW_DBS

_REPLAY_CHUNK = 10_000


def replay(source_txn: Any, source: Store, target: Store) -> int:
    """Project every event of `source`'s log into `target`'s (empty) views; returns the count."""
    count = 0
    batch: list[tuple[int, ev.AnyEvent]] = []
    with source_txn.cursor(db=source.tables.log) as cursor:
        for key, value in cursor:
            batch.append((int.from_bytes(key, "big"), ev.decode(value)))
            if len(batch) >= _REPLAY_CHUNK:
                count += _apply(target, batch)
                batch = []
    return count + _apply(target, batch)


def _apply(target: Store, batch: list[tuple[int, ev.AnyEvent]]) -> int:
    with target.env.begin(write=True) as txn:
        for seq, event in batch:
            views.apply(txn, target.tables, seq, event)
    return len(batch)


def _items(txn: Any, db: Any) -> Iterator[tuple[bytes, bytes]]:
    with txn.cursor(db=db) as cursor:
        yield from cursor.iternext()


def compare(live_txn: Any, live: Store, rebuilt: Store) -> dict[str, bool]:
    """For each view database, whether the live snapshot and `rebuilt` hold the same items."""
    with rebuilt.env.begin() as rebuilt_txn:
        return {
            name.decode(): list(_items(live_txn, live.tables.views[name]))
            == list(_items(rebuilt_txn, rebuilt.tables.views[name]))
            for name in VIEW_DBS
        }


def rebuild(store: Store, *, apply: bool) -> dict[str, Any]:
    """Replay `store`'s log into scratch views and compare them with the live ones.

    With `apply`, views that differ are replaced by the rebuilt ones atomically.
    """
    with tempfile.TemporaryDirectory(prefix="ocppcore-rebuild-") as scratch_dir:
        scratch = Store(scratch_dir, map_size=store.env.info()["map_size"])
        try:
            with store.env.begin(write=apply) as txn:
                events = replay(txn, store, scratch)
                equal = compare(txn, store, scratch)
                if apply:
                    _swap(
                        txn, store, scratch, [n.encode() for n, same in equal.items() if not same]
                    )
        finally:
            scratch.close()
    return {"events": events, "equal": all(equal.values()), "views": equal, "applied": apply}


def _swap(txn: Any, store: Store, scratch: Store, names: list[bytes]) -> None:
    with scratch.env.begin() as source:
        for name in names:
            txn.drop(store.tables.views[name], delete=False)
            with source.cursor(db=scratch.tables.views[name]) as cursor:
                for key, value in cursor:
                    txn.put(key, value, db=store.tables.views[name], append=True)
