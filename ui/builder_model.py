"""The visual builder's model: plain dataclasses <-> AST nodes, no Streamlit.

A rule the builder can edit is ``scope name: COND and COND ...`` where each COND is
``CURVE PROPERTY [CURVE [and CURVE]] [within|for WINDOW]`` or a time condition.  A
curve is a price field (of the current ticker or of a symbol such as VIX), an
indicator with its parameters and timeframe, a named ``let``, or a number, each
optionally wrapped in slope/change/pct_change over a window.

:func:`rule_spec` turns an AST rule into a :class:`RuleSpec` only when
:func:`rule_node` gives back exactly the same rule, so nothing a user wrote is ever
changed by passing through the builder; other rules are shown read-only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from rbts.dsl import ast
from rbts.dsl.clock_text import format_clock, parse_clock
from rbts.dsl.formatter import format_window
from rbts.dsl.functions import FUNCTIONS, of_family

TIMEFRAMES: tuple[str, ...] = ("30s", "1m", "5m", "15m", "30m", "1h", "4h", "1d")
INDICATORS: tuple[str, ...] = tuple(f.name for f in of_family("indicator"))
TRANSFORMS: tuple[str, ...] = tuple(f.name for f in of_family("window") if f.builder)

# Property key -> how the builder shows it.
PROPERTIES: dict[str, str] = {
    "crosses_above": "crosses above",
    "crosses_below": "crosses below",
    "crosses": "crosses (either way)",
    "above": "is above (>)",
    "below": "is below (<)",
    "at_or_above": "is at or above (>=)",
    "at_or_below": "is at or below (<=)",
    "between": "is between",
    "rising": "is rising (slope > 0)",
    "falling": "is falling (slope < 0)",
    "time_in": "time is in session",
    "time_between": "time is between",
}
_COMPARE_OPS = {"above": ">", "below": "<", "at_or_above": ">=", "at_or_below": "<="}
_CROSS_DIRS = {"crosses_above": "above", "crosses_below": "below", "crosses": "any"}
NEEDS_RIGHT = frozenset(_COMPARE_OPS) | frozenset(_CROSS_DIRS) | {"between"}
NEEDS_LEFT = NEEDS_RIGHT | {"rising", "falling"}


# ----------------------------------------------------------------------------- windows

_WINDOW_RE = re.compile(r"^\s*(\d+)\s*(s|m|h|d|bars?)\s*$")
_NAME_RE = re.compile(r"[a-z_][a-z0-9_]*")


def window_node(text: str) -> ast.Duration | ast.BarCount | ast.ParamRef:
    """``"30m"`` -> Duration(1800); ``"3 bars"`` -> BarCount(3); a name -> the use of that
    (duration) param, as the language writes it; ValueError otherwise."""
    if _NAME_RE.fullmatch((text or "").strip()):
        return ast.ParamRef(text.strip())
    match = _WINDOW_RE.match(text or "")
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"not a window: {text!r} (write e.g. 30m, 1h or 3 bars)")
    count, unit = int(match.group(1)), match.group(2)
    if unit.startswith("bar"):
        return ast.BarCount(count)
    return ast.Duration(count * ast.DURATION_UNITS[unit])


def _number_node(value: float) -> ast.Node:
    if float(value).is_integer():
        value = int(value)
    return ast.Neg(ast.Number(-value)) if value < 0 else ast.Number(value)


def _arg_node(value: float | str) -> ast.Node:
    """A numeric input's node: a number, or a use of the param of that name."""
    return ast.ParamRef(value) if isinstance(value, str) else _number_node(value)


def _arg_value(node: ast.Node) -> float | str | None:
    """A numeric input's value: a number, a param's name, or None (neither)."""
    return node.name if isinstance(node, ast.ParamRef) else _number_value(node)


def _number_value(node: ast.Node) -> float | None:
    if isinstance(node, ast.Number):
        return node.value
    if isinstance(node, ast.Neg) and isinstance(node.operand, ast.Number):
        return -node.operand.value
    return None


# ----------------------------------------------------------------------------- curves

_WINDOWS = (ast.Duration, ast.BarCount, ast.ParamRef)  # a window: a literal or a duration param


@dataclass(frozen=True)
class Source:
    """A raw series: a bar field of the current ticker (symbol None) or of a symbol."""

    field: str = "close"
    symbol: str | None = None

    def node(self) -> ast.Node:
        if self.symbol is None:
            return ast.Name(self.field)
        if self.field == "close":
            return ast.Symbol(self.symbol)
        return ast.Call(self.field, (ast.Symbol(self.symbol),))

    @classmethod
    def from_node(cls, node: ast.Node) -> Source | None:
        if isinstance(node, ast.Name) and node.name in ast.FIELDS:
            return cls(node.name)
        if isinstance(node, ast.Symbol):
            return cls("close", node.name)
        if (isinstance(node, ast.Call) and node.func in ast.FIELDS and len(node.args) == 1
                and isinstance(node.args[0], ast.Symbol)):
            return cls(node.func, node.args[0].name)
        return None


@dataclass(frozen=True)
class Curve:
    """One side of a condition."""

    kind: Literal["price", "indicator", "let", "number"] = "price"
    source: Source = Source()
    func: str = "ema"
    params: tuple[float | str, ...] = (9,)  # a str is a param's name (SPEC §6.1)
    timeframe: str = ""  # "" = the default (the input's own timeframe); "5m", or a duration param's name
    let: str = ""
    value: float | str = 0.0  # a str is a (number or percent) param's name
    transform: str = ""  # "" | slope | change | pct_change
    transform_window: str = ""  # "30m", "3 bars", or a duration param's name

    def node(self) -> ast.Node:
        if self.kind == "number":
            return _arg_node(self.value)
        base = self._base_node()
        if self.transform:
            return ast.Call(self.transform, (base, window_node(self.transform_window)))
        return base

    def _base_node(self) -> ast.Node:
        if self.kind == "price":
            return self.source.node()
        if self.kind == "let":
            if not _NAME_RE.fullmatch(self.let or ""):
                raise ValueError("choose a named curve")
            return ast.Name(self.let)
        fn = FUNCTIONS[self.func]
        args: list[ast.Node] = [self.source.node()] if fn.takes_series else []
        args += [_arg_node(v) for v in self.params]
        if self.timeframe:
            args.append(window_node(self.timeframe))
        return ast.Call(self.func, tuple(args))


def curve_from_node(node: ast.Node) -> Curve | None:
    """The curve that gives exactly ``node``, or None when the builder cannot show it."""
    value = _arg_value(node)
    if value is not None:
        return Curve("number", value=value)
    if isinstance(node, ast.Call) and node.func in TRANSFORMS and len(node.args) == 2:
        inner, window = node.args
        base = _base_curve(inner)
        if base is None or not isinstance(window, _WINDOWS):
            return None
        return replace(base, transform=node.func, transform_window=format_window(window))
    return _base_curve(node)


def _base_curve(node: ast.Node) -> Curve | None:
    source = Source.from_node(node)
    if source is not None:
        return Curve("price", source=source)
    if isinstance(node, ast.Name):
        return Curve("let", let=node.name)
    if not (isinstance(node, ast.Call) and node.func in INDICATORS):
        return None
    fn = FUNCTIONS[node.func]
    args = list(node.args)
    source = Source()
    if fn.takes_series:
        if not args or (source := Source.from_node(args.pop(0))) is None:
            return None
    timeframe = ""
    if len(args) == len(fn.numeric_args) + 1 and isinstance(args[-1], (ast.Duration, ast.ParamRef)):
        timeframe = format_window(args.pop())  # "5m", or a duration param's name
    params = [_arg_value(a) for a in args]
    if any(p is None for p in params) or len(params) != len(fn.numeric_args):
        return None
    return Curve("indicator", source=source, func=node.func, params=tuple(params), timeframe=timeframe)


# ----------------------------------------------------------------------------- conditions


@dataclass(frozen=True)
class Condition:
    """``left PROPERTY right [and upper]`` (or a time condition), optionally within/for a window."""

    op: str = "crosses_above"
    left: Curve = Curve()
    right: Curve | None = Curve("indicator")
    upper: Curve | None = None  # `between`'s high end
    slope_window: str = "1 bar"  # rising / falling
    session: str = "RTH"
    start: str = "09:45"
    end: str = "15:30"
    temporal: str = ""  # "" | within | for
    window: str = ""

    def node(self) -> ast.Node:
        cond = self._core_node()
        if self.temporal == "within":
            return ast.Within(cond, window_node(self.window))
        if self.temporal == "for":
            return ast.For(cond, window_node(self.window))
        return cond

    def _core_node(self) -> ast.Node:
        op = self.op
        if op == "time_in":
            return ast.TimeIn(self.session)
        if op == "time_between":
            return ast.TimeBetween(parse_clock((self.start or "").strip()), parse_clock((self.end or "").strip()))
        if op in ("rising", "falling"):
            slope = ast.Call("slope", (self.left.node(), window_node(self.slope_window)))
            return ast.Compare(">" if op == "rising" else "<", slope, ast.Number(0))
        if self.right is None:
            raise ValueError(f"'{PROPERTIES[op]}' needs a second curve or a value")
        if op in _CROSS_DIRS:
            return ast.Cross(_CROSS_DIRS[op], self.left.node(), self.right.node())
        if op in _COMPARE_OPS:
            return ast.Compare(_COMPARE_OPS[op], self.left.node(), self.right.node())
        if op == "between":
            if self.upper is None:
                raise ValueError("'is between' needs a low and a high value")
            return ast.Between(self.left.node(), self.right.node(), self.upper.node())
        raise ValueError(f"unknown property {op!r}")


def condition_from_node(node: ast.Node) -> Condition | None:
    temporal, window = "", ""
    if isinstance(node, (ast.Within, ast.For)):
        temporal = "within" if isinstance(node, ast.Within) else "for"
        window, node = format_window(node.window), node.cond
    core = _core_condition(node)
    return replace(core, temporal=temporal, window=window) if core else None


def _core_condition(node: ast.Node) -> Condition | None:
    if isinstance(node, ast.TimeIn):
        return Condition("time_in", right=None, session=node.session)
    if isinstance(node, ast.TimeBetween):
        return Condition("time_between", right=None, start=format_clock(node.start), end=format_clock(node.end))
    if isinstance(node, ast.Compare):
        slope = _slope_sign(node)
        if slope is not None:
            return slope
        op = next(k for k, v in _COMPARE_OPS.items() if v == node.op)
        return _two_sided(op, node.left, node.right)
    if isinstance(node, ast.Cross):
        op = next(k for k, v in _CROSS_DIRS.items() if v == node.direction)
        return _two_sided(op, node.left, node.right)
    if isinstance(node, ast.Between):
        cond = _two_sided("between", node.value, node.low)
        upper = curve_from_node(node.high)
        return replace(cond, upper=upper) if cond and upper else None
    return None


def _slope_sign(node: ast.Compare) -> Condition | None:
    """``slope(x, W) > 0`` is "x is rising over W"; ``< 0`` is falling."""
    left = node.left
    if not (node.op in (">", "<") and _number_value(node.right) == 0 and isinstance(node.right, ast.Number)
            and isinstance(left, ast.Call) and left.func == "slope" and len(left.args) == 2
            and isinstance(left.args[1], _WINDOWS)):
        return None
    curve = curve_from_node(left.args[0])
    if curve is None:
        return None
    return Condition("rising" if node.op == ">" else "falling", left=curve, right=None,
                     slope_window=format_window(left.args[1]))


def _two_sided(op: str, left: ast.Node, right: ast.Node) -> Condition | None:
    a, b = curve_from_node(left), curve_from_node(right)
    return Condition(op, left=a, right=b) if a and b else None


# ----------------------------------------------------------------------------- rules and lets


@dataclass(frozen=True)
class RuleSpec:
    """A rule the builder can edit: all its conditions must hold (joined with ``and``)."""

    scope: str = "entry"
    name: str = ""
    conditions: tuple[Condition, ...] = (Condition(),)

    def node(self) -> ast.Rule:
        if not self.conditions:
            raise ValueError("a rule needs at least one condition")
        if self.name and not _NAME_RE.fullmatch(self.name):
            raise ValueError(f"rule name {self.name!r}: use lower-case letters, digits and _")
        cond = self.conditions[0].node()
        for extra in self.conditions[1:]:
            cond = ast.And(cond, extra.node())
        return ast.Rule(self.scope, self.name or None, cond)


def rule_spec(rule: ast.Rule) -> RuleSpec | None:
    """The builder form of a rule, or None when the rule must stay read-only."""
    parts: list[ast.Node] = []
    node = rule.cond
    while isinstance(node, ast.And):
        parts.insert(0, node.right)
        node = node.left
    parts.insert(0, node)
    conditions = [condition_from_node(p) for p in parts]
    if any(c is None for c in conditions):
        return None
    spec = RuleSpec(rule.scope, rule.name or "", tuple(conditions))
    try:
        same = spec.node() == rule
    except (ValueError, KeyError):
        same = False
    return spec if same else None


@dataclass(frozen=True)
class LetSpec:
    """``let NAME = CURVE``: a named curve the rules can use."""

    name: str
    curve: Curve

    def node(self) -> ast.Let:
        if not _NAME_RE.fullmatch(self.name or ""):
            raise ValueError(f"name {self.name!r}: use lower-case letters, digits and _")
        return ast.Let(self.name, self.curve.node())


def let_spec(let: ast.Let) -> LetSpec | None:
    curve = curve_from_node(let.expr)
    if curve is None or curve.kind == "number":
        return None
    spec = LetSpec(let.name, curve)
    try:
        return spec if spec.node() == let else None
    except (ValueError, KeyError):
        return None
