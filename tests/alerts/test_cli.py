"""`rbts alerts test` and `rbts alerts list` against a local endpoint."""

from __future__ import annotations

from support.http_sink import HttpSink
from typer.testing import CliRunner

from rbts.runtime.cli.app import app


def rbts(home, *args, env=None):
    result = CliRunner().invoke(app, ["--home", str(home), *args], env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_alerts_test_reaches_every_destination(tmp_path):
    with HttpSink() as sink:
        (tmp_path / "rbts.yaml").write_text(
            f"alerts:\n  - url: {sink.url('a')}\n    events: [died]\n    level: critical\n  - {sink.url('b')}\n")
        code, out, _err = rbts(tmp_path, "alerts", "test", env={"RBTS_ALERTS": None})
        assert code == 0, _err
        assert out.splitlines() == [f"sent    json://127.0.0.1:{sink.port}/a", f"sent    json://127.0.0.1:{sink.port}/b"]
        assert [b["title"] for b in sink.delivered("a")] == ["RBTS test alert"]  # whatever its kinds and level
        assert [b["title"] for b in sink.delivered("b")] == ["RBTS test alert"]


def test_alerts_test_fails_loudly_when_a_destination_does_not_answer(tmp_path):
    with HttpSink(statuses=[500]) as sink:
        code, out, err = rbts(tmp_path, "alerts", "test", env={"RBTS_ALERTS": f"{sink.url()} bogus://x"})
    assert code == 1 and out == ""
    assert f"FAILED  json://127.0.0.1:{sink.port}/alerts: the service refused it" in err
    assert "FAILED  not an Apprise URL it understands: bogus://…" in err
    assert "error: 2 of 2 destination(s) did not receive the test alert" in err


def test_no_destinations_is_a_clear_error(tmp_path):
    code, _out, err = rbts(tmp_path, "alerts", "test", env={"RBTS_ALERTS": None})
    assert code == 1 and "no alert destinations: add `alerts:` to rbts.yaml" in err


def test_list_masks_secrets(tmp_path):
    code, out, _err = rbts(tmp_path, "alerts", "list",
                           env={"RBTS_ALERTS": "[{url: 'json://user:s3cret@127.0.0.1:9/x', events: [fill], level: error}]"})
    assert code == 0 and "s3cret" not in out
    assert out.splitlines() == ["json://user:****@127.0.0.1:9/x", "  events: fill", "  level:  error and above"]
