"""The checker's part for function calls, read from the registry (:mod:`rbts.dsl.functions`).

A call is checked in three layers: its shape (how many arguments, and that each is
the kind of thing its slot takes: a series, a whole number, a window, a symbol), the
constraints on each argument's value and between arguments (from the registry; every
violation is a positioned error), and its timeframes (an explicit timeframe must be a
multiple of its input's, a window a multiple of the timeframe it counts).
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from rbts.dsl import ast
from rbts.dsl.checked import ExprInfo
from rbts.dsl.functions import FUNCTIONS, Arg, Function
from rbts.dsl.limits import bars_problem, duration_problem

if TYPE_CHECKING:
    from rbts.dsl.checker import Checker

WINDOWS = (ast.Duration, ast.BarCount)


def check_call(c: Checker, node: ast.Call, ctx: int) -> ExprInfo | None:
    fn = FUNCTIONS.get(node.func)
    if fn is None:
        close = difflib.get_close_matches(node.func, list(FUNCTIONS), n=1)
        c.err(f"unknown function {node.func!r}", node, f"did you mean {close[0]}?" if close else None)
        for arg in node.args:  # still check the arguments for their own errors
            if not isinstance(arg, WINDOWS):
                c.expr(arg, ctx)
        return None
    args = list(node.args)
    tf_node = args.pop() if fn.timeframe and len(args) == len(fn.args) + 1 else None
    if len(args) != len(fn.args):
        n = len(fn.args)
        expected = f"{n}" + (f" or {n + 1}" if fn.timeframe else "")
        c.err(f"{fn.name} takes {expected} argument{'s' if n != 1 or fn.timeframe else ''}, got {len(node.args)}",
              node, f"usage: {fn.usage}")
        return None
    tf = None
    if isinstance(tf_node, ast.Duration):
        if not c.check_timeframe(tf_node, "timeframe"):
            return None
        tf = tf_node.seconds
    inner_ctx = ctx if tf is None else tf
    ok, series_info, infos = True, None, []
    for spec, arg in zip(fn.args, args):
        result = check_argument(c, fn, spec, arg, inner_ctx)
        if result is False:
            ok = False
        elif isinstance(result, ExprInfo):
            infos.append(result)
            series_info = result if spec.kind == "series" else series_info
    if not ok or not check_relations(c, fn, args):
        return None
    if tf_node is not None and tf is None:
        what = f"the last argument of {fn.name} must be a timeframe such as 5m"
        if isinstance(tf_node, ast.ParamRef) and tf_node.name in c.params:
            what = (f"param {tf_node.name} is a {c.params[tf_node.name].kind}, but the timeframe of {fn.name} "
                    "needs a duration (such as 5m, or a duration param)")
        c.err(what, tf_node, f"usage: {fn.usage}")
        return None
    if fn.family == "field":
        return ExprInfo("number", ctx)
    return check_timeframes(c, fn, args, tf, tf_node, series_info, inner_ctx, infos)


def check_argument(c: Checker, fn: Function, spec: Arg, arg: ast.Node, ctx: int):
    """One argument's shape and values: its ExprInfo (a series), True (fine) or False (reported)."""
    usage = fn.hint
    is_window = isinstance(arg, WINDOWS)
    if spec.kind == "series":
        if is_window:
            c.err(f"{fn.name} expects a series here, not a window", arg, usage)
            return False
        info = c.expr(arg, ctx)
        if info is None:
            return False
        if info.kind != "number":
            c.err(f"{fn.name} expects a series here, not a condition", arg, usage)
            return False
        return info
    if spec.kind == "symbol":
        if not isinstance(arg, ast.Symbol):
            c.err(f"{fn.name}(SYM) expects a symbol such as SPY", arg, f"the current ticker's {fn.name} is just `{fn.name}`")
            return False
        c.expr(arg, ctx)
        return True
    if spec.kind == "window" or (spec.kind == "count" and is_window):
        if not is_window:
            c.err(f"{fn.name} expects a window here, such as 30m or 6 bars", arg, usage)
            return False
        return True
    if is_window:
        c.err(f"{fn.name} expects a number of bars here, not a window", arg, usage)
        return False
    if not check_values(c, fn, spec, arg, usage):
        return False
    if spec.kind == "number":
        c.expr(arg, ctx)
    return True


def check_values(c: Checker, fn: Function, spec: Arg, arg: ast.Node, usage: str) -> bool:
    """A numeric argument: a literal (or a number param) whose every value passes the argument's constraints."""
    found = c.first_problem(fn, spec, arg)
    if found is None:
        return True
    problem, value = found
    if problem is None:
        what = "a number" if spec.kind == "number" else \
            "a whole number of bars (or a window)" if spec.kind == "count" else f"a whole number of at least {spec.minimum}"
        c.err(f"{fn.name} expects {what} here", arg, usage)
    else:
        c.err(problem + c.param_note(arg, value), arg, usage if "expects" in problem else None)
    return False


def check_relations(c: Checker, fn: Function, args: list[ast.Node]) -> bool:
    if not fn.relations:
        return True
    by_name = dict(zip((a.name for a in fn.args), args))
    ok = True
    for rel in fn.relations:
        low, high = by_name[rel.low], by_name[rel.high]
        lows, highs = c.literal_values(low), c.literal_values(high)
        problem = rel.problem(fn.name, max(lows), min(highs))
        if problem is not None:
            notes = [c.param_note(node, value) for node, value in ((low, max(lows)), (high, min(highs)))]
            c.err(problem + "".join(n for n in notes if n), high)
            ok = False
    return ok


def check_timeframes(c: Checker, fn: Function, args, tf, tf_node, series_info, inner_ctx, infos) -> ExprInfo | None:
    if series_info is not None and series_info.timeframe_s is None:
        c.err(f"{fn.name} needs a series, not a constant", args[0])
        return None
    own_tf = tf if tf is not None else (series_info.timeframe_s if series_info else inner_ctx)
    if series_info is not None and tf is not None and series_info.timeframe_s != tf:
        inner = series_info.timeframe_s
        if inner > tf or tf % inner:
            c.err(f"timeframe {ast.Duration(tf).text} of {fn.name} is not a multiple of its input's "
                  f"timeframe {ast.Duration(inner).text}", tf_node)
            return None
    for spec, arg in zip(fn.args, args):
        if spec.kind in ("window", "count") and isinstance(arg, ast.Duration) and arg.seconds % own_tf:
            c.err(f"window {arg.text} is not a multiple of {ast.Duration(own_tf).text}, the timeframe of "
                  f"{short(args[0])}", arg, f"use a multiple of {ast.Duration(own_tf).text}, or `N bars`")
            return None
        if spec.kind in ("window", "count") and isinstance(arg, ast.Duration) and not duration_problem(arg.seconds, ""):
            problem = bars_problem(arg.seconds // own_tf, f"bars of {ast.Duration(own_tf).text}", f"window {arg.text}")
            if problem:
                c.err(problem, arg)
                return None
    per_ticker = fn.per_ticker or any(i.per_ticker for i in infos)
    return ExprInfo("number", own_tf, per_ticker=per_ticker)


def short(node: ast.Node | None) -> str:
    if isinstance(node, ast.Name):
        return node.name
    if isinstance(node, ast.Call):
        return f"{node.func}(...)"
    return type(node).__name__.lower()
