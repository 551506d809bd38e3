"""The store: one LMDB environment holding the append-only log and the views.

`commit` appends a batch of events and projects them into the views in one write transaction,
then commits with fsync: when it returns, every appended event is durable. Reads never wait for
writes (LMDB MVCC). Several processes may open the same directory; LMDB serializes writers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import lmdb

from store import events as ev
from store import views
from store.admission import Receipt, admit
from store.errors import StoreError, StoreFull
from store.reader import Reader
from store.tables import VIEW_DBS, Tables, u64

log = logging.getLogger(__name__)

DEFAULT_MAP_SIZE = 64 * 2**30  # address space only: the file grows as data is written


class Store:
    """The LMDB environment under `path`, with its log and views."""

    def __init__(self, path: str | os.PathLike[str], *, map_size: int = DEFAULT_MAP_SIZE) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.env = lmdb.open(
            str(self.path / "store"),
            map_size=map_size,
            max_dbs=len(VIEW_DBS) + 4,
            max_readers=1024,
            sync=True,
            metasync=True,
            readahead=False,
        )
        self.tables = Tables(self.env)

    def close(self) -> None:
        self.env.close()

    def read(self) -> Reader:
        """A consistent snapshot of the views, to be used as a context manager."""
        return Reader(self.env.begin(buffers=False), self.tables)

    def last_seq(self) -> int:
        with self.env.begin() as txn, txn.cursor(db=self.tables.log) as cursor:
            return int.from_bytes(cursor.key(), "big") if cursor.last() else 0

    def commit(self, batch: Sequence[ev.Event]) -> list[Receipt]:
        """Append `batch` in one durable write transaction; one receipt per event, in order.

        An event that is refused (a conflict) gets a receipt carrying the error and changes
        nothing; the others are committed. Blocks: call it from a worker thread in async code.
        """
        try:
            return self._commit(batch, isolate=False)
        except StoreError:
            raise
        except lmdb.MapFullError as exc:
            raise StoreFull("the store is full: raise map_size") from exc
        except Exception:
            if len(batch) == 1:
                raise
            # One event of the batch broke a view: retry with each event isolated in a nested
            # transaction so the others still commit and only the culprit reports an error.
            log.exception("batch of %d failed; retrying event by event", len(batch))
            return self._commit(batch, isolate=True)

    def _commit(self, batch: Sequence[ev.Event], *, isolate: bool) -> list[Receipt]:
        t = self.tables
        receipts: list[Receipt] = []
        with self.env.begin(write=True) as txn:
            with txn.cursor(db=t.log) as cursor:
                seq = int.from_bytes(cursor.key(), "big") if cursor.last() else 0
            for event in batch:
                try:
                    if isolate:
                        with self.env.begin(write=True, parent=txn) as child:
                            receipt, appended = self._append(child, seq + 1, event)
                    else:
                        receipt, appended = self._append(txn, seq + 1, event)
                except StoreError as exc:
                    receipts.append(Receipt(error=exc))
                    continue
                except Exception as exc:
                    if not isolate:
                        raise
                    log.exception("event refused by a view: %r", event)
                    receipts.append(Receipt(error=StoreError(f"internal error: {exc}")))
                    continue
                seq += appended
                receipts.append(receipt)
        return receipts

    def _append(self, txn: Any, seq: int, event: ev.Event) -> tuple[Receipt, int]:
        admitted, receipt = admit(txn, self.tables, event)
        if admitted is None:
            return receipt, 0
        if not txn.put(u64(seq), ev.encode(admitted), db=self.tables.log, append=True):
            raise StoreError(f"log key {seq} out of order")
        views.apply(txn, self.tables, seq, admitted)
        return Receipt(
            seq=seq,
            transaction_id=receipt.transaction_id,
            session=receipt.session,
        ), 1

    def events(self, after: int = 0) -> Iterator[tuple[int, ev.AnyEvent]]:
        """Every logged event with a sequence number above `after`, in order."""
        with self.env.begin() as txn, txn.cursor(db=self.tables.log) as cursor:
            if not cursor.set_range(u64(after + 1)):
                return
            for key, value in cursor:
                yield int.from_bytes(key, "big"), ev.decode(value)
