"""`python -m bench all`: run every published benchmark and rewrite its table in bench/README.md.

Each table sits between `<!-- figures:NAME -->` and `<!-- /figures:NAME -->`; everything
outside the markers is prose and is left as it is. A step that fails leaves its table alone.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import platform
import re
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

README = Path(__file__).with_name("README.md")
STORE_1M = "/tmp/ocppcore-bench-1m"
Render = Callable[[Any], list[str]]


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _verified(result: dict[str, Any]) -> str:
    v = result.get("verified")
    if not v:
        return "not checked"
    if v["problems"]:
        return f"**{sum(v['problems'].values())} problems**"
    return f"all {v['sessions_checked']:,} present"


def _load_rows(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| chargers | pace | durable msg/s | p50 ms | p90 ms | p99 ms | max ms | errors "
        "| server CPU | server RSS | sessions verified via the API |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lat, server = r["latency_ms"], r["server"]
        pace = f"{r['rate_per_charger']:g} msg/s each" if r["rate_per_charger"] else "back to back"
        errors = r["errors"] + r["timeouts"] + r["connect_failures"]
        lines.append(
            f"| {r['chargers']:,} | {pace} | {_n(r['msg_per_s'])} | {lat['p50']} | {lat['p90']} "
            f"| {lat['p99']} | {lat['max']} | {errors} | {server['cpu_percent']} % "
            f"| {server['rss_mb']} MB | {_verified(r)} |"
        )
    return lines


def _compare(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| chargers | ocppcore (durable) | peer: `ocpp` library (stores nothing) "
        "| ceiling: trio-websocket echo | ocppcore / peer | ocppcore / ceiling |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        ours, peer, ceiling = (
            row[name]["msg_per_s"] for name in ("ocppcore", "peer (ocpp library)", "ceiling (echo)")
        )
        lines.append(
            f"| {row['chargers']:,} | {_n(ours)} msg/s | {_n(peer)} msg/s | {_n(ceiling)} msg/s "
            f"| **{row['vs peer']}x** | **{row['of ceiling']:.0%}** |"
        )
    return lines


def _api(r: dict[str, Any]) -> list[str]:
    lines = [
        f"{r['sessions']:,} sessions, generated in {r['generation_s']} s through the writer "
        "(0 when reused from `--data`).",
        "",
        "| request | p50 ms | p90 ms | p99 ms |",
        "|---|---:|---:|---:|",
    ]
    for name, lat in r["latency_ms"].items():
        lines.append(f"| {name} | {lat['p50']} | {lat['p90']} | {lat['p99']} |")
    lines += [
        "",
        "| throughput, 8 keep-alive connections | requests/s |",
        "|---|---:|",
        f"| first page of 100 | {_n(r['requests_per_s'])} |",
        f"| first page of 10 (the default limit) | {_n(r['requests_per_s_limit_10'])} |",
        f"| bare Quart-trio + Hypercorn, fixed body (the stack's ceiling) "
        f"| {_n(r['ceiling_requests_per_s'])} |",
    ]
    return lines


def _report(runs: list[dict[str, Any]]) -> list[str]:
    def row(label: str, cell: Callable[[dict[str, Any]], str]) -> str:
        return f"| {label} | " + " | ".join(cell(r) for r in runs) + " |"

    def ack(p: str) -> Callable[[dict[str, Any]], str]:
        return lambda r: f"{r['ocpp_idle_ms'][p]} → {r['ocpp_during_report_ms'][p]} ms"

    return [
        f"| {runs[0]['sessions']:,} sessions | "
        + " | ".join(f"run {i + 1}" for i in range(len(runs)))
        + " |",
        "|---|" + "---:|" * len(runs),
        row("report succeeded after", lambda r: f"{r['report_s']} s"),
        row("heap growth while it ran", lambda r: f"{r['heap_growth_mb']} MB"),
        row("mapped store pages read in", lambda r: f"{r['mapped_file_growth_mb']} MB"),
        row("OCPP ack p50 idle → during", ack("p50")),
        row("OCPP ack p99 idle → during", ack("p99")),
    ]


def _push(r: dict[str, Any]) -> list[str]:
    lines = [
        "| phase | sessions/s (durable) | elapsed | accepted | duplicates | rejected "
        "| server CPU |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for phase in ("first push", "same sessions again"):
        p = r[phase]
        lines.append(
            f"| {r['sessions']:,} sessions, {phase} | {_n(p['sessions_per_s'])} | {p['seconds']} s "
            f"| {p['accepted']:,} | {p['duplicates']:,} | {p['rejected']} | {p['cpu_percent']} % |"
        )
    return lines


def _connected(r: dict[str, Any]) -> list[str]:
    rss, hb = r["server_rss_mb"], r["latency_ms"].get("heartbeat", {})
    return [
        "| | |",
        "|---|---:|",
        f"| chargers connected / listed online by the API | {r['connected']:,} / "
        f"{r['listed_online']:,} of {r['chargers']:,} |",
        f"| time to connect and boot them all | {r['connected_in_s']} s |",
        f"| server RSS idle → all connected | {rss['idle']} → {rss['all connected (peak)']} MB |",
        f"| RSS per connection | {r['rss_per_connection_kb']} kB |",
        f"| heartbeat ack (interval {r['heartbeat_interval_s']} s) p50 / p99 / max "
        f"| {hb.get('p50')} / {hb.get('p99')} / {hb.get('max')} ms |",
        f"| server CPU while held | {r['server_cpu_percent']} % |",
    ]


def _storm(r: dict[str, Any]) -> list[str]:
    back = r["latency_ms"].get("reconnect to accepted boot", {})
    return [
        "| | |",
        "|---|---:|",
        f"| chargers with an open transaction before the storm | "
        f"{r['booted_with_a_transaction']:,} of {r['chargers']:,} |",
        f"| reboots accepted | {r['reboots_accepted']:,} |",
        f"| last charger back (window {r['window_s']:g} s) | {r['all_back_after_s']} s |",
        f"| reconnect to accepted boot p50 / p99 | {back.get('p50')} / {back.get('p99')} ms |",
        f"| listed online afterwards | {r['listed_online']:,} |",
        f"| interrupted sessions stopped, listed once with their final energy | {_verified(r)} |",
    ]


def _soak(r: dict[str, Any]) -> list[str]:
    minutes = r["memory"][::6]  # sampled every 10 s
    heap = r.get("heap_growth_after_first_minute_mb")
    rss = r.get("rss_growth_after_first_minute_mb")
    return [
        *_load_rows([r]),
        "",
        f"Heap growth after the first minute: **{heap} MB**; RSS growth: {rss} MB (mapped pages "
        "of the growing store file).",
        "",
        "| minute | " + " | ".join(f"{m['t_s'] / 60:.0f}" for m in minutes) + " |",
        "|---|" + "---:|" * len(minutes),
        "| heap MB | " + " | ".join(f"{m['heap_mb']}" for m in minutes) + " |",
        "| RSS MB | " + " | ".join(f"{m['rss_mb']}" for m in minutes) + " |",
    ]


def _machine(_: Any) -> list[str]:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    packages = ["trio", "trio-websocket", "wsproto", "msgspec", "lmdb", "hypercorn", "quart-trio"]
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in packages)
    peer = ", ".join(f"{p} {metadata.version(p)}" for p in ("ocpp", "websockets"))
    return [
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} vCPU ({cpu}), "
        f"{memory_gib:.0f} GiB, Linux {platform.release()}; CPython {platform.python_version()}, "
        f"{versions}; the peer on {peer}.",
    ]


# (table, command line, renderer); a list of command lines renders one table from several runs.
STEPS: list[tuple[str, list[list[str]], Render]] = [
    ("machine", [], _machine),
    (
        "load",
        [
            ["load", "--chargers", "100", "--duration", "10"],
            ["load", "--chargers", "1000", "--duration", "10", "--warmup", "5"],
            ["load", "--chargers", "1000", "--rate", "1", "--duration", "30", "--warmup", "5"],
        ],
        _load_rows,
    ),
    ("compare", [["compare"]], lambda rs: _compare(rs[0])),
    ("api", [["api", "--sessions", "1000000", "--data", STORE_1M]], lambda rs: _api(rs[0])),
    # Twice: the first run may read the store from disk, the second finds it in the page cache.
    ("report", [["report", "--data", STORE_1M]] * 2, _report),
    ("push", [["push", "--sessions", "1000000"]], lambda rs: _push(rs[0])),
    ("connected", [["scale", "connected"]], lambda rs: _connected(rs[0])),
    ("storm", [["scale", "storm"]], lambda rs: _storm(rs[0])),
    ("soak", [["scale", "soak"]], lambda rs: _soak(rs[0])),
]


def _run(commands: dict[str, Callable[[list[str]], int]], argv: list[str]) -> Any:
    print(f"$ python -m bench {' '.join(argv)}", flush=True)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = commands[argv[0]]([*argv[1:], "--json"])
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    print(json.dumps(result)[:400], flush=True)
    if status:
        print(f"  (exit status {status}: the table shows what it measured)", flush=True)
    return result


def replace_table(text: str, name: str, lines: list[str]) -> str:
    pattern = re.compile(
        rf"(<!-- figures:{name} -->\n).*?(<!-- /figures:{name} -->)", flags=re.DOTALL
    )
    if not pattern.search(text):
        raise KeyError(f"bench/README.md has no <!-- figures:{name} --> marker")
    return pattern.sub(lambda m: m.group(1) + "\n".join(lines) + "\n" + m.group(2), text)


def run_all(commands: dict[str, Callable[[list[str]], int]], only: list[str]) -> int:
    failed = []
    for name, argvs, render in STEPS:
        if only and name not in only:
            continue
        try:
            lines = render([_run(commands, argv) for argv in argvs] if argvs else None)
        except Exception as exc:  # one failed benchmark must not cost the others' figures
            print(f"  {name}: failed: {exc!r}", flush=True)
            failed.append(name)
            continue
        README.write_text(replace_table(README.read_text(), name, lines))
        print(f"  bench/README.md: {name} updated", flush=True)
    return 1 if failed else 0
