"""The settings form's model: form values <-> the settings fields of a Strategy AST.

A field the user leaves at its default stays unwritten (``None`` in the AST), so the
form never adds lines the user did not ask for.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from rbts.dsl import ast
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
    sizing_value: float = 0.0
    order: str = ""  # "" = default (limit 0.05% ttl 1 cycle) | limit | market
    limit_offset: float = 0.05  # percent
    ttl: str = ""  # "" = 1 cycle; "5m"; "2 cycles"
    risks: dict[str, float] = field(default_factory=dict)  # kind -> percent
    fees: float = 0.0  # percent


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def spec_from_strategy(s: ast.Strategy) -> SettingsSpec:
    order, offset, ttl = "", 0.05, ""
    if s.order is not None:
        order = s.order.kind
        if s.order.offset is not None:
            offset = s.order.offset.value
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
        sizing_value=float(sizing_value),
        order=order, limit_offset=float(offset), ttl=ttl,
        risks={r.kind: float(r.percent.value) for r in s.risks},
        fees=float(s.fees.value) if s.fees is not None else 0.0,
    )


def _ttl_text(ttl: ast.Duration | ast.BarCount) -> str:
    if isinstance(ttl, ast.BarCount):
        return f"{ttl.count} cycle" if ttl.count == 1 else f"{ttl.count} cycles"
    return ttl.text


def _ttl_node(text: str) -> ast.Duration | ast.BarCount:
    text = text.strip()
    if text.endswith(("cycles", "cycle")):
        return window_node(text.replace("cycles", "bars").replace("cycle", "bar"))
    return window_node(text)


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
        value = None if spec.sizing == "equal" else _num(spec.sizing_value)
        changes["sizing"] = ast.Sizing(spec.sizing, value)
    if (spec.order, spec.limit_offset, spec.ttl) != (old.order, old.limit_offset, old.ttl):
        changes["order"] = _order_node(spec)
    if spec.risks != old.risks:
        changes["risks"] = tuple(ast.Risk(kind, ast.Percent(_num(v)))
                                 for kind, v in spec.risks.items() if v)
    if spec.fees != old.fees:
        changes["fees"] = ast.Percent(_num(spec.fees)) if spec.fees else None
    return replace(s, **changes) if changes else s


def _order_node(spec: SettingsSpec) -> ast.Order | None:
    if spec.order == "market":
        return ast.Order("market")
    if spec.order == "limit":
        return ast.Order("limit", ast.Percent(_num(spec.limit_offset)), _ttl_node(spec.ttl) if spec.ttl else None)
    return None

