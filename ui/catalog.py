"""What the data catalog holds, for the app's pickers (cached briefly)."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from rbts.runtime.settings import Settings
from rbts.dsl.exchange import EXCHANGE_TZ



@st.cache_data(ttl=30, show_spinner=False)
def _symbols(catalog_dir: str, _settings: Settings) -> list[str]:
    from rbts.runtime.data.catalog import BarStore

    return BarStore(_settings).symbols()


def catalog_symbols(settings: Settings) -> list[str]:
    """Symbols with bars in the home's catalog ([] when the catalog is empty or missing)."""
    try:
        return _symbols(str(settings.catalog_dir), settings)
    except Exception:  # noqa: BLE001 - an unreadable catalog must not break the editor
        return []


# Nautilus names catalog files by their first and last timestamps:
# 2025-01-02T14-31-00-000000000Z_2025-12-31T21-00-00-000000000Z.parquet
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d)-\d{9}Z_(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d)-\d{9}Z$")


def _stamp(text: str) -> pd.Timestamp:
    day, clock = text.split("T")
    return pd.Timestamp(f"{day}T{clock.replace('-', ':')}", tz="UTC")


@st.cache_data(ttl=30, show_spinner=False)
def _range(catalog_dir: str, _settings: Settings):
    """From the file names (cheap); reading every bar to find the span took seconds."""
    from rbts.runtime.data.catalog import BarStore

    firsts, lasts = [], []
    for path in BarStore(_settings).bar_root.glob("*/*.parquet"):
        match = _STAMP.match(path.stem)
        if match is None:
            return _range_from_coverage(_settings)
        firsts.append(_stamp(match.group(1)))
        lasts.append(_stamp(match.group(2)))
    if not firsts:
        return None
    return min(firsts).tz_convert(EXCHANGE_TZ).date(), max(lasts).tz_convert(EXCHANGE_TZ).date()


def _range_from_coverage(settings: Settings):
    from rbts.runtime.data.catalog import BarStore

    covs = [c for c in BarStore(settings).coverage() if c.first is not None and c.last is not None]
    if not covs:
        return None
    return min(c.first for c in covs).tz_convert(EXCHANGE_TZ).date(), max(c.last for c in covs).tz_convert(EXCHANGE_TZ).date()


def catalog_range(settings: Settings):
    """(first day, last day) with bars in the catalog, or None."""
    try:
        return _range(str(settings.catalog_dir), settings)
    except Exception:  # noqa: BLE001
        return None


@st.cache_data(ttl=300, show_spinner=False, max_entries=16)
def load_bars(catalog_dir: str, _settings: Settings, symbol: str, start, end):
    """One symbol's base bars in [start, end] (cached: charts redraw often)."""
    from rbts.runtime.data.catalog import BarStore

    return BarStore(_settings).load_frame(symbol, start, end)


@st.cache_data(ttl=30, show_spinner=False)
def synthetic_symbols(catalog_dir: str, _settings: Settings) -> list[str]:
    """Symbols whose bars are the synthetic demo set (the app labels them)."""
    from rbts.runtime.data.catalog import BarStore

    store = BarStore(_settings)
    try:
        return [s for s in store.symbols() if store.is_synthetic(s)]
    except Exception:  # noqa: BLE001
        return []
