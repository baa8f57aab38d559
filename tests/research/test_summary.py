"""The pieces of a sweep's conclusions: walk-forward's most chosen variant, the progress line,
the default result folder, rewriting param defaults."""

from __future__ import annotations

import re

import pytest

from rbts.dsl.errors import RbtsError
from rbts.runtime.research.progress import ProgressState
from rbts.runtime.research.setup import default_out
from rbts.runtime.research.summary import most_chosen
from rbts.runtime.settings import load_settings


def test_most_chosen_variant_ties_go_to_the_later_fold():
    assert most_chosen([{"variant": 2}, {"variant": 3}, {"variant": 2}])["variant"] == 2
    assert most_chosen([{"variant": 2}, {"variant": 3}])["variant"] == 3
    assert most_chosen([{"variant": 3}, {"variant": 2}, {"variant": 2}, {"variant": 3}])["variant"] == 3
    assert most_chosen([]) is None


def test_progress_line_has_done_total_eta_and_best():
    state = ProgressState(total=64, done=16, objective="sharpe", best_variant=7, best_value=1.2345,
                          best_params={"fast": 12, "slow": 30})
    state.started -= 40.0  # 40 s for 16 runs: 120 s to go
    line = state.line()
    assert line.startswith("[16/64] 25% · 0:40 elapsed · ETA 2:00")
    assert "best #7 sharpe 1.234 (fast=12, slow=30)" in line
    resumed = ProgressState(total=10, done=6, resumed=5)
    resumed.started -= 10.0  # one run in 10 s this session: 40 s to go, not 6.7
    assert "ETA 0:40" in resumed.line()


def test_default_out_folder(tmp_path):
    out = default_out(load_settings(tmp_path), "VIX-calm EMA cross")
    assert out.parent == tmp_path / "sweeps"
    assert re.fullmatch(r"VIX-calm-EMA-cross-\d{8}-\d{6}", out.name)


def test_best_rbts_text_keeps_the_layout_and_a_json_form_becomes_dsl():
    from support.sweep_cases import PARAMS

    from rbts.dsl import json_form
    from rbts.dsl.load import load_strategy
    from rbts.runtime.research.tasks import ParamStrategy

    text = PARAMS.replace("cycle: 5m\n", "cycle: 5m  # five minutes\n")
    best = ParamStrategy(text).text_with({"fast": 12, "slow": 30})
    assert best == text.replace("param fast = 9 in", "param fast = 12 in").replace("param slow = 21 in",
                                                                                    "param slow = 30 in")
    as_json = json_form.dumps(load_strategy(PARAMS).json_form())
    dsl = ParamStrategy(as_json).text_with({"fast": 5})
    assert "param fast = 5 in [4, 5, 6, 7, 9, 12]" in dsl and not dsl.lstrip().startswith("{")
    assert load_strategy(dsl).params["fast"].default == 5
    with pytest.raises(RbtsError, match="unknown param fastest"):
        ParamStrategy(PARAMS).text_with({"fastest": 5})
    with pytest.raises(RbtsError, match="param fast: 8 is outside its domain"):
        ParamStrategy(PARAMS).text_with({"fast": 8})
