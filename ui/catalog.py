"""What the data catalog holds, for the app's pickers (cached briefly)."""

from __future__ import annotations

import streamlit as st

from rbts.runtime.settings import Settings


@st.cache_data(ttl=30, show_spinner=False)
def _symbols(catalog_dir: str, settings: Settings) -> list[str]:
    from rbts.runtime.data.catalog import BarStore

    return BarStore(settings).symbols()


def catalog_symbols(settings: Settings) -> list[str]:
    """Symbols with bars in the home's catalog ([] when the catalog is empty or missing)."""
    try:
        return _symbols(str(settings.catalog_dir), settings)
    except Exception:  # noqa: BLE001 - an unreadable catalog must not break the editor
        return []
