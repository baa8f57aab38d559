"""The settings form's model: form values <-> the settings fields of a Strategy AST.

A field the user leaves at its default stays unwritten (``None`` in the AST), so the
form never adds lines the user did not ask for.  Where the language takes a param (SPEC
§6.1: the sizing value, the limit offset and ttl, the risks), a field may hold a param's
name instead of a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from rbts.dsl import ast
from rbts.dsl.formatter import format_window
from rbts.dsl.settings import DEFAULT_CAPITAL
from rbts.ui.builder_model import window_node


@dataclass(frozen=True)
class SettingsSpec:
    name: str = ""
    universe: tuple[str, ...] = ()
    capital: float = DEFAULT_CAPITAL
    cycle: str = ""  # "" = smallest timeframe used
    bars: str = ""  # "" = 1m
    sizing: str = "equal"  # equal | percent | fixed
    sizing_value: float | str = 0.0  # a str: a percent param (percent) or a number param (fixed)
    order: str = ""  # "" = default (limit 0.05% ttl 1 cycle) | limit | market
    limit_offset: float | str = 0.05  # percent, or a percent param's name
    ttl: str = ""  # "" = 1 cycle; "5m"; "2 cycles"; a duration param's name
    risks: dict[str, float | str] = field(default_factory=dict)  # kind -> percent, or a percent param's name
    fees: float = 0.0  # percent


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _value(node: ast.Node | int | float) -> float | str:
    """A setting's value as the form holds it: a param's name, or the number as written."""
    if isinstance(node, ast.ParamRef):
        return node.name
    return float(node.value if isinstance(node, ast.Node) else node)


def _percent_node(value: float | str) -> ast.Percent | ast.ParamRef:
    return ast.ParamRef(value) if isinstance(value, str) else ast.Percent(_num(value))


def check_param_kinds(spec: SettingsSpec, params: dict[str, str]) -> None:
    """ValueError when the sizing's param is of the other kind than the sizing asks for
    (``sizing: NAME`` sizes by the param's kind: a percent of equity, or USD)."""
    if spec.sizing == "equal" or not isinstance(spec.sizing_value, str):
        return
    wanted = "percent" if spec.sizing == "percent" else "number"
    kind = params.get(spec.sizing_value)
    if kind is not None and kind != wanted:
        shown = {"percent": "% of equity", "fixed": "fixed USD"}[spec.sizing]
        raise ValueError(f"sizing '{shown}' takes a {wanted} param; {spec.sizing_value} is a {kind}")


def spec_from_strategy(s: ast.Strategy) -> SettingsSpec:
    order, offset, ttl = "", 0.05, ""
    if s.order is not None:
        order = s.order.kind
        if s.order.offset is not None:
            offset = _value(s.order.offset)
        if s.order.ttl is not None:
            ttl = _ttl_text(s.order.ttl)
    sizing_value = s.sizing.value if s.sizing is not None and s.sizing.value is not None else 0.0
    return SettingsSpec(
        name=s.name or "",
        universe=tuple(sym.name for sym in s.universe or ()),
        capital=float(s.capital.value) if s.capital is not None else DEFAULT_CAPITAL,
        cycle=s.cycle.text if s.cycle else "",
        bars=s.bars.text if s.bars else "",
        sizing=s.sizing.kind if s.sizing else "equal",
        sizing_value=_value(sizing_value),
        order=order, limit_offset=offset, ttl=ttl,
        risks={r.kind: _value(r.percent) for r in s.risks},
        fees=float(s.fees.value) if s.fees is not None else 0.0,
    )


def _ttl_text(ttl: ast.Duration | ast.BarCount | ast.ParamRef) -> str:
    return format_window(ttl, unit="cycle")


def _ttl_node(text: str) -> ast.Duration | ast.BarCount | ast.ParamRef:
    cycles = re.fullmatch(r"(\d+)\s*cycles?", text.strip())
    return window_node(f"{cycles.group(1)} bars" if cycles else text)


def apply_spec(s: ast.Strategy, spec: SettingsSpec) -> ast.Strategy:
    """``s`` with the form's settings; fields equal to what ``s`` already means are kept as written."""
    old = spec_from_strategy(s)
    changes: dict = {}
    if spec.name != old.name:
        changes["name"] = spec.name.strip() or None
    if spec.universe != old.universe:
        changes["universe"] = tuple(ast.Symbol(x) for x in spec.universe) or None
    if spec.capital != old.capital:
        changes["capital"] = ast.Number(_num(spec.capital))
    if spec.cycle != old.cycle:
        changes["cycle"] = window_node(spec.cycle) if spec.cycle else None
    if spec.bars != old.bars:
        changes["bars"] = window_node(spec.bars) if spec.bars else None
    if (spec.sizing, spec.sizing_value) != (old.sizing, old.sizing_value):
        value = spec.sizing_value
        value = None if spec.sizing == "equal" else ast.ParamRef(value) if isinstance(value, str) else _num(value)
        changes["sizing"] = ast.Sizing(spec.sizing, value)
    if (spec.order, spec.limit_offset, spec.ttl) != (old.order, old.limit_offset, old.ttl):
        changes["order"] = _order_node(spec)
    if spec.risks != old.risks:
        changes["risks"] = tuple(ast.Risk(kind, _percent_node(v)) for kind, v in spec.risks.items() if v)
    if spec.fees != old.fees:
        changes["fees"] = ast.Percent(_num(spec.fees)) if spec.fees else None
    return replace(s, **changes) if changes else s


def _order_node(spec: SettingsSpec) -> ast.Order | None:
    if spec.order == "market":
        return ast.Order("market")
    if spec.order == "limit":
        return ast.Order("limit", _percent_node(spec.limit_offset), _ttl_node(spec.ttl) if spec.ttl else None)
    return None

