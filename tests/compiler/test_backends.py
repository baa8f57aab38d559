"""Meta-tests: every function of the registry, every AST node and every graph op has a
handler in every backend (one dispatch style: rbts.dsl.dispatch.Backend).

A new registry entry is picked up here without a line of test code: its Nautilus class
must exist and build with the builder's defaults, and both evaluators must agree on it.
"""

from __future__ import annotations

import importlib

import pytest
from support.compiler_cases import assert_parity, nasty_frames, program

from rbts.compiler import indicators, warmup
from rbts.compiler.graph import GRAPH_OPS, _Describe, op_key
from rbts.compiler.incremental import IncrementalProgram
from rbts.compiler.lowering import Lowering
from rbts.compiler.vector import _Vector
from rbts.dsl import ast
from rbts.dsl.checker import Checker
from rbts.dsl.formatter import _Printer
from rbts.dsl.functions import FUNCTIONS, Function, graph_indicators
from rbts.ui.builder_model import INDICATORS, TRANSFORMS

VALUE_NODES = (ast.Number, ast.Percent, ast.Name, ast.Symbol, ast.Call, ast.Neg, ast.BinOp, ast.Compare, ast.Cross,
               ast.Between, ast.TimeIn, ast.TimeBetween, ast.Within, ast.For, ast.Not, ast.And, ast.Or)
WINDOW_NODES = (ast.Duration, ast.BarCount)
PARAM_NODES = (ast.ParamRef,)  # checked and formatted; replaced by its value before lowering


def _call_text(fn: Function) -> str:
    """A call of ``fn`` with the builder's defaults (and a 5m timeframe when it takes one)."""
    args = ["close"] if fn.takes_series else ["AAA"] if fn.family == "field" else []
    args += [f"{a.default:g}" for a in fn.numeric_args]
    if fn.family == "window":
        args.append("3 bars")
    if fn.timeframe:
        args.append("5m")
    return f"{fn.name}({', '.join(args)})"


@pytest.mark.parametrize("fn", FUNCTIONS.values(), ids=lambda f: f.name)
def test_every_function_compiles_and_both_evaluators_agree(fn):
    prog = program(f"let v = {_call_text(fn)}\nentry e: v > 0\nexit x: v < 0", universe="AAA")
    assert assert_parity(prog, nasty_frames(("AAA",))) > 100
    assert any(c.text == _call_text(fn) for c in prog.graph.columns)


@pytest.mark.parametrize("op", sorted(graph_indicators()))
def test_every_indicator_op_has_a_nautilus_class_and_a_feeder(op):
    spec = graph_indicators()[op]
    module = importlib.import_module(f"nautilus_trader.indicators.{spec.module}")
    assert hasattr(module, spec.class_name)
    assert spec.feed in indicators.FEEDERS
    fn = FUNCTIONS[op]
    params = tuple(int(a.default) if a.kind == "int" else float(a.default) for a in fn.numeric_args)
    obj = indicators.make(op, params)
    assert type(obj).__name__ == spec.class_name and hasattr(obj, spec.output)
    assert spec.ready_after(params) >= 1 and spec.history_bars(params) >= 1


def test_composite_indicators_lower_to_indicator_ops():
    for fn in FUNCTIONS.values():
        if fn.family == "indicator":
            assert all(op in graph_indicators() for op, _ in fn.graph_steps())
            assert all(max(which, default=-1) < len(fn.numeric_args) for _, which in fn.graph_steps())


def test_window_and_field_functions_say_how_they_are_computed():
    for fn in FUNCTIONS.values():
        if fn.family == "window":
            assert fn.window.kind in ("lag", "extreme") and (fn.window.kind == "extreme" or fn.window.combine)
        if fn.family == "field":
            assert fn.name in ast.FIELDS and [a.kind for a in fn.args] == ["symbol"]


def test_the_builder_offers_every_indicator_and_transform_from_the_registry():
    assert INDICATORS == tuple(f.name for f in FUNCTIONS.values() if f.family == "indicator")
    assert set(TRANSFORMS) <= {f.name for f in FUNCTIONS.values() if f.family == "window"}


@pytest.mark.parametrize("backend, nodes", [
    (Checker, VALUE_NODES + WINDOW_NODES + PARAM_NODES), (_Printer, VALUE_NODES + WINDOW_NODES + PARAM_NODES),
    (Lowering, VALUE_NODES),
], ids=["checker", "formatter", "lowering"])
def test_every_ast_backend_handles_every_node(backend, nodes):
    assert [n.__name__ for n in nodes if not backend.handles(n.__name__)] == []


def test_lowering_never_meets_a_param():
    """The compiler sees bound values only: a param use is replaced before lowering."""
    assert not Lowering.handles("ParamRef")


def test_the_node_lists_are_every_expression_class():
    expression_like = {cls for cls in vars(ast).values() if isinstance(cls, type) and issubclass(cls, ast.Node)}
    statements_and_settings = {ast.Node, ast.Strategy, ast.Let, ast.Rule, ast.Sizing, ast.Order, ast.Risk,
                               ast.Param, ast.ParamRange, ast.ParamList}
    assert expression_like - statements_and_settings == set(VALUE_NODES + WINDOW_NODES + PARAM_NODES)


@pytest.mark.parametrize("backend", [_Vector, IncrementalProgram, warmup._Lookback, _Describe],
                         ids=["vector", "incremental", "warmup", "graph text"])
def test_every_graph_backend_handles_every_graph_op(backend):
    assert [op for op in GRAPH_OPS if not backend.handles(op)] == []


def test_lowering_produces_only_graph_ops():
    from support.compiler_cases import KITCHEN_SINK

    ops = {op_key(n) for n in program(KITCHEN_SINK, universe="AAA, BBB").graph.nodes}
    assert ops == set(GRAPH_OPS)
