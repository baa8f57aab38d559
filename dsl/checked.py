"""What the checker hands to every later stage: :class:`CheckedStrategy`.

The AST plus resolved settings, rule names, and for every expression node its kind
(number/bool), timeframe and whether it is per ticker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from rbts.dsl import ast
from rbts.dsl.errors import Diagnostic
from rbts.dsl.settings import ResolvedSettings


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

    def constant(self, node: ast.Node) -> int | float:
        """The value of a numeric constant argument (``9``, ``-0.5``, ``2%`` as 0.02)."""
        if isinstance(node, ast.Neg):
            return -self.constant(node.operand)
        if isinstance(node, ast.Percent):
            return node.fraction
        return node.value
