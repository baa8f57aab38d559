"""Nautilus bar types for the rules' timeframes (base bars EXTERNAL, larger ones INTERNAL composites)."""

from __future__ import annotations

from nautilus_trader.model.data import BarSpecification, BarType
from nautilus_trader.model.enums import AggregationSource, BarAggregation, PriceType
from nautilus_trader.model.identifiers import InstrumentId

from rbts.dsl.errors import RbtsError


def bar_spec(seconds: int) -> BarSpecification:
    """A LAST-price bar specification of the given length (1m -> 1-MINUTE-LAST)."""
    for unit, aggregation in ((86_400, BarAggregation.DAY), (3_600, BarAggregation.HOUR),
                              (60, BarAggregation.MINUTE), (1, BarAggregation.SECOND)):
        if seconds % unit == 0:
            return BarSpecification(seconds // unit, aggregation, PriceType.LAST)
    raise RbtsError(f"bar length must be a whole number of seconds, got {seconds}")


def bar_types_for(instrument_id: InstrumentId, timeframes: tuple[int, ...]) -> list[tuple[BarType, BarType, int]]:
    """(type to subscribe, type bars arrive with, seconds) for the base and each higher timeframe."""
    base_spec = bar_spec(timeframes[0])
    base = BarType(instrument_id, base_spec, AggregationSource.EXTERNAL)
    out = [(base, base, timeframes[0])]
    for seconds in timeframes[1:]:
        spec = bar_spec(seconds)
        step, aggregation, _ = str(base_spec).split("-")
        composite = BarType.from_str(f"{instrument_id}-{spec}-INTERNAL@{step}-{aggregation}-EXTERNAL")
        out.append((composite, BarType(instrument_id, spec, AggregationSource.INTERNAL), seconds))
    return out
