"""The `ocppcore` command line, run as a real process; admin commands while the server runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import trio
from trio_websocket import ConnectionRejected

from tests.conftest import BOOT, ServiceFactory, connect, store_of


def ocppcore(data: Path, *args: str, ok: bool = True) -> Any:
    result = subprocess.run(
        [sys.executable, "-m", "ocppcore", *args, "--data", str(data)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if ok:
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    return result.stderr


def test_admin_commands_print_json(tmp_path: Path) -> None:
    data = tmp_path / "data"
    created = ocppcore(data, "accounts", "set", "fleetco", "--id-tag-policy", "registry")
    assert created["created"] and created["id_tag_policy"] == "registry"
    key = ocppcore(data, "keys", "create", "--account", "fleetco")
    assert key["api_key"].startswith("sk_live_") and key["account"] == "fleetco"
    charger = ocppcore(
        data, "chargers", "add", "CP-17", "--account", "fleetco", "--password", "s3cretpassword"
    )
    assert charger["connection_token"] and charger["ocpp_url"] == "ws://127.0.0.1:9000/ocpp/CP-17"
    assert charger["token_url"].endswith("/cp/" + charger["connection_token"])
    again = ocppcore(
        data, "chargers", "add", "CP-17", "--account", "fleetco", "--password", "an0therpassword"
    )
    assert (
        again["connection_token"] is None and again["id"] == charger["id"] and not again["created"]
    )
    assert charger["registration"] == "accepted"
    pending = ocppcore(
        data, "chargers", "add", "CP-17", "--account", "fleetco", "--registration", "pending"
    )
    assert pending["registration"] == "pending" and pending["connection_token"] is None
    tag = ocppcore(
        data,
        "id-tags",
        "add",
        "RFID-1",
        "--account",
        "fleetco",
        "--driver",
        "drv_1",
        "--expires",
        "2030-01-01T00:00:00Z",
    )
    assert tag["created"]
    assert not ocppcore(
        data, "id-tags", "add", "rfid-1", "--account", "fleetco", "--status", "Blocked"
    )["created"]
    tariff = ocppcore(
        data,
        "tariff",
        "set",
        "--account",
        "fleetco",
        "--price-per-kwh",
        "25",
        "--currency",
        "EUR",
        "--country",
        "fr",
    )
    assert tariff == {"account": "fleetco", "price_per_kwh": 25, "currency": "eur", "country": "FR"}
    revoked = ocppcore(data, "keys", "revoke", key["prefix"])
    assert revoked["revoked"]
    rebuilt = ocppcore(data, "views", "rebuild", "--check")
    assert rebuilt["equal"] and rebuilt["events"] >= 8


@pytest.mark.parametrize(
    "args",
    [
        ("keys", "create", "--account", "nobody"),
        ("tariff", "set", "--price-per-kwh", "-1", "--currency", "eur", "--country", "FR"),
        ("tariff", "set", "--price-per-kwh", "5", "--currency", "euro", "--country", "FR"),
        ("id-tags", "add", "A-TAG-THAT-IS-FAR-TOO-LONG"),
        ("id-tags", "add", "T", "--expires", "tomorrow"),
        ("chargers", "add", "CP-1", "--password", "short"),
        ("keys", "revoke", "sk_live_nothing"),
    ],
)
def test_bad_admin_input_is_a_clear_error(tmp_path: Path, args: tuple[str, ...]) -> None:
    data = tmp_path / "data"
    ocppcore(data, "accounts", "set", "default")
    message = ocppcore(data, *args, ok=False)
    assert message.strip()


def test_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("ocpp_port = 'ninety'\n")
    message = ocppcore(tmp_path / "d", "serve", "--config", str(config), ok=False)
    assert "ocpp_port" in message


async def test_admin_takes_effect_while_the_server_runs(start_service: ServiceFactory) -> None:
    svc = await start_service()
    data = Path(svc.config.data)
    with trio.fail_after(5), pytest.raises(ConnectionRejected):
        async with connect(svc, "CP-LIVE"):
            pass
    await trio.to_thread.run_sync(lambda: ocppcore(data, "chargers", "add", "CP-LIVE"))
    with trio.fail_after(5):
        async with connect(svc, "CP-LIVE") as cp:
            assert (await cp.call("BootNotification", BOOT))["status"] == "Accepted"
            await trio.to_thread.run_sync(
                lambda: ocppcore(data, "accounts", "set", "default", "--id-tag-policy", "registry")
            )
            assert (await cp.call("Authorize", {"idTag": "UNKNOWN"}))["idTagInfo"][
                "status"
            ] == "Invalid"
            await trio.to_thread.run_sync(lambda: ocppcore(data, "id-tags", "add", "UNKNOWN"))
            assert (await cp.call("Authorize", {"idTag": "unknown"}))["idTagInfo"][
                "status"
            ] == "Accepted"
    rebuilt = await trio.to_thread.run_sync(lambda: ocppcore(data, "views", "rebuild", "--check"))
    assert rebuilt["equal"]
    assert store_of(svc).last_seq() == rebuilt["events"]
