"""What an accepted central system -> charge point command means for the views. Pure.

`effects(request, response, ...)` returns the domain events to record with the command's
outcome: a remote start the next StartTransaction links to, a reservation made or cancelled,
a charging profile set or cleared, a local list version the charger now holds.
"""

from __future__ import annotations

import msgspec

from ocppcore.clock import to_ms
from ocppcore.v16 import core, local_auth_list, reservation, smart_charging
from ocppcore.v16.types import Payload
from store import events as ev

_json = msgspec.json.Encoder()


def _accepted(response: Payload) -> bool:
    return getattr(response, "status", None) == "Accepted"


def effects(
    request: Payload, response: Payload, *, station: str, command: str, now: int
) -> list[ev.Event]:
    if not _accepted(response):
        return []
    match request:
        case core.RemoteStartTransactionRequest():
            return [
                ev.RemoteStartAccepted(
                    at=now, station=station, id_tag=request.id_tag, command=command,
                    connector_id=request.connector_id,
                )
            ]  # fmt: skip
        case reservation.ReserveNowRequest():
            return [
                ev.ReservationMade(
                    at=now, station=station, reservation_id=request.reservation_id,
                    connector_id=request.connector_id, id_tag=request.id_tag,
                    expiry=to_ms(request.expiry_date), parent_id_tag=request.parent_id_tag,
                    command=command,
                )
            ]  # fmt: skip
        case reservation.CancelReservationRequest():
            return [
                ev.ReservationCancelled(
                    at=now, station=station, reservation_id=request.reservation_id
                )
            ]
        case smart_charging.SetChargingProfileRequest():
            profile = request.cs_charging_profiles
            return [
                ev.ChargingProfileSet(
                    at=now, station=station, connector_id=request.connector_id,
                    profile_id=profile.charging_profile_id,
                    purpose=profile.charging_profile_purpose,
                    stack_level=profile.stack_level, profile=_json.encode(profile),
                )
            ]  # fmt: skip
        case smart_charging.ClearChargingProfileRequest():
            return [
                ev.ChargingProfilesCleared(
                    at=now, station=station, profile_id=request.id,
                    connector_id=request.connector_id, purpose=request.charging_profile_purpose,
                    stack_level=request.stack_level,
                )
            ]  # fmt: skip
        case local_auth_list.SendLocalListRequest():
            entries = len(request.local_authorization_list or ())
            return [
                ev.LocalListSent(
                    at=now, station=station, version=request.list_version,
                    update_type=request.update_type, entries=entries,
                )
            ]  # fmt: skip
    return []
