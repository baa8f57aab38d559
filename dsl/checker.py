"""Static checks (SPEC §2.2): every compile error of a file, positioned, collected.

``check(strategy)`` returns a :class:`~rbts.dsl.checked.CheckedStrategy` -- the AST
plus what every later stage needs: resolved settings, rule names, and for every
expression node its kind (number/bool), timeframe and whether it is per ticker -- or
raises :class:`RbtsError` holding all errors of the file at once.  Settings are
checked in :mod:`rbts.dsl.check_settings`, function calls (from the function
registry) in :mod:`rbts.dsl.check_calls`.

Timeframes: a raw series (``close``, ``VIX``, ``high(SPY)``) takes the timeframe of
the indicator it is an argument of (``ema(close, 9, 5m)`` is an EMA of 5-minute
closes), else the base ``bars``.  A ``let`` is evaluated in its own context.
"""

from __future__ import annotations

import difflib
from dataclasses import replace

from rbts.dsl import ast
from rbts.dsl.check_calls import check_call, short
from rbts.dsl.check_settings import DAY, check_cycle_windows, check_settings, resolve_settings, warn_semantics
from rbts.dsl.checked import CheckedRule, CheckedStrategy, ExprInfo
from rbts.dsl.dispatch import Backend
from rbts.dsl.errors import Diagnostic, DiagnosticBag, RbtsError, Span
from rbts.dsl.check_limits import check_limits
from rbts.dsl.limits import NAME_KEYWORDS
from rbts.dsl.functions import FUNCTIONS
from rbts.dsl.settings import DEFAULT_BARS_SECONDS

__all__ = ["CheckedRule", "CheckedStrategy", "ExprInfo", "check", "check_text", "diagnose"]

RESERVED = frozenset(ast.FIELDS) | frozenset(FUNCTIONS) | NAME_KEYWORDS


MAX_HINTS = 100


class Checker(Backend):
    """Checks one strategy; ``on_<Node>`` checks an expression node in a timeframe context."""

    def __init__(self, strategy: ast.Strategy, filename: str | None, params: dict | None = None,
                 problem_cache: dict | None = None):
        self.s = strategy
        self.filename = filename
        # The domains of the number and percent params still in the AST (see rbts.dsl.params):
        # every value of a domain is checked where a literal's value matters.
        self.params = params or {}
        self.problem_cache = {} if problem_cache is None else problem_cache
        self.bag = DiagnosticBag()
        self.info: dict[int, ExprInfo] = {}
        self.lets: dict[str, ast.Let] = {}
        self.bad_lets: set[str] = set()  # lets already reported: their uses stay silent
        self.every_let = {stmt.name for stmt in strategy.body if isinstance(stmt, ast.Let)}  # once, not per name
        self.hints_left = MAX_HINTS  # "did you mean" compares with every let: only for the first few unknown names
        self.bars = strategy.bars.seconds if strategy.bars else DEFAULT_BARS_SECONDS
        self.symbols_used: dict[str, ast.Symbol] = {}
        self.compared_timeframes: list[int] = []
        self.cycle_windows: list[tuple[ast.Node, ast.Node]] = []  # (within/for node, window)

    # -- helpers
    def err(self, message: str, node: ast.Node | Span | None, hint: str | None = None) -> None:
        span = node if isinstance(node, Span) or node is None else node.span
        self.bag.error(message, span or self.s.span, hint)

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

    def literal_values(self, node: ast.Node) -> list[int | float] | None:
        """The values a numeric constant argument can take (None: it is not one): a
        literal's one value, or every value of a number param's domain."""
        if isinstance(node, ast.Number):
            return [node.value]
        if isinstance(node, ast.Neg) and isinstance(node.operand, (ast.Number, ast.ParamRef)):
            inner = self.literal_values(node.operand)
            return None if inner is None else [-v for v in inner]
        if isinstance(node, ast.ParamRef):
            domain = self.params.get(node.name)
            return list(domain.values) if domain is not None and domain.kind == "number" else None
        return None

    def first_problem(self, fn, spec, arg: ast.Node) -> tuple[str | None, object] | None:
        """None when every value of a numeric argument passes its constraints; else (problem,
        value), problem None when the argument is not a literal of the right shape.  A param's
        domain is checked once per function argument, not again for each variant checked."""
        ref = arg.operand if isinstance(arg, ast.Neg) else arg
        key = (fn.name, spec.name, isinstance(arg, ast.Neg), ref.name) if isinstance(ref, ast.ParamRef) else None
        if key is not None and key in self.problem_cache:
            return self.problem_cache[key]
        values = self.literal_values(arg)
        found = None
        if values is None or (spec.kind != "number" and not all(isinstance(v, int) for v in values)):
            found = (None, None)
        else:
            for value in values:
                problem = spec.problem(fn.name, value)
                if problem is not None:
                    found = (problem, value)
                    break
        if key is not None:
            self.problem_cache[key] = found
        return found

    def param_note(self, node: ast.Node, value) -> str:
        """`` (param n = 0)`` when ``node`` is a param use (``value`` its value there), else ''."""
        ref = node.operand if isinstance(node, ast.Neg) else node
        if not isinstance(ref, ast.ParamRef):
            return ""
        from rbts.dsl.param_domains import value_text

        shown = -value if isinstance(node, ast.Neg) and isinstance(value, (int, float)) else value
        return f" (param {ref.name} = {value_text(shown)})"

    def setting_values(self, node: ast.Node) -> list[tuple[int | float, str]]:
        """(number as written, note) for each value a setting's literal or param can take."""
        if isinstance(node, ast.ParamRef):
            domain = self.params.get(node.name)
            if domain is None:
                return []
            return [(v.value if isinstance(v, ast.Percent) else v, self.param_note(node, v)) for v in domain.values]
        return [(node.value, "")]

    def default_value(self, node: ast.Node):
        """A setting's value: a literal's, or a param's default (while every value is being checked)."""
        if isinstance(node, ast.ParamRef):
            value = self.params[node.name].default
            return value.value if isinstance(value, ast.Percent) else value
        return node.value

    # -- entry point
    def run(self) -> CheckedStrategy:
        s = self.s
        check_limits(self)
        check_settings(self)
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
        settings = resolve_settings(self)
        check_cycle_windows(self, settings)
        warn_semantics(self, rules, settings)
        if self.bag.errors:
            raise RbtsError(self.bag.errors, filename=self.filename)
        warnings = [d for d in self.bag.items if d.severity == "warning"]
        return CheckedStrategy(s, settings, rules, dict(self.lets), warnings, self.info)

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
            what = f"`{short(culprit)}`" if culprit is not None else "a per-ticker value"
            self.err(f"global rule {name!r} uses {what}, which is per ticker",
                     culprit if culprit is not None else rule.cond,
                     "global rules are evaluated once per cycle; use a symbol, e.g. close(SPY), or make it an entry rule")

    # -- expressions
    def expr(self, node: ast.Node, ctx: int) -> ExprInfo | None:
        info = self.visit(node, ctx)
        if info is not None:
            self.info[id(node)] = info
        return info

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

    def on_Duration(self, node, ctx):  # a window where a value belongs (possible in the JSON form)
        self.err(f"{type(node).__name__.lower()} cannot be used here", node)
        return None

    on_BarCount = on_Duration

    def on_Number(self, node, ctx):
        return ExprInfo("number", None, constant=True)

    on_Percent = on_Number

    def on_ParamRef(self, node: ast.ParamRef, ctx):
        domain = self.params.get(node.name)
        if domain is None or domain.kind == "duration":  # durations are replaced before checking
            self.err(f"param {node.name} cannot be used here", node)
            return None
        return ExprInfo("number", None, constant=True)

    def on_Name(self, node: ast.Name, ctx):
        if node.name in ast.FIELDS:
            return ExprInfo("number", ctx, per_ticker=True)
        if node.name in self.lets:
            return self.info.get(id(self.lets[node.name].expr))
        if node.name in self.bad_lets:
            return None
        if node.name in FUNCTIONS:
            self.err(f"{node.name} is a function: write {FUNCTIONS[node.name].usage}", node)
            return None
        if node.name in self.every_let:
            self.err(f"let {node.name!r} is used before it is defined", node)
            return None
        close = []
        if self.hints_left > 0:
            self.hints_left -= 1
            close = difflib.get_close_matches(node.name, [*ast.FIELDS, *self.lets, *FUNCTIONS], n=1)
        hint = f"did you mean {close[0]!r}?" if close else None
        self.err(f"unknown name {node.name!r}", node, hint)
        return None

    def on_Symbol(self, node: ast.Symbol, ctx):
        self.symbols_used.setdefault(node.name, node)
        return ExprInfo("number", ctx)

    def on_Neg(self, node: ast.Neg, ctx):
        info = self.number_operand(node.operand, ctx, "negated")
        return info and replace(info)

    def on_BinOp(self, node: ast.BinOp, ctx):
        left = self.number_operand(node.left, ctx, f"an operand of {node.op}")
        right = self.number_operand(node.right, ctx, f"an operand of {node.op}")
        if left is None or right is None:
            return None
        divisors = self.literal_values(node.right) if node.op == "/" else None
        if divisors is not None and 0 in divisors:
            self.err(f"division by zero{self.param_note(node.right, 0)}", node.right)
            return None
        return _combine(left, right, "number")

    def on_Call(self, node: ast.Call, ctx):
        return check_call(self, node, ctx)

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

    def on_Compare(self, node: ast.Compare, ctx):
        return self.comparison(node, (node.left, node.right), ctx, node.op)

    def on_Cross(self, node: ast.Cross, ctx):
        info = self.comparison(node, (node.left, node.right), ctx, "crosses")
        if info is not None and info.timeframe_s is None:
            self.err("crosses needs at least one series (two constants never cross)", node)
            return None
        return info

    def on_Between(self, node: ast.Between, ctx):
        return self.comparison(node, (node.value, node.low, node.high), ctx, "between")

    def on_TimeIn(self, node, ctx):
        return ExprInfo("bool", None)

    on_TimeBetween = on_TimeIn

    def temporal(self, node, ctx, word):
        info = self.bool_operand(node.cond, ctx, f"the condition of `{word}`")
        self.cycle_windows.append((node, node.window))
        return info and replace(info, kind="bool")

    def on_Within(self, node, ctx):
        return self.temporal(node, ctx, "within")

    def on_For(self, node, ctx):
        return self.temporal(node, ctx, "for")

    def on_Not(self, node: ast.Not, ctx):
        info = self.bool_operand(node.operand, ctx, "negated with `not`")
        return info

    def boolean(self, node, ctx, word):
        left = self.bool_operand(node.left, ctx, f"an operand of `{word}`")
        right = self.bool_operand(node.right, ctx, f"an operand of `{word}`")
        if left is None or right is None:
            return None
        return _combine(left, right, "bool")

    def on_And(self, node, ctx):
        return self.boolean(node, ctx, "and")

    def on_Or(self, node, ctx):
        return self.boolean(node, ctx, "or")


def _combine(a: ExprInfo, b: ExprInfo, kind) -> ExprInfo:
    tfs = [t for t in (a.timeframe_s, b.timeframe_s) if t is not None]
    return ExprInfo(kind, min(tfs) if tfs else None, a.per_ticker or b.per_ticker, a.constant and b.constant)


def _line(node: ast.Node | None) -> int:
    return node.span.line if node is not None and node.span else 0


def _first_per_ticker(node: ast.Node, checker: Checker) -> ast.Node | None:
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
    """Check a parsed strategy; raises RbtsError with every error found.

    A strategy with params is checked for every value of their domains (:mod:`rbts.dsl.params`).
    """
    if strategy.params or _uses_params(strategy):
        from rbts.dsl.params import check_params

        return check_params(strategy, filename)
    return Checker(strategy, filename).run()


def _uses_params(strategy: ast.Strategy) -> bool:
    from rbts.dsl.param_refs import uses

    return bool(uses(strategy))


def check_text(text: str, filename: str | None = None) -> CheckedStrategy:
    """Parse and check a strategy's text (the front door, :func:`rbts.dsl.load.load_strategy`)."""
    from rbts.dsl.load import load_strategy

    return load_strategy(text, filename=filename)


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
