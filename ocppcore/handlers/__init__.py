"""Central-system behaviour, pure: `handler(request, context) -> Outcome`.

A handler reads what it needs from `context` (a store snapshot and the clock), and returns the
events to record and how to build the confirmation once they are durable. It performs no I/O;
the transport submits the events to the writer and sends the confirmation after the commit.
Handlers raise OcppError subclasses for requests that are well-formed but unacceptable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ocppcore.v16.types import Payload
from store.admission import Receipt
from store.events import Event
from store.ids import IdFactory
from store.reader import Reader
from store.records import StationRecord


@dataclass(frozen=True, slots=True)
class Context:
    station: StationRecord
    reader: Reader
    now_ms: int
    heartbeat_interval: int
    new_id: IdFactory


@dataclass(frozen=True, slots=True)
class Outcome:
    events: tuple[Event, ...]
    respond: Callable[[Sequence[Receipt]], Payload]


def reply(response: Payload, *events: Event) -> Outcome:
    """An outcome whose confirmation does not depend on what the store decided."""
    return Outcome(events, lambda _receipts: response)


Handler = Callable[[Payload, Context], Outcome]


def check_receipts(receipts: Sequence[Receipt]) -> None:
    """Raise the first error the store reported for an outcome's events."""
    for receipt in receipts:
        if receipt.error is not None:
            raise receipt.error
