"""Fixed-window request limits per API key (the gateway's "100 requests per hour").

Windows are aligned to the clock (each hour from :00), so `Retry-After` is the time to the next
window, as the seed says ("wait until the next hour window"). Counts live in this process: a
restart starts them afresh, and `serve --workers N` would need a shared counter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_ms: int  # when the current window ends, ms since the epoch
    retry_after_s: int

    def headers(self) -> dict[str, str]:
        values = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_ms // 1000),
        }
        if not self.allowed:
            values["Retry-After"] = str(self.retry_after_s)
        return values


class RateLimiter:
    """`limit` requests per `window_ms` per key; `limit` 0 means unlimited."""

    def __init__(self, limit: int, window_ms: int, clock: Callable[[], int]) -> None:
        self.limit = limit
        self.window_ms = window_ms
        self._clock = clock
        self._counts: dict[str, tuple[int, int]] = {}

    def take(self, key: str) -> Decision | None:
        """Count one request for `key`; None when no limit applies."""
        if self.limit <= 0:
            return None
        now = self._clock()
        window = now // self.window_ms
        start, count = self._counts.get(key, (window, 0))
        if start != window:
            count = 0
        reset = (window + 1) * self.window_ms
        if count >= self.limit:
            return Decision(False, self.limit, 0, reset, max(1, -(-(reset - now) // 1000)))
        self._counts[key] = (window, count + 1)
        if len(self._counts) > 100_000:  # forget keys of past windows
            self._counts = {k: v for k, v in self._counts.items() if v[0] == window}
        return Decision(True, self.limit, self.limit - count - 1, reset, 0)
