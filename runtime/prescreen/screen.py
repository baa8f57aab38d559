"""Pre-screen many variants of a strategy over catalog bars (SPEC §6.3).

    table = screen(variants, "2025-03-03", "2025-05-23", home=home).table   # one row per variant

Each variant is a :class:`~rbts.dsl.checker.CheckedStrategy` (a strategy with its
params bound).  Variants are grouped by what their data depends on (cycle, base bars,
and the warm-up history their backtest would load: an EMA started on other bars has
other values); within a group their graphs are merged, every distinct series is
computed once, rule truth comes out as (variants x tickers x cycles) arrays chunk by
chunk, and the numba portfolio simulation runs each chunk's variants side by side.
Metrics are metrics.json's, from the simulated daily equity.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from rbts.compiler.graph import Graph
from rbts.compiler.lowering import lower
from rbts.compiler.variants import VariantSet, merge
from rbts.compiler.warmup import warmup_sessions, warmup_start
from rbts.dsl.checker import CheckedStrategy
from rbts.runtime.prescreen.market import build_market
from rbts.runtime.prescreen.metrics import NUMERIC_KEYS, metrics_table
from rbts.runtime.prescreen.portfolio import REASONS, Costs, SimResult, simulate
from rbts.dsl.exchange import EXCHANGE_TZ

Progress = Callable[[int, int], None]
MEMORY_BUDGET = 256 * 2**20  # bytes of rule-truth arrays per chunk of variants


@dataclass
class ScreenResult:
    table: pd.DataFrame  # one row per variant, in input order: NUMERIC_KEYS
    start: date
    end: date
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _Group:
    """Variants that share cycle, bars and warm-up start (so: cycles and series values)."""

    members: list[int]
    load_from: str


def screen(variants: Sequence[CheckedStrategy], start: str | date, end: str | date, *, capital: float | None = None,
           symbols: list[str] | None = None, home: str | Path | None = None, progress: Progress | None = None,
           memory_budget: int = MEMORY_BUDGET) -> ScreenResult:
    """Pre-screen metrics of every variant over [start, end] (inclusive New York days)."""
    started = time.perf_counter()
    run = _Run(variants, start, end, capital, symbols, home)
    rows: list[tuple[np.ndarray, dict[str, np.ndarray]]] = []
    done = 0
    for group in run.groups():
        for members, metrics in run.screen_group(group, memory_budget):
            rows.append((members, metrics))
            done += len(members)
            if progress is not None:
                progress(done, len(variants))
    table = pd.DataFrame(index=pd.RangeIndex(len(variants), name="variant"), columns=list(NUMERIC_KEYS), dtype=float)
    for members, metrics in rows:
        for key in NUMERIC_KEYS:
            table.loc[members, key] = metrics[key]
    run.timings["total"] = time.perf_counter() - started
    return ScreenResult(table, run.first_day, run.last_day, run.timings["total"], run.timings, run.counts)


def screen_trades(variant: CheckedStrategy, start: str | date, end: str | date, *, capital: float | None = None,
                  symbols: list[str] | None = None, home: str | Path | None = None) -> pd.DataFrame:
    """One variant's simulated trades: symbol, entry_ts, entry_price, exit_ts, exit_price, qty, pnl, exit_reason."""
    run = _Run([variant], start, end, capital, symbols, home)
    group = next(iter(run.groups()))
    vs, result, market = run.prepare(group)
    enter, leave = vs.signals(result, np.array([0]), market.tickers)
    sim = simulate(market, Costs.of([run.settings[0]]), enter, leave, record=True)
    return trades_table(sim, market)


def trades_table(sim: SimResult, market, variant: int = 0) -> pd.DataFrame:
    log = sim.trades[variant]
    stamp = lambda c: pd.Timestamp(int(market.cycles[int(c)]), tz="UTC") if c >= 0 else pd.NaT  # noqa: E731
    return pd.DataFrame({
        "symbol": [market.tickers[int(t)] for t in log[:, 0]],
        "entry_ts": pd.to_datetime([stamp(c) for c in log[:, 1]], utc=True),
        "entry_price": log[:, 4], "exit_ts": pd.to_datetime([stamp(c) for c in log[:, 2]], utc=True),
        "exit_price": log[:, 5], "qty": log[:, 3], "pnl": log[:, 6],
        "exit_reason": [REASONS[int(r)] for r in log[:, 7]],
    })


class _Run:
    """One pre-screen: settings, graphs, frames and the date range shared by its groups."""

    def __init__(self, variants, start, end, capital, symbols, home):
        from rbts.runtime.backtest.runner import run_settings
        from rbts.runtime.backtest.runner import parse_day
        from rbts.runtime.settings import load_settings
        from rbts.dsl.errors import RbtsError

        if not variants:
            raise RbtsError("no variants to pre-screen")
        self.first_day, self.last_day = parse_day(start, "start"), parse_day(end, "end")
        if self.last_day < self.first_day:
            raise RbtsError(f"--end {self.last_day} is before --start {self.first_day}")
        self.timings: dict[str, float] = {}
        self.counts: dict[str, int] = {"variants": len(variants)}
        clock = time.perf_counter()
        self.settings = [run_settings(v.settings, capital, symbols) for v in variants]
        self.graphs: list[Graph] = [lower(dataclasses.replace(v, settings=s))
                                    for v, s in zip(variants, self.settings)]
        self.timings["compile"] = time.perf_counter() - clock
        self.home_settings = load_settings(home)
        self.trade_from = pd.Timestamp(self.first_day.isoformat(), tz=EXCHANGE_TZ).tz_convert("UTC")
        self._frames: dict[tuple[int, str], dict[str, pd.DataFrame]] = {}
        self.covered: tuple[date, date] | None = None

    def groups(self) -> list[_Group]:
        sessions = [warmup_sessions(g) for g in self.graphs]
        starts = {n: warmup_start(self.first_day, n) for n in set(sessions)}
        self.earliest = starts[max(sessions)]
        keyed: dict[tuple, list[int]] = {}
        for i, (graph, n) in enumerate(zip(self.graphs, sessions)):
            s = graph.settings
            keyed.setdefault((s.cycle_seconds, s.bars_seconds, starts[n]), []).append(i)
        self.counts["groups"] = len(keyed)
        return [_Group(members, key[2]) for key, members in sorted(keyed.items(), key=lambda kv: kv[1][0])]

    def frames(self, group: _Group) -> dict[str, pd.DataFrame]:
        """Base bars from the group's warm-up start to the end (loaded once per bar size, then sliced)."""
        from rbts.runtime.backtest.runner import check_frames, covered_days
        from rbts.runtime.data.catalog import BarStore
        from rbts.runtime.data.dates import time_bounds

        settings = self.graphs[group.members[0]].settings
        key = (settings.bars_seconds, settings.symbols)
        if key not in self._frames:
            clock = time.perf_counter()
            self._frames[key] = BarStore(self.home_settings).load_frames(
                settings.symbols, self.earliest, self.last_day, seconds=settings.bars_seconds)
            self.timings["load"] = self.timings.get("load", 0.0) + time.perf_counter() - clock
        lo, _ = time_bounds(group.load_from, None, self.home_settings.timezone)
        frames = {s: f[f.index.as_unit("ns").asi8 >= lo] for s, f in self._frames[key].items()}
        check_frames(frames, self.first_day, self.last_day, self.trade_from, self.home_settings.catalog_dir)
        self.covered = covered_days(frames, self.first_day, self.last_day, self.trade_from)
        return frames

    def prepare(self, group: _Group):
        """The group's merged graphs, its evaluated series and the market arrays of its tradable tickers."""
        from rbts.runtime.data.instruments import is_data_only, price_precision

        frames = self.frames(group)
        clock = time.perf_counter()
        vs: VariantSet = merge([self.graphs[i] for i in group.members])
        result = vs.evaluate_series(frames)
        self._add_time("series", clock)
        settings = vs.settings
        tickers = tuple(s for s in settings.universe if not is_data_only(s, self.home_settings))
        precision = {s: price_precision(s, self.home_settings) for s in tickers}
        market = build_market(frames, tickers, result.cycles, self.trade_from.value, precision)
        self.counts["series_nodes"] = self.counts.get("series_nodes", 0) + len(vs.series.nodes)
        self.counts["condition_rows"] = self.counts.get("condition_rows", 0) + len(vs.rows)
        self.counts["cycles"] = len(market.cycles) - market.first
        return vs, result, market

    def screen_group(self, group: _Group, memory_budget: int):
        """(member indices, metrics) per chunk of the group's variants."""
        vs, result, market = self.prepare(group)
        # per variant: its condition rows (two float operands, states, truth) and its enter/exit arrays
        per_variant = len(result.cycles) * (24 * max(1, len(vs.rows) // max(1, len(vs))) + 4 * len(market.tickers))
        chunk = int(min(len(group.members), max(1, memory_budget // per_variant)))
        self.counts["chunk"] = chunk
        costs = Costs.of([self.settings[i] for i in group.members])
        first, last = self.covered
        for lo in range(0, len(group.members), chunk):
            local = np.arange(lo, min(lo + chunk, len(group.members)))
            clock = time.perf_counter()
            enter, leave = vs.signals(result, local, market.tickers)
            self._add_time("signals", clock)
            clock = time.perf_counter()
            sim = simulate(market, costs.take(local), enter, leave)
            self._add_time("simulate", clock)
            metrics = metrics_table(sim.daily, sim.stats, sim.trading_cycles, costs.capital, first, last)
            yield np.asarray(group.members)[local], metrics

    def _add_time(self, what: str, since: float) -> None:
        self.timings[what] = self.timings.get(what, 0.0) + time.perf_counter() - since
