"""OCPP 1.6J Smart Charging profile (OCPP 1.6 sections 3.13, 5.5, 5.7, 5.16)."""

from __future__ import annotations

from typing import Literal

from ocppcore.v16.types import (
    ChargingProfile,
    ChargingProfilePurpose,
    ChargingRateUnit,
    ChargingSchedule,
    DateTime,
    Payload,
)

ClearChargingProfileStatus = Literal["Accepted", "Unknown"]
GetCompositeScheduleStatus = Literal["Accepted", "Rejected"]
ChargingProfileStatus = Literal["Accepted", "Rejected", "NotSupported"]


class ClearChargingProfileRequest(Payload):
    """Section 5.5: every criterion given must match for a profile to be cleared."""

    id: int | None = None
    connector_id: int | None = None
    charging_profile_purpose: ChargingProfilePurpose | None = None
    stack_level: int | None = None


class ClearChargingProfileResponse(Payload):
    status: ClearChargingProfileStatus


class GetCompositeScheduleRequest(Payload):
    """Section 5.7."""

    connector_id: int
    duration: int
    charging_rate_unit: ChargingRateUnit | None = None


class GetCompositeScheduleResponse(Payload):
    status: GetCompositeScheduleStatus
    connector_id: int | None = None
    schedule_start: DateTime | None = None
    charging_schedule: ChargingSchedule | None = None


class SetChargingProfileRequest(Payload):
    """Section 5.16."""

    connector_id: int
    cs_charging_profiles: ChargingProfile


class SetChargingProfileResponse(Payload):
    status: ChargingProfileStatus
