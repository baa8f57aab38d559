"""Parameters (SPEC §6.1): checking a strategy for every value of its params, and binding them.

The interface the rest of RBTS uses:

- ``checked.params``: name -> :class:`~rbts.dsl.param_domains.ParamDomain` (``name``, ``kind``,
  ``default``, ``values``: every value in domain order), in declaration order.
- :func:`bind` ``(checked, {"fast": 12}) -> CheckedStrategy``: the same strategy with those
  params set (no re-parse; each value is checked against its domain, errors name the param).
- ``load_strategy(source, overrides={"fast": "12"})`` is ``bind`` of the loaded strategy, and
  is what ``--set fast=12`` does.

How a strategy with params is checked (:func:`check_params`): the declarations first (domains,
names, and that each use stands where a literal of the param's kind may); then the strategy is
checked once per combination of its *duration* params' values (they change timeframes, and
timeframes reach everywhere), with number and percent params left in place: the checker tests
every value of their domains where a literal value matters (indicator lengths, a divisor,
sizing, the order offset, risk percentages).  So every variant of a strategy that passes
compiles.  Finally the strategy is checked with every use replaced by its value
(:func:`instantiate`): that is what the compiler, backtests and the live bot see -- they never
meet a param.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import replace

from rbts.dsl import ast
from rbts.dsl.checked import CheckedStrategy
from rbts.dsl.errors import Diagnostic, RbtsError, Span
from rbts.dsl.param_domains import MAX_VALUES, ParamDomain, Value, value_node, value_text
from rbts.dsl.param_refs import rewrite, uses

__all__ = ["MAX_VALUES", "ParamDomain", "bind", "check_params", "instantiate", "value_text", "with_defaults"]

MAX_DURATION_COMBINATIONS = 20_000  # checker runs for the duration params' combinations


# ----------------------------------------------------------------------------- binding


def bind(checked: CheckedStrategy, values: Mapping[str, object]) -> CheckedStrategy:
    """``checked`` with the given params set: each value a domain value or its text
    (``12``, ``"12"``, ``"2%"``, ``"5m"``); RbtsError naming the param otherwise."""
    if not values:
        return checked
    params = checked.params
    bound = {}
    for name, given in values.items():
        domain = params.get(name)
        if domain is None:
            declared = ", ".join(params) or "none"
            raise RbtsError(f"unknown param {name} (the strategy declares: {declared})", filename=_filename(checked))
        try:
            bound[name] = domain.value_of(given)
        except RbtsError as exc:
            raise RbtsError(exc.diagnostics, filename=_filename(checked)) from None
    strategy = with_bound_defaults(checked.strategy, bound)
    out = _final_check(strategy, {n: replace(d, default=bound.get(n, d.default)) for n, d in params.items()},
                       _filename(checked))
    out.origin = checked.origin
    from rbts.dsl.param_checks import declaration_warnings

    out.warnings = sorted([*declaration_warnings(strategy), *out.warnings], key=_position)
    return out


def with_bound_defaults(strategy: ast.Strategy, values: Mapping[str, Value]) -> ast.Strategy:
    """The declared form with each named param's default replaced (the rest unchanged)."""
    params = tuple(replace(p, default=value_node(values[p.name], p.default.span)) if p.name in values else p
                   for p in strategy.params)
    return replace(strategy, params=params)


def with_defaults(text: str, values: Mapping[str, object], filename: str | None = None) -> str:
    """A strategy's text with each named param's default set to ``values`` (checked as by
    :func:`bind`): the file a user gets by editing the defaults by hand.  In ``.rbts`` text only
    the defaults change (layout and comments stay); a JSON form is written again."""
    from rbts.dsl.load import is_json_text, load_strategy

    checked = load_strategy(text, filename=filename)
    bound = bind(checked, values)
    if is_json_text(text) or (filename or "").lower().endswith(".json"):
        from rbts.dsl.json_form import dumps

        return dumps(bound.json_form())
    lines = text.split("\n")
    new = {p.name: p.default for p in bound.strategy.params}
    for param in sorted(checked.strategy.params, key=lambda p: (p.default.span.line, p.default.span.col), reverse=True):
        if param.name not in values:
            continue
        span = param.default.span
        row = lines[span.line - 1]
        lines[span.line - 1] = row[: span.col - 1] + _literal_text(new[param.name]) + row[span.end_col - 1:]
    return "\n".join(lines)


def _literal_text(node: ast.Node) -> str:
    from rbts.dsl.formatter import format_param_literal

    return format_param_literal(node)


def _filename(checked: CheckedStrategy) -> str | None:
    return checked.origin.filename if checked.origin else None


# ----------------------------------------------------------------------------- instantiation


def instantiate(strategy: ast.Strategy, values: Mapping[str, Value]) -> ast.Strategy:
    """The strategy with every use of a param in ``values`` replaced by its literal (at the
    use's position); uses of other params stay."""

    def literal(node: ast.Node) -> ast.Node | None:
        if isinstance(node, ast.ParamRef) and node.name in values:
            return _literal(values[node.name], node.span)
        return None

    body = tuple(rewrite(stmt, literal) for stmt in strategy.body)
    sizing, order, risks = strategy.sizing, strategy.order, strategy.risks
    if sizing is not None and isinstance(sizing.value, ast.ParamRef) and sizing.value.name in values:
        value = values[sizing.value.name]
        sizing = replace(sizing, value=value.value if isinstance(value, ast.Percent) else value)
    if order is not None:
        order = replace(order, offset=_setting(order.offset, values), ttl=_setting(order.ttl, values))
    risks = tuple(replace(r, percent=_setting(r.percent, values)) for r in risks)
    return replace(strategy, sizing=sizing, order=order, risks=risks, body=body)


def _setting(node, values):
    if isinstance(node, ast.ParamRef) and node.name in values:
        value = values[node.name]
        return value_node(value, node.span) if not isinstance(value, (int, float)) else ast.Number(value, span=node.span)
    return node


def _literal(value: Value, span: Span | None) -> ast.Node:
    """A value as it would be written at a use: a negative number is a negated literal."""
    if isinstance(value, (int, float)) and (value < 0 or (value == 0 and str(value).startswith("-"))):
        return ast.Neg(ast.Number(-value + 0, span=span), span=span)
    return value_node(value, span)


# ----------------------------------------------------------------------------- checking


def check_params(strategy: ast.Strategy, filename: str | None) -> CheckedStrategy:
    """Check a strategy that declares or uses params (see the module docstring)."""
    from rbts.dsl.param_checks import check_declarations

    domains = check_declarations(strategy, filename)
    durations = [d for d in domains.values() if d.kind == "duration"]
    combos = 1
    for d in durations:
        combos *= len(d.values)
    if combos > MAX_DURATION_COMBINATIONS:
        names = ", ".join(d.name for d in durations)
        raise RbtsError(Diagnostic(f"the duration params {names} have {combos:,} combinations to check, more than "
                                   f"{MAX_DURATION_COMBINATIONS:,}: narrow their domains", strategy.params[0].span),
                        filename=filename)
    cache: dict = {}  # a number param's values are checked once per use, not once per combination
    for combo in _combinations(durations):
        _validate(strategy, domains, combo, filename, cache)
    checked = _final_check(strategy, domains, filename)
    from rbts.dsl.param_checks import declaration_warnings

    checked.warnings = sorted([*declaration_warnings(strategy), *checked.warnings], key=_position)
    return checked


def _combinations(durations: list[ParamDomain]):
    """Every combination of the duration params' values, the defaults first."""
    defaults = {d.name: d.default for d in durations}
    yield defaults
    for values in itertools.product(*(d.values for d in durations)):
        combo = {d.name: v for d, v in zip(durations, values)}
        if combo != defaults:
            yield combo


def _validate(strategy: ast.Strategy, domains: dict[str, ParamDomain], combo: dict[str, Value],
              filename: str | None, cache: dict) -> None:
    from rbts.dsl.checker import Checker

    partial = instantiate(strategy, combo)
    checker = Checker(partial, filename, domains, cache)
    try:
        checker.run()
    except RbtsError as exc:
        raise RbtsError([_named(d, strategy, domains, combo) for d in exc.diagnostics], filename=filename) from None


def _named(diag: Diagnostic, strategy: ast.Strategy, domains, combo: dict[str, Value]) -> Diagnostic:
    """A diagnostic of a checked variant, naming the param values it depends on."""
    used = [ref for ref in uses(strategy) if ref.name in combo and ref.span == diag.span]
    if used:
        name = used[0].name
        note = f"param {name} = {value_text(combo[name])}"
    else:
        changed = {n: v for n, v in combo.items() if v != domains[n].default}
        if not changed:
            return diag
        note = "with " + ", ".join(f"param {n} = {value_text(v)}" for n, v in changed.items())
    if note in diag.message:
        return diag
    return replace(diag, message=f"{diag.message} ({note})")


def _final_check(strategy: ast.Strategy, domains: dict[str, ParamDomain], filename: str | None) -> CheckedStrategy:
    """The strategy with every param at its default (as bound): what everything downstream runs."""
    from rbts.dsl.checker import Checker

    program = instantiate(strategy, {name: d.default for name, d in domains.items()})
    checked = Checker(program, filename).run()
    checked.strategy = strategy
    checked.params = dict(domains)
    checked.program = program
    return checked


def _position(d: Diagnostic):
    return (d.span is None, d.span or Span(0, 0, 0, 0))
