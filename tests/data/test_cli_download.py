"""`rbts data download` wiring: with no TWS/Gateway listening it fails fast with a user error."""

import socket

from typer.testing import CliRunner

from rbts.runtime.cli.app import app


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_download_without_gateway_is_a_clear_user_error(tmp_path, monkeypatch):
    monkeypatch.setenv("RBTS_IB_PORT", str(_closed_port()))
    monkeypatch.setenv("RBTS_IB_MAX_CONNECTION_ATTEMPTS", "1")
    out = CliRunner().invoke(app, ["--home", str(tmp_path), "data", "download", "--symbols", "AAPL,VIX", "--start", "2025-03-03", "--end", "2025-03-03"])
    assert out.exit_code == 1, out.output
    assert "error:" in out.output and "Traceback" not in out.output
    assert not (tmp_path / "catalog").exists()


def test_download_needs_symbols(tmp_path):
    out = CliRunner().invoke(app, ["--home", str(tmp_path), "data", "download", "--symbols", " , ", "--start", "2025-03-03", "--end", "2025-03-03"])
    assert out.exit_code == 1 and "at least one symbol" in out.output
