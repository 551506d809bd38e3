"""Views' records as the API's objects, and the API's timestamps."""

from __future__ import annotations

from datetime import datetime

import msgspec

from api import schemas
from api.errors import invalid
from ocppcore.clock import rfc3339, to_ms

__all__ = ["rfc3339"]
from store.records import (
    AccountRecord,
    ApiKeyRecord,
    EventRecord,
    IdTagRecord,
    ReportRecord,
    SessionRecord,
    SolarReadingRecord,
    StationRecord,
)


def parse_time(param: str, text: str) -> int:
    """UTC milliseconds of an RFC 3339 timestamp with an offset; a 400 naming `param` otherwise."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise invalid(
            param, f"{param} must be an RFC 3339 timestamp such as 2026-03-03T14:05:23.789Z"
        ) from None
    if moment.tzinfo is None or "T" not in text.upper():
        raise invalid(param, f"{param} must be an RFC 3339 timestamp with a time and an offset")
    return to_ms(moment)


def _time(ms: int | None) -> str | None:
    return rfc3339(ms) if ms is not None else None


def session(r: SessionRecord) -> schemas.ChargingSession:
    return schemas.ChargingSession(
        id=r.id,
        object="charging_session",
        amount_due=r.amount_due,
        amount_paid=0,
        charging_station=r.charging_station,
        connector=r.connector,
        country=r.country,
        created=rfc3339(r.created),
        currency=r.currency,
        driver=r.driver,
        energy_consumed=r.energy_consumed,
        fleet=r.fleet,
        payment_method=r.payment_method,
        session_ended=_time(r.session_ended),
        session_started=rfc3339(r.session_started),
        status=r.status,
        updated=rfc3339(r.updated),
        vehicle=r.vehicle,
    )


def station(r: StationRecord) -> schemas.ChargingStation:
    boot = r.boot
    return schemas.ChargingStation(
        id=r.id,
        object="charging_station",
        charge_point_id=r.charge_point_id,
        created=rfc3339(r.created),
        online=r.online,
        last_seen=_time(r.last_seen),
        password_protected=r.password_hash is not None,
        registration=r.registration,
        local_list_version=r.local_list_version,
        boot=schemas.BootInfo(
            vendor=boot.vendor,
            model=boot.model,
            booted=rfc3339(boot.at),
            charge_point_serial_number=boot.charge_point_serial_number,
            charge_box_serial_number=boot.charge_box_serial_number,
            firmware_version=boot.firmware_version,
            iccid=boot.iccid,
            imsi=boot.imsi,
            meter_type=boot.meter_type,
            meter_serial_number=boot.meter_serial_number,
        )
        if boot
        else None,
        connectors=[
            schemas.Connector(
                connector_id=n,
                status=c.status,
                error_code=c.error_code,
                info=c.info,
                vendor_id=c.vendor_id,
                vendor_error_code=c.vendor_error_code,
                timestamp=_time(c.timestamp),
                updated=rfc3339(c.updated),
            )
            for n, c in sorted(r.connectors.items())
        ],
        firmware_status=r.firmware_status,
        diagnostics_status=r.diagnostics_status,
    )


def id_tag(r: IdTagRecord) -> schemas.IdTag:
    return schemas.IdTag(
        id_tag=r.id_tag,
        object="id_tag",
        status=r.status,
        expiry_date=_time(r.expiry),
        parent_id_tag=r.parent_id_tag,
        driver=r.driver,
        vehicle=r.vehicle,
        fleet=r.fleet,
        created=rfc3339(r.created),
        updated=rfc3339(r.updated),
    )


def account(r: AccountRecord) -> schemas.Account:
    tariff = r.tariff
    return schemas.Account(
        id=r.id,
        object="account",
        name=r.name,
        id_tag_policy=r.id_tag_policy,
        tariff=schemas.TariffBody(tariff.price_per_kwh, tariff.currency, tariff.country)
        if tariff
        else None,
        created=rfc3339(r.created),
    )


def api_key(r: ApiKeyRecord) -> schemas.ApiKey:
    return schemas.ApiKey(
        id=r.id,
        object="api_key",
        prefix=r.display,
        created=rfc3339(r.created),
        revoked=_time(r.revoked),
    )


def solar_reading(r: SolarReadingRecord) -> schemas.SolarReading:
    meters = r.meters
    return schemas.SolarReading(
        id=r.id,
        object="solar_reading",
        created=rfc3339(r.created),
        measured=_time(r.tsms),
        site_meters=schemas.SiteMetersIn(**msgspec.structs.asdict(meters)) if meters else None,
        error=r.error,
    )


def report(r: ReportRecord) -> schemas.Report:
    return schemas.Report(
        id=r.id,
        object="report",
        account=r.account,
        created=rfc3339(r.created),
        fleet=r.fleet,
        parameters=schemas.ReportParametersOut(
            filters=r.filters,
            group_by=r.group_by,
            period_end=rfc3339(r.period_end),
            period_start=rfc3339(r.period_start),
            type=r.type,
        ),
        size=r.size,
        status=r.status,
        succeeded_at=_time(r.succeeded_at),
        type="csv",
        url=f"/v1/reports/{r.id}/file" if r.status == "succeeded" else None,
        failure_reason=r.failure_reason,
    )


def event(e: EventRecord, about: ReportRecord) -> schemas.ApiEvent:
    return schemas.ApiEvent(
        id=e.id,
        object="event",
        type=e.type,
        created=rfc3339(e.created),
        data=schemas.EventData(report(about)),
    )
