"""Settings: embedded defaults, then a TOML file (`--config`), then the environment, then flags.

The TOML file holds the same names as the flags, with underscores (`ocpp_port = 9000`). A bad
value is a `ConfigError` naming the setting, reported without a traceback.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any

import msgspec

Port = Annotated[int, msgspec.Meta(ge=0, le=65535)]
Positive = Annotated[int, msgspec.Meta(ge=1)]
Seconds = Annotated[float, msgspec.Meta(gt=0)]


class Config(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    data: str = "./data"
    ocpp_host: str = "127.0.0.1"
    ocpp_port: Port = 9000
    http_host: str = "127.0.0.1"
    http_port: Port = 8080
    heartbeat_interval: Positive = 300
    allow_unknown_chargers: bool = False
    max_frame_size: Annotated[int, msgspec.Meta(ge=1024)] = 64 * 1024
    ping_interval: Seconds = 60.0
    ping_timeout: Seconds = 20.0
    map_size: Annotated[int, msgspec.Meta(ge=2**20)] = 64 * 2**30
    # The base URL chargers use to reach the OCPP listener, when it differs from the listening
    # address (behind a proxy or TLS terminator), e.g. "wss://ocpp.example.com".
    public_ocpp_url: str | None = None
    log_level: str = "info"
    # Push APIs: requests per hour per API key on the sessions gateway (0 lifts the limit), and
    # the least time between two solar pushes of one site (0 lifts it).
    gateway_requests_per_hour: Annotated[int, msgspec.Meta(ge=0)] = 100
    solar_min_interval_s: Annotated[int, msgspec.Meta(ge=0)] = 30
    # Webhooks: first retry after this many seconds, doubling each time, at most this many tries.
    webhook_retry_base_s: Seconds = 10.0
    webhook_max_attempts: Annotated[int, msgspec.Meta(ge=1, le=50)] = 8


ENVIRONMENT = {"OCPPCORE_DATA": "data"}


class ConfigError(Exception):
    pass


def load(path: str | None, overrides: dict[str, Any]) -> Config:
    """The effective configuration. Raises ConfigError naming the offending setting."""
    values: dict[str, Any] = {}
    if path is not None:
        try:
            values.update(tomllib.loads(Path(path).read_text()))
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    for variable, name in ENVIRONMENT.items():
        if variable in os.environ:
            values[name] = os.environ[variable]
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return msgspec.convert(values, Config)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"invalid setting: {exc}") from None


def connection_urls(
    config: Config, charge_point_id: str, token: str | None
) -> dict[str, str | None]:
    """Both URLs a charger can connect with (the token URL only when the token is shown)."""
    base = config.public_ocpp_url or f"ws://{config.ocpp_host}:{config.ocpp_port}"
    base = base.rstrip("/")
    return {
        "ocpp_url": f"{base}/ocpp/{charge_point_id}",
        "token_url": f"{base}/cp/{token}" if token else None,
    }
