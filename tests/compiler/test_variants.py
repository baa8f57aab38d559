"""Many variants merged into one VariantSet give, rule for rule, the vectorised evaluator's states."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.compiler_cases import KITCHEN_SINK, nasty_frames

from rbts.compiler import batch_conditions as bc
from rbts.compiler.lowering import lower
from rbts.compiler.variants import merge
from rbts.compiler.vector import TRUE, evaluate
from rbts.dsl.checker import check_text

FRAMES = {s: f.loc["2024-03-07":"2024-03-12"] for s, f in nasty_frames(("AAA", "BBB", "VIX")).items()}

TEMPLATE = """\
universe: AAA, BBB
cycle: {cycle}
let fast = ema(close, {fast}, 5m)
let slow = sma(close, {slow}, 5m)
global calm: slope(ema(VIX, {vix}, 5m), 15m) < {thr} or time between 10:00 and 11:00
entry cross: fast crosses_above slow and (rsi(close, {fast}) > 40 within {within} bars)
entry band: close between lowest(low, {win}) and highest(high, {win})
exit down: fast crosses_below slow or not (close > prev(close, {within})) for 2 bars
"""


def graphs_of(texts):
    return [lower(check_text(t)) for t in texts]


def assert_same_states(texts, frames=FRAMES):
    graphs = graphs_of(texts)
    vs = merge(graphs)
    result = vs.evaluate_series(frames)
    tickers = graphs[0].settings.universe
    enter, leave = vs.signals(result, np.arange(len(graphs)), tickers)
    for v, graph in enumerate(graphs):
        ref = evaluate(graph, frames)
        assert np.array_equal(ref.cycles, result.cycles)
        ok = [ref.states[r.node] == TRUE for r in graph.rules]
        for k, ticker in enumerate(tickers):
            want_in = np.logical_and.reduce([o for o, r in zip(ok, graph.rules) if r.scope == "global"
                                             or (r.scope == "entry" and r.symbol == ticker)])
            outs = [o for o, r in zip(ok, graph.rules) if r.scope == "exit" and r.symbol == ticker]
            want_out = np.logical_or.reduce(outs) if outs else np.zeros(len(ref.cycles), dtype=bool)
            assert np.array_equal(enter[v, k], want_in), (v, ticker, "enter")
            assert np.array_equal(leave[v, k], want_out), (v, ticker, "exit")
    return vs


def test_shared_nodes_are_computed_once():
    texts = [TEMPLATE.format(cycle="5m", fast=f, slow=s, vix=9, thr=-0.1, within=3, win="30m")
             for f in (5, 9) for s in (12, 21, 30)]
    vs = assert_same_states(texts)
    emas = [n for n in vs.series.nodes if n.kind == "indicator" and n.op == "ema" and "VIX" not in n.symbols]
    smas = [n for n in vs.series.nodes if n.kind == "indicator" and n.op == "sma"]
    assert len(emas) == 2 * 2  # fast in {5, 9}, per ticker: not one per variant
    assert len(smas) == 3 * 2
    assert len(vs) == 6


def test_kitchen_sink_variants_match():
    texts = [f"universe: AAA, BBB\ncycle: 5m\n{KITCHEN_SINK.replace('ema(close, 9, 5m)', f'ema(close, {n}, 5m)')}"
             for n in (3, 9, 12)]
    assert_same_states(texts)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({
    "fast": st.integers(2, 8), "slow": st.integers(3, 15), "vix": st.integers(2, 6),
    "thr": st.sampled_from([-0.2, 0, 0.05]), "within": st.integers(1, 4),
    "win": st.sampled_from(["3 bars", "15m", "1h"])}), min_size=1, max_size=6),
    st.sampled_from(["1m", "5m", "15m"]))
def test_random_variants_match(params, cycle):
    assert_same_states([TEMPLATE.format(cycle=cycle, **p) for p in params])


def test_batch_ops_accept_rows_and_single_series():
    a = np.array([[1.0, 2.0, 3.0, 1.0], [np.nan, 1.0, 0.0, 2.0]])
    b = np.ones((2, 4))
    ready = np.array([[True, True, True, True], [False, True, True, True]])
    two = bc.cross("above", a, ready, b, np.ones_like(ready))
    one = bc.cross("above", a[0], ready[0], b[0], np.ones(4, dtype=bool))
    assert np.array_equal(two[0], one)
    assert two[1].tolist() == [bc.WARMING, bc.WARMING, bc.FALSE, bc.TRUE]


def test_variants_with_other_rules_are_refused():
    graphs = graphs_of([TEMPLATE.format(cycle="5m", fast=5, slow=9, vix=3, thr=0, within=2, win="15m"),
                        "universe: AAA, BBB\ncycle: 5m\nentry x: close > 1\n"])
    with pytest.raises(ValueError, match="share rules"):
        merge(graphs)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 300), st.integers(1, 5000), st.integers(0, 2**32 - 1))
def test_compiled_ema_is_bit_identical(period, n, seed):
    from rbts.compiler.compiled_ema import ema
    from rbts.compiler.indicators import _ema

    x = np.round(100 * np.exp(np.cumsum(np.random.default_rng(seed).normal(0, 0.01, n))), 2)
    assert np.array_equal(ema(period, x), _ema(period, x))


def test_merged_series_values_equal_the_evaluator_bit_for_bit():
    texts = [TEMPLATE.format(cycle="5m", fast=f, slow=9, vix=4, thr=0, within=2, win="15m") for f in (3, 5)]
    graphs = graphs_of(texts)
    vs = merge(graphs)
    result = vs.evaluate_series(FRAMES)
    ref = evaluate(vs.series, FRAMES)
    for node in vs.series.nodes:
        a, b = result.sample(node.id), ref.sample(node.id)
        assert np.array_equal(a[0], b[0], equal_nan=True) and np.array_equal(a[1], b[1])
