"""Lowering: a checked strategy -> one :class:`~rbts.compiler.graph.Graph`.

Per-ticker rules (entry/exit) are lowered once per universe symbol; global rules
once.  Timeframes come from the checker (``checked.info(node).timeframe_s``), so
the compiler and the checker never disagree about what ``close`` means inside
``ema(close, 9, 5m)`` (5-minute closes).  Lets are inlined, lowered once per
ticker; the graph's hash-consing shares everything else.
"""

from __future__ import annotations

from rbts.compiler.graph import Column, Graph, RuleRef
from rbts.compiler.vector import apply_op
from rbts.dsl import ast
from rbts.dsl.checker import CheckedStrategy
from rbts.dsl.errors import Diagnostic, RbtsError
from rbts.dsl.formatter import format_expr

INDICATORS = ("ema", "sma", "wma", "hma", "dema", "rsi", "atr", "vwap", "bb_upper", "bb_middle", "bb_lower",
              "macd", "macd_signal")
WINDOWS = ("change", "pct_change", "slope", "highest", "lowest", "prev")


def lower(checked: CheckedStrategy) -> Graph:
    """The graph of a checked strategy (raises RbtsError for what only lowering sees)."""
    return _Lowering(checked).run()


class _Lowering:
    def __init__(self, checked: CheckedStrategy):
        self.checked = checked
        self.settings = checked.settings
        self.graph = Graph(self.settings)
        self.ticker: str | None = None
        self.let_nodes: dict[tuple[str, str | None], int] = {}
        self.columns: dict[str, Column] = {}

    def run(self) -> Graph:
        for rule in self.checked.rules:
            tickers = [None] if rule.scope == "global" else list(self.settings.universe)
            for ticker in tickers:
                self.ticker = ticker
                cond = self.cond(rule.cond)
                node = self.graph.add("rule", rule.scope, (rule.scope, rule.name, ticker), (cond,), None)
                self.graph.rules.append(RuleRef(rule.name, rule.scope, ticker, node))
        for name in self.checked.lets:  # lets no rule uses are still traced (their own columns)
            info = self.checked.let_info(name)
            if info.kind == "number" and name not in self.columns:
                for ticker in (self.settings.universe if info.per_ticker else (None,)):
                    self.ticker = ticker
                    self.let(name)
        lets = [name for name in self.checked.lets if name in self.columns]
        self.graph.columns = [self.columns[n] for n in lets] + [
            c for n, c in self.columns.items() if n not in self.checked.lets]
        return self.graph

    # -- helpers
    def tf(self, node: ast.Node) -> int | None:
        return self.checked.info(node).timeframe_s

    def column(self, text: str, node_id: int) -> None:
        col = self.columns.setdefault(text, Column(text))
        key = self.ticker if self.ticker in self.graph.nodes[node_id].symbols else None
        col.nodes.setdefault(key, node_id)

    def source(self, symbol: str, field: str, tf: int) -> int:
        return self.graph.add("source", field, (symbol,), (), tf)

    def at_timeframe(self, node_id: int, tf: int) -> int:
        """A series seen on a larger timeframe: its last value per ``tf`` bar."""
        node = self.graph.nodes[node_id]
        if node.tf is None or node.tf == tf:
            return node_id
        return self.graph.add("resample", "last", (), (node_id,), tf, on_clock=False)

    def window_bars(self, window: ast.Node, tf: int, where: ast.Node) -> int:
        if isinstance(window, ast.BarCount):
            return window.count
        if isinstance(window, ast.Duration):
            return window.seconds // tf
        if isinstance(window, ast.Number):
            return int(window.value)
        raise RbtsError(f"expected a window in {format_expr(where)}")

    # -- expressions
    def expr(self, node: ast.Node) -> int:
        method = getattr(self, f"e_{type(node).__name__}", None)
        if method is None:
            raise RbtsError(f"{type(node).__name__.lower()} cannot be used as a value here")
        return method(node)

    def e_Number(self, node: ast.Number) -> int:
        return self.graph.add("const", "", (float(node.value),), (), None, label=format_expr(node))

    def e_Percent(self, node: ast.Percent) -> int:
        return self.graph.add("const", "", (node.fraction,), (), None, label=format_expr(node))

    def e_Name(self, node: ast.Name) -> int:
        if node.name in ast.FIELDS:
            if self.ticker is None:
                raise RbtsError(f"`{node.name}` needs a ticker; it cannot be used in a global rule")
            return self.source(self.ticker, node.name, self.tf(node))
        return self.let(node.name)

    def let(self, name: str) -> int:
        key = (name, self.ticker)
        if key not in self.let_nodes:
            let = self.checked.lets[name]
            kind = self.checked.info(let.expr).kind
            node = self.expr(let.expr) if kind == "number" else self.cond(let.expr)
            self.let_nodes[key] = node
            if kind == "number":
                self.column(name, node)
        return self.let_nodes[key]

    def e_Symbol(self, node: ast.Symbol) -> int:
        return self.source(node.name, "close", self.tf(node))

    def e_Neg(self, node: ast.Neg) -> int:
        if isinstance(node.operand, (ast.Number, ast.Percent)):
            value = node.operand.value if isinstance(node.operand, ast.Number) else node.operand.fraction
            return self.graph.add("const", "", (-float(value),), (), None, label=format_expr(node))
        inner = self.expr(node.operand)
        return self.arith("neg", (inner,), node)

    def e_BinOp(self, node: ast.BinOp) -> int:
        return self.arith(node.op, (self.expr(node.left), self.expr(node.right)), node)

    def arith(self, op: str, inputs: tuple[int, ...], node: ast.Node) -> int:
        nodes = [self.graph.nodes[i] for i in inputs]
        if all(n.kind == "const" for n in nodes):  # constant folding
            value = float(apply_op(op, *[n.params[0] for n in nodes]))
            return self.graph.add("const", "", (value,), (), None, label=format_expr(node))
        tfs = [n.tf for n in nodes if n.tf is not None]
        tf = min(tfs)
        on_clock = all(t % tf == 0 for t in tfs)
        return self.graph.add("arith", op, (), inputs, tf, on_clock=on_clock, label=format_expr(node))

    def e_Call(self, node: ast.Call) -> int:
        func = node.func
        text = format_expr(node)
        if func in ast.FIELDS:
            result = self.source(node.args[0].name, func, self.tf(node))
        elif func in INDICATORS:
            result = self.indicator(node, text)
        elif func in WINDOWS:
            x = self.expr(node.args[0])
            tf = self.graph.nodes[x].tf
            k = self.window_bars(node.args[1], tf, node)
            result = self.graph.add("window", func, (k,), (x,), tf, label=text)
        else:
            raise RbtsError(f"unknown function {func!r}")
        self.column(text, result)
        return result

    def indicator(self, node: ast.Call, text: str) -> int:
        func = node.func
        tf = self.tf(node)
        args = node.args
        if func in ("atr", "vwap"):
            if self.ticker is None:
                raise RbtsError(f"{func} needs a ticker; it cannot be used in a global rule")
            fields = ("high", "low", "close") + (("volume",) if func == "vwap" else ())
            inputs = tuple(self.source(self.ticker, f, tf) for f in fields)
            params = (int(args[0].value),) if func == "atr" else ()
            return self.graph.add("indicator", func, params, inputs, tf, label=text)
        x = self.at_timeframe(self.expr(args[0]), tf)
        ints = [int(a.value) for a in args[1:] if isinstance(a, ast.Number) and isinstance(a.value, int)]
        if func in ("macd", "macd_signal"):
            fast, slow = ints[0], ints[1]
            if slow <= fast:
                err = RbtsError(f"{func}: the slow period ({slow}) must be larger than the fast one ({fast})")
                raise _positioned(err, node)
            macd = self.graph.add("indicator", "macd", (fast, slow), (x,), tf,
                                  label=text if func == "macd" else "")
            if func == "macd":
                return macd
            return self.graph.add("indicator", "ema", (ints[2],), (macd,), tf, label=text)
        if func.startswith("bb_"):
            k = _number_value(args[2])
            return self.graph.add("indicator", func, (ints[0], k), (x,), tf, label=text)
        if func == "hma" and ints[0] < 2:
            raise _positioned(RbtsError("hma needs a period of at least 2"), node)
        return self.graph.add("indicator", func, (ints[0],), (x,), tf, label=text)

    # -- conditions
    def cond(self, node: ast.Node) -> int:
        method = getattr(self, f"c_{type(node).__name__}", None)
        if method is None:
            raise _positioned(RbtsError(f"{format_expr(node)} is not a condition"), node)
        return method(node)

    def add_cond(self, op: str, params: tuple, inputs: tuple[int, ...], node: ast.Node) -> int:
        operands = {ast.Compare: ("left", "right"), ast.Cross: ("left", "right"),
                    ast.Between: ("value", "low", "high")}.get(type(node), ())
        labels = tuple(format_expr(getattr(node, f)) for f in operands)
        return self.graph.add("cond", op, params, inputs, None, label=format_expr(node), operand_labels=labels)

    def c_Name(self, node: ast.Name) -> int:
        return self.let(node.name)

    def c_Compare(self, node: ast.Compare) -> int:
        return self.add_cond("compare", (node.op,), (self.expr(node.left), self.expr(node.right)), node)

    def c_Cross(self, node: ast.Cross) -> int:
        return self.add_cond("cross", (node.direction,), (self.expr(node.left), self.expr(node.right)), node)

    def c_Between(self, node: ast.Between) -> int:
        ins = (self.expr(node.value), self.expr(node.low), self.expr(node.high))
        return self.add_cond("between", (), ins, node)

    def c_TimeIn(self, node: ast.TimeIn) -> int:
        return self.add_cond("time_in", (node.session,), (), node)

    def c_TimeBetween(self, node: ast.TimeBetween) -> int:
        return self.add_cond("time_between", (node.start, node.end), (), node)

    def temporal(self, op: str, node) -> int:
        window = node.window
        cycle = self.settings.cycle_seconds
        n = window.count if isinstance(window, ast.BarCount) else max(1, window.seconds // cycle)
        return self.add_cond(op, (n,), (self.cond(node.cond),), node)

    def c_Within(self, node: ast.Within) -> int:
        return self.temporal("within", node)

    def c_For(self, node: ast.For) -> int:
        return self.temporal("for", node)

    def c_Not(self, node: ast.Not) -> int:
        return self.add_cond("not", (), (self.cond(node.operand),), node)

    def c_And(self, node: ast.And) -> int:
        return self.add_cond("and", (), (self.cond(node.left), self.cond(node.right)), node)

    def c_Or(self, node: ast.Or) -> int:
        return self.add_cond("or", (), (self.cond(node.left), self.cond(node.right)), node)


def _number_value(node: ast.Node) -> float:
    if isinstance(node, ast.Neg):
        return -_number_value(node.operand)
    return float(node.value)


def _positioned(error: RbtsError, node: ast.Node) -> RbtsError:
    return RbtsError(Diagnostic(error.diagnostics[0].message, node.span))
