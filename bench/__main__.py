"""`python -m bench COMMAND ...`: charger simulators, load generators and benchmarks."""

from __future__ import annotations

import sys

from bench import api_load, compare, figures, load, push_load, report_load, scale, simulator

COMMANDS = {
    "simulate": simulator.main,
    "load": load.main,
    "compare": compare.main,
    "scale": scale.main,
    "api": api_load.main,
    "push": push_load.main,
    "report": report_load.main,
}


def run_all(argv: list[str]) -> int:
    """Every published figure (about 30 minutes), written into bench/README.md's tables;
    `all TABLE ...` runs only those tables."""
    tables = [name for name, _, _ in figures.STEPS]
    unknown = [name for name in argv if name not in tables]
    if unknown:
        print(f"unknown tables {unknown}; the tables are {tables}", file=sys.stderr)
        return 2
    return figures.run_all(COMMANDS, argv)


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
