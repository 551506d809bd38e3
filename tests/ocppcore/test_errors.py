"""error_for: msgspec's validation messages mapped to OCPP-J error codes, pinned row by row."""

from __future__ import annotations

import msgspec
import pytest

from ocppcore import errors
from ocppcore.v16 import core, firmware

ROWS = [
    (
        core.StartTransactionRequest,
        b'{"idTag":"A","meterStart":1,"timestamp":"2026-01-01T00:00:00Z"}',
        "OccurenceConstraintViolation",
    ),
    (
        core.StartTransactionRequest,
        b'{"connectorId":"1","idTag":"A","meterStart":1,"timestamp":"2026-01-01T00:00:00Z"}',
        "TypeConstraintViolation",
    ),
    (
        core.StartTransactionRequest,
        b'{"connectorId":1,"idTag":"A","meterStart":1.5,"timestamp":"2026-01-01T00:00:00Z"}',
        "TypeConstraintViolation",
    ),
    (
        core.StartTransactionRequest,
        b'{"connectorId":1,"idTag":"A","meterStart":1,"timestamp":"noon"}',
        "TypeConstraintViolation",
    ),
    (
        core.StartTransactionRequest,
        b'{"connectorId":1,"idTag":"'
        + b"A" * 21
        + b'","meterStart":1,"timestamp":"2026-01-01T00:00:00Z"}',
        "PropertyConstraintViolation",
    ),
    (
        firmware.FirmwareStatusNotificationRequest,
        b'{"status":"Exploded"}',
        "PropertyConstraintViolation",
    ),
    (core.MeterValuesRequest, b'{"connectorId":1,"meterValue":[]}', "PropertyConstraintViolation"),
    (core.HeartbeatRequest, b"[]", "FormationViolation"),
    (core.HeartbeatRequest, b'"text"', "FormationViolation"),
    (
        core.BootNotificationRequest,
        b'{"chargePointVendor":null,"chargePointModel":"M"}',
        "TypeConstraintViolation",
    ),
]


@pytest.mark.parametrize(("struct", "payload", "code"), ROWS)
def test_error_for_maps_msgspec_messages(struct: type, payload: bytes, code: str) -> None:
    with pytest.raises(msgspec.ValidationError) as caught:
        msgspec.json.decode(payload, type=struct)
    assert errors.error_for(caught.value).code == code


def test_every_error_class_is_named_by_its_code() -> None:
    for code, cls in errors.ERROR_CODES.items():
        assert cls.code == code
        assert cls.__name__ == code or (
            code == "NotImplemented" and cls is errors.ActionNotImplemented
        )
