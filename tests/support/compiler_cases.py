"""Helpers for the compiler tests: small strategies, hand-made bars, parity checks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rbts.compiler.incremental import IncrementalProgram
from rbts.compiler.program import Program, compile_strategy
from rbts.compiler.replay import merged_bars
from rbts.compiler.vector import evaluate
from rbts.dsl.checker import check_text

NY = "America/New_York"
STATE_CODE = {"false": 0, "true": 1, "warming": 2}

# Every function, timeframe mix and temporal operator (AAA, BBB and VIX).
KITCHEN_SINK = """
let fast = ema(close, 9, 5m)
let slow = sma(close, 21, 5m)
let spread = fast - slow
let calm = VIX < 21 or VIX between 25 and 26
let mixed = close - ema(close, 4, 15m) + sma(VIX, 3, 1h) / 10
entry a: fast crosses_above slow and calm
entry b: wma(close, 5) > hma(close, 9, 5m) or dema(close, 4, 15m) > close
entry c: rsi(close, 14, 5m) between 30 and 70 within 4 bars
exit d: atr(5, 5m) > 0.05 for 3 bars
exit e: vwap(5m) < close and bb_upper(close, 10, 2, 5m) > bb_lower(close, 10, 1.5, 5m)
exit f: macd(close, 5, 13, 5m) crosses macd_signal(close, 5, 13, 4, 5m)
exit g: highest(high, 30m) - lowest(low, 6 bars) > 2 * change(close, 10m) or pct_change(close, 1h) < -1%
exit h: slope(spread, 15m) > prev(spread, 2) and not (mixed > 200)
exit i: ema(fast, 3, 15m) > ema(close, 2, 1h) and sma(close, 2, 4h) > 0 and ema(close, 2, 1d) > 0
exit j: time in ETH and not time in RTH or time between 20:00 and 04:00
exit k: ema(close, 3, 10m) - ema(close, 3, 15m) > 0 and sma(close, 2, 45m) > prev(close(BBB), 3 bars)
"""


def program(body: str, universe: str = "AAA", header: str = "") -> Program:
    """Compile a strategy given its lets/rules (``universe`` and settings are added)."""
    text = f"universe: {universe}\n{header}\n{body}\n"
    return compile_strategy(check_text(text))


def frame(rows) -> pd.DataFrame:
    """Bars from rows ``(local 'YYYY-MM-DD HH:MM', close)`` or ``(..., open, high, low, close, volume)``."""
    stamps, data = [], []
    for row in rows:
        stamps.append(pd.Timestamp(row[0], tz=NY))
        if len(row) == 2:
            c = float(row[1])
            data.append((c, c, c, c, 100.0))
        else:
            data.append(tuple(float(x) for x in row[1:]))
    index = pd.DatetimeIndex(stamps).tz_convert("UTC")
    return pd.DataFrame(data, index=index, columns=["open", "high", "low", "close", "volume"])


def minutes(day: str, start: str, end: str, closes=None, seed: int = 0, drop=()) -> pd.DataFrame:
    """1-minute bars stamped (start, end] New York time on ``day``; a random walk unless ``closes``."""
    index = pd.date_range(pd.Timestamp(f"{day} {start}", tz=NY) + pd.Timedelta("1min"),
                          pd.Timestamp(f"{day} {end}", tz=NY), freq="1min")
    n = len(index)
    rng = np.random.default_rng(seed)
    c = np.asarray(closes, dtype=float) if closes is not None else np.round(100 * np.exp(np.cumsum(rng.normal(0, 0.002, n))), 2)
    o = np.r_[c[0], c[:-1]]
    f = pd.DataFrame({"open": o, "high": np.maximum(o, c) + 0.03, "low": np.minimum(o, c) - 0.03, "close": c,
                      "volume": rng.integers(100, 10_000, n).astype(float)}, index=index.tz_convert("UTC"))
    if drop:
        f = f.drop(f.index[list(drop)])
    return f


def nasty_frames(symbols=("AAA", "BBB", "VIX")) -> dict[str, pd.DataFrame]:
    """Hand-made awkward data: missing minutes, a gap day, the March DST change, the
    Thanksgiving holiday and the next day's 13:00 early close, pre/post-market bars, and
    a symbol that starts late and has holes where the others trade."""
    days = [("2024-03-07", "09:30", "16:00"), ("2024-03-08", "04:00", "20:00"),  # ETH day before DST
            ("2024-03-11", "09:30", "16:00"), ("2024-03-12", "09:30", "16:00"),  # after DST (Mar 10)
            ("2024-11-26", "09:30", "16:00"), ("2024-11-27", "09:30", "16:00"),  # Thanksgiving 11-28: no bars
            ("2024-11-29", "09:30", "13:00"), ("2024-12-02", "09:30", "16:00")]  # early close, then Monday
    out = {}
    for k, sym in enumerate(symbols):
        parts = []
        for d, (day, start, end) in enumerate(days):
            rng = np.random.default_rng(1000 * k + d)
            n = len(pd.date_range(f"{day} {start}", f"{day} {end}", freq="1min")) - 1
            drop = sorted(set(rng.choice(n, size=n // 12, replace=False).tolist()))  # ~8% missing minutes
            if sym == symbols[-1] and d == 0:
                continue  # starts a day late
            if k == 1 and d == 3:
                drop = sorted(set(drop) | set(range(60, 150)))  # a 90-minute hole
            parts.append(minutes(day, start, end, seed=1000 * k + d, drop=drop))
        f = pd.concat(parts)
        if sym == "VIX":
            f[["open", "high", "low", "close"]] = (f[["open", "high", "low", "close"]] / 5).round(2)
        out[sym] = f
    return out


def snapshot_incremental(prog: Program, frames: dict) -> tuple[list[int], dict[int, list], dict[int, list]]:
    """Run the incremental evaluator; per cycle, every node's (value, ready) and state."""
    inc = IncrementalProgram(prog.graph)
    s = prog.settings
    cycles: list[int] = []
    values: dict[int, list] = {n.id: [] for n in prog.graph.nodes if n.is_series}
    states: dict[int, list] = {n.id: [] for n in prog.graph.nodes if not n.is_series}

    def cycle(ts):
        inc.evaluate(ts)
        cycles.append(ts)
        for i in values:
            obj = inc.objs[i]
            values[i].append((obj.value, obj.ready))
        for i in states:
            states[i].append(inc.objs[i].state)

    current = None
    for ts, sym, o, h, l, c, v in merged_bars(frames, s.symbols):
        if ts != current:
            if current is not None and inc.is_cycle(current):
                cycle(current)
            current = ts
        inc.on_bar(sym, s.bars_seconds, ts, o, h, l, c, v)
    if current is not None and inc.is_cycle(current):
        cycle(current)
    return cycles, values, states


def assert_parity(prog: Program, frames: dict) -> int:
    """Vectorised == incremental on every cycle: states identical, values to 1e-9. Returns #cycles."""
    vec = evaluate(prog.graph, frames)
    cycles, values, states = snapshot_incremental(prog, frames)
    assert cycles == vec.cycles.tolist()
    for node in prog.graph.nodes:
        if node.is_series:
            val, ready = vec.sample(node.id)
            inc_val = np.array([v for v, _ in values[node.id]], dtype=float)
            inc_ready = np.array([r for _, r in values[node.id]], dtype=bool)
            assert (ready == inc_ready).all(), f"ready differs for n{node.id} {node.describe()}"
            a, b = val[ready], inc_val[ready]
            same = np.isclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True) | (a == b)
            assert same.all(), f"values differ for n{node.id} {node.describe()}: {a[~same][:3]} vs {b[~same][:3]}"
        else:
            got = np.array(states[node.id], dtype=np.int8)
            want = vec.states[node.id]
            bad = np.flatnonzero(got != want)
            assert len(bad) == 0, (f"states differ for n{node.id} {node.describe()} at "
                                   f"{pd.to_datetime(vec.cycles[bad[:3]], utc=True)}: {want[bad[:3]]} vs {got[bad[:3]]}")
    return len(cycles)
