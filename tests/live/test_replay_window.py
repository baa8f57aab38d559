"""The replay's default start (`rbts live` without --start, the Live tab's Start): the last 30 sessions or
so of the catalog, and never its first day, so a short catalog still leaves the strategy a session of
warm-up history (an apply with no history at all is refused: a newcomer's first Start ended in safe mode
on a 20-session catalog)."""

from __future__ import annotations

import pandas as pd
from catalogs import minute_bars, write_bars

from rbts.runtime.live.node import RunOptions, _replay_window
from rbts.runtime.settings import load_settings


def ny(text: str) -> int:
    return int(pd.Timestamp(text, tz="America/New_York").value)


def test_a_short_catalog_starts_the_day_after_its_first(tmp_path):
    home = tmp_path / "home"
    write_bars(home, "AAPL", minute_bars("2025-03-03", [100.0] * 5), minute_bars("2025-03-04", [100.0] * 5),
               minute_bars("2025-03-28", [100.0] * 5))
    write_bars(home, "MSFT", minute_bars("2025-03-04", [200.0] * 5), minute_bars("2025-03-28", [200.0] * 5))
    start, end = _replay_window(load_settings(home), RunOptions())
    assert (start, end) == (ny("2025-03-05"), None)  # every symbol has a day of history before it


def test_a_long_catalog_starts_six_weeks_before_its_last_bar(tmp_path):
    home = tmp_path / "home"
    days = [d.strftime("%Y-%m-%d") for d in pd.bdate_range("2025-01-02", "2025-03-28")]
    write_bars(home, "AAPL", *(minute_bars(d, [100.0, 101.0]) for d in days))
    start, _ = _replay_window(load_settings(home), RunOptions())
    assert start == int((pd.Timestamp("2025-03-28 09:32", tz="America/New_York") - pd.Timedelta(days=42)).value)
    assert _replay_window(load_settings(home), RunOptions(start="2025-03-10"))[0] == ny("2025-03-10")
