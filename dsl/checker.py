"""Static checks (SPEC §2.2): every compile error of a file, positioned, collected.

``check(strategy)`` returns a :class:`CheckedStrategy` -- the AST plus what every
later stage needs: resolved settings, rule names, and for every expression node
its kind (number/bool), timeframe and whether it is per ticker -- or raises
:class:`RbtsError` holding all errors of the file at once.

Timeframes: a raw series (``close``, ``VIX``, ``high(SPY)``) takes the timeframe of
the indicator it is an argument of (``ema(close, 9, 5m)`` is an EMA of 5-minute
closes), else the base ``bars``.  A ``let`` is evaluated in its own context.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from typing import Literal

from rbts.dsl import ast
from rbts.dsl.errors import Diagnostic, DiagnosticBag, RbtsError, Span
from rbts.dsl.settings import DEFAULT_BARS_SECONDS, ResolvedOrder, ResolvedSettings
from rbts.dsl.symbols import is_index

DAY = 86_400
MAX_PERIOD = 100_000

# ----------------------------------------------------------------------------- functions


@dataclass(frozen=True)
class Signature:
    """Parameter kinds: series, int, number, window, count (int or window), symbol."""

    params: tuple[str, ...]
    usage: str
    timeframe: bool = False  # takes an optional trailing timeframe
    per_ticker: bool = False  # reads the current ticker's bars (atr, vwap)
    indicator: bool = False  # a Nautilus indicator (sets the timeframe of its raw inputs)


_MA = ("series", "int")
FUNCTIONS: dict[str, Signature] = {
    **{n: Signature(_MA, f"{n}(x, n[, tf])", True, indicator=True) for n in ("ema", "sma", "wma", "hma", "dema", "rsi")},
    "atr": Signature(("int",), "atr(n[, tf])", True, per_ticker=True, indicator=True),
    "vwap": Signature((), "vwap([tf])", True, per_ticker=True, indicator=True),
    **{n: Signature(("series", "int", "number"), f"{n}(x, n, k[, tf])", True, indicator=True)
       for n in ("bb_upper", "bb_middle", "bb_lower")},
    "macd": Signature(("series", "int", "int"), "macd(x, fast, slow[, tf])", True, indicator=True),
    "macd_signal": Signature(("series", "int", "int", "int"), "macd_signal(x, fast, slow, signal[, tf])", True,
                             indicator=True),
    **{n: Signature(("series", "window"), f"{n}(x, W)") for n in ("highest", "lowest", "change", "pct_change", "slope")},
    "prev": Signature(("series", "count"), "prev(x, k)"),
    **{f: Signature(("symbol",), f"{f}(SYM)") for f in ast.FIELDS},
}

RESERVED = frozenset(ast.FIELDS) | frozenset(FUNCTIONS) | {
    "and", "or", "not", "within", "for", "between", "time", "in", "crosses", "crosses_above", "crosses_below",
    "bars", "bar", "let", "global", "entry", "exit", "above", "below",
}


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ExprInfo:
    kind: Literal["number", "bool"]
    timeframe_s: int | None  # None: a constant or a time condition
    per_ticker: bool = False
    constant: bool = False


@dataclass(frozen=True)
class CheckedRule:
    name: str
    scope: Literal["global", "entry", "exit"]
    cond: ast.Node
    rule: ast.Rule


@dataclass
class CheckedStrategy:
    strategy: ast.Strategy
    settings: ResolvedSettings
    rules: list[CheckedRule]
    lets: dict[str, ast.Let]
    warnings: list[Diagnostic] = field(default_factory=list)
    _info: dict[int, ExprInfo] = field(default_factory=dict, repr=False)

    @property
    def rule_names(self) -> list[str]:
        return [r.name for r in self.rules]

    def info(self, node: ast.Node) -> ExprInfo:
        """Kind, timeframe and scope of an expression node of this strategy."""
        return self._info[id(node)]

    def let_info(self, name: str) -> ExprInfo:
        return self.info(self.lets[name].expr)


# ----------------------------------------------------------------------------- checker


class _Checker:
    def __init__(self, strategy: ast.Strategy, filename: str | None):
        self.s = strategy
        self.filename = filename
        self.bag = DiagnosticBag()
        self.info: dict[int, ExprInfo] = {}
        self.lets: dict[str, ast.Let] = {}
        self.bad_lets: set[str] = set()  # lets already reported: their uses stay silent
        self.bars = strategy.bars.seconds if strategy.bars else DEFAULT_BARS_SECONDS
        self.symbols_used: dict[str, ast.Symbol] = {}
        self.compared_timeframes: list[int] = []
        self.cycle_windows: list[tuple[ast.Node, ast.Node]] = []  # (within/for node, window)

    # -- helpers
    def err(self, message: str, node: ast.Node | Span | None, hint: str | None = None) -> None:
        span = node if isinstance(node, Span) or node is None else node.span
        self.bag.error(message, span or self.s.span, hint)

    def record(self, node: ast.Node, info: ExprInfo | None) -> ExprInfo | None:
        if info is not None:
            self.info[id(node)] = info
        return info

    def check_timeframe(self, dur: ast.Duration, what: str) -> bool:
        secs = dur.seconds
        if secs % self.bars:
            self.err(f"{what} {dur.text} is not a multiple of the bar size {ast.Duration(self.bars).text}", dur)
            return False
        if secs < DAY and DAY % secs:
            self.err(f"{what} {dur.text} does not divide a day evenly (bars are aligned to midnight)", dur,
                     "use e.g. 1m 5m 15m 30m 1h 4h")
            return False
        if secs > DAY:
            self.err(f"{what} {dur.text} is longer than a day (the largest timeframe is 1d)", dur)
            return False
        return True

    # -- entry point
    def run(self) -> CheckedStrategy:
        s = self.s
        self.check_settings()
        names: dict[str, ast.Node] = {}
        rules: list[CheckedRule] = []
        effective = iter(ast.rule_names(s))
        for stmt in s.body:
            if isinstance(stmt, ast.Let):
                self.check_let(stmt)
            else:
                name = next(effective)
                if name in names:
                    self.err(f"rule name {name!r} is used twice (first on line {_line(names[name])})", stmt)
                elif name in self.lets:
                    self.err(f"rule name {name!r} is already a let name", stmt)
                names[name] = stmt
                self.check_rule(stmt, name)
                rules.append(CheckedRule(name, stmt.scope, stmt.cond, stmt))
        settings = self.resolve_settings()
        self.check_cycle_windows(settings)
        self.warn_semantics(rules, settings)
        if self.bag.errors:
            raise RbtsError(self.bag.errors, filename=self.filename)
        warnings = [d for d in self.bag.items if d.severity == "warning"]
        return CheckedStrategy(s, settings, rules, dict(self.lets), warnings, self.info)

    # -- settings
    def check_settings(self) -> None:
        s = self.s
        if not s.universe:
            self.err("the strategy has no universe (add e.g. `universe: AAPL, MSFT`)", Span.point(1, 1))
        else:
            seen: dict[str, ast.Symbol] = {}
            for sym in s.universe:
                if sym.name in seen:
                    self.err(f"{sym.name} is listed twice in the universe", sym)
                elif is_index(sym.name):
                    self.err(f"{sym.name} is an index: data only, it cannot be traded", sym,
                             "remove it from the universe; rules can still use it")
                seen[sym.name] = sym
        if s.capital is not None and not s.capital.value > 0:
            self.err("capital must be positive", s.capital)
        if s.bars is not None:
            if DAY % s.bars.seconds:
                self.err(f"bars {s.bars.text} does not divide a day evenly", s.bars)
                self.bars = DEFAULT_BARS_SECONDS
        if s.cycle is not None:
            self.check_timeframe(s.cycle, "cycle")
        if s.sizing is not None:
            if s.sizing.kind == "percent" and not 0 < s.sizing.value <= 100:
                self.err("sizing percent must be above 0% and at most 100%", s.sizing)
            if s.sizing.kind == "fixed" and not s.sizing.value > 0:
                self.err("sizing amount must be positive", s.sizing)
        if s.order is not None and s.order.kind == "limit":
            if s.order.offset is not None and not 0 <= s.order.offset.value < 100:
                self.err("limit offset must be at least 0% and below 100%", s.order.offset)
            ttl = s.order.ttl
            if isinstance(ttl, ast.Duration) and ttl.seconds % self.bars:
                self.err(f"ttl {ttl.text} is not a multiple of the bar size {ast.Duration(self.bars).text}", ttl)
        for risk in s.risks:
            if not 0 < risk.percent.value < 100:
                self.err(f"{risk.kind} must be above 0% and below 100%", risk.percent)
        if s.fees is not None and not 0 <= s.fees.value < 100:
            self.err("fees must be at least 0% and below 100%", s.fees)

    def resolve_settings(self) -> ResolvedSettings:
        s = self.s
        defaulted = [k for k in ("name", "universe", "capital", "cycle", "bars", "sizing", "order", "fees")
                     if getattr(s, k) is None]
        universe = tuple(sym.name for sym in s.universe or ())
        if s.cycle is not None:
            cycle = s.cycle.seconds
        else:
            cycle = min(self.compared_timeframes, default=self.bars)
        order = ResolvedOrder()
        if s.order is not None:
            if s.order.kind == "market":
                order = ResolvedOrder("market", 0.0, None)
            else:
                ttl = s.order.ttl
                ttl_s = cycle if ttl is None else (ttl.count * cycle if isinstance(ttl, ast.BarCount) else ttl.seconds)
                offset = s.order.offset.fraction if s.order.offset is not None else order.offset
                order = ResolvedOrder("limit", offset, ttl_s)
        else:
            order = replace(order, ttl_seconds=cycle)
        risks = {r.kind: r.percent.fraction for r in s.risks}
        sizing = s.sizing or ast.Sizing("equal")
        sizing_value = None
        if sizing.kind == "percent":
            sizing_value = sizing.value / 100
        elif sizing.kind == "fixed":
            sizing_value = float(sizing.value)
        data_symbols = tuple(sorted(n for n in self.symbols_used if n not in universe))
        return ResolvedSettings(
            name=s.name or "",
            universe=universe,
            capital=float(s.capital.value) if s.capital else 10_000.0,
            cycle_seconds=cycle,
            bars_seconds=self.bars,
            sizing_kind=sizing.kind,
            sizing_value=sizing_value,
            order=order,
            max_daily_loss=risks.get("max_daily_loss"),
            stop_loss=risks.get("stop_loss"),
            take_profit=risks.get("take_profit"),
            trailing_stop=risks.get("trailing_stop"),
            fees=s.fees.fraction if s.fees else 0.0,
            data_symbols=data_symbols,
            defaulted=tuple(defaulted),
        )

    def check_cycle_windows(self, settings: ResolvedSettings) -> None:
        cycle = settings.cycle_seconds
        if self.s.cycle is None and cycle % self.bars:
            return
        if self.s.cycle is not None and self.s.cycle.seconds % self.bars:
            return
        for node, window in self.cycle_windows:
            if isinstance(window, ast.Duration) and window.seconds % cycle:
                word = "within" if isinstance(node, ast.Within) else "for"
                self.err(f"`{word}` window {window.text} is not a multiple of the cycle {ast.Duration(cycle).text}",
                         window, "within/for count cycles")
        ttl = self.s.order.ttl if self.s.order else None
        if isinstance(ttl, ast.Duration) and ttl.seconds < cycle and ttl.seconds % self.bars == 0:
            self.bag.warning(f"ttl {ttl.text} is shorter than the cycle {ast.Duration(cycle).text}", ttl.span)

    def warn_semantics(self, rules: list[CheckedRule], settings: ResolvedSettings) -> None:
        if self.bag.errors:
            return
        scopes = {r.scope for r in rules}
        if "entry" not in scopes:
            self.bag.warning("the strategy has no entry rule, so it never buys", Span.point(1, 1))
        elif "exit" not in scopes and not (settings.stop_loss or settings.take_profit or settings.trailing_stop):
            self.bag.warning("no exit rule and no stop: positions are never closed", Span.point(1, 1))

    # -- statements
    def check_let(self, let: ast.Let) -> None:
        if let.name in RESERVED:
            what = "a bar field" if let.name in ast.FIELDS else "a function" if let.name in FUNCTIONS else "a keyword"
            self.err(f"cannot name a let {let.name!r}: it is {what}", let)
            self.bad_lets.add(let.name)
            return
        if let.name in self.lets:
            self.err(f"let {let.name!r} is defined twice (first on line {_line(self.lets[let.name])})", let)
            return
        info = self.expr(let.expr, self.bars)
        self.lets[let.name] = let
        if info is None:
            self.info[id(let.expr)] = ExprInfo("number", None)  # keep going: later uses don't cascade

    def check_rule(self, rule: ast.Rule, name: str) -> None:
        info = self.expr(rule.cond, self.bars)
        if info is None:
            return
        if info.kind != "bool":
            self.err(f"rule {name!r} is a number, not a condition", rule.cond,
                     "compare it, e.g. `... > 0`, or use crosses_above")
            return
        if rule.scope == "global" and info.per_ticker:
            culprit = _first_per_ticker(rule.cond, self)
            what = f"`{_short(culprit)}`" if culprit is not None else "a per-ticker value"
            self.err(f"global rule {name!r} uses {what}, which is per ticker",
                     culprit if culprit is not None else rule.cond,
                     "global rules are evaluated once per cycle; use a symbol, e.g. close(SPY), or make it an entry rule")

    # -- expressions
    def expr(self, node: ast.Node, ctx: int) -> ExprInfo | None:
        method = getattr(self, f"e_{type(node).__name__}", None)
        if method is None:
            self.err(f"{type(node).__name__.lower()} cannot be used here", node)
            return None
        return self.record(node, method(node, ctx))

    def number_operand(self, node: ast.Node, ctx: int, where: str) -> ExprInfo | None:
        if isinstance(node, (ast.Duration, ast.BarCount)):
            self.err(f"a window cannot be {where}", node)
            return None
        info = self.expr(node, ctx)
        if info is not None and info.kind != "number":
            self.err(f"a condition (true/false) cannot be {where}", node, "compare numbers, combine conditions with and/or")
            return None
        return info

    def bool_operand(self, node: ast.Node, ctx: int, where: str) -> ExprInfo | None:
        info = self.expr(node, ctx)
        if info is not None and info.kind != "bool":
            self.err(f"a number cannot be {where}", node, "compare it, e.g. `x > 0`")
            return None
        return info

    def e_Number(self, node, ctx):
        return ExprInfo("number", None, constant=True)

    e_Percent = e_Number

    def e_Name(self, node: ast.Name, ctx):
        if node.name in ast.FIELDS:
            return ExprInfo("number", ctx, per_ticker=True)
        if node.name in self.lets:
            return self.info.get(id(self.lets[node.name].expr))
        if node.name in self.bad_lets:
            return None
        if node.name in FUNCTIONS:
            self.err(f"{node.name} is a function: write {FUNCTIONS[node.name].usage}", node)
            return None
        candidates = list(ast.FIELDS) + list(self.lets) + list(FUNCTIONS)
        later = [l.name for l in self.s.lets if l.name == node.name]
        if later:
            self.err(f"let {node.name!r} is used before it is defined", node)
            return None
        close = difflib.get_close_matches(node.name, candidates, n=1)
        hint = f"did you mean {close[0]!r}?" if close else None
        self.err(f"unknown name {node.name!r}", node, hint)
        return None

    def e_Symbol(self, node: ast.Symbol, ctx):
        self.symbols_used.setdefault(node.name, node)
        return ExprInfo("number", ctx)

    def e_Neg(self, node: ast.Neg, ctx):
        info = self.number_operand(node.operand, ctx, "negated")
        return info and replace(info)

    def e_BinOp(self, node: ast.BinOp, ctx):
        left = self.number_operand(node.left, ctx, f"an operand of {node.op}")
        right = self.number_operand(node.right, ctx, f"an operand of {node.op}")
        if left is None or right is None:
            return None
        if node.op == "/" and isinstance(node.right, ast.Number) and node.right.value == 0:
            self.err("division by zero", node.right)
            return None
        return _combine(left, right, "number")

    def e_Call(self, node: ast.Call, ctx):
        sig = FUNCTIONS.get(node.func)
        if sig is None:
            close = difflib.get_close_matches(node.func, list(FUNCTIONS), n=1)
            self.err(f"unknown function {node.func!r}", node, f"did you mean {close[0]}?" if close else None)
            for arg in node.args:  # still check the arguments for their own errors
                if not isinstance(arg, (ast.Duration, ast.BarCount)):
                    self.expr(arg, ctx)
            return None
        args = list(node.args)
        n_req = len(sig.params)
        tf_node = None
        if sig.timeframe and len(args) == n_req + 1:
            tf_node = args.pop()
        if len(args) != n_req:
            expected = f"{n_req}" + (f" or {n_req + 1}" if sig.timeframe else "")
            self.err(f"{node.func} takes {expected} argument{'s' if n_req != 1 or sig.timeframe else ''}, "
                     f"got {len(node.args)}", node, f"usage: {sig.usage}")
            return None
        inner_ctx = ctx
        tf = None
        if tf_node is not None and isinstance(tf_node, ast.Duration):
            if not self.check_timeframe(tf_node, "timeframe"):
                return None
            tf = inner_ctx = tf_node.seconds
        infos: list[ExprInfo] = []
        ok = True
        series_info = None
        for kind, arg in zip(sig.params, args):
            result = self.argument(node, kind, arg, inner_ctx)
            if result is False:
                ok = False
            elif isinstance(result, ExprInfo):
                infos.append(result)
                if kind == "series":
                    series_info = result
        if not ok:
            return None
        if tf_node is not None and not isinstance(tf_node, ast.Duration):
            self.err(f"the last argument of {node.func} must be a timeframe such as 5m", tf_node,
                     f"usage: {sig.usage}")
            return None
        per_ticker = sig.per_ticker or any(i.per_ticker for i in infos)
        if node.func in ast.FIELDS:
            return ExprInfo("number", ctx)
        if series_info is not None and series_info.timeframe_s is None:
            self.err(f"{node.func} needs a series, not a constant", args[0])
            return None
        own_tf = tf if tf is not None else (series_info.timeframe_s if series_info else inner_ctx)
        if series_info is not None and tf is not None and series_info.timeframe_s != tf:
            inner = series_info.timeframe_s
            if inner > tf or tf % inner:
                self.err(f"timeframe {ast.Duration(tf).text} of {node.func} is not a multiple of its input's "
                         f"timeframe {ast.Duration(inner).text}", tf_node)
                return None
        for kind, arg in zip(sig.params, args):
            if kind in ("window", "count") and isinstance(arg, ast.Duration) and arg.seconds % own_tf:
                self.err(f"window {arg.text} is not a multiple of {ast.Duration(own_tf).text}, the timeframe of "
                         f"{_short(args[0])}", arg, f"use a multiple of {ast.Duration(own_tf).text}, or `N bars`")
                return None
        return ExprInfo("number", own_tf, per_ticker=per_ticker)

    def argument(self, call: ast.Call, kind: str, arg: ast.Node, ctx: int):
        """Check one argument; returns its ExprInfo, True (ok, no info) or False (error reported)."""
        usage = f"usage: {FUNCTIONS[call.func].usage}"
        is_window = isinstance(arg, (ast.Duration, ast.BarCount))
        if kind == "series":
            if is_window:
                self.err(f"{call.func} expects a series here, not a window", arg, usage)
                return False
            info = self.expr(arg, ctx)
            if info is None:
                return False
            if info.kind != "number":
                self.err(f"{call.func} expects a series here, not a condition", arg, usage)
                return False
            return info
        if kind == "int":
            if is_window:
                self.err(f"{call.func} expects a number of bars here, not a window", arg, usage)
                return False
            if not (isinstance(arg, ast.Number) and isinstance(arg.value, int)) or arg.value < 1:
                self.err(f"{call.func} expects a whole number of at least 1 here", arg, usage)
                return False
            if arg.value > MAX_PERIOD:
                self.err(f"period {arg.value} is too large (at most {MAX_PERIOD})", arg)
                return False
            return True
        if kind == "number":
            if is_window or not isinstance(arg, (ast.Number, ast.Neg)):
                self.err(f"{call.func} expects a number here", arg, usage)
                return False
            self.expr(arg, ctx)
            return True
        if kind == "window":
            if not is_window:
                self.err(f"{call.func} expects a window here, such as 30m or 6 bars", arg, usage)
                return False
            return True
        if kind == "count":
            if is_window:
                return True
            if isinstance(arg, ast.Number) and isinstance(arg.value, int) and arg.value >= 1:
                return True
            self.err(f"{call.func} expects a whole number of bars (or a window) here", arg, usage)
            return False
        if kind == "symbol":
            if not isinstance(arg, ast.Symbol):
                self.err(f"{call.func}(SYM) expects a symbol such as SPY", arg,
                         f"the current ticker's {call.func} is just `{call.func}`")
                return False
            self.expr(arg, ctx)
            return True
        raise AssertionError(kind)

    # -- conditions
    def comparison(self, node, operands, ctx, what):
        infos = [self.number_operand(op, ctx, f"compared ({what})") for op in operands]
        if any(i is None for i in infos):
            return None
        result = infos[0]
        for info in infos[1:]:
            result = _combine(result, info, "bool")
        result = replace(result, kind="bool", constant=False)
        for info in infos:
            if info.timeframe_s is not None:
                self.compared_timeframes.append(info.timeframe_s)
        return result

    def e_Compare(self, node: ast.Compare, ctx):
        return self.comparison(node, (node.left, node.right), ctx, node.op)

    def e_Cross(self, node: ast.Cross, ctx):
        info = self.comparison(node, (node.left, node.right), ctx, "crosses")
        if info is not None and info.timeframe_s is None:
            self.err("crosses needs at least one series (two constants never cross)", node)
            return None
        return info

    def e_Between(self, node: ast.Between, ctx):
        return self.comparison(node, (node.value, node.low, node.high), ctx, "between")

    def e_TimeIn(self, node, ctx):
        return ExprInfo("bool", None)

    e_TimeBetween = e_TimeIn

    def temporal(self, node, ctx, word):
        info = self.bool_operand(node.cond, ctx, f"the condition of `{word}`")
        self.cycle_windows.append((node, node.window))
        return info and replace(info, kind="bool")

    def e_Within(self, node, ctx):
        return self.temporal(node, ctx, "within")

    def e_For(self, node, ctx):
        return self.temporal(node, ctx, "for")

    def e_Not(self, node: ast.Not, ctx):
        info = self.bool_operand(node.operand, ctx, "negated with `not`")
        return info

    def boolean(self, node, ctx, word):
        left = self.bool_operand(node.left, ctx, f"an operand of `{word}`")
        right = self.bool_operand(node.right, ctx, f"an operand of `{word}`")
        if left is None or right is None:
            return None
        return _combine(left, right, "bool")

    def e_And(self, node, ctx):
        return self.boolean(node, ctx, "and")

    def e_Or(self, node, ctx):
        return self.boolean(node, ctx, "or")


def _combine(a: ExprInfo, b: ExprInfo, kind) -> ExprInfo:
    tfs = [t for t in (a.timeframe_s, b.timeframe_s) if t is not None]
    return ExprInfo(kind, min(tfs) if tfs else None, a.per_ticker or b.per_ticker, a.constant and b.constant)


def _line(node: ast.Node | None) -> int:
    return node.span.line if node is not None and node.span else 0


def _short(node: ast.Node | None) -> str:
    if isinstance(node, ast.Name):
        return node.name
    if isinstance(node, ast.Call):
        return f"{node.func}(...)"
    return type(node).__name__.lower()


def _first_per_ticker(node: ast.Node, checker: _Checker) -> ast.Node | None:
    for sub in node.walk():
        if isinstance(sub, ast.Name) and sub.name in ast.FIELDS:
            return sub
        if isinstance(sub, ast.Name) and sub.name in checker.lets:
            info = checker.info.get(id(checker.lets[sub.name].expr))
            if info is not None and info.per_ticker:
                return sub
        if isinstance(sub, ast.Call) and sub.func in FUNCTIONS and FUNCTIONS[sub.func].per_ticker:
            return sub
    return None


def check(strategy: ast.Strategy, filename: str | None = None) -> CheckedStrategy:
    """Check a parsed strategy; raises RbtsError with every error found."""
    return _Checker(strategy, filename).run()


def check_text(text: str, filename: str | None = None) -> CheckedStrategy:
    """Parse and check in one step; errors carry the source for rendering."""
    from rbts.dsl.parser import parse

    strategy = parse(text, filename)
    try:
        return check(strategy, filename)
    except RbtsError as exc:
        raise exc.with_source(filename, text) from None


def diagnose(text: str) -> tuple[CheckedStrategy | None, list[Diagnostic]]:
    """Every diagnostic of a text (syntax errors, then check errors of the lines that
    parse, then warnings) -- for the editor, which shows them all."""
    from rbts.dsl.parser import parse_partial

    strategy, diagnostics = parse_partial(text)
    if strategy is None:
        return None, _by_position(diagnostics)
    try:
        checked = check(strategy)
    except RbtsError as exc:
        return None, _by_position(diagnostics + exc.diagnostics)
    return (checked if not diagnostics else None), _by_position(diagnostics + checked.warnings)


def _by_position(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=lambda d: (d.span is None, d.span or Span(0, 0, 0, 0)))
