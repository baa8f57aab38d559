"""Checker: resolved settings, timeframes, kinds, and the all-errors-at-once contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from rbts.dsl.checker import check_text, diagnose
from rbts.dsl.errors import RbtsError

REFERENCE = (Path(__file__).resolve().parents[2] / "examples" / "vix_ema_cross.rbts")
REF_TEXT = REFERENCE.read_text()


def test_reference_strategy_resolves() -> None:
    c = check_text(REF_TEXT)
    s = c.settings
    assert s.universe == ("AAPL", "MSFT", "NVDA", "AMZN") and s.data_symbols == ("VIX",)
    assert (s.cycle_seconds, s.bars_seconds, s.capital) == (300, 60, 10000.0)
    assert (s.order.kind, s.order.offset, s.order.ttl_seconds) == ("limit", 0.0005, 300)
    assert s.max_daily_loss == pytest.approx(0.02)
    assert c.rule_names == ["market_hours", "vix_calm", "bull_cross", "bear_cross"]
    assert c.let_info("fast").timeframe_s == 300 and c.let_info("fast").per_ticker


def test_defaults_and_auto_names() -> None:
    c = check_text("universe: AAPL, MSFT\nentry: close > ema(close, 9, 15m)\nexit: close < open\n")
    s = c.settings
    assert s.cycle_seconds == 60  # smallest timeframe compared: close at 1m
    assert (s.order.kind, s.order.offset, s.order.ttl_seconds) == ("limit", 0.0005, 60)
    assert s.sizing_kind == "equal" and s.allocation(10_000) == 5_000
    assert c.rule_names == ["entry_1", "exit_1"]
    assert "capital" in s.defaulted and "universe" not in s.defaulted


def test_cycle_defaults_to_smallest_compared_timeframe() -> None:
    c = check_text("universe: AAPL\nentry: ema(close, 9, 15m) > ema(close, 21, 1h)\nexit: close(SPY) < 1\n")
    assert c.settings.cycle_seconds == 60  # close(SPY) is a 1m series
    c = check_text("universe: AAPL\nentry: ema(close, 9, 15m) > ema(close, 21, 1h)\n")
    assert c.settings.cycle_seconds == 900


def test_raw_series_take_the_indicator_timeframe() -> None:
    c = check_text("universe: AAPL\nentry: change(ema(close, 9, 5m), 30m) > 0\n")
    call = c.rules[0].cond.left
    assert c.info(call).timeframe_s == 300
    assert c.info(call.args[0].args[0]).timeframe_s == 300  # `close` inside ema(..., 5m)


def test_all_errors_at_once_sorted_by_position() -> None:
    text = "universe: AAPL\nentry: foo > 1\nexit: bar < 1\nglobal: close > 1\n"
    with pytest.raises(RbtsError) as info:
        check_text(text, "x.rbts")
    lines = [d.span.line for d in info.value.diagnostics]
    assert lines == [2, 3, 4]
    rendered = info.value.render()
    assert rendered.startswith("x.rbts:2:8: error: unknown name 'foo'")


def test_warnings_do_not_block() -> None:
    checked, diags = diagnose("universe: AAPL\nentry: close > open\n")
    assert checked is not None
    assert [d.severity for d in diags] == ["warning"]
    assert "never closed" in diags[0].message


@pytest.mark.parametrize(
    "line, message",
    [
        ("entry: close > 1 within 3m", None),
        ("entry: rsi(close, 14) between 30 and 70", None),
        ("entry: close > prev(close, 3)", None),
        ("entry: bb_upper(close, 20, 2) > close", None),
        ("entry: macd_signal(close, 12, 26, 9, 5m) > 0", None),
        ("entry: atr(14) > 1 and vwap() < close", None),
        ("entry: close > highest(high, 3 bars)", None),
        ("entry: sma(close, 0) > 1", "at least 1"),
        ("entry: sma(close, 9, 3) > 1", "timeframe"),
        ("entry: highest(high, 3) > 1", "window"),
        ("entry: close > 1 and 2", "a number cannot be an operand of `and`"),
        ("entry: not close", "a number cannot be negated"),
        ("entry: ema(close, 9, 5m) > ema(ema(close, 9, 15m), 3, 5m)", "not a multiple"),
        ("entry: close crosses_above 1 within 2", "unexpected"),
        ("entry: 1 crosses_above 2", "never cross"),
    ],
)
def test_expression_checks(line: str, message: str | None) -> None:
    text = f"universe: AAPL\n{line}\nexit: close < open\n"
    if message is None:
        check_text(text)
        return
    with pytest.raises(RbtsError) as info:
        check_text(text)
    assert message in info.value.render()


@pytest.mark.parametrize("body, message", [
    ("entry e: macd(close, 26, 12) > 0", "slow period"),
    ("entry e: hma(close, 1) > 0", "hma needs a period of at least 2"),
])
def test_argument_constraints_are_positioned_checker_errors(body, message):
    """These used to pass the checker and fail later, in lowering (issue 12)."""
    with pytest.raises(RbtsError) as info:
        check_text(f"universe: AAPL\n{body}\n")
    diag = info.value.diagnostics[0]
    assert message in diag.message and diag.span is not None and diag.span.line == 2
