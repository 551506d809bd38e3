"""Every OCPP 1.6J action of the six feature profiles, with its request and confirmation Structs.

`ACTIONS` is the one table the rest of the code consults: the frame layer uses it to tell an
unknown action (NotImplemented) from a known one, and to pick the decoder for a payload.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Flag, auto

import msgspec

from ocppcore.v16 import (
    core,
    firmware,
    local_auth_list,
    remote_trigger,
    reservation,
    smart_charging,
)
from ocppcore.v16.types import Payload


class Direction(Flag):
    CP_TO_CS = auto()
    CS_TO_CP = auto()
    BOTH = CP_TO_CS | CS_TO_CP


@dataclass(frozen=True, slots=True)
class Action:
    name: str
    request: type[Payload]
    response: type[Payload]
    direction: Direction
    profile: str
    request_decoder: msgspec.json.Decoder[Payload]
    response_decoder: msgspec.json.Decoder[Payload]


def _action(name: str, module: object, direction: Direction, profile: str) -> Action:
    request = getattr(module, f"{name}Request")
    response = getattr(module, f"{name}Response")
    return Action(
        name=name,
        request=request,
        response=response,
        direction=direction,
        profile=profile,
        request_decoder=msgspec.json.Decoder(request),
        response_decoder=msgspec.json.Decoder(response),
    )


_CP, _CS, _BOTH = Direction.CP_TO_CS, Direction.CS_TO_CP, Direction.BOTH

ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        _action("Authorize", core, _CP, "Core"),
        _action("BootNotification", core, _CP, "Core"),
        _action("ChangeAvailability", core, _CS, "Core"),
        _action("ChangeConfiguration", core, _CS, "Core"),
        _action("ClearCache", core, _CS, "Core"),
        _action("DataTransfer", core, _BOTH, "Core"),
        _action("GetConfiguration", core, _CS, "Core"),
        _action("Heartbeat", core, _CP, "Core"),
        _action("MeterValues", core, _CP, "Core"),
        _action("RemoteStartTransaction", core, _CS, "Core"),
        _action("RemoteStopTransaction", core, _CS, "Core"),
        _action("Reset", core, _CS, "Core"),
        _action("StartTransaction", core, _CP, "Core"),
        _action("StatusNotification", core, _CP, "Core"),
        _action("StopTransaction", core, _CP, "Core"),
        _action("UnlockConnector", core, _CS, "Core"),
        _action("DiagnosticsStatusNotification", firmware, _CP, "FirmwareManagement"),
        _action("FirmwareStatusNotification", firmware, _CP, "FirmwareManagement"),
        _action("GetDiagnostics", firmware, _CS, "FirmwareManagement"),
        _action("UpdateFirmware", firmware, _CS, "FirmwareManagement"),
        _action("GetLocalListVersion", local_auth_list, _CS, "LocalAuthListManagement"),
        _action("SendLocalList", local_auth_list, _CS, "LocalAuthListManagement"),
        _action("CancelReservation", reservation, _CS, "Reservation"),
        _action("ReserveNow", reservation, _CS, "Reservation"),
        _action("ClearChargingProfile", smart_charging, _CS, "SmartCharging"),
        _action("GetCompositeSchedule", smart_charging, _CS, "SmartCharging"),
        _action("SetChargingProfile", smart_charging, _CS, "SmartCharging"),
        _action("TriggerMessage", remote_trigger, _CS, "RemoteTrigger"),
    )
}

# The 1.6 security extension (Security Whitepaper) defines these for 1.6J too. They are known
# actions this server does not handle, so a charger sending one gets NotSupported, not
# NotImplemented.
SECURITY_EXTENSION_ACTIONS = frozenset(
    {
        "CertificateSigned",
        "DeleteCertificate",
        "ExtendedTriggerMessage",
        "GetInstalledCertificateIds",
        "GetLog",
        "InstallCertificate",
        "LogStatusNotification",
        "SecurityEventNotification",
        "SignCertificate",
        "SignedFirmwareStatusNotification",
        "SignedUpdateFirmware",
    }
)

ACTION_OF_REQUEST: dict[type[Payload], Action] = {a.request: a for a in ACTIONS.values()}
