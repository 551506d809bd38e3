"""`python -m bench simulate`: realistic OCPP 1.6J charge points on Trio.

Each simulated charger boots, reports its connectors, heartbeats at the interval the central
system gives, and runs charging sessions: Authorize, StartTransaction, MeterValues every
`--meter-interval` seconds with the usual sampled values (energy register, power, current and
voltage per phase, state of charge), StopTransaction with transactionData. It answers the
central system's calls (RemoteStart/Stop, Reset, GetConfiguration, ChangeConfiguration,
TriggerMessage, ChangeAvailability, UnlockConnector, ...). When the server goes away it
reconnects with backoff and, as real chargers do, re-sends its unanswered transaction messages
first, unchanged. At the end of `--duration` every charger finishes its session
(StopTransaction) and disconnects, so the central system is left with no open transactions;
chargers that cannot within `STOP_GRACE` seconds (the server is gone) are cut off. Progress is
shown every second; a summary at the end.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import trio

from bench.wsclient import Closed, RawWebSocket

TRANSACTION_ACTIONS = frozenset({"StartTransaction", "MeterValues", "StopTransaction"})
# What a lost connection raises; the charger then reconnects, as real ones do.
_LOST = (Closed, trio.BrokenResourceError, trio.ClosedResourceError, trio.TooSlowError, OSError)
STOP_GRACE = 10.0  # seconds a charger has after the deadline to stop its session


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Settings:
    host: str
    port: int
    prefix: str
    session_seconds: float = 60.0
    idle_seconds: float = 10.0
    meter_interval: float = 10.0
    call_timeout: float = 30.0


@dataclass
class Stats:
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] += n


class Charger:
    """One simulated charge point, one connector."""

    def __init__(self, name: str, settings: Settings, stats: Stats, rng: random.Random) -> None:
        self.name = name
        self.s = settings
        self.stats = stats
        self.rng = rng
        self.ws: RawWebSocket | None = None
        self.connected = trio.Event()
        self.send_lock = trio.Lock()
        self.call_lock = trio.Lock()
        self.ids = itertools.count(1)
        self.answer: trio.MemorySendChannel[list[Any]] | None = None
        self.unanswered: list[tuple[str, dict[str, Any]]] = []  # transaction messages to re-send
        self.resent_answers: dict[str, dict[str, Any]] = {}
        self.heartbeat_interval = 300.0
        self.energy_wh = float(rng.randrange(0, 5_000_000))  # the register, kept exact
        self.transaction: int | None = None
        self.remote_start: trio.MemorySendChannel[str] | None = None
        self.stop_now = trio.Event()
        self.config: dict[str, str] = {
            "HeartbeatInterval": "300",
            "MeterValueSampleInterval": str(int(settings.meter_interval)),
        }

    # --- connection ------------------------------------------------------------------------

    async def run(self, deadline: float) -> None:
        """Charge until `deadline`, then finish the session under way and disconnect."""
        with trio.move_on_at(deadline + STOP_GRACE):
            async with trio.open_nursery() as nursery:
                send, receive = trio.open_memory_channel[str](8)
                self.remote_start = send
                nursery.start_soon(self._connection_loop)
                nursery.start_soon(self._heartbeats)
                await self._behaviour(receive, deadline)
                nursery.cancel_scope.cancel()

    async def _connection_loop(self) -> None:
        backoff = 0.5
        while True:
            try:
                self.ws = await RawWebSocket.connect(
                    self.s.host, self.s.port, f"{self.s.prefix}/{self.name}"
                )
            except (OSError, Closed, trio.BrokenResourceError):
                self.stats.add("connect failures")
                await trio.sleep(backoff * self.rng.uniform(0.5, 1.5))
                backoff = min(backoff * 2, 30)
                continue
            backoff = 0.5
            self.stats.add("connections")
            try:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._reader)
                    await self._boot()
                    await self._resend_unanswered()
                    self.connected.set()
                    await trio.sleep_forever()
            except* _LOST:
                pass
            self.stats.add("disconnections")
            self.connected = trio.Event()
            if self.answer is not None:
                self.answer.close()
            await trio.sleep(backoff * self.rng.uniform(0.5, 1.5))

    async def _reader(self) -> None:
        assert self.ws is not None
        while True:  # ends with the connection (Closed): the connection loop then reconnects
            frame = json.loads(await self.ws.receive_text())
            if frame[0] == 2:
                await self._answer_call(frame[1], frame[2], frame[3])
            elif self.answer is not None:
                self.answer.send_nowait(frame)

    async def _send(self, frame: list[Any]) -> None:
        assert self.ws is not None
        async with self.send_lock:
            await self.ws.send_text(json.dumps(frame))

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """One CALL at a time. Transaction messages are kept until answered: when the connection
        drops, the next connection re-sends them (`_resend_unanswered`); others are sent again."""
        record = (action, payload)
        if action in TRANSACTION_ACTIONS and record not in self.unanswered:
            self.unanswered.append(record)
        while True:
            await self.connected.wait()
            try:
                async with self.call_lock:
                    return await self._call_now(action, payload, record)
            except _LOST:
                self.stats.add("calls interrupted")
                await trio.sleep(0.05)  # let the connection loop notice and reconnect
                if action in TRANSACTION_ACTIONS and record not in self.unanswered:
                    return self.resent_answers.pop(action, {})

    async def _call_now(
        self, action: str, payload: dict[str, Any], record: tuple[str, dict[str, Any]]
    ) -> dict[str, Any]:
        unique_id = f"{self.name}-{next(self.ids)}"
        send, receive = trio.open_memory_channel[list[Any]](4)
        self.answer = send
        started = time.perf_counter()
        await self._send([2, unique_id, action, payload])
        with trio.fail_after(self.s.call_timeout):
            async for frame in receive:
                if frame[1] != unique_id:
                    continue
                self.stats.add("messages")
                self.stats.add("latency_us_total", int((time.perf_counter() - started) * 1e6))
                if record in self.unanswered:
                    self.unanswered.remove(record)
                if frame[0] == 4:
                    self.stats.add(f"CALLERROR {frame[2]}")
                    return {}
                result: dict[str, Any] = frame[2]
                return result
        raise Closed("connection lost while waiting for an answer")

    async def _boot(self) -> None:
        async with self.call_lock:
            answer = await self._call_now(
                "BootNotification",
                {
                    "chargePointVendor": "ocppcore-sim",
                    "chargePointModel": "AC22",
                    "firmwareVersion": "1.4.2",
                    "chargePointSerialNumber": self.name[-25:],
                },
                ("BootNotification", {}),
            )
            self.heartbeat_interval = float(answer.get("interval") or 300)
            for connector in (0, 1):
                await self._call_now(
                    "StatusNotification",
                    {
                        "connectorId": connector,
                        "errorCode": "NoError",
                        "status": "Charging" if self.transaction and connector else "Available",
                    },
                    ("StatusNotification", {}),
                )

    async def _resend_unanswered(self) -> None:
        async with self.call_lock:
            for action, payload in list(self.unanswered):
                self.stats.add("re-sent")
                answer = await self._call_now(action, payload, (action, payload))
                self.resent_answers[action] = answer
                if action == "StartTransaction" and "transactionId" in answer:
                    self.transaction = answer["transactionId"]

    async def _heartbeats(self) -> None:
        while True:
            await trio.sleep(max(1.0, self.heartbeat_interval))
            await self.call("Heartbeat", {})

    # --- what a charger does ------------------------------------------------------------------

    async def _behaviour(
        self, remote_starts: trio.MemoryReceiveChannel[str], deadline: float
    ) -> None:
        with trio.move_on_at(deadline):
            await self.connected.wait()
        while trio.current_time() < deadline:
            id_tag = None
            idle = self.rng.expovariate(1 / max(self.s.idle_seconds, 0.01))
            with trio.move_on_at(min(trio.current_time() + idle, deadline)):
                id_tag = await remote_starts.receive()
            if id_tag is None:
                if trio.current_time() >= deadline:
                    return
                id_tag = f"TAG-{self.rng.randrange(1000):04d}"
                authorized = await self.call("Authorize", {"idTag": id_tag})
                if authorized.get("idTagInfo", {}).get("status") != "Accepted":
                    self.stats.add("authorizations refused")
                    continue
                if trio.current_time() >= deadline:
                    return  # the run ended while authorizing: no session to start
            await self._session(id_tag, deadline)

    async def _session(self, id_tag: str, deadline: float) -> None:
        await self.call(
            "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Preparing"}
        )
        start = {
            "connectorId": 1,
            "idTag": id_tag,
            "meterStart": int(self.energy_wh),
            "timestamp": _now(),
        }
        answer = await self.call("StartTransaction", start)
        self.transaction = answer.get("transactionId")
        if self.transaction is None:
            return
        self.stats.add("sessions started")
        await self.call(
            "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Charging"}
        )
        power_w = self.rng.choice([3_700, 7_400, 11_000, 22_000])
        soc = self.rng.uniform(10, 60)
        self.stop_now = trio.Event()
        transaction_data = []
        ends = min(
            trio.current_time() + self.rng.uniform(0.5, 1.5) * self.s.session_seconds, deadline
        )
        while trio.current_time() < ends and not self.stop_now.is_set():
            with trio.move_on_after(self.s.meter_interval):
                await self.stop_now.wait()
            self.energy_wh += power_w * self.s.meter_interval / 3600
            soc = min(100.0, soc + power_w * self.s.meter_interval / 3600 / 600)
            value = self._meter_value(power_w, soc)
            transaction_data.append(value)
            await self.call(
                "MeterValues",
                {"connectorId": 1, "transactionId": self.transaction, "meterValue": [value]},
            )
        reason = "Remote" if self.stop_now.is_set() else "EVDisconnected"
        stop = {
            "transactionId": self.transaction,
            "meterStop": int(self.energy_wh),
            "timestamp": _now(),
            "idTag": id_tag,
            "reason": reason,
            "transactionData": transaction_data[-3:],
        }
        await self.call("StopTransaction", stop)
        self.stats.add("sessions stopped")
        self.transaction = None
        await self.call(
            "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
        )

    def _meter_value(self, power_w: int, soc: float) -> dict[str, Any]:
        amps = power_w / 230 / (3 if power_w > 7_400 else 1)
        phases = ["L1", "L2", "L3"] if power_w > 7_400 else ["L1"]
        sampled = [
            {
                "value": f"{self.energy_wh / 1000:.3f}",
                "measurand": "Energy.Active.Import.Register",
                "unit": "kWh",
                "context": "Sample.Periodic",
            },
            {"value": str(power_w), "measurand": "Power.Active.Import", "unit": "W"},
            *(
                {"value": f"{amps:.1f}", "measurand": "Current.Import", "unit": "A", "phase": p}
                for p in phases
            ),
            *(
                {
                    "value": f"{self.rng.uniform(228, 234):.1f}",
                    "measurand": "Voltage",
                    "unit": "V",
                    "phase": f"{p}-N",
                }
                for p in phases
            ),
            {"value": f"{soc:.0f}", "measurand": "SoC", "unit": "Percent", "location": "EV"},
        ]
        return {"timestamp": _now(), "sampledValue": sampled}

    # --- the central system's calls ------------------------------------------------------

    async def _answer_call(self, unique_id: str, action: str, payload: dict[str, Any]) -> None:
        self.stats.add(f"received {action}")
        result: dict[str, Any] | None = {"status": "Accepted"}
        if action == "RemoteStartTransaction":
            if self.transaction is None and self.remote_start is not None:
                self.remote_start.send_nowait(payload["idTag"])
            else:
                result = {"status": "Rejected"}
        elif action == "RemoteStopTransaction":
            if payload.get("transactionId") == self.transaction:
                self.stop_now.set()
            else:
                result = {"status": "Rejected"}
        elif action == "GetConfiguration":
            keys = payload.get("key") or list(self.config)
            result = {
                "configurationKey": [
                    {"key": k, "readonly": False, "value": self.config[k]}
                    for k in keys
                    if k in self.config
                ],
                "unknownKey": [k for k in keys if k not in self.config],
            }
        elif action == "ChangeConfiguration":
            self.config[payload["key"]] = payload["value"]
        elif action == "UnlockConnector":
            result = {"status": "Unlocked"}
        elif action == "GetLocalListVersion":
            result = {"listVersion": 0}
        elif action in (
            "Reset",
            "ChangeAvailability",
            "ClearCache",
            "TriggerMessage",
            "SendLocalList",
            "ReserveNow",
            "CancelReservation",
            "SetChargingProfile",
            "ClearChargingProfile",
            "DataTransfer",
        ):
            pass
        elif action in ("UpdateFirmware", "GetDiagnostics"):
            result = {}
        else:
            result = None
        if result is None:
            await self._send([4, unique_id, "NotSupported", f"{action} is not simulated", {}])
        else:
            await self._send([3, unique_id, result])
        if action == "Reset" and self.ws is not None:
            await self.ws.aclose()  # a reset reboots: reconnect and boot again
        if action == "TriggerMessage" and payload.get("requestedMessage") == "Heartbeat":
            self.stats.add("triggered")


async def simulate(
    url: str, chargers: int, duration: float, settings: dict[str, float], seed: int
) -> Stats:
    parts = urlsplit(url)
    s = Settings(
        parts.hostname or "127.0.0.1", parts.port or 80, parts.path.rstrip("/"), **settings
    )
    stats = Stats()
    rng = random.Random(seed)
    deadline = trio.current_time() + duration
    started = time.monotonic()
    async with trio.open_nursery() as nursery:
        for n in range(chargers):
            charger = Charger(f"SIM-{seed}-{n:05d}", s, stats, random.Random(rng.random()))
            nursery.start_soon(charger.run, deadline)

        async def progress() -> None:
            while trio.current_time() < deadline:
                await trio.sleep(1)
                c = stats.counts
                print(
                    f"\r{time.monotonic() - started:6.0f} s  connected {c['connections'] - c['disconnections']:>6}  "
                    f"messages {c['messages']:>9,}  sessions {c['sessions started']:>6}/{c['sessions stopped']:<6}  "
                    f"re-sent {c['re-sent']:>5}  connect failures {c['connect failures']:>5}",
                    end="",
                    file=sys.stderr,
                    flush=True,
                )

        nursery.start_soon(progress)
    print(file=sys.stderr)
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench simulate", description=__doc__)
    parser.add_argument(
        "--url", default="ws://127.0.0.1:9000/ocpp", help="the central system (loopback by default)"
    )
    parser.add_argument("--chargers", type=int, default=10)
    parser.add_argument(
        "--duration", type=float, default=60.0, help="seconds, then every charger stops"
    )
    parser.add_argument("--session-seconds", type=float, default=60.0)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--meter-interval", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    if not 1 <= args.chargers <= 20_000 or not 0 < args.duration <= 24 * 3600:
        parser.error("--chargers in [1, 20000], --duration in (0, 86400]")
    if min(args.session_seconds, args.idle_seconds, args.meter_interval) <= 0:
        parser.error("--session-seconds, --idle-seconds and --meter-interval must be positive")
    if urlsplit(args.url).scheme not in ("ws",) or not urlsplit(args.url).hostname:
        parser.error("--url must be ws://HOST:PORT/PATH (TLS is not simulated)")
    timing = {
        "session_seconds": args.session_seconds,
        "idle_seconds": args.idle_seconds,
        "meter_interval": args.meter_interval,
    }
    stats = trio.run(simulate, args.url, args.chargers, args.duration, timing, args.seed)
    summary = dict(stats.counts)
    if summary.get("messages"):
        summary["mean_latency_ms"] = round(
            summary.pop("latency_us_total") / summary["messages"] / 1000, 2
        )
    print(
        json.dumps(summary)
        if args.json
        else "\n".join(f"  {k}: {v}" for k, v in sorted(summary.items()))
    )
    return 0
