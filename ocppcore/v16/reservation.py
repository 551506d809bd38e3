"""OCPP 1.6J Reservation profile (OCPP 1.6 sections 5.1 and 5.13)."""

from __future__ import annotations

from typing import Literal

from ocppcore.v16.types import DateTime, IdToken, Payload

CancelReservationStatus = Literal["Accepted", "Rejected"]
ReservationStatus = Literal["Accepted", "Faulted", "Occupied", "Rejected", "Unavailable"]


class CancelReservationRequest(Payload):
    """Section 5.1."""

    reservation_id: int


class CancelReservationResponse(Payload):
    status: CancelReservationStatus


class ReserveNowRequest(Payload):
    """Section 5.13."""

    connector_id: int
    expiry_date: DateTime
    id_tag: IdToken
    reservation_id: int
    parent_id_tag: IdToken | None = None


class ReserveNowResponse(Payload):
    status: ReservationStatus
