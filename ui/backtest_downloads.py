"""Downloads of a backtest shown in the app: its files, the run folder as a zip, the HTML report.

The files are exactly what ``rbts backtest --out DIR`` writes (``reports.output_files``);
each is generated only when its button is clicked (Streamlit's deferred download).
"""

from __future__ import annotations

import re

import streamlit as st

from rbts.runtime.backtest import reports
from rbts.runtime.settings import Settings

SINGLE_FILES = (("trades.csv", "text/csv", reports.trades_csv), ("equity.csv", "text/csv", reports.equity_csv),
                ("metrics.json", "application/json", reports.metrics_json))


def folder_name(result) -> str:
    """``<strategy>-<start>-<end>``, safe as a file name."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", result.settings.name).strip("-") or "backtest"
    return f"{slug}-{result.start}-{result.end}"


def run_zip(result) -> bytes:
    return reports.zip_files(reports.output_files(result), folder_name(result))


def run_report(result, settings: Settings) -> str:
    from rbts.runtime.backtest.run_folder import from_result
    from rbts.ui.report import build_report

    return build_report(from_result(result), settings)


def render_downloads(result, settings: Settings, key: str) -> None:
    cols = st.columns([1, 1, 1.1, 1.4, 1.3, 3])  # packed to the left, in one row
    for col, (name, mime, text) in zip(cols, SINGLE_FILES, strict=False):
        col.download_button(name, lambda text=text: text(result), file_name=name, mime=mime,
                            icon=":material/download:", on_click="ignore", key=f"{key}.{name}")
    cols[3].download_button("Run folder (.zip)", lambda: run_zip(result), file_name=f"{folder_name(result)}.zip",
                             mime="application/zip", icon=":material/folder_zip:", on_click="ignore",
                             key=f"{key}.zip")
    cols[4].download_button("HTML report", lambda: run_report(result, settings),
                             file_name=f"{folder_name(result)}-report.html", mime="text/html",
                             icon=":material/description:", on_click="ignore", key=f"{key}.html",
                             help="Equity vs buy-and-hold, drawdown, monthly returns, per ticker, metrics "
                                  "(the same page as `rbts report RUN_DIR`)")
