"""Data types shared by the OCPP 1.6J feature profiles (OCPP 1.6 section 7).

Every message Struct derives from `Payload`: camelCase on the wire, snake_case in Python,
defaults omitted when encoding. Unknown fields in what a charge point sends are ignored rather
than refused: real chargers add vendor fields, and refusing them would break interoperability
without protecting anything (we never store fields we do not know).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

CiString20 = Annotated[str, msgspec.Meta(max_length=20)]
CiString25 = Annotated[str, msgspec.Meta(max_length=25)]
CiString50 = Annotated[str, msgspec.Meta(max_length=50)]
CiString255 = Annotated[str, msgspec.Meta(max_length=255)]
CiString500 = Annotated[str, msgspec.Meta(max_length=500)]
IdToken = CiString20
DateTime = datetime
# OCPP-J transports "decimal" as a JSON number. The schemas add multipleOf 0.1, which a binary
# float cannot honour exactly, so it is not enforced here.
Decimal = float


class Payload(
    msgspec.Struct,
    rename="camel",
    kw_only=True,
    frozen=True,
    omit_defaults=True,
    gc=False,
):
    """Base of every OCPP 1.6J request and confirmation payload.

    Payloads are plain data that never form reference cycles, so the cyclic garbage collector
    need not track them (`gc=False`): fewer objects for it to scan on every message."""


AuthorizationStatus = Literal["Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"]


class IdTagInfo(Payload):
    """OCPP 1.6 section 7.29."""

    status: AuthorizationStatus
    expiry_date: DateTime | None = None
    parent_id_tag: IdToken | None = None


ReadingContext = Literal[
    "Interruption.Begin",
    "Interruption.End",
    "Sample.Clock",
    "Sample.Periodic",
    "Transaction.Begin",
    "Transaction.End",
    "Trigger",
    "Other",
]
ValueFormat = Literal["Raw", "SignedData"]
Measurand = Literal[
    "Energy.Active.Export.Register",
    "Energy.Active.Import.Register",
    "Energy.Reactive.Export.Register",
    "Energy.Reactive.Import.Register",
    "Energy.Active.Export.Interval",
    "Energy.Active.Import.Interval",
    "Energy.Reactive.Export.Interval",
    "Energy.Reactive.Import.Interval",
    "Power.Active.Export",
    "Power.Active.Import",
    "Power.Offered",
    "Power.Reactive.Export",
    "Power.Reactive.Import",
    "Power.Factor",
    "Current.Import",
    "Current.Export",
    "Current.Offered",
    "Voltage",
    "Frequency",
    "Temperature",
    "SoC",
    "RPM",
]
Phase = Literal["L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1"]
Location = Literal["Cable", "EV", "Inlet", "Outlet", "Body"]
# "Celcius" is the 1.6 spec's own misspelling; the errata add "Celsius". Both are accepted.
# The official MeterValues schema also allows "Hertz"; StopTransaction's transactionData does not.
TransactionDataUnit = Literal[
    "Wh",
    "kWh",
    "varh",
    "kvarh",
    "W",
    "kW",
    "VA",
    "kVA",
    "var",
    "kvar",
    "A",
    "V",
    "K",
    "Celcius",
    "Celsius",
    "Fahrenheit",
    "Percent",
]
UnitOfMeasure = TransactionDataUnit | Literal["Hertz"]


class SampledValue(Payload):
    """OCPP 1.6 section 7.43. Absent fields take the defaults: Raw, Energy.Active.Import.Register,
    Wh."""

    value: str
    context: ReadingContext | None = None
    format: ValueFormat | None = None
    measurand: Measurand | None = None
    phase: Phase | None = None
    location: Location | None = None
    unit: UnitOfMeasure | None = None


class TransactionSampledValue(SampledValue):
    """A sampled value within StopTransaction's transactionData (no `Hertz` unit there)."""

    unit: TransactionDataUnit | None = None


class MeterValue(Payload):
    """OCPP 1.6 section 7.33, as MeterValues carries it: at least one sampled value."""

    timestamp: DateTime
    sampled_value: Annotated[list[SampledValue], msgspec.Meta(min_length=1)]


class TransactionData(Payload):
    """OCPP 1.6 section 7.33, as StopTransaction's transactionData carries it."""

    timestamp: DateTime
    sampled_value: list[TransactionSampledValue]


ChargingProfilePurpose = Literal["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"]
ChargingProfileKind = Literal["Absolute", "Recurring", "Relative"]
RecurrencyKind = Literal["Daily", "Weekly"]
ChargingRateUnit = Literal["A", "W"]


class ChargingSchedulePeriod(Payload):
    """OCPP 1.6 section 7.9."""

    start_period: int
    limit: Decimal
    number_phases: int | None = None


class ChargingSchedule(Payload):
    """OCPP 1.6 section 7.8."""

    charging_rate_unit: ChargingRateUnit
    charging_schedule_period: list[ChargingSchedulePeriod]
    duration: int | None = None
    start_schedule: DateTime | None = None
    min_charging_rate: Decimal | None = None


class ChargingProfile(Payload):
    """OCPP 1.6 section 7.7."""

    charging_profile_id: int
    stack_level: int
    charging_profile_purpose: ChargingProfilePurpose
    charging_profile_kind: ChargingProfileKind
    charging_schedule: ChargingSchedule
    transaction_id: int | None = None
    recurrency_kind: RecurrencyKind | None = None
    valid_from: DateTime | None = None
    valid_to: DateTime | None = None
