"""What the views hold: one Struct per materialized object, MessagePack-encoded."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

import msgspec

from store.events import IdTagPolicy, IdTagStatus, SiteMeters, Tariff

SessionStatus = Literal["active", "completed", "cancelled", "failed"]


class Record(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    """A view's row. Plain data, never in a reference cycle, so not tracked by the cyclic
    garbage collector: a report decodes a million of them, and tracking them made it 6x slower
    (`bench report`)."""


R = TypeVar("R", bound=Record)


class AccountRecord(Record):
    id: str
    name: str
    id_tag_policy: IdTagPolicy
    created: int
    tariff: Tariff | None = None


class ApiKeyRecord(Record):
    id: str
    account: str
    display: str
    digest: bytes
    created: int
    revoked: int | None = None


class IdTagRecord(Record):
    account: str
    id_tag: str
    status: IdTagStatus
    created: int
    updated: int
    expiry: int | None = None
    parent_id_tag: str | None = None
    driver: str | None = None
    vehicle: str | None = None
    fleet: str | None = None


class ConnectorRecord(Record):
    status: str
    error_code: str
    updated: int
    timestamp: int | None = None
    info: str | None = None
    vendor_id: str | None = None
    vendor_error_code: str | None = None


class BootRecord(Record):
    vendor: str
    model: str
    at: int
    charge_point_serial_number: str | None = None
    charge_box_serial_number: str | None = None
    firmware_version: str | None = None
    iccid: str | None = None
    imsi: str | None = None
    meter_type: str | None = None
    meter_serial_number: str | None = None


class StationRecord(Record):
    id: str
    account: str
    charge_point_id: str
    token_digest: bytes
    created: int
    password_hash: str | None = None
    registration: str = "accepted"  # accepted, pending or rejected
    online: bool = False
    connection: int = 0
    last_seen: int | None = None
    boot: BootRecord | None = None
    connectors: dict[int, ConnectorRecord] = {}
    firmware_status: str | None = None
    diagnostics_status: str | None = None
    local_list_version: int = 0
    local_list_sent_at: int | None = None


class SessionRecord(Record):
    """A charging session, in the shape of the API's `charging_session` plus what OCPP needs."""

    id: str
    account: str
    charging_station: str | None  # None for sessions pushed through the gateway API
    connector: str | None
    created: int
    updated: int
    status: SessionStatus
    energy_consumed: int
    amount_due: int
    seq: int  # log position of the event that created it: orders sessions created in one ms
    session_started: int
    source: Literal["ocpp", "push"] = "ocpp"
    session_ended: int | None = None
    currency: str | None = None
    country: str | None = None
    price_per_kwh: int | None = None
    driver: str | None = None
    vehicle: str | None = None
    fleet: str | None = None
    payment_method: str | None = None
    id_tag: str | None = None
    transaction_id: int | None = None
    meter_start: int | None = None
    meter_stop: int | None = None
    stop_reason: str | None = None
    remote_start: str | None = None  # the command that started it remotely, if one did


_encoder = msgspec.msgpack.Encoder()
_decoders: dict[type[Record], msgspec.msgpack.Decoder[Any]] = {}


def encode(record: Record) -> bytes:
    return _encoder.encode(record)


def decode(kind: type[R], data: bytes) -> R:
    decoder = _decoders.get(kind)
    if decoder is None:
        decoder = _decoders[kind] = msgspec.msgpack.Decoder(kind)
    result: R = decoder.decode(data)
    return result


class SessionTotals(Record):
    """The fields of a SessionRecord that totals need: decoding only these is twice as fast."""

    created: int
    energy_consumed: int
    amount_due: int
    charging_station: str | None = None
    currency: str | None = None
    driver: str | None = None
    vehicle: str | None = None
    fleet: str | None = None


class SolarReadingRecord(Record):
    id: str
    account: str
    created: int
    seq: int
    tsms: int | None = None
    meters: SiteMeters | None = None
    error: str | None = None


class ReportRecord(Record):
    id: str
    account: str
    created: int
    seq: int
    type: str
    period_start: int
    period_end: int
    status: Literal["pending", "succeeded", "failed"] = "pending"
    filters: dict[str, list[str]] = {}
    group_by: str | None = None
    fleet: str | None = None
    size: int = 0
    succeeded_at: int | None = None
    failure_reason: str | None = None


class EventRecord(Record):
    """An event clients list (`GET /v1/events`) and webhooks deliver."""

    id: str
    account: str
    type: str  # report.succeeded, report.failed
    created: int
    seq: int
    report: str


class WebhookEndpointRecord(Record):
    id: str
    account: str
    url: str
    enabled_events: list[str]
    secret: str
    created: int
    seq: int
    deleted: int | None = None


class DeliveryRecord(Record):
    event: str
    endpoint: str
    attempts: int = 0
    delivered: bool = False
    abandoned: bool = False
    next_attempt: int | None = None
    last_status: int | None = None
    last_error: str | None = None


class CommandRecord(Record):
    id: str
    account: str
    station: str
    action: str
    payload: bytes
    created: int
    seq: int
    status: str = "pending"
    response: bytes | None = None
    error_code: str | None = None
    error_description: str | None = None
    completed: int | None = None


class ReservationRecord(Record):
    station: str
    reservation_id: int
    connector_id: int
    id_tag: str
    expiry: int
    created: int
    status: Literal["active", "cancelled", "used"] = "active"
    parent_id_tag: str | None = None
    session: str | None = None


class ChargingProfileRecord(Record):
    station: str
    connector_id: int
    profile_id: int
    purpose: str
    stack_level: int
    profile: bytes
    set_at: int
