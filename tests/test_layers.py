"""The architecture's layering, enforced: the OCPP protocol logic and the central-system
handlers are sans-I/O, and the store knows nothing of OCPP or HTTP."""

from __future__ import annotations

import subprocess
import sys

import pytest

IO_LIBRARIES = ("trio", "trio_websocket", "lmdb", "quart", "quart_trio", "hypercorn")


def imported_by(module: str) -> set[str]:
    code = f"import sys, {module}; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize(
    "module",
    [
        "ocppcore.frames",
        "ocppcore.errors",
        "ocppcore.session",
        "ocppcore.v16",
        "ocppcore.handlers.central",
        "ocppcore.transport.rfc6455",
    ],
)
def test_protocol_and_handlers_import_no_io_library(module: str) -> None:
    assert imported_by(module).isdisjoint(IO_LIBRARIES)


@pytest.mark.parametrize("module", ["store.log", "store.writer", "store.rebuild", "store.admin"])
def test_store_knows_nothing_of_ocpp_or_http(module: str) -> None:
    modules = imported_by(module)
    assert not {m for m in modules if m.split(".")[0] in ("ocppcore", "api", "quart", "hypercorn")}
