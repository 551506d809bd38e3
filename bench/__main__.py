"""`python -m bench COMMAND ...`: load generators and benchmarks for ocppcore."""

from __future__ import annotations

import sys

from bench import api_load, ocpp_load, push_load, report_load

COMMANDS = {
    "ocpp": ocpp_load.main,
    "api": api_load.main,
    "push": push_load.main,
    "report": report_load.main,
}


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
