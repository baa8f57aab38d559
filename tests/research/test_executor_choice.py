"""Where a sweep runs: --ray, then rbts.yaml's ray.address, then RBTS_RAY_ADDRESS; else local."""

from __future__ import annotations

import pytest

from rbts.dsl.errors import RbtsError
from rbts.runtime.research.local import LocalExecutor
from rbts.runtime.research.setup import make_executor
from rbts.runtime.settings import load_settings


def test_local_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("RBTS_RAY_ADDRESS", raising=False)
    executor = make_executor(load_settings(tmp_path), workers=3)
    assert isinstance(executor, LocalExecutor) and executor.describe() == {"kind": "local", "workers": 3}


def test_ray_address_from_yaml_then_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("RBTS_RAY_ADDRESS", raising=False)
    (tmp_path / "rbts.yaml").write_text("ray:\n  address: 10.0.0.5:6379\n")
    assert load_settings(tmp_path).ray.address == "10.0.0.5:6379"
    monkeypatch.setenv("RBTS_RAY_ADDRESS", "10.0.0.6:6379")
    assert load_settings(tmp_path).ray.address == "10.0.0.6:6379"


def test_bad_ray_settings_are_errors(tmp_path):
    (tmp_path / "rbts.yaml").write_text("ray: 10.0.0.5:6379\n")
    with pytest.raises(RbtsError, match="ray: expected a mapping"):
        load_settings(tmp_path)
    (tmp_path / "rbts.yaml").write_text("ray:\n  adress: x\n")
    with pytest.raises(RbtsError, match="unknown setting 'adress'"):
        load_settings(tmp_path)
