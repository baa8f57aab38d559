"""The app's password and who may reach the app: the salted hash, `rbts ui set-password`,
`rbts ui` refusing a network address without a password, and the login gate (AppTest)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

import rbts.ui
from rbts.runtime import auth
from rbts.runtime.cli.app import app as cli

APP = str(Path(rbts.ui.__file__).resolve().parent / "app.py")
PASSWORD = "correct horse battery"
FAST = {"n": 2**10, "r": 8, "p": 1}  # the file's parameters are read back from it


def rbts(home, *args, stdin=None):
    result = CliRunner().invoke(cli, ["--home", str(home), *args], input=stdin, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_hash_is_salted_and_verifies_only_the_password():
    one, two = auth.hash_password(PASSWORD, params=FAST), auth.hash_password(PASSWORD, params=FAST)
    assert one["salt"] != two["salt"] and one["hash"] != two["hash"]  # same password, different salts
    assert auth.verify_password(PASSWORD, one) and auth.verify_password(PASSWORD, two)
    assert not auth.verify_password(PASSWORD + " ", one) and not auth.verify_password("", one)
    # a known vector: scrypt of the password with a fixed salt (hashlib's, independent of our code)
    import base64
    import hashlib
    fixed = auth.hash_password("pw-12345", salt=b"\0" * 16, params=FAST)
    expected = hashlib.scrypt(b"pw-12345", salt=b"\0" * 16, n=2**10, r=8, p=1, dklen=32)
    assert base64.b64decode(fixed["hash"]) == expected


def test_set_password_stores_only_a_salted_hash_readable_by_its_owner(tmp_path):
    code, out, _ = rbts(tmp_path, "ui", "set-password", "--stdin", stdin=PASSWORD + "\n")
    assert code == 0 and "password set" in out
    path = tmp_path / "ui-password"
    text = path.read_text()
    assert PASSWORD not in text
    record = json.loads(text)
    assert record["scheme"] == "scrypt" and auth.verify_password(PASSWORD, record)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_short_password_is_refused_and_changes_nothing(tmp_path):
    code, _, err = rbts(tmp_path, "ui", "set-password", "--stdin", stdin="short\n")
    assert code == 1 and "too short: use at least 8 characters" in err
    assert not (tmp_path / "ui-password").exists()


@pytest.mark.parametrize("address", ["0.0.0.0", "192.168.1.20", "::", "my-server.example"])
def test_ui_on_a_network_address_needs_a_password(tmp_path, address):
    code, _, err = rbts(tmp_path, "ui", "--address", address)
    assert code == 1
    assert f"--address {address} puts Start, Apply and Flatten on the network: set a password first" in err


@pytest.mark.parametrize(("address", "local"), [("localhost", True), ("127.0.0.1", True), ("127.0.0.2", True),
                                                ("::1", True), ("0.0.0.0", False), ("10.0.0.5", False)])
def test_loopback_addresses(address, local):
    assert auth.is_loopback(address) is local


def test_a_broken_password_file_is_an_error_not_an_open_door(tmp_path):
    (tmp_path / "ui-password").write_text("{}")
    code, _, err = rbts(tmp_path, "ui", "--address", "0.0.0.0")
    assert code == 1 and "not a password file" in err


# ------------------------------------------------------------------------ the app's gate
def _app(home, monkeypatch) -> AppTest:
    monkeypatch.setenv("RBTS_HOME", str(home))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def _buttons(at) -> set[str]:
    return {b.label for b in at.button}


def test_without_a_password_the_app_is_open(tmp_path, monkeypatch):
    at = _app(tmp_path, monkeypatch)
    assert [t.label for t in at.tabs] == ["Strategy", "Live"]
    assert {"Start", "Stop", "Restart", "Flatten all"} <= _buttons(at)


def test_with_a_password_nothing_renders_until_the_right_one_is_given(tmp_path, monkeypatch):
    auth.set_password(tmp_path, PASSWORD)
    at = _app(tmp_path, monkeypatch)
    assert list(at.tabs) == [] and not _buttons(at) & {"Start", "Stop", "Restart", "Flatten all", "Apply to bot"}
    assert [t.label for t in at.text_input] == ["Password"]

    at.text_input(key="rbts_login_password").input("wrong password")
    at.button[0].click().run()  # the form's submit button
    assert [e.value for e in at.error] == ["Wrong password."] and list(at.tabs) == []

    at.text_input(key="rbts_login_password").input(PASSWORD)
    at.button[0].click().run()
    assert [t.label for t in at.tabs] == ["Strategy", "Live"]
    assert {"Start", "Flatten all", "Log out"} <= _buttons(at)

    at.button(key="rbts_logout").click().run()
    assert list(at.tabs) == [] and [t.label for t in at.text_input] == ["Password"]
