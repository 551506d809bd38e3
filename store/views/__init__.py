"""Views: projections of the log, each `apply(txn, tables, seq, event)` for the events it reads.

A view writes only to its own databases and reads only them and the event, so replaying the
log into empty databases rebuilds exactly what was built incrementally.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from store import events
from store.views import (
    accounts,
    charger_state,
    commands,
    reports,
    sessions,
    solar,
    stations,
    webhooks,
)

Apply = Callable[[Any, Any, int, Any], None]


def _dispatch() -> dict[type[events.Event], tuple[Apply, ...]]:
    table: dict[type[events.Event], list[Apply]] = {}
    for view in (accounts, stations, sessions, solar, reports, webhooks, commands, charger_state):
        for kind, apply in view.APPLY.items():
            table.setdefault(kind, []).append(apply)
    return {kind: tuple(fns) for kind, fns in table.items()}


DISPATCH = _dispatch()


def apply(txn: Any, tables: Any, seq: int, event: events.Event) -> None:
    """Project one logged event into every view that reads it."""
    for fn in DISPATCH.get(type(event), ()):
        fn(txn, tables, seq, event)
