"""Servers under test, started as child processes pinned to CPU 0 (the load runs on the others).

`Ocppcore` runs `ocppcore serve` on a data directory with both listeners on ephemeral loopback
ports; `Peer` runs any other server module that logs `OCPP listening on ws://HOST:PORT`.
Both keep draining the child's output so a chatty server never blocks on a full pipe.
"""

from __future__ import annotations

import gc
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ocppcore.cli import GC_THRESHOLDS

_OCPP = re.compile(rb"OCPP listening on ws://[^\s]+:(\d+)")
_HTTP = re.compile(rb"HTTP API listening on http://[^\s]+:(\d+)")
SERVER_CPU = 0


def load_cpus() -> set[int]:
    """The CPUs left to load generators once a server holds SERVER_CPU."""
    cpus = os.sched_getaffinity(0)
    return (cpus - {SERVER_CPU}) or cpus


def _lift_file_limit() -> None:
    """Thousands of sockets need thousands of descriptors: the soft limit goes to the hard one."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def prepare_load_process() -> None:
    """What a load process holding thousands of sockets needs: descriptors, and the
    garbage-collector thresholds `ocppcore serve` uses, or its own full collections (hundreds of
    ms with 10,000 connections) show up as server latency."""
    _lift_file_limit()
    gc.set_threshold(*GC_THRESHOLDS)


def _pinned() -> None:
    os.sched_setaffinity(0, {SERVER_CPU})
    _lift_file_limit()


def _start(
    command: list[str], patterns: list[re.Pattern[bytes]]
) -> tuple[subprocess.Popen[bytes], list[int], bytes]:
    """Start `command`; return it once every pattern matched its stderr, with the matched ports
    and whatever it had printed on stdout by then."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
        preexec_fn=_pinned,
    )
    assert process.stderr is not None and process.stdout is not None
    seen, deadline = b"", time.monotonic() + 60
    while not all(p.search(seen) for p in patterns):
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError(f"server did not start: {seen.decode(errors='replace')}")
        seen += os.read(process.stderr.fileno(), 65536)
    os.set_blocking(process.stdout.fileno(), False)
    try:
        printed = os.read(process.stdout.fileno(), 65536)
    except BlockingIOError:
        printed = b""
    os.set_blocking(process.stdout.fileno(), True)
    for stream in (process.stderr, process.stdout):
        subprocess.Popen(["cat"], stdin=stream, stdout=subprocess.DEVNULL)
    ports = [int(m.group(1)) for p in patterns if (m := p.search(seen))]
    return process, ports, printed


def _stop(process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Ocppcore:
    """`ocppcore serve` on `data` (a fresh temporary directory when None, removed at stop)."""

    def __init__(self, data: Path | None = None, extra: list[str] | None = None) -> None:
        self.temporary = data is None
        self.data = data or Path(tempfile.mkdtemp(prefix="ocppcore-bench-"))
        command = [sys.executable, "-m", "ocppcore", "serve", "--data", str(self.data)]
        command += ["--ocpp-port", "0", "--http-port", "0", *(extra or [])]
        self.process, (self.ocpp_port, self.http_port), printed = _start(command, [_OCPP, _HTTP])
        # On an empty data directory the server prints account `default`'s API key once.
        self.api_key: str | None = None
        for line in printed.splitlines():
            self.api_key = json.loads(line).get("api_key", self.api_key)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def ocpp_url(self) -> str:
        return f"ws://127.0.0.1:{self.ocpp_port}/ocpp"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def stop(self) -> None:
        _stop(self.process)
        if self.temporary:
            shutil.rmtree(self.data, ignore_errors=True)


class Peer:
    """Another server: `python -m MODULE 0`, e.g. the `ocpp`-library peer, the echo, or the bare
    HTTP stack (`http=True`: it logs `HTTP API listening on ...`)."""

    def __init__(self, arguments: list[str], *, http: bool = False) -> None:
        pattern = _HTTP if http else _OCPP
        self.process, (self.port,), _ = _start([sys.executable, *arguments], [pattern])

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def ocpp_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp"

    def stop(self) -> None:
        _stop(self.process, timeout=10)
