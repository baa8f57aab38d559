"""The typed AST of the RBTS language (SPEC §2).

Nodes are frozen dataclasses.  Every node has a ``span`` (its source range) that
is kept for error messages but excluded from equality, so
``parse(format(ast)) == ast`` compares meaning, not layout.

Settings that were not written are ``None`` in the AST (the defaults are
resolved by :mod:`rbts.dsl.settings`), so formatting never invents lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import ClassVar, Literal, Union

from rbts.dsl.errors import Span

# ----------------------------------------------------------------------------- base


@dataclass(frozen=True)
class Node:
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)

    def children(self) -> list[Node]:
        """Direct child nodes, in source order."""
        out: list[Node] = []
        for f in fields(self):
            if f.name == "span":
                continue
            value = getattr(self, f.name)
            if isinstance(value, Node):
                out.append(value)
            elif isinstance(value, tuple):
                out.extend(v for v in value if isinstance(v, Node))
        return out

    def walk(self):
        """This node and all its descendants, depth first, parents first."""
        yield self
        for child in self.children():
            yield from child.walk()


# ----------------------------------------------------------------------------- windows

DURATION_UNITS: dict[str, int] = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Duration(Node):
    """A span of clock time, e.g. ``5m`` (stored in seconds)."""

    seconds: int

    @property
    def text(self) -> str:
        for unit in ("d", "h", "m", "s"):
            size = DURATION_UNITS[unit]
            if self.seconds % size == 0:
                return f"{self.seconds // size}{unit}"
        raise AssertionError(self.seconds)  # pragma: no cover - "s" always divides


@dataclass(frozen=True)
class BarCount(Node):
    """``N bars`` (or ``N cycles``/``N cycle`` for an order ttl)."""

    count: int


Window = Union[Duration, BarCount]

# ----------------------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Number(Node):
    """A numeric literal; ``int`` when written without a point or exponent."""

    value: int | float


@dataclass(frozen=True)
class Percent(Node):
    """``2%``: ``value`` is the number as written (2), its meaning is value/100."""

    value: int | float

    @property
    def fraction(self) -> float:
        return self.value / 100

    @property
    def text(self) -> str:
        """``2%`` as the language writes it."""
        from rbts.dsl.formatter import format_number

        return f"{format_number(self.value)}%"


FIELDS: tuple[str, ...] = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class Name(Node):
    """A lower-case identifier: a bar field (``close``) or a ``let`` name."""

    name: str


@dataclass(frozen=True)
class Symbol(Node):
    """A ticker or index: ``AAPL``, ``BRK.B`` or quoted ``"BRK B"``; as a series, its close."""

    name: str


@dataclass(frozen=True)
class ParamRef(Node):
    """A use of a declared ``param`` where a literal of its kind may stand (SPEC §6.1).

    Everything that runs a strategy sees it replaced by its bound value
    (:func:`rbts.dsl.params.instantiate`); only the declared form keeps it."""

    name: str


@dataclass(frozen=True)
class Call(Node):
    """``func(arg, ...)``; arguments are expressions or windows."""

    func: str
    args: tuple[Expr | Duration | BarCount, ...]


@dataclass(frozen=True)
class Neg(Node):
    operand: Expr


@dataclass(frozen=True)
class BinOp(Node):
    op: Literal["+", "-", "*", "/"]
    left: Expr
    right: Expr


# ----------------------------------------------------------------------------- conditions


@dataclass(frozen=True)
class Compare(Node):
    op: Literal["<", "<=", ">", ">="]
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Cross(Node):
    """``left crosses_above right`` / ``crosses_below`` / ``crosses`` (either way)."""

    direction: Literal["above", "below", "any"]
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Between(Node):
    """``value between low and high`` (inclusive at both ends)."""

    value: Expr
    low: Expr
    high: Expr


SESSIONS: tuple[str, ...] = ("RTH", "ETH")


@dataclass(frozen=True)
class TimeIn(Node):
    session: Literal["RTH", "ETH"]


@dataclass(frozen=True)
class TimeBetween(Node):
    """``time between HH:MM and HH:MM`` (exchange local time; minutes after midnight)."""

    start: int
    end: int


@dataclass(frozen=True)
class Within(Node):
    cond: Cond
    window: Duration | BarCount


@dataclass(frozen=True)
class For(Node):
    cond: Cond
    window: Duration | BarCount


@dataclass(frozen=True)
class Not(Node):
    operand: Cond


@dataclass(frozen=True)
class And(Node):
    left: Cond
    right: Cond


@dataclass(frozen=True)
class Or(Node):
    left: Cond
    right: Cond


Expr = Union[Number, Percent, Name, Symbol, Call, Neg, BinOp, ParamRef]
Cond = Union[Compare, Cross, Between, TimeIn, TimeBetween, Within, For, Not, And, Or, Name, Call]
"""A ``Name`` can be a let bound to a condition; the checker enforces kinds."""

# ----------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Sizing(Node):
    """``sizing: equal`` | ``sizing: N%`` (of equity) | ``sizing: N`` (USD)."""

    kind: Literal["equal", "percent", "fixed"]
    value: int | float | ParamRef | None = None


@dataclass(frozen=True)
class Order(Node):
    """``order: market`` | ``order: limit P% ttl W`` (W a duration or ``N cycles``)."""

    kind: Literal["limit", "market"]
    offset: Percent | ParamRef | None = None
    ttl: Duration | BarCount | ParamRef | None = None


RISK_KINDS: tuple[str, ...] = ("max_daily_loss", "stop_loss", "take_profit", "trailing_stop", "broker_stop")


@dataclass(frozen=True)
class Risk(Node):
    kind: Literal["max_daily_loss", "stop_loss", "take_profit", "trailing_stop", "broker_stop"]
    percent: Percent | ParamRef


# ----------------------------------------------------------------------------- params (SPEC §6.1)

ParamLiteral = Union[Number, Percent, Duration]
"""A param's default and domain bounds; a Number or Percent here may be negative."""

PARAM_KINDS: tuple[str, ...] = ("number", "percent", "duration")


def literal_kind(node: Node) -> str:
    """``number``, ``percent`` or ``duration``: the kind of a param literal."""
    return {Number: "number", Percent: "percent", Duration: "duration"}[type(node)]


@dataclass(frozen=True)
class ParamRange(Node):
    """``LO..HI [step S]``; ``step`` is None when not written (an integer range steps by 1)."""

    low: ParamLiteral
    high: ParamLiteral
    step: ParamLiteral | None = None


@dataclass(frozen=True)
class ParamList(Node):
    """``[V1, V2, ...]``, in the order written."""

    values: tuple[ParamLiteral, ...]


@dataclass(frozen=True)
class Param(Node):
    """``param NAME = DEFAULT in DOMAIN``."""

    name: str
    default: ParamLiteral
    domain: ParamRange | ParamList

    @property
    def kind(self) -> str:
        return literal_kind(self.default)


# ----------------------------------------------------------------------------- statements

SCOPES: tuple[str, ...] = ("global", "entry", "exit")


@dataclass(frozen=True)
class Let(Node):
    name: str
    expr: Expr | Cond


@dataclass(frozen=True)
class Rule(Node):
    """A rule; ``name`` is None when the user wrote none (see :func:`rule_names`)."""

    scope: Literal["global", "entry", "exit"]
    name: str | None
    cond: Cond


@dataclass(frozen=True)
class Strategy(Node):
    """A whole strategy.  Settings not written are None; ``body`` keeps lets and
    rules in source order (a let is usable in every later line)."""

    SETTINGS: ClassVar[tuple[str, ...]] = (
        "name", "universe", "capital", "cycle", "bars", "sizing", "order", "risks", "fees", "params",
    )

    name: str | None = None
    universe: tuple[Symbol, ...] | None = None
    capital: Number | None = None
    cycle: Duration | None = None
    bars: Duration | None = None
    sizing: Sizing | None = None
    order: Order | None = None
    risks: tuple[Risk, ...] = ()
    fees: Percent | None = None
    params: tuple[Param, ...] = ()
    body: tuple[Let | Rule, ...] = ()

    @property
    def lets(self) -> tuple[Let, ...]:
        return tuple(s for s in self.body if isinstance(s, Let))

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(s for s in self.body if isinstance(s, Rule))


def rule_names(strategy: Strategy) -> list[str]:
    """Every rule's effective name: its own, else ``global_1``, ``entry_1``, ... in order."""
    counters = {scope: 0 for scope in SCOPES}
    names = []
    for rule in strategy.rules:
        counters[rule.scope] += 1
        names.append(rule.name or f"{rule.scope}_{counters[rule.scope]}")
    return names
