"""`python -m bench COMMAND ...`: load generators and benchmarks for ocppcore."""

from __future__ import annotations

import sys

from bench import api_load, compare, load, push_load, report_load, scale, simulator

COMMANDS = {
    "simulate": simulator.main,
    "load": load.main,
    "compare": compare.main,
    "api": api_load.main,
    "push": push_load.main,
    "report": report_load.main,
    "scale": scale.main,
}


def run_all(argv: list[str]) -> int:
    """Every published figure, in the order bench/README.md gives them (about 15 minutes)."""
    store = "/tmp/ocppcore-bench-1m"
    steps = [
        ["load", "--chargers", "100", "--duration", "10"],
        ["load", "--chargers", "1000", "--duration", "10", "--warmup", "5"],
        ["compare"],
        ["api", "--sessions", "1000000", "--data", store],
        ["report", "--data", store],
        ["push", "--sessions", "1000000"],
    ]
    for step in steps:
        print(f"$ python -m bench {' '.join(step)}", flush=True)
        status = COMMANDS[step[0]](step[1:])
        if status:
            return status
    return 0


COMMANDS["all"] = run_all


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(
            f"usage: python -m bench {{{','.join(COMMANDS)}}} [options]   (--help on each)",
            file=sys.stderr,
        )
        return 2
    return COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
