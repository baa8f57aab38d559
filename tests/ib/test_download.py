"""IB historical download (rbts.runtime.ib.download) against the fake TWS."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from rbts.dsl.errors import RbtsError
from rbts.runtime.data.catalog import BarStore
from rbts.runtime.ib.download import Pacer, Pacing, download_bars
from rbts.runtime.settings import load_settings
from support.fake_tws import FakeTws, api_session, free_port, sample_bars

FAST = Pacing(min_interval=0.0, violation_backoff=0.05, request_timeout=20)
# Two XNYS sessions (Mon 4 and Tue 5 March 2024), extended hours, with a weekend before.
SERVED_FROM, SERVED_TO = "2024-03-01 04:00", "2024-03-05 20:00"


@pytest.fixture(scope="module")
def served() -> dict[str, pd.DataFrame]:
    def eth_only(frame: pd.DataFrame) -> pd.DataFrame:
        local = frame.index.tz_convert("America/New_York")
        minutes = local.hour * 60 + local.minute
        return frame[(local.day_of_week < 5) & (minutes > 4 * 60) & (minutes <= 20 * 60)]

    return {
        "AAPL": eth_only(sample_bars(SERVED_FROM, SERVED_TO, 180.0, seed=1)),
        "VIX": eth_only(sample_bars(SERVED_FROM, SERVED_TO, 14.0, seed=2)),
    }


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.delenv("RBTS_HOME", raising=False)
    return tmp_path / "home"


def settings_for(home: Path, port: int, monkeypatch):
    monkeypatch.setenv("RBTS_IB_PORT", str(port))
    return load_settings(home)


def test_download_writes_close_stamped_bars_equal_to_what_was_served(served, home, monkeypatch):
    with FakeTws(served) as tws:
        settings = settings_for(home, tws.port, monkeypatch)
        seen = []
        counts = download_bars(settings, ["AAPL", "vix"], "2024-03-02", "2024-03-05",
                               progress=lambda *a: seen.append(a), pacing=FAST)
    # 2 symbols x 2 sessions (the weekend is skipped); 16 h of 1-minute bars a day.
    assert counts == {"AAPL": 1920, "VIX": 1920}
    assert seen == [(1, 4, "AAPL 2024-03-04"), (2, 4, "AAPL 2024-03-05"), (3, 4, "VIX 2024-03-04"), (4, 4, "VIX 2024-03-05")]
    store = BarStore(settings)
    for symbol in ("AAPL", "VIX"):
        got = store.load_frame(symbol)
        want = served[symbol].loc["2024-03-04":"2024-03-06"].tz_convert("UTC")
        pd.testing.assert_frame_equal(got, want, check_names=False, check_freq=False)
        assert not store.is_synthetic(symbol)
    # the first bar of the day is the 04:00-04:01 bar, stamped at its close
    assert store.load_frame("AAPL").index[0] == pd.Timestamp("2024-03-04 04:01", tz="America/New_York")
    # one request per symbol and session, each for a whole New York day
    history = tws.requests_named("reqHistoricalData")
    assert [(f[11], f[14], f[15], f[16], f[17]) for f in history] == [
        ("AAPL", "20240305 05:00:00 UTC", "1 min", "1 D", "0"),
        ("AAPL", "20240306 05:00:00 UTC", "1 min", "1 D", "0"),
        ("VIX", "20240305 05:00:00 UTC", "1 min", "1 D", "0"),
        ("VIX", "20240306 05:00:00 UTC", "1 min", "1 D", "0"),
    ]


def test_instruments_in_the_catalog_are_the_symbol_tables(served, home, monkeypatch):
    from nautilus_trader.persistence.catalog import ParquetDataCatalog

    with FakeTws(served) as tws:
        settings = settings_for(home, tws.port, monkeypatch)
        download_bars(settings, ["AAPL", "VIX"], "2024-03-04", "2024-03-04", pacing=FAST)
    ids = sorted(str(i.id) for i in ParquetDataCatalog(str(settings.catalog_dir)).instruments())
    assert ids == ["AAPL.NASDAQ", "^VIX.CBOE"]


def test_rth_only_keeps_the_regular_session(served, home, monkeypatch):
    with FakeTws(served) as tws:
        settings = settings_for(home, tws.port, monkeypatch)
        counts = download_bars(settings, ["AAPL"], "2024-03-04", "2024-03-04", rth_only=True, pacing=FAST)
    assert counts == {"AAPL": 390}
    frame = BarStore(settings).load_frame("AAPL").tz_convert("America/New_York")
    assert (frame.index[0], frame.index[-1]) == (pd.Timestamp("2024-03-04 09:31", tz="America/New_York"),
                                                 pd.Timestamp("2024-03-04 16:00", tz="America/New_York"))


def test_a_pacing_violation_is_retried_after_a_pause(served, home, monkeypatch):
    with FakeTws(served, pacing_violations=2) as tws:
        settings = settings_for(home, tws.port, monkeypatch)
        counts = download_bars(settings, ["AAPL"], "2024-03-04", "2024-03-04", pacing=FAST)
    assert counts == {"AAPL": 960}
    assert len(tws.requests_named("reqHistoricalData")) == 3


def test_pacing_violations_that_never_stop_are_an_error(served, home, monkeypatch):
    with FakeTws(served, pacing_violations=100) as tws:
        settings = settings_for(home, tws.port, monkeypatch)
        with pytest.raises(RbtsError, match="pacing"):
            download_bars(settings, ["AAPL"], "2024-03-04", "2024-03-04", pacing=FAST)


def test_a_day_without_data_writes_nothing(served, home, monkeypatch):
    with FakeTws(served) as tws:
        settings = settings_for(home, tws.port, monkeypatch)
        counts = download_bars(settings, ["AAPL"], "2024-03-06", "2024-03-06", pacing=FAST)
    assert counts == {"AAPL": 0}
    assert not BarStore(settings).has("AAPL")


def test_a_symbol_ib_does_not_know_is_named_quickly(served, home, monkeypatch):
    with FakeTws(served) as tws:
        settings = settings_for(home, tws.port, monkeypatch)
        # (Nautilus alone would wait out its 60 s request timeout; the error ends the request.)
        with pytest.raises(RbtsError, match=r"IB has no contract for MSFT\.NASDAQ"):
            download_bars(settings, ["AAPL", "MSFT"], "2024-03-04", "2024-03-04", pacing=FAST)


def test_a_symbol_without_a_known_exchange_is_refused_before_connecting(home, monkeypatch):
    settings = settings_for(home, free_port(), monkeypatch)
    with pytest.raises(RbtsError, match=r"ZZZQ: its primary exchange is unknown"):
        download_bars(settings, ["ZZZQ"], "2024-03-04", "2024-03-04")


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [("2024-3-4", "2024-03-05", "--start: expected a date YYYY-MM-DD"),
     ("2024-03-05", "2024-02-30", "--end: '2024-02-30' is not a calendar date"),
     ("2024-03-05", "2024-03-04", "--start 2024-03-05 is after --end 2024-03-04")],
)
def test_bad_dates(home, monkeypatch, start, end, message):
    settings = settings_for(home, free_port(), monkeypatch)
    with pytest.raises(RbtsError, match=message):
        download_bars(settings, ["AAPL"], start, end)


def test_no_gateway_fails_at_once_with_a_clear_message(home, monkeypatch):
    port = free_port()
    settings = settings_for(home, port, monkeypatch)
    with pytest.raises(RbtsError, match=rf"cannot reach IB Gateway/TWS at 127\.0\.0\.1:{port} — is it running, API enabled\?"):
        download_bars(settings, ["AAPL"], "2024-03-04", "2024-03-05")


def test_pacer_keeps_to_the_window():
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(round(seconds, 6))
        now[0] += seconds

    pacer = Pacer(Pacing(max_requests=3, window_seconds=10.0, min_interval=1.0), clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        pacer.wait()
    # three requests 1 s apart, then wait until the first leaves the 10 s window, then 1 s more
    assert slept == [1.0, 1.0, 8.0, 1.0]
    assert pacer.sent == [2.0, 10.0, 11.0]


# -- the command line, end to end ----------------------------------------------------------


def rbts(home: Path, port: int, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RBTS_IB_PORT": str(port), "RBTS_IB_MAX_CONNECTION_ATTEMPTS": "1"}
    env.pop("RBTS_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "rbts.runtime.cli.app", "--home", str(home), *args],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )


@pytest.mark.slow
def test_cli_download_end_to_end(served, tmp_path):
    home = tmp_path / "home"
    with FakeTws(served) as tws:
        result = rbts(home, tws.port, "data", "download", "--symbols", "AAPL,VIX", "--start", "2024-03-04", "--end", "2024-03-05")
    assert result.returncode == 0, result.stderr
    assert "AAPL: 1,920 bars" in result.stdout and "VIX: 1,920 bars" in result.stdout
    store = BarStore(load_settings(home))
    for symbol in ("AAPL", "VIX"):
        want = served[symbol].loc["2024-03-04":"2024-03-06"].tz_convert("UTC")
        pd.testing.assert_frame_equal(store.load_frame(symbol), want, check_names=False, check_freq=False)


@pytest.mark.slow
def test_cli_download_without_gateway_exits_1_within_seconds(tmp_path):
    port = free_port()
    # rbts() runs it with a hang guard; how fast it fails is measured in bench/ib_fail_fast.py
    result = rbts(tmp_path / "home", port, "data", "download", "--symbols", "AAPL,VIX", "--start", "2024-03-04", "--end", "2024-03-05")
    assert result.returncode == 1
    assert f"cannot reach IB Gateway/TWS at 127.0.0.1:{port} — is it running, API enabled?" in result.stderr
    assert "Traceback" not in result.stderr


def test_download_runs_beside_a_live_bot_on_the_configured_client_id(served, home, monkeypatch):
    with FakeTws(served) as tws:
        settings = settings_for(home, tws.port, monkeypatch)
        bot, _ = api_session(tws.port, settings.ib.client_id)  # the live bot holds client id 11
        try:
            counts = download_bars(settings, ["AAPL"], "2024-03-04", "2024-03-04", pacing=FAST)
        finally:
            bot.close()
    assert counts == {"AAPL": 960}
    assert [int(f[1]) for f in tws.requests_named("startApi")] == [11, 12]


@pytest.mark.slow
def test_a_refused_handshake_is_a_clear_error(served, home, monkeypatch):
    monkeypatch.setenv("RBTS_IB_MAX_CONNECTION_ATTEMPTS", "1")
    with FakeTws(served) as tws:
        settings = settings_for(home, tws.port, monkeypatch)
        other, _ = api_session(tws.port, 12)  # someone else holds the download's client id
        try:
            with pytest.raises(RbtsError, match=rf"connected to 127\.0\.0\.1:{tws.port} but the IB API handshake failed — is the API enabled and client id 12 free\?"):
                download_bars(settings, ["AAPL"], "2024-03-04", "2024-03-04", pacing=FAST)
        finally:
            other.close()


def test_request_window_is_the_day_up_to_now():
    from rbts.runtime.ib.download import request_window

    day = pd.Timestamp("2024-03-04")
    ny = "America/New_York"
    assert request_window(day, pd.Timestamp("2024-03-10 12:00", tz=ny)) == (
        pd.Timestamp("2024-03-04", tz=ny), pd.Timestamp("2024-03-05", tz=ny))
    # today: up to the last whole minute (IB serves no future bars)
    assert request_window(day, pd.Timestamp("2024-03-04 10:17:42", tz=ny)) == (
        pd.Timestamp("2024-03-04", tz=ny), pd.Timestamp("2024-03-04 10:17", tz=ny))
    assert request_window(day, pd.Timestamp("2024-03-03 23:59", tz=ny)) is None
