"""When the session summary is due (after the exchange's close, once, early closes too) and what it says."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from rbts.runtime.alerts.summary import SessionSummary


def ny(text: str) -> int:
    return int(pd.Timestamp(text, tz="America/New_York").value)


def test_due_once_after_the_close_and_never_for_a_close_before_the_start():
    summary = SessionSummary("XNYS", ny("2025-03-11 09:00"))
    assert summary.due(ny("2025-03-11 15:59")) == []
    assert summary.due(ny("2025-03-11 16:00")) == [(dt.date(2025, 3, 11), ny("2025-03-11 16:00"))]
    assert summary.due(ny("2025-03-11 16:05")) == []
    late = SessionSummary("XNYS", ny("2025-03-11 17:00"))  # started after the close
    assert late.due(ny("2025-03-11 18:00")) == []


def test_early_close_weekends_and_a_gap_over_several_sessions():
    summary = SessionSummary("XNYS", ny("2025-11-26 09:00"))
    assert [day for day, _ in summary.due(ny("2025-11-28 13:00"))] == [dt.date(2025, 11, 26),
                                                                       dt.date(2025, 11, 28)]  # 27th: holiday
    assert summary.due(ny("2025-11-29 16:00")) == []  # Saturday


def test_nothing_is_due_before_the_clock_started():
    summary = SessionSummary("XNYS")
    assert summary.due(ny("2025-03-11 16:00")) == []


def test_exact_marks_win_over_coarse_ones():
    summary = SessionSummary("XNYS", ny("2025-03-11 09:00"))
    summary.mark(ny("2025-03-11 12:00"), 10_000.0)  # a flush that saw the day only after its loss
    summary.mark(ny("2025-03-11 09:31"), 10_000.0, exact=True)
    summary.mark(ny("2025-03-11 15:59"), 9_750.0, exact=True)
    [(day, _close)] = summary.due(ny("2025-03-11 16:00"))
    assert summary.text(day, []).startswith("session 2025-03-11 closed: day PnL -250.00 (-2.50%), equity 9,750.00;")


def test_text_day_pnl_fills_and_positions():
    summary = SessionSummary("XNYS", ny("2025-03-11 09:00"))
    summary.mark(ny("2025-03-11 09:31"), 10_000.0)
    summary.on_fill(ny("2025-03-11 09:31"), "BUY")
    summary.on_fill(ny("2025-03-11 09:37"), "SELL")
    summary.on_fill(ny("2025-03-12 09:31"), "BUY")  # the next session's
    summary.mark(ny("2025-03-11 15:59"), 9_800.0)
    [(day, _close)] = summary.due(ny("2025-03-11 16:00"))
    held = [{"symbol": "AAPL", "qty": 100.0, "avg_px": 92.0, "unrealized_pnl": 12.5}]
    assert summary.text(day, held) == ("session 2025-03-11 closed: day PnL -200.00 (-2.00%), equity 9,800.00; "
                                       "1 entry, 1 exit; open positions: AAPL 100 @ 92.00 (unrealised +12.50)")
    summary.mark(ny("2025-03-12 15:00"), 9_800.0)
    [(day, _close)] = summary.due(ny("2025-03-12 16:00"))
    assert summary.text(day, []) == ("session 2025-03-12 closed: day PnL +0.00 (+0.00%), equity 9,800.00; "
                                     "1 entry, 0 exits; open positions: none")
