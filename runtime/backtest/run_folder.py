"""A finished backtest as the report sees it: read back from a run folder, or taken from a result.

A run folder is what ``rbts backtest --out DIR`` writes (SPEC §3).  Reading one
checks what the report needs and names the file, line and column of anything
wrong (``DIR/equity.csv:12:1: error: ...``); it never changes the folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rbts.dsl.errors import Diagnostic, RbtsError, Span
from rbts.runtime.backtest.reports import TRADE_COLUMNS

if TYPE_CHECKING:
    from rbts.runtime.backtest.runner import BacktestResult


@dataclass(frozen=True)
class RunData:
    metrics: dict[str, Any]  # metrics.json, warnings included
    equity: pd.DataFrame  # index ts (UTC); columns equity, cash
    trades: pd.DataFrame  # trades.csv; entry_ts / exit_ts as UTC timestamps (NaT while open)
    config: dict[str, Any]  # config.json: strategy JSON and run parameters

    @property
    def name(self) -> str:
        return str((self.config.get("strategy") or {}).get("name") or "backtest")

    @property
    def symbols(self) -> list[str]:
        run = self.config.get("run") or {}
        return list(run.get("symbols") or sorted(set(self.trades["symbol"])))

    @property
    def data_symbols(self) -> list[str]:
        """Symbols the rules read but never trade (VIX)."""
        return list((self.config.get("run") or {}).get("data_symbols") or [])

    @property
    def capital(self) -> float:
        return float(self.metrics["initial_capital"])


def from_result(result: BacktestResult) -> RunData:
    from rbts.runtime.backtest.reports import metrics_json

    equity = result.equity[["equity", "cash"]]
    return RunData(json.loads(metrics_json(result)), equity, result.trades, dict(result.config))


def read_run(folder: str | Path) -> RunData:
    """metrics.json, equity.csv and trades.csv (config.json when present) of a run folder."""
    folder = Path(folder)
    if not (folder / "metrics.json").is_file():
        raise RbtsError(f"{folder}: not a backtest folder (no metrics.json; `rbts backtest ... --out DIR` writes one)")
    metrics = _json(folder / "metrics.json")
    for key in ("initial_capital", "final_equity"):
        if not isinstance(metrics.get(key), int | float):
            raise RbtsError(f"{folder / 'metrics.json'}: error: {key!r} is missing or not a number")
    config = _json(folder / "config.json") if (folder / "config.json").is_file() else {}
    equity = _csv(folder / "equity.csv", ["ts", "equity", "cash"], times=["ts"], numbers=["equity", "cash"])
    trades = _csv(folder / "trades.csv", TRADE_COLUMNS, times=["entry_ts", "exit_ts"],
                  numbers=["entry_price", "exit_price", "qty", "pnl"], optional=["exit_ts", "exit_price"])
    equity = equity.set_index("ts")[["equity", "cash"]]
    if not equity.index.is_monotonic_increasing:
        raise RbtsError(f"{folder / 'equity.csv'}: error: the ts column is not in time order")
    return RunData(metrics, equity, trades, config)


def _json(path: Path) -> dict[str, Any]:
    text = _text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RbtsError(Diagnostic(f"not valid JSON: {exc.msg}", Span.point(exc.lineno, exc.colno)),
                        filename=str(path), source=text) from None
    if not isinstance(data, dict):
        raise RbtsError(Diagnostic("expected a JSON object", Span.point(1, 1)), filename=str(path), source=text)
    return data


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RbtsError(f"{path}: error: missing (every backtest folder has it)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RbtsError(f"{path}: error: cannot read it ({exc})") from None


def _csv(path: Path, columns: list[str], times: list[str], numbers: list[str],
         optional: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
    text = _text(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise RbtsError(f"{path}: error: not a CSV table ({exc})") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise RbtsError(Diagnostic(f"missing column(s) {', '.join(missing)}", Span.point(1, 1)),
                        filename=str(path), source=text)
    for col in times:
        frame[col] = _parse(frame[col], col, col in optional, path, text, _times)
    for col in numbers:
        frame[col] = _parse(frame[col], col, col in optional, path, text, _numbers)
    return frame


def _times(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.replace("", None), utc=True, errors="coerce", format="ISO8601")


def _numbers(values: pd.Series) -> pd.Series:
    out = pd.to_numeric(values, errors="coerce")
    return out.where(np.isfinite(out))


def _parse(raw: pd.Series, col: str, optional: bool, path: Path, text: str, parse) -> pd.Series:
    """``parse`` the column; the first value that does not parse is reported at its line and column."""
    parsed = parse(raw)
    bad = parsed.isna() & (raw != "") if optional else parsed.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        line = row + 2  # the header is line 1
        cells = text.splitlines()[line - 1].split(",") if line <= len(text.splitlines()) else []
        header = text.splitlines()[0].split(",")
        index = header.index(col) if col in header else 0
        column = 1 + sum(len(c) + 1 for c in cells[:index])
        what = "a time (ISO 8601)" if parse is _times else "a number"
        raise RbtsError(Diagnostic(f"{col}: expected {what}, got {raw.iloc[row]!r}", Span.point(line, column)),
                        filename=str(path), source=text)
    return parsed
