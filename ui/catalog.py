"""What the data catalog holds, for the app's pickers (cached briefly)."""

from __future__ import annotations

import streamlit as st

from rbts.runtime.settings import Settings


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


@st.cache_data(ttl=30, show_spinner=False)
def _range(catalog_dir: str, _settings: Settings):
    from rbts.runtime.data.catalog import BarStore

    firsts, lasts = [], []
    for cov in BarStore(_settings).coverage():
        if cov.first is not None and cov.last is not None:
            firsts.append(cov.first.tz_convert("America/New_York").date())
            lasts.append(cov.last.tz_convert("America/New_York").date())
    return (min(firsts), max(lasts)) if firsts else None


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
