"""Run one backtest: strategy + dates (+ capital, tickers) -> :class:`BacktestResult`.

``run_backtest`` is the Python API (the CLI and the UI's worker process call it);
``simulate`` runs already-loaded frames through Nautilus with any evaluator (tests
and benchmarks call it directly).  A run either processes every bar or fails with
an :class:`RbtsError`; there is no partial result.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from rbts.compiler.protocol import IncrementalEvaluator
from rbts.dsl.errors import RbtsError
from rbts.dsl.limits import capital_problem
from rbts.dsl.settings import ResolvedSettings
from rbts.runtime.backtest import reports
from rbts.runtime.backtest.metrics import compute_metrics
from rbts.runtime.strategy.recorder import CycleRecorder, StrategyEvent
from rbts.dsl.exchange import EXCHANGE_TZ

Progress = Callable[[float, str], None]


@dataclass
class BacktestResult:
    settings: ResolvedSettings
    start: date
    end: date
    metrics: dict[str, Any]
    equity: pd.DataFrame  # index ts (UTC); columns equity, cash, invested
    trades: pd.DataFrame
    fills: pd.DataFrame
    orders: pd.DataFrame
    events: list[StrategyEvent]
    config: dict[str, Any]
    bars: int = 0
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def write(self, out_dir: str | Path) -> Path:
        """metrics.json, equity.csv, trades.csv, fills.csv, orders.csv, config.json (SPEC §3)."""
        return reports.write_outputs(self, out_dir)


def parse_day(value: str | date, what: str) -> date:
    if isinstance(value, date):
        return value
    from rbts.runtime.data.dates import FIRST_YEAR, LAST_YEAR

    try:
        day = date.fromisoformat(str(value).strip())
    except ValueError:
        raise RbtsError(f"--{what}: expected a date as YYYY-MM-DD, got {value!r}") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise RbtsError(f"--{what}: {day} is outside {FIRST_YEAR}..{LAST_YEAR}, the years the catalog holds")
    return day


def run_backtest(
    strategy: Any, start: str | date, end: str | date, capital: float | None = None,
    symbols: list[str] | None = None, home: str | Path | None = None, progress: Progress | None = None,
) -> BacktestResult:
    """Backtest a strategy on catalog bars: a CheckedStrategy, or what
    :func:`rbts.dsl.load.load_strategy` reads (a .rbts/.json ``Path``, a text, a JSON dict)."""
    from rbts.compiler.program import compile_strategy
    from rbts.compiler.warmup import warmup_range
    from rbts.dsl.checked import CheckedStrategy
    from rbts.dsl.load import load_strategy
    from rbts.runtime.data.catalog import BarStore
    from rbts.runtime.settings import load_settings

    first, last = parse_day(start, "start"), parse_day(end, "end")
    if last < first:
        raise RbtsError(f"--end {last} is before --start {first}")
    checked = strategy if isinstance(strategy, CheckedStrategy) else load_strategy(strategy)
    strategy_json = checked.json_form()
    settings = run_settings(checked.settings, capital, symbols)
    checked = dataclasses.replace(checked, settings=settings)
    home_settings = load_settings(home)
    program = compile_strategy(checked)
    # History before `first` warms the rules up, as a live bot's request_bars does; cycles
    # before `first` are evaluated but neither trade nor count in the results.
    load_from, trade_from = warmup_range(program, first.isoformat())
    frames = BarStore(home_settings).load_frames(settings.symbols, load_from, last, seconds=settings.bars_seconds)
    check_frames(frames, first, last, trade_from, home_settings.catalog_dir)
    covered_first, covered_last = covered_days(frames, first, last, trade_from)
    result = simulate(settings, program.incremental(), frames, covered_first, covered_last, progress=progress,
                      strategy_json=strategy_json, symbol_settings=home_settings, trade_from=trade_from)
    if _missing_sessions(first, last, covered_first, covered_last, home_settings.calendar):
        result.metrics["warnings"].append(
            f"bars cover {covered_first} .. {covered_last} of the requested {first} .. {last}")
    return result


def check_frames(frames: dict[str, pd.DataFrame], first: date, last: date, trade_from: pd.Timestamp,
                 catalog_dir) -> None:
    """Every symbol has bars in the range (else an RbtsError naming it)."""
    for symbol, frame in frames.items():
        if frame.empty or frame.index[-1] < trade_from:
            raise RbtsError(f"no {symbol} bars between {first} and {last} in {catalog_dir}")


def covered_days(frames: dict[str, pd.DataFrame], first: date, last: date, trade_from: pd.Timestamp) -> tuple[date, date]:
    """The days of [first, last] that have bars: metrics cover them (CAGR over a requested year
    with half a year of bars would lie)."""
    covered_first = max(first, min(_ny_day(f.index[f.index >= trade_from][0]) for f in frames.values()))
    covered_last = min(last, max(_ny_day(f.index[-1]) for f in frames.values()))
    return covered_first, covered_last


def run_settings(settings: ResolvedSettings, capital: float | None, symbols: list[str] | None) -> ResolvedSettings:
    """The strategy's settings with this run's capital and tickers (the universe) put in."""
    changes: dict[str, Any] = {}
    if capital is not None:
        problem = capital_problem(capital)
        if problem:
            raise RbtsError(f"--capital: {problem}")
        changes["capital"] = float(capital)
    if symbols:
        universe = tuple(dict.fromkeys(s.strip().upper() for s in symbols if s.strip()))
        if not universe:
            raise RbtsError("--symbols: give at least one ticker")
        changes["universe"] = universe
        changes["data_symbols"] = tuple(s for s in settings.data_symbols if s not in universe)
    return dataclasses.replace(settings, **changes) if changes else settings


def _missing_sessions(first: date, last: date, covered_first: date, covered_last: date, calendar_name: str) -> bool:
    """Whether the requested range holds sessions of the exchange's calendar outside the days that have bars."""
    if (covered_first, covered_last) == (first, last):
        return False
    import exchange_calendars as xcals

    try:
        calendar = xcals.get_calendar(calendar_name, start=str(first), end=str(last))
        sessions = calendar.sessions_in_range(str(first), str(last))
    except Exception:  # outside the calendar's range: say nothing rather than something wrong
        return False
    days = [s.date() for s in sessions]
    return any(d < covered_first or d > covered_last for d in days)


def _ny_day(ts: pd.Timestamp) -> date:
    return ts.tz_convert(EXCHANGE_TZ).date()


def simulate(
    settings: ResolvedSettings, evaluator: IncrementalEvaluator, frames: dict[str, pd.DataFrame],
    start: date | None = None, end: date | None = None, progress: Progress | None = None,
    strategy_json: dict | None = None, symbol_settings=None, trade_from: pd.Timestamp | None = None,
    account_balance: float | None = None, positions: dict[str, tuple[float, float]] | None = None,
) -> BacktestResult:
    """Run the frames through Nautilus with ``RuleStrategy`` and collect the results.

    Bars before ``trade_from`` only warm the rules up (see :mod:`rbts.compiler.warmup`).
    ``account_balance`` (default: the capital) simulates a larger account, as a live bot may have.
    ``positions`` (symbol -> (quantity, average price)) are held from the start, as by a live
    bot's new version after an apply (then ``account_balance`` is the cash beside them).
    """
    from nautilus_trader.model.instruments import IndexInstrument

    from rbts.runtime.backtest.engine import build_engine
    from rbts.runtime.strategy.rule_strategy import RuleStrategy, RuleStrategyConfig

    started = time.perf_counter()
    missing = [s for s in settings.symbols if s not in frames or frames[s].empty]
    if missing:
        raise RbtsError(f"no bars for {', '.join(missing)}")
    first_ts = min(f.index[0] for f in frames.values())
    if trade_from is not None:
        first_ts = max(first_ts, trade_from)
    last_ts = max(f.index[-1] for f in frames.values())
    start = start or _ny_day(first_ts)
    end = end or _ny_day(last_ts)
    instruments = _instruments(settings, symbol_settings)
    engine, total_bars = build_engine(account_balance or settings.capital, instruments, settings.bars_seconds,
                                      {s: frames[s] for s in settings.symbols})
    recorder = CycleRecorder()
    if progress is not None:
        recorder.subscribe(on_cycle=_progress_hook(progress, first_ts.value, last_ts.value))
    config = RuleStrategyConfig(
        instrument_ids={s: str(i.id) for s, i in instruments.items()},
        data_only=tuple(s for s in settings.symbols if s not in settings.universe or _data_only(s, symbol_settings)),
        trade_from_ns=trade_from.value if trade_from is not None else 0,
    )
    strategy = RuleStrategy(config, settings, evaluator, recorder)
    engine.add_strategy(strategy)
    if positions:
        from rbts.runtime.backtest.engine import open_positions

        open_positions(engine, strategy, positions, instruments, int(first_ts.value) - 1)
    try:
        with warnings.catch_warnings():
            # nautilus 1.231 calls pandas APIs deprecated in pandas 3 (Timestamp.utcnow, floor("d"))
            warnings.filterwarnings("ignore", category=getattr(pd.errors, "Pandas4Warning", FutureWarning))
            engine.run(end=last_ts + pd.Timedelta(seconds=settings.bars_seconds))
    except RbtsError:
        raise
    except Exception as exc:  # an error inside the strategy or the evaluator
        raise RbtsError(f"the backtest stopped with an error: {type(exc).__name__}: {exc}") from exc
    if strategy.error is not None:
        raise RbtsError(f"the backtest stopped with an error: {type(strategy.error).__name__}: {strategy.error}")
    processed = engine.get_result().iterations
    if processed != total_bars:
        raise RbtsError(f"the engine stopped early: {processed} of {total_bars} bars processed "
                        f"(see the events: {[e.message for e in recorder.events[-3:]]})")
    result = _collect(engine, strategy, settings, start, end, strategy_json)
    for symbol in settings.universe:
        if symbol in config.data_only or isinstance(instruments[symbol], IndexInstrument):
            result.metrics["warnings"].append(f"{symbol} is data only (an index): it is never traded")
    result.bars, result.seconds = total_bars, time.perf_counter() - started
    engine.dispose()
    if progress is not None:
        progress(1.0, "done")
    return result


def _data_only(symbol: str, symbol_settings) -> bool:
    try:
        from rbts.runtime.data.instruments import is_data_only
    except ImportError:
        return False
    return is_data_only(symbol, symbol_settings)


def _instruments(settings: ResolvedSettings, symbol_settings) -> dict:
    from rbts.runtime.strategy.instruments import sim_instrument

    out = {}
    for symbol in settings.symbols:
        data_only = symbol not in settings.universe or _data_only(symbol, symbol_settings)
        try:
            from rbts.runtime.data.instruments import make_instrument
            template = make_instrument(symbol, symbol_settings)
        except ImportError:
            template = None
        out[symbol] = sim_instrument(symbol, template, data_only, settings.fees)
    names = [i.id for i in out.values()]
    if len(set(names)) != len(names):
        raise RbtsError(f"two symbols map to the same instrument: {sorted(map(str, names))}")
    return out


def _progress_hook(progress: Progress, first_ns: int, last_ns: int):
    span = max(1, last_ns - first_ns)
    state = {"next": 0.0}

    def hook(record) -> None:
        fraction = (record.ts_ns - first_ns) / span
        if fraction >= state["next"]:
            state["next"] = fraction + 0.01
            progress(min(fraction, 0.999), pd.Timestamp(record.ts_ns, tz="UTC").tz_convert(
                EXCHANGE_TZ).strftime("%Y-%m-%d %H:%M"))

    return hook


def _collect(engine, strategy, settings, start, end, strategy_json) -> BacktestResult:
    rec = strategy.recorder
    ts = pd.DatetimeIndex(pd.to_datetime(rec.ts, unit="ns", utc=True), name="ts")
    equity = pd.DataFrame({"equity": rec.equity, "cash": rec.cash, "invested": rec.invested}, index=ts)
    symbol_of = {str(v): k for k, v in strategy.config.instrument_ids.items()}
    trades = reports.trades_frame(engine.cache.positions(), strategy.trade_rules, symbol_of,
                                  strategy._last_close)
    fills = reports.nautilus_report(engine.trader.generate_fills_report(), symbol_of)
    orders = reports.nautilus_report(engine.trader.generate_orders_report(), symbol_of)
    closed = trades[trades["exit_ts"].notna()] if len(trades) else trades
    metrics = compute_metrics(start, end, settings.capital, ts, rec.equity, rec.invested,
                              closed["pnl"].tolist() if len(closed) else [])
    for event in rec.events:
        if event.kind == "max_daily_loss":
            when = pd.Timestamp(event.ts_ns, tz="UTC").tz_convert(EXCHANGE_TZ)
            metrics["warnings"].append(f"max_daily_loss stopped trading on {when:%Y-%m-%d %H:%M}")
    config = {"strategy": strategy_json, "run": {
        "start": start.isoformat(), "end": end.isoformat(), "capital": settings.capital,
        "symbols": list(settings.universe), "data_symbols": list(settings.data_symbols),
        "venue": "one simulated venue and cash account for all symbols",
    }}
    return BacktestResult(settings, start, end, metrics, equity, trades, fills, orders, list(rec.events), config)
