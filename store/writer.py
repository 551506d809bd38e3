"""The group-commit writer: one Trio task owns every write.

Producers `submit` events and wait for their receipts. The writer takes everything queued into
one write transaction, commits it with fsync in a worker thread, then wakes every producer of
that batch at once. While one batch commits, the next one fills, so durability costs one fsync
per batch, not per event.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import trio

from store.admission import Receipt
from store.errors import StoreError, WriterClosed
from store.events import Event
from store.log import Store


@dataclass(slots=True)
class _Batch:
    events: list[Event] = field(default_factory=list)
    done: trio.Event = field(default_factory=trio.Event)
    receipts: list[Receipt] = field(default_factory=list)
    error: BaseException | None = None


@dataclass(frozen=True, slots=True)
class WriterStatistics:
    batches: int
    events: int
    queued: int
    running: bool


# Called after each commit with (batch size, seconds spent committing); metrics hook in here.
CommitObserver = Callable[[int, float], None]


class Writer:
    """Serializes all writes of one process into group commits."""

    def __init__(self, store: Store, *, max_batch: int = 10_000) -> None:
        self.store = store
        self.max_batch = max_batch
        self.observers: list[CommitObserver] = []
        self._filling = _Batch()
        self._wakeup = trio.Event()
        self._closing = False
        self._running = False
        self._stopped = trio.Event()
        self._batches = 0
        self._events = 0

    async def submit(self, events: Sequence[Event]) -> list[Receipt]:
        """Queue `events` and wait until they are durable; returns one receipt per event.

        Raises WriterClosed once the writer is shutting down, StoreError when the commit failed.
        Cancelling the caller does not withdraw the events: they are committed all the same.
        """
        if self._closing:
            raise WriterClosed("the server is shutting down")
        batch = self._filling
        start = len(batch.events)
        batch.events.extend(events)
        self._wakeup.set()
        await batch.done.wait()
        if batch.error is not None:
            if isinstance(batch.error, StoreError):
                raise batch.error
            raise StoreError(f"commit failed: {batch.error}") from batch.error
        return batch.receipts[start : start + len(events)]

    async def submit_one(self, event: Event) -> Receipt:
        """Like `submit` for one event; raises the receipt's error if it was refused."""
        (receipt,) = await self.submit((event,))
        if receipt.error is not None:
            raise receipt.error
        return receipt

    def statistics(self) -> WriterStatistics:
        return WriterStatistics(
            batches=self._batches,
            events=self._events,
            queued=len(self._filling.events),
            running=self._running,
        )

    @property
    def alive(self) -> bool:
        return self._running

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """The writer task. Returns after `aclose`, once everything queued is committed."""
        self._running = True
        task_status.started()
        try:
            while True:
                if not self._filling.events:
                    if self._closing:
                        return
                    await self._wakeup.wait()
                    self._wakeup = trio.Event()
                    continue
                batch, self._filling = self._filling, _Batch()
                await self._commit(batch)
        finally:
            # Cancelled or failed: whoever is still waiting (even shielded) must hear of it
            # rather than wait for a commit that will never come.
            self._closing, self._running = True, False
            if self._filling.events:
                self._filling.error = WriterClosed("the writer stopped before committing this")
                self._filling.done.set()
            self._stopped.set()

    async def _commit(self, batch: _Batch) -> None:
        started = time.perf_counter()
        try:
            batch.receipts = await trio.to_thread.run_sync(self._commit_chunks, batch.events)
        except Exception as exc:  # every producer of the batch must hear of the failure
            batch.error = exc
        except BaseException:  # cancelled before the commit began: nothing was written
            batch.error = WriterClosed("the writer stopped before committing this")
            raise
        finally:
            batch.done.set()
        self._batches += 1
        self._events += len(batch.events)
        elapsed = time.perf_counter() - started
        for observer in self.observers:
            observer(len(batch.events), elapsed)

    def _commit_chunks(self, events: list[Event]) -> list[Receipt]:
        # A batch larger than max_batch (a burst) is committed as several transactions, each
        # synced, before its producers are woken.
        receipts: list[Receipt] = []
        for i in range(0, len(events), self.max_batch):
            receipts.extend(self.store.commit(events[i : i + self.max_batch]))
        return receipts

    async def aclose(self) -> None:
        """Refuse new events, commit what is queued, and wait for the writer task to end."""
        self._closing = True
        self._wakeup.set()
        if self._running:
            await self._stopped.wait()
