"""``rbts data demo``: a deterministic, clearly labelled SYNTHETIC data set.

1-minute regular-hours bars on the real XNYS sessions of 2025 (holidays and
early closes from ``exchange_calendars``), stamped at their close (09:31 ..
16:00 New York), for eight liquid-looking tickers and VIX. The prices are a
random walk, not market history: a shared market factor with volatility
regimes drives the stocks (each with its own beta and noise); VIX is a
mean-reverting log process that moves against the market, with occasional
spikes that then decay, so ``slope(ema(VIX, 9, 5m), 30m) < -0.25`` of the
reference strategy is true at some cycles and false at most.

Determinism: every random stream is seeded from fixed numbers and the symbol
name, and the whole year is always generated, then sliced, so any subset of
days or symbols equals the same part of the full set, byte for byte.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rbts.dsl.errors import RbtsError
from rbts.dsl.exchange import EXCHANGE_CALENDAR

YEAR = 2025
SEED = 20250101
DEMO_SOURCE = f"SYNTHETIC demo data (rbts data demo, seed {SEED}): a random walk, not market prices"


@dataclass(frozen=True)
class TickerModel:
    start: float  # first open, USD
    beta: float  # exposure to the market factor
    noise: float  # own per-minute volatility (log)
    drift: float  # per-year log drift
    volume: float  # typical shares per minute


STOCKS: dict[str, TickerModel] = {
    "AAPL": TickerModel(185.0, 1.0, 0.0006, 0.10, 60_000),
    "MSFT": TickerModel(420.0, 0.9, 0.0005, 0.12, 30_000),
    "NVDA": TickerModel(135.0, 1.6, 0.0011, 0.25, 250_000),
    "AMZN": TickerModel(220.0, 1.2, 0.0007, 0.08, 50_000),
    "GOOGL": TickerModel(190.0, 1.1, 0.0007, 0.06, 40_000),
    "META": TickerModel(600.0, 1.3, 0.0008, 0.15, 20_000),
    "TSLA": TickerModel(400.0, 1.8, 0.0016, -0.05, 150_000),
    "AMD": TickerModel(125.0, 1.5, 0.0012, 0.02, 80_000),
}
INDEXES = ("VIX",)
DEMO_SYMBOLS: tuple[str, ...] = (*STOCKS, *INDEXES)

_MARKET_VOL = 0.00045  # per-minute log volatility of the market factor in a calm regime
_VIX_LEVEL = 19.0  # long-run VIX
_VIX_REVERSION = 1 / 1200  # per minute: about three sessions to halve a deviation
_VIX_BETA = 9.0  # log-VIX move per unit of market log return (against the market)
_VIX_NOISE = 0.003  # own per-minute log volatility


def sessions(start: str | None = None, end: str | None = None) -> pd.DataFrame:
    """The exchange's sessions (XNYS) of the demo year within [start, end]: columns ``open``, ``close`` (UTC)."""
    import exchange_calendars as xcals

    schedule = xcals.get_calendar(EXCHANGE_CALENDAR).schedule.loc[f"{YEAR}-01-01":f"{YEAR}-12-31", ["open", "close"]]
    lo = pd.Timestamp(start) if start else schedule.index[0]
    hi = pd.Timestamp(end) if end else schedule.index[-1]
    if lo > hi:
        raise RbtsError(f"demo: start {start} is after end {end}")
    chosen = schedule.loc[lo:hi]
    if chosen.empty:
        raise RbtsError(f"demo: no XNYS sessions of {YEAR} between {start or 'the start'} and {end or 'the end'} (the demo covers {YEAR})")
    return chosen


@dataclass(frozen=True)
class _Clock:
    ts: np.ndarray  # int64 ns close times of every RTH minute of the year
    day: np.ndarray  # session number of each minute
    first: np.ndarray  # bool: first minute of a session
    minute: np.ndarray  # minutes since the open (1 = the 09:31 bar)
    session_dates: pd.DatetimeIndex


def _clock() -> _Clock:
    sched = sessions()
    opens = pd.DatetimeIndex(sched["open"]).as_unit("ns").asi8
    lengths = ((sched["close"] - sched["open"]).dt.total_seconds() // 60).astype(np.int64).to_numpy()
    day = np.repeat(np.arange(len(sched)), lengths)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    minute = np.arange(len(day)) - starts[day] + 1
    ts = opens[day] + minute * 60_000_000_000
    return _Clock(ts, day, minute == 1, minute, sched.index)


def _rng(*key: int | str) -> np.random.Generator:
    words = [zlib.crc32(k.encode()) if isinstance(k, str) else int(k) for k in key]
    return np.random.default_rng([SEED, *words])


def _market(clock: _Clock) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Market factor log returns per minute, their vol, and the overnight gap (first minutes only).

    The returns include the gap; a bar's own move is ``ret - gap``."""
    rng = _rng("market")
    n_days = int(clock.day[-1]) + 1
    # volatility regimes: an AR(1) in log vol per day, plus a few shock days
    regime = np.zeros(n_days)
    shocks = rng.standard_normal(n_days)
    for i in range(1, n_days):
        regime[i] = 0.93 * regime[i - 1] + 0.28 * shocks[i]
    stress = rng.random(n_days) < 0.04
    day_vol = _MARKET_VOL * np.exp(regime) * np.where(stress, 2.2, 1.0)
    intraday = 1.0 + 0.8 * np.exp(-clock.minute / 25.0) + 0.3 * np.exp(-(390 - clock.minute) / 30.0)
    vol = day_vol[clock.day] * intraday
    ret = vol * rng.standard_normal(len(clock.ts))
    gaps = 6.0 * day_vol * rng.standard_normal(n_days)
    gap = np.zeros(len(ret))
    gap[clock.first] = gaps
    return ret + gap, vol, gap


def _ohlc(log_close: np.ndarray, move: np.ndarray, vol: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """OHLC from a close path and each bar's own move (open = previous close, plus any overnight gap)."""
    log_open = log_close - move
    close = np.round(np.exp(log_close), 2)
    open_ = np.round(np.exp(log_open), 2)
    wick_up = np.abs(rng.standard_normal(len(close))) * vol * 0.5
    wick_dn = np.abs(rng.standard_normal(len(close))) * vol * 0.5
    high = np.round(np.exp(np.maximum(log_open, log_close) + wick_up), 2)
    low = np.round(np.exp(np.minimum(log_open, log_close) - wick_dn), 2)
    high = np.maximum(high, np.maximum(open_, close))
    low = np.maximum(np.minimum(low, np.minimum(open_, close)), 0.01)
    return {"open": open_, "high": high, "low": low, "close": close}


def _stock(symbol: str, clock: _Clock, market: np.ndarray, market_vol: np.ndarray, gap: np.ndarray) -> dict[str, np.ndarray]:
    model = STOCKS[symbol]
    rng = _rng(symbol)
    n = len(clock.ts)
    own = model.noise * (market_vol / _MARKET_VOL) ** 0.5 * rng.standard_normal(n)
    step = model.beta * market + own + model.drift / n
    move = step - model.beta * gap
    bars = _ohlc(np.log(model.start) + np.cumsum(step), move, np.abs(move) + model.noise, rng)
    u_shape = 1.0 + 1.5 * np.exp(-clock.minute / 20.0) + 1.2 * np.exp(-(390 - clock.minute) / 15.0)
    activity = 1.0 + 30.0 * np.abs(step)
    bars["volume"] = np.round(model.volume * u_shape * activity * rng.lognormal(0.0, 0.45, n))
    return bars


def _vix(clock: _Clock, market: np.ndarray, gap: np.ndarray) -> dict[str, np.ndarray]:
    rng = _rng("VIX")
    n = len(clock.ts)
    shock = -_VIX_BETA * market + _VIX_NOISE * rng.standard_normal(n)
    # rare fear spikes (+15..45 %), which then decay and give steep falls
    spikes = rng.random(n) < 1 / 2000
    shock[spikes] += rng.uniform(0.15, 0.45, spikes.sum())
    level = np.log(_VIX_LEVEL)
    x = np.empty(n)
    prev = level
    for i in range(n):  # mean-reverting log level: a recursion, ~0.1 s for a year
        prev = prev + _VIX_REVERSION * (level - prev) + shock[i]
        x[i] = prev
    x = np.clip(x, np.log(9.0), np.log(80.0))
    step = np.diff(np.concatenate([[level], x]))
    move = np.where(clock.first, step + _VIX_BETA * gap, step)  # the gap shows between bars
    bars = _ohlc(x, move, np.abs(move) * 0.5 + 0.0008, rng)
    bars["volume"] = np.zeros(n)  # an index has no volume
    return bars


def generate(symbols=DEMO_SYMBOLS, start: str | None = None, end: str | None = None) -> dict[str, pd.DataFrame]:
    """Synthetic bars per symbol for the XNYS sessions in [start, end] of the demo year."""
    unknown = [s for s in symbols if s not in DEMO_SYMBOLS]
    if unknown:
        raise RbtsError(f"demo: no synthetic model for {', '.join(unknown)} (available: {', '.join(DEMO_SYMBOLS)})")
    chosen = sessions(start, end)
    clock = _clock()
    keep = np.isin(clock.session_dates[clock.day], chosen.index)
    index = pd.DatetimeIndex(clock.ts[keep].astype("datetime64[ns]"), name="ts").tz_localize("UTC")
    market, vol, gap = _market(clock)
    out = {}
    for symbol in symbols:
        bars = _vix(clock, market, gap) if symbol in INDEXES else _stock(symbol, clock, market, vol, gap)
        out[symbol] = pd.DataFrame({k: bars[k][keep] for k in ("open", "high", "low", "close", "volume")}, index=index)
    return out


def write_demo(store, symbols=DEMO_SYMBOLS, start: str | None = None, end: str | None = None, progress=None, force: bool = False) -> dict[str, int]:
    """Generate and store the demo bars; returns bars written per symbol.

    Symbols holding real (imported/downloaded) bars are skipped (count -1) unless
    ``force``, which replaces those real bars (once the demo bars are written).
    """
    frames = generate(symbols, start, end)
    counts = {}
    for symbol, frame in frames.items():
        real = store.has_real(symbol)
        if real and not force:
            counts[symbol] = -1
            if progress is not None:
                progress(symbol)
            continue
        store.write_frame(symbol, frame, 60, {"source": DEMO_SOURCE, "synthetic": True}, replace_symbol=real)
        counts[symbol] = len(frame)
        if progress is not None:
            progress(symbol)
    return counts
