"""The language's functions, each defined once (SPEC §2.2).

One :class:`Function` per name holds everything every layer needs: its arguments
(kinds, builder labels and defaults, and the constraints on their values), whether it
reads the current ticker, its doc line, and -- for indicators -- the Nautilus class,
how it is fed and how many bars it needs.  The checker, lowering, both evaluators,
the warm-up estimate, the visual builder and docs/language.md's function table all
read :data:`FUNCTIONS`; adding an indicator is one entry here plus its tests
(docs/DEVELOPING.md walks through it).

Constraints are plain checks on *concrete* argument values (:meth:`Arg.problem`,
:meth:`Less.problem`), so the checker can apply them to a literal or to every value
of a parameter's domain with the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from rbts.dsl.ast import FIELDS
from rbts.dsl.limits import MAX_BARS, count_text

MAX_PERIOD = 100_000

ArgKind = Literal["series", "int", "number", "window", "count", "symbol"]
Family = Literal["indicator", "window", "field"]


@dataclass(frozen=True)
class Arg:
    """One argument: ``series`` (an expression), ``int`` (a bar count such as a period),
    ``number`` (a numeric constant), ``window`` (``30m`` or ``6 bars``), ``count`` (a whole
    number of bars or a window) or ``symbol`` (``SPY``)."""

    name: str  # as the usage line writes it: x, n, fast, W, SYM
    kind: ArgKind
    label: str = ""  # the builder's label for a numeric argument
    default: float | None = None  # the builder's starting value
    minimum: int = 1  # int: the smallest value allowed
    positive: bool = False  # number: must be above 0

    def problem(self, func: str, value: int | float) -> str | None:
        """What is wrong with ``value`` for this argument of ``func`` (None: nothing)."""
        if self.kind in ("int", "count"):
            if isinstance(value, int) and not isinstance(value, bool) and 1 <= value < self.minimum:
                return f"{func} needs a {self.label or self.name} of at least {self.minimum}"
            if not isinstance(value, int) or value < self.minimum:
                what = "a whole number of bars (or a window)" if self.kind == "count" else \
                    f"a whole number of at least {self.minimum}"
                return f"{func} expects {what} here"
            if self.kind == "int" and value > MAX_PERIOD:
                return f"period {value} is too large (at most {MAX_PERIOD})"
            if self.kind == "count" and value > MAX_BARS:
                return f"{func} looks back {count_text(value)} bars, more than the limit of {MAX_BARS:,}"
        if self.kind == "number" and self.positive and not value > 0:
            return f"{func}: {self.name} must be above 0, got {_text(value)}"
        return None


@dataclass(frozen=True)
class Less:
    """A constraint between two arguments: ``low`` < ``high`` (e.g. macd's fast < slow).
    It holds for every combination of values iff it holds for the largest ``low`` and
    the smallest ``high``."""

    low: str
    high: str
    message: str  # formatted with {func}, {low}, {high} (the values)

    def problem(self, func: str, low: float, high: float) -> str | None:
        if low < high:
            return None
        return self.message.format(func=func, low=_text(low), high=_text(high))


@dataclass(frozen=True)
class Nautilus:
    """The Nautilus indicator behind a graph indicator op and how it is fed one bar.

    ``feed`` names how inputs reach ``update_raw`` (compiler/indicators.py has one
    feeder per name): ``value`` (x), ``typical`` (x as high, low and close), ``bar``
    (the ticker's high, low, close), ``bar_volume_day`` (its typical price, volume and
    New York day).
    """

    class_name: str
    module: str  # nautilus_trader.indicators.<module>
    feed: Literal["value", "typical", "bar", "bar_volume_day"] = "value"
    output: str = "value"  # attribute read after each update
    scale: float = 1.0
    construct: Callable[[tuple], tuple[tuple, dict]] = lambda params: (tuple(params), {})
    ready_after: Callable[[tuple], int] = lambda params: params[0]  # inputs until initialised
    history: Callable[[tuple], int] | None = None  # bars the warm-up estimate loads (default ready_after)

    @property
    def inputs(self) -> tuple[str, ...]:
        """What the graph node's input series are: ``x`` or the ticker's bar fields."""
        bar = ("high", "low", "close")
        return {"bar": bar, "bar_volume_day": (*bar, "volume")}.get(self.feed, ("x",))

    def history_bars(self, params: tuple) -> int:
        return (self.history or self.ready_after)(params)


@dataclass(frozen=True)
class Window:
    """How a window function combines its input now and ``k`` bars ago.

    ``lag``: ``combine(now, back, k, op)`` with ``op`` the evaluator's arithmetic
    (numpy arrays or floats); ready when the value ``k`` back is ready (and, with
    ``needs_now``, the current one).  ``extreme``: max or min of the last ``k`` values.
    """

    kind: Literal["lag", "extreme"]
    combine: Callable | None = None
    needs_now: bool = True
    highest: bool = True


@dataclass(frozen=True)
class Function:
    name: str
    family: Family
    args: tuple[Arg, ...]
    doc: str
    timeframe: bool = False  # takes an optional trailing timeframe
    per_ticker: bool = False  # reads the current ticker's bars (atr, vwap)
    relations: tuple[Less, ...] = ()
    nautilus: Nautilus | None = None  # an indicator computed by one Nautilus class
    # Indicators built from others: graph indicator ops and which numeric arguments each
    # takes, applied in turn (macd_signal is an ema of the macd).  Default: itself.
    steps: tuple[tuple[str, tuple[int, ...]], ...] = ()
    window: Window | None = None
    builder: str = ""  # window functions the builder offers as a transform of a curve: its label

    @cached_property
    def usage(self) -> str:
        names = [a.name for a in self.args]
        if not self.timeframe:
            return f"{self.name}({', '.join(names)})"
        if not names:
            return f"{self.name}([tf])"
        return f"{self.name}({', '.join(names)}[, tf])"

    @cached_property
    def hint(self) -> str:
        return f"usage: {self.usage}"

    @cached_property
    def numeric_args(self) -> tuple[Arg, ...]:
        """The arguments after the input series: what the builder edits."""
        return tuple(a for a in self.args if a.kind in ("int", "number"))

    @property
    def takes_series(self) -> bool:
        return self.args[:1] != () and self.args[0].kind == "series"

    def graph_steps(self) -> tuple[tuple[str, tuple[int, ...]], ...]:
        """The graph indicator ops this function lowers to (see ``steps``)."""
        if self.steps:
            return self.steps
        return ((self.name, tuple(range(len(self.numeric_args)))),)


def _text(value) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


# ----------------------------------------------------------------------------- entries

_X = Arg("x", "series")


def _period(default: int, minimum: int = 1) -> Arg:
    return Arg("n", "int", "period", default, minimum)


def _average(name: str, cls: str, doc: str, default: int, *, minimum: int = 1, history: int = 1,
             **nautilus) -> Function:
    return Function(name, "indicator", (_X, _period(default, minimum)), doc, timeframe=True,
                    nautilus=Nautilus(cls, "averages", history=lambda p: history * p[0], **nautilus))


def _wma_weights(params: tuple) -> tuple[tuple, dict]:
    n = params[0]
    return (n,), {"weights": [float(i) for i in range(1, n + 1)]}


def _bollinger(name: str, band: str, meaning: str) -> Function:
    args = (_X, _period(20), Arg("k", "number", "std devs", 2, positive=True))
    return Function(name, "indicator", args, f"{band} Bollinger band: {meaning}", timeframe=True,
                    nautilus=Nautilus("BollingerBands", "volatility", "typical", output=band,
                                      construct=lambda p: ((p[0], float(p[1])), {})))


_SLOW_ABOVE_FAST = Less("fast", "slow", "{func}: the slow period ({high}) must be larger than the fast one ({low})")
_FAST_SLOW = (Arg("fast", "int", "fast", 12), Arg("slow", "int", "slow", 26))


def _lag(name: str, doc: str, combine: Callable, needs_now: bool = True, count: bool = False,
         builder: str = "") -> Function:
    last = Arg("k", "count") if count else Arg("W", "window")
    return Function(name, "window", (_X, last), doc, window=Window("lag", combine, needs_now), builder=builder)


def _extreme(name: str, doc: str, highest: bool) -> Function:
    return Function(name, "window", (_X, Arg("W", "window")), doc, window=Window("extreme", highest=highest))


def _field(name: str) -> Function:
    return Function(name, "field", (Arg("SYM", "symbol"),), f"the {name} of that symbol's bars")


_ENTRIES: tuple[Function, ...] = (
    _average("ema", "ExponentialMovingAverage", "exponential moving average of x over n bars", 9),
    _average("sma", "SimpleMovingAverage", "simple moving average of x over n bars", 20),
    _average("wma", "WeightedMovingAverage", "weighted moving average of x over n bars, weights 1..n", 20,
             construct=_wma_weights),
    _average("hma", "HullMovingAverage", "Hull moving average of x over n bars (n at least 2)", 20,
             minimum=2, history=2),
    _average("dema", "DoubleExponentialMovingAverage", "double exponential moving average of x over n bars", 20,
             history=2),
    Function("rsi", "indicator", (_X, _period(14)), "relative strength index of x over n bars, 0..100",
             timeframe=True, nautilus=Nautilus("RelativeStrengthIndex", "momentum", scale=100.0)),
    Function("atr", "indicator", (_period(14),), "average true range of the ticker's bars over n bars",
             timeframe=True, per_ticker=True, nautilus=Nautilus("AverageTrueRange", "volatility", "bar")),
    Function("vwap", "indicator", (), "the ticker's volume-weighted average price since the New York day began",
             timeframe=True, per_ticker=True,
             nautilus=Nautilus("VolumeWeightedAveragePrice", "volume", "bar_volume_day", ready_after=lambda p: 1)),
    _bollinger("bb_upper", "upper", "the n-bar mean of x plus k standard deviations (x fed as high, low, close)"),
    _bollinger("bb_middle", "middle", "the n-bar mean of x (k is required but unused)"),
    _bollinger("bb_lower", "lower", "the n-bar mean of x minus k standard deviations"),
    Function("macd", "indicator", (_X, *_FAST_SLOW), "fast EMA minus slow EMA of x (fast < slow)",
             timeframe=True, relations=(_SLOW_ABOVE_FAST,),
             nautilus=Nautilus("MovingAverageConvergenceDivergence", "trend", ready_after=lambda p: max(p[0], p[1]),
                               history=lambda p: p[1])),
    Function("macd_signal", "indicator", (_X, *_FAST_SLOW, Arg("signal", "int", "signal", 9)),
             "EMA over signal bars of macd(x, fast, slow)", timeframe=True, relations=(_SLOW_ABOVE_FAST,),
             steps=(("macd", (0, 1)), ("ema", (2,)))),
    _extreme("highest", "the largest x over the window", highest=True),
    _extreme("lowest", "the smallest x over the window", highest=False),
    _lag("slope", "change(x, W) divided by the number of x's bars in W: the change per bar",
         lambda now, back, k, op: op("/", op("-", now, back), float(k)), builder="slope over"),
    _lag("change", "x now minus x one window ago", lambda now, back, k, op: op("-", now, back),
         builder="change over"),
    _lag("pct_change", "x now divided by x one window ago, minus 1",
         lambda now, back, k, op: op("-", op("/", now, back), 1.0), builder="% change over"),
    _lag("prev", "x, k of its own bars ago (k a number of bars or a window)",
         lambda now, back, k, op: back, needs_now=False, count=True),
    *(_field(name) for name in FIELDS),
)

FUNCTIONS: dict[str, Function] = {f.name: f for f in _ENTRIES}


def function(name: str) -> Function | None:
    return FUNCTIONS.get(name)


def of_family(family: Family) -> tuple[Function, ...]:
    return tuple(f for f in _ENTRIES if f.family == family)


def graph_indicators() -> dict[str, Nautilus]:
    """Every indicator op a graph can hold (the functions with one Nautilus class)."""
    return {f.name: f.nautilus for f in _ENTRIES if f.nautilus is not None}


def table_markdown() -> str:
    """docs/language.md's function table (a test keeps the file equal to this)."""
    lines = ["| function | meaning | Nautilus |", "|---|---|---|"]
    for f in _ENTRIES:
        if f.family == "field" and f.name != FIELDS[0]:
            continue
        usage = f"`{f.usage}`" if f.family != "field" else "`" + "(SYM)`, `".join(FIELDS) + "(SYM)`"
        doc = f.doc if f.family != "field" else "that field of a symbol's bars (`SYM` alone is its close)"
        klass = f.nautilus.class_name if f.nautilus else ("via " + ", ".join(s for s, _ in f.steps) if f.steps else "")
        lines.append(f"| {usage} | {doc} | {klass} |")
    return "\n".join(lines) + "\n"
