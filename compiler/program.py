"""The compiler's front door: a checked strategy -> a :class:`Program`.

    from rbts.dsl.checker import check_text
    from rbts.compiler.program import compile_strategy

    program = compile_strategy(check_text(text))
    program.graph.to_text()                # what `rbts compile --graph` prints
    result = program.evaluate(frames)      # vectorised: traces, charts
    evaluator = program.incremental()      # protocol.IncrementalEvaluator: backtests, live
"""

from __future__ import annotations

from dataclasses import dataclass

from rbts.compiler.graph import Graph
from rbts.compiler.incremental import IncrementalProgram
from rbts.compiler.lowering import lower
from rbts.compiler.vector import VectorResult, evaluate
from rbts.dsl.checker import CheckedStrategy


@dataclass(frozen=True)
class Program:
    checked: CheckedStrategy
    graph: Graph

    @property
    def settings(self):
        return self.checked.settings

    def evaluate(self, frames: dict, symbols=None) -> VectorResult:
        """Every rule and value over base-bar frames (symbol -> DataFrame by UTC close time);
        with ``symbols``, only the global rules and those tickers' rules and columns."""
        return evaluate(self.graph, frames, symbols)

    def incremental(self) -> IncrementalProgram:
        """A fresh bar-by-bar evaluator (one per run: it keeps state)."""
        return IncrementalProgram(self.graph)


def compile_strategy(checked: CheckedStrategy) -> Program:
    return Program(checked, lower(checked))
