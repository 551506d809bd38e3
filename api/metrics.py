"""Prometheus metrics of one running service (its own registry, so tests can run several)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.connected = Gauge(
            "ocppcore_connected_chargers", "Charge points connected now", registry=self.registry
        )
        self.messages = Counter(
            "ocppcore_ocpp_messages",
            "OCPP CALLs from charge points, by action and result",
            ["action", "result"],
            registry=self.registry,
        )
        self._message_children: dict[tuple[str, str], Counter] = {}
        self.batch_size = Histogram(
            "ocppcore_commit_batch_events",
            "Events per group commit",
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000),
            registry=self.registry,
        )
        self.commit_seconds = Histogram(
            "ocppcore_commit_seconds",
            "Time to write and fsync one group commit",
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0),
            registry=self.registry,
        )
        self.http = Counter(
            "ocppcore_http_requests",
            "HTTP requests by route, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )

    def track_connected(self, count: Callable[[], int]) -> None:
        self.connected.set_function(count)

    def observe_message(self, action: str, result: str) -> None:
        # Once per OCPP message: the labelled child is looked up (under the client's lock) once.
        child = self._message_children.get((action, result))
        if child is None:
            child = self._message_children[action, result] = self.messages.labels(action, result)
        child.inc()

    def observe_commit(self, events: int, seconds: float) -> None:
        self.batch_size.observe(events)
        self.commit_seconds.observe(seconds)
