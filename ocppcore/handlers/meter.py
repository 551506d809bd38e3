"""Meter values: OCPP sampled values as the store records them, and the energy register in Wh."""

from __future__ import annotations

import math
from collections.abc import Iterable

from ocppcore.clock import to_ms
from ocppcore.errors import PropertyConstraintViolation
from ocppcore.v16.types import MeterValue, TransactionData
from store.events import Sample

ENERGY_REGISTER = "Energy.Active.Import.Register"
_WH_PER_UNIT = {None: 1, "Wh": 1, "kWh": 1000}


def samples_of(meter_values: Iterable[MeterValue | TransactionData]) -> list[Sample]:
    return [
        Sample(
            timestamp=to_ms(mv.timestamp),
            value=sv.value,
            measurand=sv.measurand,
            unit=sv.unit,
            context=sv.context,
            phase=sv.phase,
            location=sv.location,
            format=sv.format,
        )
        for mv in meter_values
        for sv in mv.sampled_value
    ]


def energy_register_wh(samples: Iterable[Sample]) -> int | None:
    """The latest Energy.Active.Import.Register reading (total, not per phase), in Wh.

    Absent measurand and unit take the OCPP defaults (the register, in Wh). Signed values are
    opaque and skipped. Raises PropertyConstraintViolation for a register value that is not a
    finite number, or is in a unit that is not energy.
    """
    latest: tuple[int, int] | None = None
    for sample in samples:
        if sample.measurand not in (None, ENERGY_REGISTER) or sample.phase is not None:
            continue
        if sample.format == "SignedData":
            continue
        factor = _WH_PER_UNIT.get(sample.unit)
        if factor is None:
            raise PropertyConstraintViolation(
                f"unit {sample.unit!r} is not an energy unit for {ENERGY_REGISTER}"
            )
        try:
            value = float(sample.value)
        except ValueError:
            raise PropertyConstraintViolation(
                f"sampledValue.value {sample.value!r} is not a number"
            ) from None
        if not math.isfinite(value):
            raise PropertyConstraintViolation(f"sampledValue.value {sample.value!r} is not finite")
        wh = round(value * factor)
        if latest is None or sample.timestamp >= latest[0]:
            latest = (sample.timestamp, wh)
    return latest[1] if latest else None
