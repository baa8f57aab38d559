"""Result tables and the output files of ``rbts backtest --out DIR`` (SPEC §3).

Timestamps in files are ISO 8601 UTC.  Every file is written atomically.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from rbts.runtime.backtest.metrics import METRIC_KEYS
from rbts.runtime.files import atomic_write

if TYPE_CHECKING:
    from rbts.runtime.backtest.runner import BacktestResult

TRADE_COLUMNS = ["symbol", "entry_ts", "entry_price", "exit_ts", "exit_price", "qty", "pnl",
                 "entry_rule", "exit_rule"]


def _ts(ns: int | None) -> pd.Timestamp | None:
    """Orders go out just after the cycle instant T and fill at the close of the bar stamped T;
    the trade is reported at T (bars are whole seconds)."""
    return pd.Timestamp(ns - ns % 1_000_000_000, unit="ns", tz="UTC") if ns else None


def trades_frame(positions, rules: dict[str, tuple[str, str]], symbol_of: dict[str, str],
                 last_close: dict[str, float]) -> pd.DataFrame:
    """One row per position (one entry, one exit).  A position still open at the end has no
    exit; its pnl is marked at the last close."""
    rows = []
    for p in sorted(positions, key=lambda p: (p.ts_opened, str(p.id))):
        symbol = symbol_of.get(str(p.instrument_id), str(p.instrument_id))
        entry_rule, exit_rule = rules.get(str(p.id), ("", ""))
        qty = float(p.peak_qty)
        pnl = p.realized_pnl.as_double() if p.realized_pnl is not None else 0.0
        if not p.is_closed:
            pnl += (last_close.get(symbol, p.avg_px_open) - p.avg_px_open) * float(p.quantity)
        rows.append({
            "symbol": symbol, "entry_ts": _ts(p.ts_opened), "entry_price": float(p.avg_px_open),
            "exit_ts": _ts(p.ts_closed) if p.is_closed else None,
            "exit_price": float(p.avg_px_close) if p.is_closed else None,
            "qty": qty, "pnl": pnl, "entry_rule": entry_rule, "exit_rule": exit_rule if p.is_closed else "",
        })
    frame = pd.DataFrame(rows, columns=TRADE_COLUMNS)
    for col in ("entry_ts", "exit_ts"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def nautilus_report(report: pd.DataFrame, symbol_of: dict[str, str]) -> pd.DataFrame:
    """A Nautilus fills/orders report with the DSL symbol as the first column."""
    if report is None or report.empty:
        return pd.DataFrame(columns=["symbol"])
    frame = report.reset_index()
    frame.insert(0, "symbol", frame["instrument_id"].astype(str).map(lambda i: symbol_of.get(i, i)))
    return frame


def _iso(series: pd.Series) -> pd.Series:
    return series.map(lambda t: t.isoformat() if isinstance(t, pd.Timestamp) and not pd.isna(t) else "")


def equity_csv(result: BacktestResult) -> str:
    eq = result.equity
    frame = pd.DataFrame({"ts": [t.isoformat() for t in eq.index], "equity": eq["equity"].to_numpy(),
                          "cash": eq["cash"].to_numpy()})
    return frame.to_csv(index=False)


def trades_csv(result: BacktestResult) -> str:
    frame = result.trades.copy()
    for col in ("entry_ts", "exit_ts"):
        frame[col] = _iso(frame[col])
    return frame.to_csv(index=False)


def metrics_json(result: BacktestResult) -> str:
    metrics = {k: result.metrics[k] for k in METRIC_KEYS}
    metrics["warnings"] = list(result.metrics.get("warnings", []))
    return json.dumps(metrics, indent=2) + "\n"


def config_json(result: BacktestResult) -> str:
    events = [{"ts": pd.Timestamp(e.ts_ns, tz="UTC").isoformat(), "kind": e.kind, "symbol": e.symbol,
               "message": e.message} for e in result.events]
    return json.dumps({**result.config, "events": events}, indent=2, default=str) + "\n"


def output_files(result: BacktestResult) -> dict[str, str]:
    """File name -> text of every file ``rbts backtest --out DIR`` writes (SPEC §3)."""
    return {
        "metrics.json": metrics_json(result), "equity.csv": equity_csv(result), "trades.csv": trades_csv(result),
        "fills.csv": result.fills.to_csv(index=False), "orders.csv": result.orders.to_csv(index=False),
        "config.json": config_json(result),
    }


def write_outputs(result: BacktestResult, out_dir: str | Path) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in output_files(result).items():
        atomic_write(out / name, text)
    return out


def zip_files(files: dict[str, str | bytes], folder: str) -> bytes:
    """A zip archive holding ``files`` inside one folder (what "download the run folder" gives)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(f"{folder}/{name}", data)
    return buffer.getvalue()
