"""Latency percentiles from samples in microseconds, reported in milliseconds."""

from __future__ import annotations

from collections.abc import Iterable


def percentile(sorted_values: list[int], p: float) -> float:
    """The nearest-rank `p`th percentile of already sorted microseconds, in milliseconds."""
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, round(p / 100 * (len(sorted_values) - 1)))
    return sorted_values[k] / 1000


def summary(
    samples_us: Iterable[int], points: tuple[str, ...] = ("p50", "p90", "p99")
) -> dict[str, float]:
    """`{"p50": ms, ..., "max": ms}` over the samples."""
    ordered = sorted(samples_us)
    figures = {p: round(percentile(ordered, float(p[1:])), 2) for p in points}
    return figures | {"max": round(ordered[-1] / 1000, 2) if ordered else 0.0}
