"""Our message Structs against the official OCPP 1.6 JSON schemas (shipped by the `ocpp` package).

For every action of the six feature profiles, requests and confirmations:
- payloads generated from our Structs validate against the official schema and round-trip;
- payloads generated from the official schema decode into our Structs.
"""

from __future__ import annotations

import json
from decimal import Decimal
from importlib import resources
from typing import Any

import jsonschema
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ocppcore.v16 import ACTIONS
from tests.strategies import from_json_schema, payloads

SCHEMAS = resources.files("ocpp") / "v16" / "schemas"


def _decimal_multiple_of(validator: Any, step: float, instance: Any, schema: Any) -> Any:
    # The official schemas say `multipleOf: 0.1` for decimals; checked in binary floating point
    # (jsonschema's default) 0.3 is wrongly refused. OCPP means decimal arithmetic.
    is_number = isinstance(instance, int | float) and not isinstance(instance, bool)
    if is_number and Decimal(str(instance)) % Decimal(str(step)) != 0:
        yield jsonschema.ValidationError(f"{instance} is not a multiple of {step}")


Validator = jsonschema.validators.extend(
    jsonschema.Draft4Validator, {"multipleOf": _decimal_multiple_of}
)
KINDS = [(name, kind) for name in sorted(ACTIONS) for kind in ("request", "response")]


def official_schema(action: str, kind: str) -> dict[str, Any]:
    filename = f"{action}.json" if kind == "request" else f"{action}Response.json"
    schema: dict[str, Any] = json.loads((SCHEMAS / filename).read_text())
    return schema


def struct_of(action: str, kind: str) -> type[msgspec.Struct]:
    a = ACTIONS[action]
    return a.request if kind == "request" else a.response


def test_every_action_of_the_six_profiles_is_defined() -> None:
    profiles = {a.profile for a in ACTIONS.values()}
    assert profiles == {
        "Core",
        "FirmwareManagement",
        "LocalAuthListManagement",
        "Reservation",
        "SmartCharging",
        "RemoteTrigger",
    }
    assert len(ACTIONS) == 28
    for name in ACTIONS:
        official_schema(name, "request")
        official_schema(name, "response")


@pytest.mark.parametrize(("action", "kind"), KINDS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_our_payloads_validate_against_the_official_schema(
    action: str, kind: str, data: st.DataObject
) -> None:
    struct = struct_of(action, kind)
    payload = data.draw(payloads(struct))
    decoded = msgspec.json.decode(msgspec.json.encode(payload), type=struct)
    encoded = msgspec.json.decode(msgspec.json.encode(decoded))
    Validator(official_schema(action, kind)).validate(encoded)


@pytest.mark.parametrize(("action", "kind"), KINDS)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data())
def test_schema_valid_payloads_decode(action: str, kind: str, data: st.DataObject) -> None:
    schema = official_schema(action, kind)
    payload = data.draw(from_json_schema(schema))
    struct = struct_of(action, kind)
    msgspec.json.decode(json.dumps(payload), type=struct)
