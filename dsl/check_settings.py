"""The checker's part for settings (SPEC §2.1): their checks and their resolution.

Each function takes the running checker (:class:`rbts.dsl.checker.Checker`), which
collects the errors and knows the bar size.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from rbts.dsl import ast
from rbts.dsl.checked import CheckedRule
from rbts.dsl.errors import Span
from rbts.dsl.limits import CAPITAL_MAX, bars_problem, capital_problem, duration_problem
from rbts.dsl.settings import DEFAULT_BARS_SECONDS, ResolvedOrder, ResolvedSettings
from rbts.dsl.symbols import is_index

if TYPE_CHECKING:
    from rbts.dsl.checker import Checker

DAY = 86_400


def check_settings(c: Checker) -> None:
    s = c.s
    check_universe(c)
    if s.capital is not None and capital_problem(s.capital.value):
        c.err(capital_problem(s.capital.value), s.capital)
    if s.bars is not None and DAY % s.bars.seconds:
        c.err(f"bars {s.bars.text} does not divide a day evenly", s.bars)
        c.bars = DEFAULT_BARS_SECONDS
    if s.cycle is not None:
        c.check_timeframe(s.cycle, "cycle")
    if s.sizing is not None and s.sizing.kind != "equal":
        node = _sizing_node(s.sizing)
        where = node if isinstance(node, ast.ParamRef) else s.sizing
        for value, note in c.setting_values(node):
            if s.sizing.kind == "percent" and not 0 < value <= 100:
                c.err("sizing percent must be above 0% and at most 100%" + note, where)
                break
            if s.sizing.kind == "fixed" and not 0 < value <= CAPITAL_MAX:
                c.err(f"sizing amount must be above 0 and at most {CAPITAL_MAX:,.0f} USD" + note, where)
                break
    if s.order is not None and s.order.kind == "limit":
        if s.order.offset is not None:
            _check_each(c, s.order.offset, lambda v: 0 <= v < 100, "limit offset must be at least 0% and below 100%")
        ttl = s.order.ttl
        if isinstance(ttl, ast.Duration) and ttl.seconds % c.bars:
            c.err(f"ttl {ttl.text} is not a multiple of the bar size {ast.Duration(c.bars).text}", ttl)
    for risk in s.risks:
        _check_each(c, risk.percent, lambda v: 0 < v < 100, f"{risk.kind} must be above 0% and below 100%")
    if s.fees is not None and not 0 <= s.fees.value < 100:
        c.err("fees must be at least 0% and below 100%", s.fees)


def _check_each(c: Checker, node: ast.Node, ok, message: str) -> None:
    """Report the first value of a setting's literal or param that is not ``ok``."""
    for value, note in c.setting_values(node):
        if not ok(value):
            c.err(message + note, node)
            return


def check_universe(c: Checker) -> None:
    if not c.s.universe:
        c.err("the strategy has no universe (add e.g. `universe: AAPL, MSFT`)", Span.point(1, 1))
        return
    seen: dict[str, ast.Symbol] = {}
    for sym in c.s.universe:
        if sym.name in seen:
            c.err(f"{sym.name} is listed twice in the universe", sym)
        elif is_index(sym.name):
            c.err(f"{sym.name} is an index: data only, it cannot be traded", sym,
                  "remove it from the universe; rules can still use it")
        seen[sym.name] = sym


def resolve_settings(c: Checker) -> ResolvedSettings:
    s = c.s
    defaulted = [k for k in ("name", "universe", "capital", "cycle", "bars", "sizing", "order", "fees")
                 if getattr(s, k) is None]
    universe = tuple(sym.name for sym in s.universe or ())
    cycle = s.cycle.seconds if s.cycle is not None else min(c.compared_timeframes, default=c.bars)
    risks = {r.kind: c.default_value(r.percent) / 100 for r in s.risks}
    sizing = s.sizing or ast.Sizing("equal")
    sizing_value = None
    if sizing.kind == "percent":
        sizing_value = c.default_value(_sizing_node(sizing)) / 100
    elif sizing.kind == "fixed":
        sizing_value = float(c.default_value(_sizing_node(sizing)))
    return ResolvedSettings(
        name=s.name or "",
        universe=universe,
        capital=float(s.capital.value) if s.capital else 10_000.0,
        cycle_seconds=cycle,
        bars_seconds=c.bars,
        sizing_kind=sizing.kind,
        sizing_value=sizing_value,
        order=resolve_order(s.order, cycle, c.default_value),
        max_daily_loss=risks.get("max_daily_loss"),
        stop_loss=risks.get("stop_loss"),
        take_profit=risks.get("take_profit"),
        trailing_stop=risks.get("trailing_stop"),
        broker_stop=risks.get("broker_stop"),
        fees=s.fees.fraction if s.fees else 0.0,
        data_symbols=tuple(sorted(n for n in c.symbols_used if n not in universe)),
        defaulted=tuple(defaulted),
    )


def _sizing_node(sizing: ast.Sizing) -> ast.Node:
    return sizing.value if isinstance(sizing.value, ast.Node) else ast.Number(sizing.value)


def resolve_order(order: ast.Order | None, cycle: int, value_of=lambda node: node.value) -> ResolvedOrder:
    if order is None:
        return replace(ResolvedOrder(), ttl_seconds=cycle)
    if order.kind == "market":
        return ResolvedOrder("market", 0.0, None)
    ttl = order.ttl
    ttl_s = cycle if ttl is None else (ttl.count * cycle if isinstance(ttl, ast.BarCount) else ttl.seconds)
    offset = value_of(order.offset) / 100 if order.offset is not None else ResolvedOrder().offset
    return ResolvedOrder("limit", offset, ttl_s)


def check_cycle_windows(c: Checker, settings: ResolvedSettings) -> None:
    """within/for windows are counted in cycles; a ttl shorter than a cycle is a warning."""
    cycle = settings.cycle_seconds
    if c.s.cycle is None and cycle % c.bars:
        return
    if c.s.cycle is not None and c.s.cycle.seconds % c.bars:
        return
    for node, window in c.cycle_windows:
        word = "within" if isinstance(node, ast.Within) else "for"
        if isinstance(window, ast.Duration) and window.seconds % cycle:
            c.err(f"`{word}` window {window.text} is not a multiple of the cycle {ast.Duration(cycle).text}",
                  window, "within/for count cycles")
        elif isinstance(window, ast.Duration) and not duration_problem(window.seconds, ""):
            problem = bars_problem(window.seconds // cycle, f"cycles of {ast.Duration(cycle).text}",
                                   f"`{word}` window {window.text}")
            if problem:
                c.err(problem, window)
    ttl = c.s.order.ttl if c.s.order else None
    if isinstance(ttl, ast.Duration) and ttl.seconds < cycle and ttl.seconds % c.bars == 0:
        c.bag.warning(f"ttl {ttl.text} is shorter than the cycle {ast.Duration(cycle).text}", ttl.span)


def warn_semantics(c: Checker, rules: list[CheckedRule], settings: ResolvedSettings) -> None:
    if c.bag.errors:
        return
    scopes = {r.scope for r in rules}
    if "entry" not in scopes:
        c.bag.warning("the strategy has no entry rule, so it never buys", Span.point(1, 1))
    elif "exit" not in scopes and not (settings.stop_loss or settings.take_profit or settings.trailing_stop
                                       or settings.broker_stop):
        c.bag.warning("no exit rule and no stop: positions are never closed", Span.point(1, 1))
