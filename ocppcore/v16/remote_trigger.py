"""OCPP 1.6J Remote Trigger profile (OCPP 1.6 section 5.17)."""

from __future__ import annotations

from typing import Literal

from ocppcore.v16.types import Payload

MessageTrigger = Literal[
    "BootNotification",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "StatusNotification",
]
TriggerMessageStatus = Literal["Accepted", "Rejected", "NotImplemented"]


class TriggerMessageRequest(Payload):
    """Section 5.17: ask the charge point to send one of its messages now."""

    requested_message: MessageTrigger
    connector_id: int | None = None


class TriggerMessageResponse(Payload):
    status: TriggerMessageStatus
