"""Handlers for every charge point -> central system action of OCPP 1.6J."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import msgspec

from ocppcore.clock import from_ms, to_ms
from ocppcore.errors import PropertyConstraintViolation
from ocppcore.handlers import Context, Handler, Outcome, reply
from ocppcore.handlers.meter import energy_register_wh, samples_of
from ocppcore.v16 import core, firmware
from ocppcore.v16.types import IdTagInfo, Payload
from store import events as ev
from store.admission import Receipt
from store.records import AccountRecord, IdTagRecord

_msgpack = msgspec.msgpack.Encoder()


def digest(request: Payload) -> bytes:
    """Identifies a request by content, so a retried message is recognised as a duplicate."""
    return hashlib.blake2b(_msgpack.encode(request), digest_size=16).digest()


def _now(ctx: Context) -> Any:
    return from_ms(ctx.now_ms)


def _check_connector(connector_id: int, *, allow_zero: bool) -> None:
    if connector_id < 0 or (connector_id == 0 and not allow_zero):
        least = 0 if allow_zero else 1
        raise PropertyConstraintViolation(f"connectorId must be >= {least}, got {connector_id}")


# --- authorization -----------------------------------------------------------------------


def _account(ctx: Context) -> AccountRecord | None:
    return ctx.reader.account(ctx.station.account)


def _info(record: IdTagRecord, now_ms: int) -> IdTagInfo:
    status = record.status
    if status == "Accepted" and record.expiry is not None and record.expiry <= now_ms:
        status = "Expired"
    return IdTagInfo(
        status=status,
        expiry_date=from_ms(record.expiry) if record.expiry is not None else None,
        parent_id_tag=record.parent_id_tag,
    )


def authorize(
    ctx: Context, id_tag: str, *, record_unknown: bool = True
) -> tuple[IdTagInfo, IdTagRecord | None, list[ev.Event]]:
    """The idTagInfo for `id_tag`, its registry entry, and the events to record.

    Under the `open` policy an unknown tag is Accepted and recorded in the registry; under
    `registry` it is Invalid.
    """
    account = _account(ctx)
    record = ctx.reader.id_tag(ctx.station.account, id_tag)
    if record is not None:
        return _info(record, ctx.now_ms), record, []
    if account is not None and account.id_tag_policy == "open":
        events: list[ev.Event] = []
        if record_unknown:
            events.append(ev.IdTagSet(at=ctx.now_ms, account=account.id, id_tag=id_tag))
        return IdTagInfo(status="Accepted"), None, events
    return IdTagInfo(status="Invalid"), None, []


# --- handlers ------------------------------------------------------------------------------

_BOOT_STATUS: dict[str, core.RegistrationStatus] = {
    "accepted": "Accepted",
    "pending": "Pending",
    "rejected": "Rejected",
}


def boot_notification(request: core.BootNotificationRequest, ctx: Context) -> Outcome:
    event = ev.StationBooted(
        at=ctx.now_ms,
        station=ctx.station.id,
        vendor=request.charge_point_vendor,
        model=request.charge_point_model,
        charge_point_serial_number=request.charge_point_serial_number,
        charge_box_serial_number=request.charge_box_serial_number,
        firmware_version=request.firmware_version,
        iccid=request.iccid,
        imsi=request.imsi,
        meter_type=request.meter_type,
        meter_serial_number=request.meter_serial_number,
    )
    status = _BOOT_STATUS.get(ctx.station.registration, "Rejected")
    response = core.BootNotificationResponse(
        status=status, current_time=_now(ctx), interval=ctx.heartbeat_interval
    )
    return reply(response, event)


def heartbeat(request: core.HeartbeatRequest, ctx: Context) -> Outcome:
    event = ev.StationHeartbeat(at=ctx.now_ms, station=ctx.station.id)
    return reply(core.HeartbeatResponse(current_time=_now(ctx)), event)


def authorize_request(request: core.AuthorizeRequest, ctx: Context) -> Outcome:
    info, _, events = authorize(ctx, request.id_tag)
    return reply(core.AuthorizeResponse(id_tag_info=info), *events)


def start_transaction(request: core.StartTransactionRequest, ctx: Context) -> Outcome:
    _check_connector(request.connector_id, allow_zero=False)
    info, record, events = authorize(ctx, request.id_tag)
    account = _account(ctx)
    start = ev.TransactionStarted(
        at=ctx.now_ms,
        station=ctx.station.id,
        account=ctx.station.account,
        session=ctx.new_id("cs"),
        connector_id=request.connector_id,
        id_tag=request.id_tag,
        meter_start=request.meter_start,
        timestamp=to_ms(request.timestamp),
        id_tag_status=info.status,
        reservation_id=request.reservation_id,
        driver=record.driver if record else None,
        vehicle=record.vehicle if record else None,
        fleet=record.fleet if record else None,
        tariff=account.tariff if account else None,
    )

    def respond(receipts: Sequence[Receipt]) -> Payload:
        transaction_id = receipts[-1].transaction_id
        assert transaction_id is not None, "the store allocates a transactionId for every start"
        return core.StartTransactionResponse(id_tag_info=info, transaction_id=transaction_id)

    return Outcome((*events, start), respond)


def stop_transaction(request: core.StopTransactionRequest, ctx: Context) -> Outcome:
    event = ev.TransactionStopped(
        at=ctx.now_ms,
        station=ctx.station.id,
        transaction_id=request.transaction_id,
        meter_stop=request.meter_stop,
        timestamp=to_ms(request.timestamp),
        digest=digest(request),
        reason=request.reason,
        id_tag=request.id_tag,
        samples=samples_of(request.transaction_data or ()),
    )
    info = None
    if request.id_tag is not None:
        info, _, _ = authorize(ctx, request.id_tag, record_unknown=False)
    return reply(core.StopTransactionResponse(id_tag_info=info), event)


def meter_values(request: core.MeterValuesRequest, ctx: Context) -> Outcome:
    _check_connector(request.connector_id, allow_zero=True)
    samples = samples_of(request.meter_value)
    event = ev.MeterValuesReported(
        at=ctx.now_ms,
        station=ctx.station.id,
        connector_id=request.connector_id,
        digest=digest(request),
        samples=samples,
        transaction_id=request.transaction_id,
        energy_wh=energy_register_wh(samples),
    )
    return reply(core.MeterValuesResponse(), event)


def status_notification(request: core.StatusNotificationRequest, ctx: Context) -> Outcome:
    _check_connector(request.connector_id, allow_zero=True)
    event = ev.ConnectorStatusReported(
        at=ctx.now_ms,
        station=ctx.station.id,
        connector_id=request.connector_id,
        status=request.status,
        error_code=request.error_code,
        timestamp=to_ms(request.timestamp) if request.timestamp else None,
        info=request.info,
        vendor_id=request.vendor_id,
        vendor_error_code=request.vendor_error_code,
    )
    return reply(core.StatusNotificationResponse(), event)


def data_transfer(request: core.DataTransferRequest, ctx: Context) -> Outcome:
    # Recorded for the operator; no vendor extension is implemented, so the vendor is unknown
    # (OCPP 1.6 section 4.3).
    event = ev.DataTransferred(
        at=ctx.now_ms,
        station=ctx.station.id,
        vendor_id=request.vendor_id,
        message_id=request.message_id,
        data=request.data,
    )
    return reply(core.DataTransferResponse(status="UnknownVendorId"), event)


def diagnostics_status(
    request: firmware.DiagnosticsStatusNotificationRequest, ctx: Context
) -> Outcome:
    event = ev.DiagnosticsStatusReported(
        at=ctx.now_ms, station=ctx.station.id, status=request.status
    )
    return reply(firmware.DiagnosticsStatusNotificationResponse(), event)


def firmware_status(request: firmware.FirmwareStatusNotificationRequest, ctx: Context) -> Outcome:
    event = ev.FirmwareStatusReported(at=ctx.now_ms, station=ctx.station.id, status=request.status)
    return reply(firmware.FirmwareStatusNotificationResponse(), event)


HANDLERS: dict[str, Handler] = {
    "Authorize": authorize_request,  # type: ignore[dict-item]
    "BootNotification": boot_notification,  # type: ignore[dict-item]
    "DataTransfer": data_transfer,  # type: ignore[dict-item]
    "DiagnosticsStatusNotification": diagnostics_status,  # type: ignore[dict-item]
    "FirmwareStatusNotification": firmware_status,  # type: ignore[dict-item]
    "Heartbeat": heartbeat,  # type: ignore[dict-item]
    "MeterValues": meter_values,  # type: ignore[dict-item]
    "StartTransaction": start_transaction,  # type: ignore[dict-item]
    "StatusNotification": status_notification,  # type: ignore[dict-item]
    "StopTransaction": stop_transaction,  # type: ignore[dict-item]
}
