"""Backtests in a child process: same result as in-process, progress, cancel, errors."""

from __future__ import annotations

import pytest
from support.bt_data import PARITY_STRATEGY as STRATEGY

from rbts.dsl.errors import RbtsError
from rbts.runtime.backtest.runner import run_backtest
from rbts.runtime.backtest.worker import CANCELLED, RUNNING, BacktestJob

START = "2025-03-03"


@pytest.mark.slow
def test_job_returns_the_in_process_result_with_progress(small_demo_home):
    seen = []
    job = BacktestJob(STRATEGY, START, "2025-03-07", home=small_demo_home)
    result = job.wait(on_progress=lambda f, label: seen.append(f))
    direct = run_backtest(STRATEGY, START, "2025-03-07", home=small_demo_home)
    assert result.metrics == direct.metrics
    assert result.trades.equals(direct.trades)
    assert job.progress == 1.0 and seen == sorted(seen)


def test_failed_run_reports_the_error(small_demo_home):
    job = BacktestJob(STRATEGY, "2025-03-07", "2025-03-01", home=small_demo_home)
    with pytest.raises(RbtsError, match="before --start"):
        job.wait()


def test_cancel_stops_the_child(small_demo_home):
    job = BacktestJob(STRATEGY, START, "2025-03-28", home=small_demo_home)
    states = []

    def mid_run() -> bool:  # the child reported progress: it is inside the backtest (no sleep-and-hope)
        states.append(job.state)
        return 0 < job.progress < 1

    with pytest.raises(RbtsError, match="cancelled"):
        job.wait(should_cancel=mid_run, interval=0.02)
    assert set(states) == {RUNNING}
    assert job.state == CANCELLED and not job._process.is_alive()
    with pytest.raises(RbtsError, match="cancelled"):
        job.result()
