"""CPU and memory of a process, read from /proc (Linux)."""

from __future__ import annotations

import os
import time


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def rss_mb(pid: int, kind: str = "VmRSS") -> float:
    """Resident memory in MB: `VmRSS` (all), `RssAnon` (heap and stacks) or `RssFile`
    (file-backed pages, e.g. LMDB's memory map, which the kernel reclaims under pressure)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(f"{kind}:"):
                return int(line.split()[1]) / 1024
    return 0.0


class ProcessSampler:
    """CPU utilisation between start() and stop(), and RSS at stop."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._cpu = 0.0
        self._wall = 0.0

    def start(self) -> None:
        self._cpu, self._wall = _cpu_seconds(self.pid), time.monotonic()

    def stop(self) -> dict[str, float]:
        cpu, wall = _cpu_seconds(self.pid), time.monotonic()
        return {
            "cpu_percent": round(100 * (cpu - self._cpu) / max(wall - self._wall, 1e-9), 1),
            "rss_mb": round(rss_mb(self.pid), 1),
        }
