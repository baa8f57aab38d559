"""Two chained backtests: the offline twin of a hot apply at instant T.

Version 1 is backtested from its first day up to T (every bar stamped at or before T, its cycle
at T included); its working orders end there (an apply cancels them).  Version 2 is then
backtested from the instant after T to the last day, on an account holding version 1's cash and
open positions at T, warmed up on the sessions before T's day and T's day up to T, as a
swapped-in live strategy is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from rbts.compiler.program import compile_strategy
from rbts.compiler.warmup import warmup_range, warmup_sessions
from rbts.dsl.load import load_strategy
from rbts.runtime.backtest.runner import BacktestResult, run_settings, simulate
from rbts.runtime.data.catalog import BarStore
from rbts.runtime.live.warmup import history_start_ns
from rbts.runtime.settings import load_settings

NEW_YORK = "America/New_York"


@dataclass(frozen=True)
class Chained:
    first: BacktestResult  # version 1 up to T
    second: BacktestResult  # version 2 after T
    cash_at_split: float
    positions_at_split: dict[str, tuple[float, float]]  # symbol -> (qty, average price)

    def fills(self) -> list[tuple]:
        """(ts ns, symbol, side, qty, price) of both parts (a carried position's entry once, in the first)."""
        second = [f for f in trade_fills(self.second.trades) if f[0] > self.split_ns]
        return sorted(trade_fills(self.first.trades) + second)

    @property
    def split_ns(self) -> int:
        return int(self.second.config["run"]["split_ns"])


def trade_fills(trades: pd.DataFrame) -> list[tuple]:
    rows = []
    for t in trades.itertuples():
        rows.append((pd.Timestamp(t.entry_ts).value, t.symbol, "BUY", float(t.qty), round(float(t.entry_price), 6)))
        if not pd.isna(t.exit_ts):
            rows.append((pd.Timestamp(t.exit_ts).value, t.symbol, "SELL", float(t.qty), round(float(t.exit_price), 6)))
    return rows


def _run(home, text: str, load_from: pd.Timestamp, trade_from: pd.Timestamp, until: pd.Timestamp | None,
         first: date, last: date, **kwargs) -> BacktestResult:
    checked = load_strategy(text)
    strategy_json = checked.json_form()
    settings = run_settings(checked.settings, None, None)
    program = compile_strategy(checked)
    frames = BarStore(load_settings(home)).load_frames(settings.symbols, load_from.tz_convert(NEW_YORK).date(), last,
                                                       seconds=settings.bars_seconds)
    frames = {s: f[(f.index > load_from) & ((f.index <= until) if until is not None else True)]
              for s, f in frames.items()}
    return simulate(settings, program.incremental(), frames, first, last, strategy_json=strategy_json,
                    symbol_settings=load_settings(home), trade_from=trade_from, **kwargs)


def chained_backtest(home, v1: str, v2: str, first_day: str, split_ns: int, last_day: str) -> Chained:
    split = pd.Timestamp(split_ns, tz="UTC")
    split_day = split.tz_convert(NEW_YORK).date()
    first, last = date.fromisoformat(first_day), date.fromisoformat(last_day)
    load_from, trade_from = warmup_range(compile_strategy(load_strategy(v1)), first_day)
    load_from = pd.Timestamp(load_from, tz=NEW_YORK).tz_convert("UTC") - pd.Timedelta(1, "ns")
    one = _run(home, v1, load_from, trade_from, split, first, split_day)

    capital = one.settings.capital
    closed = one.trades[one.trades["exit_ts"].notna()]
    cash = capital - float((one.trades["qty"] * one.trades["entry_price"]).sum()) + \
        float((closed["qty"] * closed["exit_price"]).sum())  # no fees
    held = {t.symbol: (float(t.qty), float(t.entry_price)) for t in one.trades[one.trades["exit_ts"].isna()].itertuples()}

    sessions = warmup_sessions(compile_strategy(load_strategy(v2)).graph)
    history_from = pd.Timestamp(history_start_ns(split_day, sessions), tz="UTC") - pd.Timedelta(1, "ns")
    two = _run(home, v2, history_from, split + pd.Timedelta(1, "ns"), None, split_day, last,
               account_balance=cash, positions=held)
    two.config["run"]["split_ns"] = split_ns
    return Chained(one, two, cash, held)
