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
from rbts.dsl.checked import CheckedStrategy
from rbts.dsl.dispatch import Backend
from rbts.dsl.errors import RbtsError
from rbts.dsl.formatter import format_expr
from rbts.dsl.functions import FUNCTIONS, Function


def lower(checked: CheckedStrategy) -> Graph:
    """The graph of a checked strategy (every argument constraint was checked before)."""
    return Lowering(checked).run()


class Lowering(Backend):
    """``on_<Node>`` lowers an expression or condition node and returns its graph node id."""

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
                cond = self.expr(rule.cond)
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

    def window_bars(self, window: ast.Node, tf: int) -> int:
        if isinstance(window, ast.BarCount):
            return window.count
        if isinstance(window, ast.Duration):
            return window.seconds // tf
        return int(self.checked.constant(window))

    # -- expressions
    def expr(self, node: ast.Node) -> int:
        return self.visit(node)

    def on_Number(self, node: ast.Number) -> int:
        return self.graph.add("const", "", (float(node.value),), (), None, label=format_expr(node))

    def on_Percent(self, node: ast.Percent) -> int:
        return self.graph.add("const", "", (node.fraction,), (), None, label=format_expr(node))

    def on_Name(self, node: ast.Name) -> int:
        if node.name in ast.FIELDS:
            if self.ticker is None:
                raise RbtsError(f"`{node.name}` needs a ticker; it cannot be used in a global rule")
            return self.source(self.ticker, node.name, self.tf(node))
        return self.let(node.name)

    def let(self, name: str) -> int:
        """A let's node. The lets it uses are lowered first, oldest first, so that lowering
        never recurses through a chain of lets (hundreds of them stay within Python's stack)."""
        if (name, self.ticker) not in self.let_nodes:
            for used in lets_used(self.checked, name):
                self.lower_let(used)
        return self.let_nodes[(name, self.ticker)]

    def lower_let(self, name: str) -> None:
        key = (name, self.ticker)
        if key not in self.let_nodes:
            let = self.checked.lets[name]
            node = self.expr(let.expr)
            self.let_nodes[key] = node
            if self.checked.info(let.expr).kind == "number":
                self.column(name, node)

    def on_Symbol(self, node: ast.Symbol) -> int:
        return self.source(node.name, "close", self.tf(node))

    def on_Neg(self, node: ast.Neg) -> int:
        if isinstance(node.operand, (ast.Number, ast.Percent)):
            return self.graph.add("const", "", (float(self.checked.constant(node)),), (), None,
                                  label=format_expr(node))
        inner = self.expr(node.operand)
        return self.arith("neg", (inner,), node)

    def on_BinOp(self, node: ast.BinOp) -> int:
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

    def on_Call(self, node: ast.Call) -> int:
        fn = FUNCTIONS[node.func]
        text = format_expr(node)
        if fn.family == "field":
            result = self.source(node.args[0].name, fn.name, self.tf(node))
        elif fn.family == "indicator":
            result = self.indicator(fn, node, text)
        else:
            x = self.expr(node.args[0])
            tf = self.graph.nodes[x].tf
            k = self.window_bars(node.args[1], tf)
            result = self.graph.add("window", fn.name, (k,), (x,), tf, label=text)
        self.column(text, result)
        return result

    def indicator(self, fn: Function, node: ast.Call, text: str) -> int:
        """The chain of graph indicator nodes of ``fn`` (one for most; macd_signal is ema of macd)."""
        tf = self.tf(node)
        values = [self.checked.constant(arg) for spec, arg in zip(fn.args, node.args) if spec in fn.numeric_args]
        values = [int(v) if spec.kind == "int" else float(v) for spec, v in zip(fn.numeric_args, values)]
        if fn.per_ticker:
            if self.ticker is None:
                raise RbtsError(f"{fn.name} needs a ticker; it cannot be used in a global rule")
            inputs = tuple(self.source(self.ticker, f, tf) for f in fn.nautilus.inputs)
        else:
            inputs = (self.at_timeframe(self.expr(node.args[0]), tf),)
        steps = fn.graph_steps()
        for i, (op, which) in enumerate(steps):
            label = text if i == len(steps) - 1 else ""
            node_id = self.graph.add("indicator", op, tuple(values[j] for j in which), inputs, tf, label=label)
            inputs = (node_id,)
        return node_id

    # -- conditions
    def add_cond(self, op: str, params: tuple, inputs: tuple[int, ...], node: ast.Node) -> int:
        operands = {ast.Compare: ("left", "right"), ast.Cross: ("left", "right"),
                    ast.Between: ("value", "low", "high")}.get(type(node), ())
        labels = tuple(format_expr(getattr(node, f)) for f in operands)
        return self.graph.add("cond", op, params, inputs, None, label=format_expr(node), operand_labels=labels)

    def on_Compare(self, node: ast.Compare) -> int:
        return self.add_cond("compare", (node.op,), (self.expr(node.left), self.expr(node.right)), node)

    def on_Cross(self, node: ast.Cross) -> int:
        return self.add_cond("cross", (node.direction,), (self.expr(node.left), self.expr(node.right)), node)

    def on_Between(self, node: ast.Between) -> int:
        ins = (self.expr(node.value), self.expr(node.low), self.expr(node.high))
        return self.add_cond("between", (), ins, node)

    def on_TimeIn(self, node: ast.TimeIn) -> int:
        return self.add_cond("time_in", (node.session,), (), node)

    def on_TimeBetween(self, node: ast.TimeBetween) -> int:
        return self.add_cond("time_between", (node.start, node.end), (), node)

    def temporal(self, op: str, node) -> int:
        window = node.window
        cycle = self.settings.cycle_seconds
        n = window.count if isinstance(window, ast.BarCount) else max(1, window.seconds // cycle)
        return self.add_cond(op, (n,), (self.expr(node.cond),), node)

    def on_Within(self, node: ast.Within) -> int:
        return self.temporal("within", node)

    def on_For(self, node: ast.For) -> int:
        return self.temporal("for", node)

    def on_Not(self, node: ast.Not) -> int:
        return self.add_cond("not", (), (self.expr(node.operand),), node)

    def on_And(self, node: ast.And) -> int:
        return self.add_cond("and", (), (self.expr(node.left), self.expr(node.right)), node)

    def on_Or(self, node: ast.Or) -> int:
        return self.add_cond("or", (), (self.expr(node.left), self.expr(node.right)), node)


def lets_used(checked: CheckedStrategy, name: str) -> list[str]:
    """``name`` and every let it uses, directly or not, in definition order (a let only uses
    earlier ones, so each can be lowered once its predecessors are)."""
    seen, stack = {name}, [checked.lets[name].expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and node.name in checked.lets and node.name not in seen:
            seen.add(node.name)
            stack.append(checked.lets[node.name].expr)
        stack.extend(node.children())
    return [n for n in checked.lets if n in seen]
