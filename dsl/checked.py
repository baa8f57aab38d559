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


@dataclass(frozen=True)
class Origin:
    """Where a checked strategy was read from (set by :func:`rbts.dsl.load.load_strategy`)."""

    filename: str | None  # the file, or the name given to a text (error messages)
    text: str | None  # the text as read (None for a JSON dict)
    form: Literal["rbts", "json"]
    recorded_name: str | None = None  # a JSON form's "name" (kept when its name was defaulted)


@dataclass
class CheckedStrategy:
    strategy: ast.Strategy
    settings: ResolvedSettings
    rules: list[CheckedRule]
    lets: dict[str, ast.Let]
    warnings: list[Diagnostic] = field(default_factory=list)
    _info: dict[int, ExprInfo] = field(default_factory=dict, repr=False)
    origin: Origin | None = None
    # Params (SPEC §6.1): name -> rbts.dsl.param_domains.ParamDomain, in declaration order, each
    # ``default`` the value in force.  ``strategy`` is the declared form (params and their uses,
    # for the formatter, the JSON form and the app); ``rules``, ``lets``, ``settings`` and
    # ``info`` are of ``program``, the strategy with every use replaced by its value.
    params: dict = field(default_factory=dict)
    program: ast.Strategy | None = None

    def __post_init__(self):
        if self.program is None:
            self.program = self.strategy

    @property
    def rule_names(self) -> list[str]:
        return [r.name for r in self.rules]

    def info(self, node: ast.Node) -> ExprInfo:
        """Kind, timeframe and scope of an expression node of this strategy."""
        return self._info[id(node)]

    def let_info(self, name: str) -> ExprInfo:
        return self.info(self.lets[name].expr)

    def json_form(self) -> dict:
        """The JSON form (SPEC §2.6); a name not written comes from the file (its stem, or the
        name a JSON form recorded)."""
        from rbts.dsl.json_form import to_json

        origin = self.origin
        return to_json(self.strategy, filename=origin.filename if origin else None, settings=self.settings,
                       default_name=origin.recorded_name if origin else None)

    def render_warnings(self) -> list[str]:
        """Each warning as ``FILE:LINE:COL: warning: ...`` with its source line."""
        origin = self.origin
        return [w.render(origin.filename if origin else None, origin.text if origin else None) for w in self.warnings]

    def constant(self, node: ast.Node) -> int | float:
        """The value of a numeric constant argument (``9``, ``-0.5``, ``2%`` as 0.02)."""
        if isinstance(node, ast.Neg):
            return -self.constant(node.operand)
        if isinstance(node, ast.Percent):
            return node.fraction
        return node.value
