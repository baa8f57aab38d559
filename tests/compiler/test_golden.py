"""Hand-computed cases for every function and temporal operator, with warm-up lengths.

Each case also runs through the incremental evaluator (``assert_parity``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from support.compiler_cases import assert_parity, frame, program

from rbts.compiler.trace import trace_strategy

CLOSES = [10, 11, 12, 11, 13, 14, 12, 15, 16, 17]
NAN = math.nan


def one_minute(closes=CLOSES, day="2025-03-04", start=31):
    return frame([(f"{day} 09:{start + i:02d}", c) for i, c in enumerate(closes)])


def trace(body, frames, header="", universe="AAA", symbol="AAA"):
    prog = program(body, universe=universe, header=header)
    assert_parity(prog, frames)
    return trace_strategy(prog.checked, frames, symbol)


def column(tr, text):
    return tr.frame[text].to_numpy(dtype=float)


def states(tr, rule="r"):
    return tr.frame[rule].tolist()


def same(got, want):
    np.testing.assert_allclose(got, np.array(want, dtype=float), rtol=1e-12, atol=1e-12, equal_nan=True)


W, T, F = "warming", "true", "false"


@pytest.mark.parametrize("call, want", [
    ("change(close, 2 bars)", [NAN, NAN, 2, 0, 1, 3, -1, 1, 4, 2]),
    ("change(close, 2m)", [NAN, NAN, 2, 0, 1, 3, -1, 1, 4, 2]),
    ("pct_change(close, 1 bar)", [NAN, 0.1, 1 / 11, -1 / 12, 2 / 11, 1 / 13, -2 / 14, 3 / 12, 1 / 15, 1 / 16]),
    ("slope(close, 3m)", [NAN, NAN, NAN, 1 / 3, 2 / 3, 2 / 3, 1 / 3, 2 / 3, 2 / 3, 5 / 3]),
    ("prev(close, 1)", [NAN, 10, 11, 12, 11, 13, 14, 12, 15, 16]),
    ("prev(close, 3 bars)", [NAN, NAN, NAN, 10, 11, 12, 11, 13, 14, 12]),
    ("highest(close, 3 bars)", [NAN, NAN, 12, 12, 13, 14, 14, 15, 16, 17]),
    ("lowest(close, 3m)", [NAN, NAN, 10, 11, 11, 11, 12, 12, 12, 15]),
    ("sma(close, 3)", [NAN, NAN, 11, 34 / 3, 12, 38 / 3, 13, 41 / 3, 43 / 3, 16]),
    ("ema(close, 3)", [NAN, NAN, 11.25, 11.125, 12.0625, 13.03125, 12.515625, 13.7578125, 14.87890625,
                       15.939453125]),
    ("wma(close, 2)", [NAN, 32 / 3, 35 / 3, 34 / 3, 37 / 3, 41 / 3, 38 / 3, 14, 47 / 3, 50 / 3]),
])
def test_function_values_and_warmup(call, want):
    tr = trace(f"entry r: {call} > -1000", {"AAA": one_minute()})
    same(column(tr, call), want)
    n_warm = sum(1 for w in want if math.isnan(w))
    assert states(tr) == [W] * n_warm + [T] * (10 - n_warm)


def test_rsi_is_reported_0_to_100():
    tr = trace("entry r: rsi(close, 2) > 50", {"AAA": one_minute([10, 11, 12, 12, 11, 11])})
    got = column(tr, "rsi(close, 2)")
    # EMA(2) smoothing (alpha 2/3) of gains/losses, the first input counting as no change
    gain = loss = 0.0
    want, last = [], 10
    for i, c in enumerate([10, 11, 12, 12, 11, 11]):
        d = c - last
        last = c
        gain = (2 / 3) * max(d, 0) + (1 / 3) * gain if i else 0.0
        loss = (2 / 3) * max(-d, 0) + (1 / 3) * loss if i else 0.0
        want.append(100.0 if loss == 0 else 100 - 100 / (1 + gain / loss))
    same(got, [NAN] + want[1:])


def test_crosses_against_previous_cycle():
    frames = {"AAA": one_minute()}
    tr = trace("entry r: close crosses_above 12\nexit s: close crosses_below 12\nexit u: close crosses 12", frames)
    assert states(tr, "r") == [W, F, F, F, T, F, F, T, F, F]
    assert states(tr, "s") == [W, F, F, T, F, F, F, F, F, F]
    assert states(tr, "u") == [W, F, F, T, T, F, F, T, F, F]


def test_crosses_warms_until_previous_operands_exist():
    tr = trace("entry r: close crosses_above sma(close, 3)", {"AAA": one_minute()})
    assert states(tr)[:3] == [W, W, W]  # sma ready at cycle 2, so the previous cycle is ready at 3
    assert states(tr)[3] in (T, F)


def test_within_and_for_count_cycles():
    frames = {"AAA": one_minute()}
    tr = trace("entry r: close > 12 within 3 bars\nentry s: close > 12 for 2m", frames)
    # close > 12:            F F F F T T F T T T
    assert states(tr, "r") == [W, W, F, F, T, T, T, T, T, T]
    assert states(tr, "s") == [W, F, F, F, F, T, F, F, T, T]


def test_within_warms_while_its_condition_warmed_in_the_window():
    tr = trace("entry r: change(close, 2 bars) > 0 within 2 bars", {"AAA": one_minute()})
    assert states(tr)[:4] == [W, W, W, T]


def test_and_or_do_not_short_circuit_warming():
    tr = trace("entry r: close > 0 or change(close, 3 bars) > 0\nentry s: close < 0 and sma(close, 2) > 0",
               {"AAA": one_minute()})
    assert states(tr, "r")[:4] == [W, W, W, T]
    assert states(tr, "s")[:2] == [W, F]


def test_not_and_between_inclusive():
    tr = trace("entry r: not (close between 11 and 13)", {"AAA": one_minute()})
    assert states(tr) == [T, F, F, F, F, T, F, T, T, T]


def test_larger_timeframe_is_seen_only_once_closed():
    # 1m closes 10..17 at 09:31..09:40; the 5m bars close at 09:35 (close 13) and 09:40 (17)
    tr = trace("entry r: sma(close, 1, 5m) > 0\nentry s: ema(close, 2, 5m) > 0", {"AAA": one_minute()},
               header="cycle: 1m")
    same(column(tr, "sma(close, 1, 5m)"), [NAN] * 4 + [13] * 5 + [17])
    assert states(tr, "s") == [W] * 9 + [T]  # the EMA(2) of 5m bars is ready at the second 5m bar


def test_larger_timeframe_bar_closes_by_the_clock_without_a_bar_at_its_stamp():
    aaa = one_minute().drop(index=one_minute().index[4])  # no AAA bar at 09:35
    bbb = one_minute()
    tr = trace("entry r: sma(high, 1, 5m) > 0", {"AAA": aaa, "BBB": bbb}, universe="AAA, BBB", header="cycle: 5m")
    assert tr.frame["ts"].dt.tz_convert("America/New_York").dt.strftime("%H:%M").tolist() == ["09:35", "09:40"]
    same(column(tr, "sma(high, 1, 5m)"), [12, 17])  # the 09:35 bar is built from 09:31..09:34


def test_aggregated_ohlcv():
    rows = [("2025-03-04 09:31", 10, 12, 9, 11, 100), ("2025-03-04 09:32", 11, 15, 10, 14, 50),
            ("2025-03-04 09:35", 14, 14, 7, 8, 25)]
    tr = trace("entry r: sma(high, 1, 5m) - sma(low, 1, 5m) + sma(volume, 1, 5m) + sma(open, 1, 5m) > 0",
               {"AAA": frame(rows)}, header="cycle: 5m")
    same(column(tr, "sma(high, 1, 5m)"), [15])
    same(column(tr, "sma(low, 1, 5m)"), [7])
    same(column(tr, "sma(volume, 1, 5m)"), [175])
    same(column(tr, "sma(open, 1, 5m)"), [10])


def test_cycles_need_a_base_bar_on_the_cycle_clock():
    f = one_minute()
    f = f.drop(index=f.index[4])  # nobody has a bar at 09:35
    tr = trace("entry r: close > 0", {"AAA": f}, header="cycle: 5m")
    assert tr.frame["ts"].dt.tz_convert("America/New_York").dt.strftime("%H:%M").tolist() == ["09:40"]


def test_daily_bar_closes_at_midnight():
    rows = [("2024-03-07 15:59", 50), ("2024-03-07 16:00", 51), ("2024-03-08 09:31", 60), ("2024-03-08 10:00", 61),
            ("2024-03-11 09:31", 70)]  # DST starts on 2024-03-10
    tr = trace("entry r: sma(close, 1, 1d) > 0", {"AAA": frame(rows)}, header="cycle: 1m")
    same(column(tr, "sma(close, 1, 1d)"), [NAN, NAN, 51, 51, 61])


def test_four_hour_bars_follow_new_york_midnight_across_dst():
    rows = [("2024-03-08 11:59", 1), ("2024-03-08 12:00", 2), ("2024-03-08 12:01", 3), ("2024-03-08 16:00", 4),
            ("2024-03-08 16:01", 5), ("2024-03-11 08:00", 6), ("2024-03-11 08:01", 7)]
    tr = trace("entry r: sma(close, 1, 4h) > 0", {"AAA": frame(rows)}, header="cycle: 1m")
    same(column(tr, "sma(close, 1, 4h)"), [NAN, 2, 2, 4, 4, 6, 6])


def test_time_in_rth_and_eth_on_the_calendar():
    rows = [(t, 1) for t in ("2024-11-27 04:00", "2024-11-27 04:01", "2024-11-27 09:30", "2024-11-27 09:31",
                             "2024-11-27 16:00", "2024-11-27 16:01", "2024-11-27 20:00", "2024-11-27 20:01",
                             "2024-11-28 10:00",  # Thanksgiving
                             "2024-11-29 13:00", "2024-11-29 13:01")]  # early close
    tr = trace("entry r: time in RTH\nentry s: time in ETH", {"AAA": frame(rows)})
    assert states(tr, "r") == [F, F, F, T, T, F, F, F, F, T, F]
    assert states(tr, "s") == [F, T, T, T, T, T, T, F, F, T, T]


def test_time_between_start_inclusive_end_exclusive_and_wrapping():
    rows = [(t, 1) for t in ("2025-03-04 09:44", "2025-03-04 09:45", "2025-03-04 15:29", "2025-03-04 15:30",
                             "2025-03-04 20:00", "2025-03-04 23:59", "2025-03-05 00:00", "2025-03-05 03:59",
                             "2025-03-05 04:00")]
    tr = trace("entry r: time between 09:45 and 15:30\nentry s: time between 20:00 and 04:00", {"AAA": frame(rows)})
    assert states(tr, "r") == [F, T, T, F, F, F, F, F, F]
    assert states(tr, "s") == [F, F, F, F, T, T, T, T, F]


def test_arithmetic_across_timeframes_uses_last_closed_values():
    tr = trace("entry r: close - sma(close, 1, 5m) > -100", {"AAA": one_minute()})
    same(column(tr, "sma(close, 1, 5m)"), [NAN] * 4 + [13] * 5 + [17])
    assert states(tr) == [W] * 4 + [T] * 6


def test_global_symbol_series_and_percent():
    frames = {"AAA": one_minute(), "VIX": one_minute([20, 20, 20, 30, 30, 30, 30, 30, 30, 30])}
    tr = trace("global g: pct_change(VIX, 1 bar) > 10%\nentry r: close > 0", frames)
    assert states(tr, "g") == [W, F, F, T, F, F, F, F, F, F]


def test_warmup_lengths_of_nautilus_indicators():
    closes = list(np.linspace(10, 20, 40))
    frames = {"AAA": one_minute(closes, start=0).iloc[:40]}
    frames["AAA"].index = frames["AAA"].index + np.timedelta64(0, "ns")
    cases = {"ema(close, 5)": 5, "sma(close, 5)": 5, "wma(close, 5)": 5, "hma(close, 9)": 9, "dema(close, 4)": 4,
             "rsi(close, 6)": 6, "atr(7)": 7, "vwap()": 1, "bb_upper(close, 8, 2)": 8, "macd(close, 3, 11)": 11,
             "macd_signal(close, 3, 11, 4)": 14}
    body = "\n".join(f"entry r{i}: {call} > -1e9" for i, call in enumerate(cases))
    tr = trace(body, frames)
    for i, (call, n) in enumerate(cases.items()):
        assert states(tr, f"r{i}").index(T) == n - 1, call
