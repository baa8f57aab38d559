"""Facts about symbols that the language itself needs (the full symbol table with
venues and Nautilus instruments lives in ``rbts.runtime.data.instruments``)."""

from __future__ import annotations

# Indexes are data only: usable in rules, never traded (SPEC §2.2).
KNOWN_INDEXES: frozenset[str] = frozenset(
    {"VIX", "VIX9D", "VIX3M", "VVIX", "VXN", "SPX", "NDX", "RUT", "DJI", "DJX", "OEX", "TNX", "TYX", "IRX"}
)


def is_index(symbol: str) -> bool:
    return symbol.lstrip("^") in KNOWN_INDEXES
