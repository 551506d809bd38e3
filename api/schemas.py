"""The API's wire formats as msgspec Structs: they validate requests, shape responses, and are
the source of the OpenAPI document (`api/openapi.py`), so the three cannot drift apart.

Objects follow the seeds exactly: every field is always present, `null` when unknown.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")]
Timestamp = Annotated[
    str,
    msgspec.Meta(description="RFC 3339, UTC, milliseconds", examples=["2026-04-01T01:24:13.285Z"]),
]
Limit = Annotated[int, msgspec.Meta(ge=1, le=100, description="page size, default 10")]
PageToken = Annotated[
    str, msgspec.Meta(max_length=512, description="token from a previous page URL")
]
SessionStatus = Literal["active", "completed", "cancelled", "failed"]


class Query(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of query-string Structs: unknown parameters are refused."""


class CreatedRange(Query):
    created: Timestamp | None = None
    created_gt: Timestamp | None = msgspec.field(default=None, name="created[gt]")
    created_gte: Timestamp | None = msgspec.field(default=None, name="created[gte]")
    created_lt: Timestamp | None = msgspec.field(default=None, name="created[lt]")
    created_lte: Timestamp | None = msgspec.field(default=None, name="created[lte]")
    limit: Limit = 10
    page: PageToken | None = None


class SessionQuery(CreatedRange):
    driver: Id | None = None
    fleet: Id | None = None
    vehicle: Id | None = None
    charging_station: Id | None = None
    status: SessionStatus | None = None


class ChargingSession(msgspec.Struct):
    """`charging_station` and `connector` are null for sessions pushed through the gateway API."""

    id: str
    object: Literal["charging_session"]
    amount_due: int
    amount_paid: int
    charging_station: str | None
    connector: str | None
    country: str | None
    created: Timestamp
    currency: str | None
    driver: str | None
    energy_consumed: int
    fleet: str | None
    payment_method: str | None
    session_ended: Timestamp | None
    session_started: Timestamp
    status: SessionStatus
    updated: Timestamp
    vehicle: str | None


class ChargingSessionList(msgspec.Struct):
    data: list[ChargingSession]
    next_page_url: str | None
    previous_page_url: str | None


class StationQuery(Query):
    charge_point_id: Annotated[str, msgspec.Meta(min_length=1, max_length=48)] | None = None
    status: Literal["online", "offline"] | None = None
    limit: Limit = 10
    page: PageToken | None = None


class BootInfo(msgspec.Struct):
    vendor: str
    model: str
    booted: Timestamp
    charge_point_serial_number: str | None
    charge_box_serial_number: str | None
    firmware_version: str | None
    iccid: str | None
    imsi: str | None
    meter_type: str | None
    meter_serial_number: str | None


class Connector(msgspec.Struct):
    connector_id: int
    status: str
    error_code: str
    info: str | None
    vendor_id: str | None
    vendor_error_code: str | None
    timestamp: Timestamp | None
    updated: Timestamp


class ChargingStation(msgspec.Struct):
    id: str
    object: Literal["charging_station"]
    charge_point_id: str
    created: Timestamp
    online: bool
    last_seen: Timestamp | None
    password_protected: bool
    registration: str
    local_list_version: int
    boot: BootInfo | None
    connectors: list[Connector]
    firmware_status: str | None
    diagnostics_status: str | None


class ChargingStationList(msgspec.Struct):
    data: list[ChargingStation]
    next_page_url: str | None
    previous_page_url: str | None


Password = Annotated[str, msgspec.Meta(min_length=8, max_length=40)]


Registration = Literal["accepted", "pending", "rejected"]


class StationCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    charge_point_id: Annotated[
        str, msgspec.Meta(min_length=1, max_length=48, pattern=r"^[^/\x00-\x1f]+$")
    ]
    password: Password | None = None
    registration: Registration = "accepted"


class StationUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Fields given replace the stored ones; `password: null` removes Basic auth."""

    registration: Registration | msgspec.UnsetType = msgspec.UNSET
    password: Password | msgspec.UnsetType | None = msgspec.UNSET


class StationCreated(msgspec.Struct):
    charging_station: ChargingStation
    connection_token: str
    ocpp_url: str
    token_url: str


IdTagText = Annotated[str, msgspec.Meta(min_length=1, max_length=20, pattern=r"^[\x20-\x7e]+$")]
IdTagStatus = Literal["Accepted", "Blocked", "Expired"]


class IdTagCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id_tag: IdTagText
    status: IdTagStatus = "Accepted"
    expiry_date: Timestamp | None = None
    parent_id_tag: IdTagText | None = None
    driver: Id | None = None
    vehicle: Id | None = None
    fleet: Id | None = None


class IdTagUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Fields given replace the stored ones; `null` clears an optional field."""

    status: IdTagStatus | msgspec.UnsetType = msgspec.UNSET
    expiry_date: Timestamp | msgspec.UnsetType | None = msgspec.UNSET
    parent_id_tag: IdTagText | msgspec.UnsetType | None = msgspec.UNSET
    driver: Id | msgspec.UnsetType | None = msgspec.UNSET
    vehicle: Id | msgspec.UnsetType | None = msgspec.UNSET
    fleet: Id | msgspec.UnsetType | None = msgspec.UNSET


class IdTag(msgspec.Struct):
    id_tag: str
    object: Literal["id_tag"]
    status: str
    expiry_date: Timestamp | None
    parent_id_tag: str | None
    driver: str | None
    vehicle: str | None
    fleet: str | None
    created: Timestamp
    updated: Timestamp


class IdTagList(msgspec.Struct):
    data: list[IdTag]
    next_page_url: str | None
    previous_page_url: str | None


class IdTagQuery(Query):
    limit: Limit = 10
    page: PageToken | None = None


class TariffBody(msgspec.Struct, forbid_unknown_fields=True):
    price_per_kwh: Annotated[int, msgspec.Meta(ge=0, le=1_000_000, description="minor units")]
    currency: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z]{3}$")]
    country: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z]{2}$")]


class AccountUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id_tag_policy: Literal["open", "registry"] | None = None
    tariff: TariffBody | None = None


class Account(msgspec.Struct):
    id: str
    object: Literal["account"]
    name: str
    id_tag_policy: str
    tariff: TariffBody | None
    created: Timestamp


class ApiKey(msgspec.Struct):
    id: str
    object: Literal["api_key"]
    prefix: str
    created: Timestamp
    revoked: Timestamp | None


class ApiKeyCreated(msgspec.Struct):
    api_key: ApiKey
    secret: Annotated[str, msgspec.Meta(description="the key itself; shown once")]


class ApiKeyList(msgspec.Struct):
    data: list[ApiKey]


class Health(msgspec.Struct):
    status: Literal["ok", "failing"]
    store: bool
    writer: bool
    connected_chargers: int


# --- push APIs -------------------------------------------------------------------------------


class PushedSession(msgspec.Struct, forbid_unknown_fields=True):
    """One element of `sessions` (ChargeReport push API). ISO 8601 with an offset."""

    carConnected: str
    carDisconnected: str
    kiloWattHours: float


class GatewayPush(msgspec.Struct, forbid_unknown_fields=True):
    sessions: Annotated[list[Any], msgspec.Meta(description="1 to 100 sessions")]


class Rejection(msgspec.Struct):
    index: int
    code: str
    message: str


class GatewayResult(msgspec.Struct):
    accepted: int
    duplicates: int
    rejected: list[Rejection]


Kw = Annotated[float, msgspec.Meta(ge=-100_000, le=100_000)]
Kwh = Annotated[float, msgspec.Meta(ge=0, le=1e9)]


class SiteMetersIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    production_kw: Kw | None = None
    net_import_kw: Kw | None = None
    consumption_kw: Kw | None = None
    imported_kwh: Kwh | None = None
    exported_kwh: Kwh | None = None
    battery_discharge_kw: Kw | None = None
    battery_soc: Annotated[float, msgspec.Meta(ge=0, le=1)] | None = None
    battery_energy_kwh: Kwh | None = None


class SolarPush(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Charge HQ's `SiteMeterPush`. `siteId` is deprecated upstream; accepted and ignored."""

    apiKey: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    tsms: Annotated[int, msgspec.Meta(ge=0, le=10**14)] | None = None
    error: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    siteMeters: SiteMetersIn | None = None
    siteId: str | None = None


class SolarReading(msgspec.Struct):
    id: str
    object: Literal["solar_reading"]
    created: Timestamp
    measured: Timestamp | None
    site_meters: SiteMetersIn | None
    error: str | None


class SolarReadingList(msgspec.Struct):
    data: list[SolarReading]
    next_page_url: str | None
    previous_page_url: str | None


class SolarQuery(CreatedRange):
    pass


class SolarStatus(msgspec.Struct):
    object: Literal["solar_status"]
    last_push: Timestamp | None
    error: str | None
    reading: str | None


# --- reports and events ------------------------------------------------------------------------

IdList = Annotated[list[Id], msgspec.Meta(min_length=1, max_length=100)]
ReportType = Literal["charging_summary", "charging_sessions"]
GroupBy = Literal["vehicle", "driver", "fleet", "charging_station", "day"]


class ReportFilters(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    vehicle: IdList | None = None
    driver: IdList | None = None
    fleet: IdList | None = None
    charging_station: IdList | None = None


class ReportParameters(
    msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True
):
    type: ReportType
    period_start: Timestamp
    period_end: Timestamp
    filters: ReportFilters | None = None
    group_by: GroupBy | None = None


class ReportCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    parameters: ReportParameters
    fleet: Id | None = None


class ReportParametersOut(msgspec.Struct):
    filters: dict[str, list[str]]
    group_by: str | None
    period_end: Timestamp
    period_start: Timestamp
    type: str


class Report(msgspec.Struct):
    id: str
    object: Literal["report"]
    account: str
    created: Timestamp
    fleet: str | None
    parameters: ReportParametersOut
    size: int
    status: Literal["pending", "succeeded", "failed"]
    succeeded_at: Timestamp | None
    type: Literal["csv"]
    url: str | None
    failure_reason: str | None


class ReportList(msgspec.Struct):
    data: list[Report]
    next_page_url: str | None
    previous_page_url: str | None


class PageQuery(Query):
    limit: Limit = 10
    page: PageToken | None = None


EventType = Literal["report.succeeded", "report.failed"]


class EventQuery(PageQuery):
    type: EventType | None = None


class EventData(msgspec.Struct):
    object: Report


class ApiEvent(msgspec.Struct):
    id: str
    object: Literal["event"]
    type: str
    created: Timestamp
    data: EventData


class EventList(msgspec.Struct):
    data: list[ApiEvent]
    next_page_url: str | None
    previous_page_url: str | None


class WebhookEndpointCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    url: Annotated[str, msgspec.Meta(min_length=8, max_length=2048)]
    enabled_events: Annotated[list[EventType], msgspec.Meta(min_length=1, max_length=10)]


class WebhookEndpoint(msgspec.Struct):
    id: str
    object: Literal["webhook_endpoint"]
    url: str
    enabled_events: list[str]
    created: Timestamp


class WebhookEndpointCreated(msgspec.Struct):
    webhook_endpoint: WebhookEndpoint
    secret: Annotated[str, msgspec.Meta(description="the signing secret; shown once")]


class WebhookEndpointList(msgspec.Struct):
    data: list[WebhookEndpoint]


# --- commands to charge points ------------------------------------------------------------


class CommandCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    action: Annotated[
        str, msgspec.Meta(description="an OCPP 1.6J central system -> charge point action")
    ]
    payload: dict[str, Any] = {}
    timeout: Annotated[float, msgspec.Meta(gt=0, le=300)] = 30.0
    # RemoteStopTransaction only: the session to stop, instead of payload.transactionId.
    session: Id | None = None


class CommandError(msgspec.Struct):
    code: str
    description: str | None


class Command(msgspec.Struct):
    id: str
    object: Literal["command"]
    charging_station: str
    action: str
    payload: dict[str, Any]
    status: str
    response: dict[str, Any] | None
    error: CommandError | None
    created: Timestamp
    completed: Timestamp | None


class CommandList(msgspec.Struct):
    data: list[Command]
    next_page_url: str | None
    previous_page_url: str | None


class LocalListCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    update_type: Literal["Full", "Differential"] = "Full"
    timeout: Annotated[float, msgspec.Meta(gt=0, le=300)] = 30.0


class Reservation(msgspec.Struct):
    reservation_id: int
    object: Literal["reservation"]
    connector_id: int
    id_tag: str
    parent_id_tag: str | None
    expiry_date: Timestamp
    status: Literal["active", "cancelled", "used", "expired"]
    charging_session: str | None
    created: Timestamp


class ReservationList(msgspec.Struct):
    data: list[Reservation]


class StoredChargingProfile(msgspec.Struct):
    object: Literal["charging_profile"]
    connector_id: int
    profile: dict[str, Any]
    set_at: Timestamp


class ChargingProfileList(msgspec.Struct):
    data: list[StoredChargingProfile]
