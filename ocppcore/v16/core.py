"""OCPP 1.6J Core profile (OCPP 1.6 sections 4 and 5, messages in section 6)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from ocppcore.v16.types import (
    ChargingProfile,
    CiString20,
    CiString25,
    CiString50,
    CiString255,
    CiString500,
    DateTime,
    IdTagInfo,
    IdToken,
    MeterValue,
    Payload,
    TransactionData,
)

# --- charge point -> central system -------------------------------------------------------


class AuthorizeRequest(Payload):
    """Section 4.1: may this idTag charge?"""

    id_tag: IdToken


class AuthorizeResponse(Payload):
    id_tag_info: IdTagInfo


class BootNotificationRequest(Payload):
    """Section 4.2: sent after each (re)boot."""

    charge_point_vendor: CiString20
    charge_point_model: CiString20
    charge_point_serial_number: CiString25 | None = None
    charge_box_serial_number: CiString25 | None = None
    firmware_version: CiString50 | None = None
    iccid: CiString20 | None = None
    imsi: CiString20 | None = None
    meter_type: CiString25 | None = None
    meter_serial_number: CiString25 | None = None


RegistrationStatus = Literal["Accepted", "Pending", "Rejected"]


class BootNotificationResponse(Payload):
    status: RegistrationStatus
    current_time: DateTime
    interval: int


DataTransferStatus = Literal["Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId"]


class DataTransferRequest(Payload):
    """Sections 4.3 and 5.6: vendor-specific data, in either direction."""

    vendor_id: CiString255
    message_id: CiString50 | None = None
    data: str | None = None


class DataTransferResponse(Payload):
    status: DataTransferStatus
    data: str | None = None


class HeartbeatRequest(Payload):
    """Section 4.6: keep-alive; the answer carries the central system's clock."""


class HeartbeatResponse(Payload):
    current_time: DateTime


class MeterValuesRequest(Payload):
    """Section 4.7: sampled meter values, during a transaction or clock-aligned."""

    connector_id: int
    meter_value: Annotated[list[MeterValue], msgspec.Meta(min_length=1)]
    transaction_id: int | None = None


class MeterValuesResponse(Payload):
    pass


class StartTransactionRequest(Payload):
    """Section 4.8: a transaction has started on a connector."""

    connector_id: int
    id_tag: IdToken
    meter_start: int
    timestamp: DateTime
    reservation_id: int | None = None


class StartTransactionResponse(Payload):
    id_tag_info: IdTagInfo
    transaction_id: int


ChargePointErrorCode = Literal[
    "ConnectorLockFailure",
    "EVCommunicationError",
    "GroundFailure",
    "HighTemperature",
    "InternalError",
    "LocalListConflict",
    "NoError",
    "OtherError",
    "OverCurrentFailure",
    "PowerMeterFailure",
    "PowerSwitchFailure",
    "ReaderFailure",
    "ResetFailure",
    "UnderVoltage",
    "OverVoltage",
    "WeakSignal",
]
ChargePointStatus = Literal[
    "Available",
    "Preparing",
    "Charging",
    "SuspendedEVSE",
    "SuspendedEV",
    "Finishing",
    "Reserved",
    "Unavailable",
    "Faulted",
]


class StatusNotificationRequest(Payload):
    """Section 4.9: a connector's (or, for connector 0, the charge point's) status changed."""

    connector_id: int
    error_code: ChargePointErrorCode
    status: ChargePointStatus
    info: CiString50 | None = None
    timestamp: DateTime | None = None
    vendor_id: CiString255 | None = None
    vendor_error_code: CiString50 | None = None


class StatusNotificationResponse(Payload):
    pass


StopReason = Literal[
    "EmergencyStop",
    "EVDisconnected",
    "HardReset",
    "Local",
    "Other",
    "PowerLoss",
    "Reboot",
    "Remote",
    "SoftReset",
    "UnlockCommand",
    "DeAuthorized",
]


class StopTransactionRequest(Payload):
    """Section 4.10: a transaction has stopped."""

    transaction_id: int
    meter_stop: int
    timestamp: DateTime
    id_tag: IdToken | None = None
    reason: StopReason | None = None
    transaction_data: list[TransactionData] | None = None


class StopTransactionResponse(Payload):
    id_tag_info: IdTagInfo | None = None


# --- central system -> charge point -------------------------------------------------------

AvailabilityType = Literal["Inoperative", "Operative"]
AvailabilityStatus = Literal["Accepted", "Rejected", "Scheduled"]


class ChangeAvailabilityRequest(Payload):
    """Section 5.2."""

    connector_id: int
    type: AvailabilityType


class ChangeAvailabilityResponse(Payload):
    status: AvailabilityStatus


ConfigurationStatus = Literal["Accepted", "Rejected", "RebootRequired", "NotSupported"]


class ChangeConfigurationRequest(Payload):
    """Section 5.3."""

    key: CiString50
    value: CiString500


class ChangeConfigurationResponse(Payload):
    status: ConfigurationStatus


ClearCacheStatus = Literal["Accepted", "Rejected"]


class ClearCacheRequest(Payload):
    """Section 5.4."""


class ClearCacheResponse(Payload):
    status: ClearCacheStatus


class GetConfigurationRequest(Payload):
    """Section 5.8."""

    key: list[CiString50] | None = None


class KeyValue(Payload):
    key: CiString50
    readonly: bool
    value: CiString500 | None = None


class GetConfigurationResponse(Payload):
    configuration_key: list[KeyValue] | None = None
    unknown_key: list[CiString50] | None = None


RemoteStartStopStatus = Literal["Accepted", "Rejected"]


class RemoteStartTransactionRequest(Payload):
    """Section 5.11."""

    id_tag: IdToken
    connector_id: int | None = None
    charging_profile: ChargingProfile | None = None


class RemoteStartTransactionResponse(Payload):
    status: RemoteStartStopStatus


class RemoteStopTransactionRequest(Payload):
    """Section 5.12."""

    transaction_id: int


class RemoteStopTransactionResponse(Payload):
    status: RemoteStartStopStatus


ResetType = Literal["Hard", "Soft"]
ResetStatus = Literal["Accepted", "Rejected"]


class ResetRequest(Payload):
    """Section 5.14."""

    type: ResetType


class ResetResponse(Payload):
    status: ResetStatus


UnlockStatus = Literal["Unlocked", "UnlockFailed", "NotSupported"]


class UnlockConnectorRequest(Payload):
    """Section 5.18."""

    connector_id: int


class UnlockConnectorResponse(Payload):
    status: UnlockStatus
