"""Nautilus bar types for the rules' bars.

Every bar type a strategy subscribes to is EXTERNAL (bars from the catalog, the replay or IB):
the rules' higher timeframes are built by the incremental evaluator from the base bars
(SPEC §2.3, New York's clock), never by Nautilus' INTERNAL aggregation, which runs on clock
timers and closes 4h/1d bars on the UTC grid.
"""

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


def external_bar_type(instrument_id: InstrumentId, seconds: int) -> BarType:
    """The EXTERNAL bar type of that length for an instrument."""
    return BarType(instrument_id, bar_spec(seconds), AggregationSource.EXTERNAL)
