"""`rbts service install` (issue #18): a systemd unit for the bot of a home, user- or system-level.

The unit is checked by systemd's own parser (`systemd-analyze verify`, where installed); install and
uninstall run against a stand-in `systemctl` on PATH that records its arguments (no systemd runs in
the tests); `rbts service exited` (the unit's ExecStopPost) turns a death into a `died` event and an
alert delivered to a local HTTP endpoint, and a clean stop into nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.http_sink import HttpSink
from typer.testing import CliRunner

from rbts.runtime.cli.app import app
from rbts.runtime.live.store import END_STOPPED, StateStore, default_path


def rbts(home: Path, *args: str):
    return CliRunner().invoke(app, ["--home", str(home), *args], catch_exceptions=False)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    home = tmp_path / "bot home 100%"  # a space and a %: ExecStart quotes it, % is a specifier
    home.mkdir()
    (home / "rbts.yaml").write_text("restart_delays_s: [7, 30]\nmax_crashes: 3\ncrash_window_s: 1800\n")
    return home


@pytest.fixture
def systemctl(tmp_path, monkeypatch):
    """A `systemctl` that records each call (one line of arguments) and succeeds."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "systemctl.log"
    script = bin_dir / "systemctl"
    script.write_text(f"#!/bin/sh\necho \"$*\" >> '{log}'\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return log


def unit_file(tmp_path) -> Path:
    return tmp_path / "config" / "systemd" / "user" / "rbts.service"


def test_dry_run_prints_the_unit_and_writes_nothing(home, tmp_path):
    out = rbts(home, "service", "install", "--dry-run")
    assert out.exit_code == 0, out.stderr
    text = out.stdout
    assert text.splitlines()[0] == f"# {unit_file(tmp_path)} (dry run: nothing written)"
    lines = set(text.splitlines())
    rbts_bin = Path(sys.executable).with_name("rbts")
    quoted = '"' + str(home.resolve()).replace("%", "%%") + '"'
    assert f"ExecStart={rbts_bin} --home {quoted} live --mode ib --resume" in lines
    assert f"ExecStopPost={rbts_bin} --home {quoted} service exited" in lines
    # the supervisor's settings from rbts.yaml: first back-off, crash limit and window
    assert {"Restart=on-failure", "RestartSec=7", "StartLimitBurst=3", "StartLimitIntervalSec=1800",
            "KillMode=mixed", "WantedBy=default.target"} <= lines
    assert not any(line.startswith("User=") for line in lines)  # a user unit runs as its user
    assert not unit_file(tmp_path).exists()


def test_systemd_accepts_the_system_unit(home, tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    out = rbts(home, "service", "install", "--system", "--mode", "replay", "--run-as", "root", "--dry-run")
    assert out.exit_code == 0, out.stderr
    text = out.stdout.split("\n", 1)[1]
    assert "User=root" in text and "WantedBy=multi-user.target" in text and "--mode replay" in text
    unit = tmp_path / "rbts-test.service"
    unit.write_text(text)
    check = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Unknown" not in check.stderr and "ignoring" not in check.stderr.lower(), check.stderr


def test_install_writes_reloads_and_starts_and_never_overwrites_silently(home, tmp_path, systemctl):
    out = rbts(home, "service", "install", "--start")
    assert out.exit_code == 0, out.stderr
    path = unit_file(tmp_path)
    assert "--mode ib --resume" in path.read_text()
    assert systemctl.read_text().splitlines() == ["--user daemon-reload", "--user enable --now rbts.service"]
    assert "loginctl enable-linger" in out.stdout

    again = rbts(home, "service", "install")  # the same unit again: fine, nothing to replace
    assert again.exit_code == 0, again.stderr
    other = rbts(home, "service", "install", "--mode", "replay")
    assert other.exit_code == 1 and "exists with other contents: --force" in other.stderr
    assert "--mode ib" in path.read_text()
    forced = rbts(home, "service", "install", "--mode", "replay", "--force")
    assert forced.exit_code == 0 and "--mode replay" in path.read_text()

    gone = rbts(home, "service", "uninstall")
    assert gone.exit_code == 0, gone.stderr
    assert not path.exists()
    assert systemctl.read_text().splitlines()[-2:] == ["--user disable --now rbts.service", "--user daemon-reload"]


def test_bad_input_is_a_clear_error(home, tmp_path, systemctl):
    bad_name = rbts(home, "service", "install", "--name", "../x")
    assert bad_name.exit_code == 1 and "--name '../x'" in bad_name.stderr
    bad_mode = rbts(home, "service", "install", "--mode", "paper")
    assert bad_mode.exit_code == 1 and "--mode must be ib or replay" in bad_mode.stderr
    no_env = rbts(home, "service", "install", "--env-file", str(tmp_path / "nope.env"))
    assert no_env.exit_code == 1 and "no such file" in no_env.stderr
    nothing = rbts(home, "service", "uninstall")
    assert nothing.exit_code == 1 and "no unit" in nothing.stderr
    assert not unit_file(tmp_path).exists() and not systemctl.exists()


def test_exited_alerts_a_death_and_says_nothing_after_a_stop(home):
    with HttpSink() as sink:
        (home / "rbts.yaml").write_text("restart_delays_s: [7]\nmax_crashes: 2\ncrash_window_s: 1800\n"
                                        f"alerts:\n  - url: {sink.url()}\n    events: [died]\n")
        (home / "live").mkdir()
        with StateStore(default_path(home / "live")) as store:
            first = store.begin_run("ib", {"mode": "ib"}, pid=999_999)
            store.end_run(first, END_STOPPED)
        assert rbts(home, "service", "exited").exit_code == 0  # a stop: no event, no alert

        with StateStore(default_path(home / "live")) as store:
            store.begin_run("ib", {"mode": "ib"}, pid=999_998)  # run 2 never ends: killed
        env = {"SERVICE_RESULT": "signal", "EXIT_CODE": "killed", "EXIT_STATUS": "KILL"}
        died = CliRunner().invoke(app, ["--home", str(home), "service", "exited"], env=env, catch_exceptions=False)
        assert died.exit_code == 0
        assert ("bot died: run 2 (the process ended without a clean stop (killed or crashed); systemd: "
                "service_result signal, exit_code killed, exit_status KILL); systemd restarts it in 7 s, "
                "resuming (death 1 of at most 2 within 30 min)") in died.stderr

        with StateStore(default_path(home / "live")) as store:
            store.begin_run("ib", {"mode": "ib"}, pid=999_997)  # run 3 dies too: the limit
        assert rbts(home, "service", "exited").exit_code == 0
        with StateStore(default_path(home / "live")) as store:
            died_events = [(e["level"], e["message"]) for e in store.events(20, run=3) if e["kind"] == "died"]
        assert died_events and died_events[0][0] == "CRITICAL" and "systemd stops restarting it" in died_events[0][1]
        delivered = sink.wait_for(lambda s: [b for b in s.delivered() if "bot died" in b["title"]]
                                  if len([b for b in s.delivered() if "bot died" in b["title"]]) == 2 else None,
                                  what="two died alerts")
        assert [b["type"] for b in delivered] == ["failure", "failure"]
        assert "run 2" in delivered[0]["title"] and "run 3" in delivered[1]["title"]
