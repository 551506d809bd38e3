"""Every fact the store records, as one tagged union of Structs, MessagePack-encoded in the log.

Rules for events:
- An event says what happened, with everything its views need: a view never looks anything up
  outside the log (driver, vehicle and tariff of a session are copied into its start event), so
  replaying the log always rebuilds the same views.
- `at` is the server's clock when the fact was recorded, in milliseconds since the epoch; times
  the charge point reported (`timestamp`) are kept separately, also in UTC milliseconds.
- Events are never changed once written. New fields get defaults, so old logs still decode.
"""

from __future__ import annotations

from typing import Literal

import msgspec

IdTagPolicy = Literal["open", "registry"]
IdTagStatus = Literal["Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"]


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="t", omit_defaults=True, gc=False):
    """Plain data, never in a reference cycle: not tracked by the cyclic garbage collector."""

    at: int


# --- accounts, keys, registry ----------------------------------------------------------


class AccountCreated(Event, tag="account_created"):
    account: str
    name: str
    id_tag_policy: IdTagPolicy = "registry"


class IdTagPolicySet(Event, tag="id_tag_policy_set"):
    account: str
    id_tag_policy: IdTagPolicy


class Tariff(msgspec.Struct, frozen=True):
    price_per_kwh: int  # minor units of `currency`
    currency: str
    country: str


class TariffSet(Event, tag="tariff_set"):
    account: str
    tariff: Tariff


class ApiKeyCreated(Event, tag="api_key_created"):
    key_id: str
    account: str
    display: str
    digest: bytes


class ApiKeyRevoked(Event, tag="api_key_revoked"):
    key_id: str


class StationRegistered(Event, tag="station_registered"):
    station: str
    account: str
    charge_point_id: str
    token_digest: bytes
    password_hash: str | None = None


class StationPasswordSet(Event, tag="station_password_set"):
    station: str
    password_hash: str | None


Registration = Literal["accepted", "pending", "rejected"]


class StationRegistrationSet(Event, tag="station_registration_set"):
    """What BootNotification answers the station: accepted, pending or rejected."""

    station: str
    registration: Registration


class StationTokenRotated(Event, tag="station_token_rotated"):
    station: str
    token_digest: bytes


class IdTagSet(Event, tag="id_tag_set"):
    account: str
    id_tag: str
    status: IdTagStatus = "Accepted"
    expiry: int | None = None
    parent_id_tag: str | None = None
    driver: str | None = None
    vehicle: str | None = None
    fleet: str | None = None


# --- charge points -----------------------------------------------------------------------


class ServerStarted(Event, tag="server_started"):
    """Every station is offline until it connects again."""


class StationConnected(Event, tag="station_connected"):
    station: str
    connection: int


class StationDisconnected(Event, tag="station_disconnected"):
    station: str
    connection: int


class StationBooted(Event, tag="station_booted"):
    station: str
    vendor: str
    model: str
    charge_point_serial_number: str | None = None
    charge_box_serial_number: str | None = None
    firmware_version: str | None = None
    iccid: str | None = None
    imsi: str | None = None
    meter_type: str | None = None
    meter_serial_number: str | None = None


class StationHeartbeat(Event, tag="station_heartbeat"):
    station: str


class ConnectorStatusReported(Event, tag="connector_status"):
    station: str
    connector_id: int
    status: str
    error_code: str
    timestamp: int | None = None
    info: str | None = None
    vendor_id: str | None = None
    vendor_error_code: str | None = None


class FirmwareStatusReported(Event, tag="firmware_status"):
    station: str
    status: str


class DiagnosticsStatusReported(Event, tag="diagnostics_status"):
    station: str
    status: str


class DataTransferred(Event, tag="data_transferred"):
    station: str
    vendor_id: str
    message_id: str | None = None
    data: str | None = None


class Sample(msgspec.Struct, frozen=True, omit_defaults=True):
    """One sampled value as the charge point reported it (fields absent take OCPP defaults)."""

    timestamp: int
    value: str
    measurand: str | None = None
    unit: str | None = None
    context: str | None = None
    phase: str | None = None
    location: str | None = None
    format: str | None = None


class TransactionStarted(Event, tag="transaction_started"):
    """`transaction_id` 0 asks the store to allocate one when it admits the event."""

    station: str
    account: str
    session: str
    connector_id: int
    id_tag: str
    meter_start: int
    timestamp: int
    id_tag_status: IdTagStatus
    transaction_id: int = 0
    reservation_id: int | None = None
    driver: str | None = None
    vehicle: str | None = None
    fleet: str | None = None
    tariff: Tariff | None = None


class MeterValuesReported(Event, tag="meter_values"):
    """`energy_wh` is the latest Energy.Active.Import.Register reading among `samples`, in Wh."""

    station: str
    connector_id: int
    digest: bytes
    samples: list[Sample]
    transaction_id: int | None = None
    energy_wh: int | None = None


class TransactionStopped(Event, tag="transaction_stopped"):
    """`transaction_id` -1 (or any id the store does not know) is an orphan stop: recorded only."""

    station: str
    transaction_id: int
    meter_stop: int
    timestamp: int
    digest: bytes
    reason: str | None = None
    id_tag: str | None = None
    samples: list[Sample] = []


class SessionPushed(Event, tag="session_pushed"):
    """A completed session pushed through the gateway API. Duplicates: same account, instants and
    energy (instants in UTC ms, so one moment written with two offsets is the same)."""

    account: str
    session: str
    connected: int
    disconnected: int
    energy_wh: int
    tariff: Tariff | None = None


class SiteMeters(msgspec.Struct, frozen=True, omit_defaults=True):
    production_kw: float | None = None
    net_import_kw: float | None = None
    consumption_kw: float | None = None
    imported_kwh: float | None = None
    exported_kwh: float | None = None
    battery_discharge_kw: float | None = None
    battery_soc: float | None = None
    battery_energy_kwh: float | None = None


class SolarReadingPushed(Event, tag="solar_reading_pushed"):
    """`error`: the pushed error text, or the server's verdict on the power balance."""

    account: str
    reading: str
    tsms: int | None = None
    meters: SiteMeters | None = None
    error: str | None = None
    min_interval_ms: int = 30_000


ReportType = Literal["charging_summary", "charging_sessions"]
GroupBy = Literal["vehicle", "driver", "fleet", "charging_station", "day"]


class ReportRequested(Event, tag="report_requested"):
    """A CSV report asked for; `filters` maps vehicle/driver/fleet/charging_station to ids."""

    account: str
    report: str
    type: ReportType
    period_start: int
    period_end: int
    filters: dict[str, list[str]] = {}
    group_by: GroupBy | None = None
    fleet: str | None = None


class ReportSucceeded(Event, tag="report_succeeded"):
    account: str
    report: str
    event: str  # the id of the `report.succeeded` event clients list and receive
    size: int


class ReportFailed(Event, tag="report_failed"):
    account: str
    report: str
    event: str
    reason: str


class WebhookEndpointCreated(Event, tag="webhook_endpoint_created"):
    account: str
    endpoint: str
    url: str
    enabled_events: list[str]
    secret: str  # the signing secret: kept to sign, shown to the client once


class WebhookEndpointDeleted(Event, tag="webhook_endpoint_deleted"):
    endpoint: str


class WebhookAttempted(Event, tag="webhook_attempted"):
    """One delivery attempt of `event` to `endpoint`; `next_attempt` None when it is final."""

    endpoint: str
    event: str
    attempt: int
    delivered: bool
    status: int | None = None
    error: str | None = None
    next_attempt: int | None = None


class CommandRequested(Event, tag="command_requested"):
    """A central system -> charge point CALL asked for through the API; payload as JSON."""

    account: str
    station: str
    command: str
    action: str
    payload: bytes


class CommandFinished(Event, tag="command_finished"):
    """`status`: succeeded, rejected (CALLERROR or invalid answer), timeout, offline, lost."""

    command: str
    status: str
    response: bytes | None = None
    error_code: str | None = None
    error_description: str | None = None


class RemoteStartAccepted(Event, tag="remote_start_accepted"):
    """A charger accepted a remote start: its next start for `id_tag` was started remotely."""

    station: str
    id_tag: str
    command: str
    connector_id: int | None = None


class ReservationMade(Event, tag="reservation_made"):
    station: str
    reservation_id: int
    connector_id: int
    id_tag: str
    expiry: int
    parent_id_tag: str | None = None
    command: str | None = None


class ReservationCancelled(Event, tag="reservation_cancelled"):
    station: str
    reservation_id: int


class ChargingProfileSet(Event, tag="charging_profile_set"):
    """What a charger was told (SetChargingProfile accepted); `profile` as JSON."""

    station: str
    connector_id: int
    profile_id: int
    purpose: str
    stack_level: int
    profile: bytes


class ChargingProfilesCleared(Event, tag="charging_profiles_cleared"):
    """ClearChargingProfile accepted: every stored profile matching all given criteria."""

    station: str
    profile_id: int | None = None
    connector_id: int | None = None
    purpose: str | None = None
    stack_level: int | None = None


class LocalListSent(Event, tag="local_list_sent"):
    station: str
    version: int
    update_type: str
    entries: int


AnyEvent = (
    AccountCreated
    | IdTagPolicySet
    | TariffSet
    | ApiKeyCreated
    | ApiKeyRevoked
    | StationRegistered
    | StationPasswordSet
    | StationTokenRotated
    | StationRegistrationSet
    | IdTagSet
    | ServerStarted
    | StationConnected
    | StationDisconnected
    | StationBooted
    | StationHeartbeat
    | ConnectorStatusReported
    | FirmwareStatusReported
    | DiagnosticsStatusReported
    | DataTransferred
    | TransactionStarted
    | MeterValuesReported
    | TransactionStopped
    | SessionPushed
    | SolarReadingPushed
    | ReportRequested
    | ReportSucceeded
    | ReportFailed
    | WebhookEndpointCreated
    | WebhookEndpointDeleted
    | WebhookAttempted
    | CommandRequested
    | CommandFinished
    | RemoteStartAccepted
    | ReservationMade
    | ReservationCancelled
    | ChargingProfileSet
    | ChargingProfilesCleared
    | LocalListSent
)

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(AnyEvent)


def encode(event: Event) -> bytes:
    return _encoder.encode(event)


def decode(data: bytes) -> AnyEvent:
    event: AnyEvent = _decoder.decode(data)
    return event
