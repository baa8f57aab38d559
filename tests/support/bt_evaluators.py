"""Small, real IncrementalEvaluators for the backtest tests (no compiler needed).

* :class:`SmaCross` -- entry ``sma(close, fast) crosses_above sma(close, slow)``, exit
  ``crosses_below``, optional global rule ``close(GATE) < gate_max``; SMA warming until
  ``slow`` bars exist; crosses against the previous cycle.
* :class:`Scripted` -- rule states from a function of (ts_ns, symbol), for risk tests.
"""

from __future__ import annotations

from collections import deque

from rbts.compiler.protocol import CycleResult, RuleState

T, F, W = RuleState.TRUE, RuleState.FALSE, RuleState.WARMING


class SmaCross:
    def __init__(self, universe, fast=3, slow=8, bars_s=60, cycle_s=60, gate=None, gate_max=None):
        self.universe = tuple(universe)
        self.fast, self.slow = fast, slow
        self.bars_s, self.cycle_ns = bars_s, cycle_s * 1_000_000_000
        self.gate, self.gate_max = gate, gate_max
        self.closes = {s: deque(maxlen=slow) for s in self.symbols}
        self.prev: dict[str, tuple[float, float] | None] = {s: None for s in self.universe}

    @property
    def symbols(self):
        return self.universe + ((self.gate,) if self.gate else ())

    def bar_timeframes(self):
        return {s: (self.bars_s,) for s in self.symbols}

    def is_cycle(self, ts_ns):
        return ts_ns % self.cycle_ns == 0

    def on_bar(self, symbol, timeframe_s, ts_ns, open, high, low, close, volume):
        self.closes[symbol].append(close)

    def _smas(self, symbol):
        c = self.closes[symbol]
        if len(c) < self.slow:
            return None
        values = list(c)
        # rounded: 2-decimal prices make exact ties common, and float sums would break them at random
        return round(sum(values[-self.fast:]) / self.fast, 9), round(sum(values) / self.slow, 9)

    def evaluate(self, ts_ns):
        glob = {}
        if self.gate:
            g = self.closes[self.gate]
            glob["gate"] = W if not g else (T if g[-1] < self.gate_max else F)
        entries, exits = {}, {}
        for s in self.universe:
            now, before = self._smas(s), self.prev[s]
            if now is None or before is None:
                entries[s], exits[s] = {"up": W}, {"down": W}
            else:
                up = now[0] > now[1] and before[0] <= before[1]
                down = now[0] < now[1] and before[0] >= before[1]
                entries[s], exits[s] = {"up": T if up else F}, {"down": T if down else F}
            self.prev[s] = now
        return CycleResult(ts_ns, glob, entries, exits)


class Scripted:
    """enter(ts, symbol) / exit(ts, symbol) -> bool decide the rule states."""

    def __init__(self, universe, enter, exit, bars_s=60, cycle_s=60, data_symbols=()):
        self.universe, self.data_symbols = tuple(universe), tuple(data_symbols)
        self.enter, self.exit = enter, exit
        self.bars_s, self.cycle_ns = bars_s, cycle_s * 1_000_000_000

    def bar_timeframes(self):
        return {s: (self.bars_s,) for s in self.universe + self.data_symbols}

    def is_cycle(self, ts_ns):
        return ts_ns % self.cycle_ns == 0

    def on_bar(self, *args):
        pass

    def evaluate(self, ts_ns):
        return CycleResult(
            ts_ns, {},
            {s: {"scripted_entry": T if self.enter(ts_ns, s) else F} for s in self.universe},
            {s: {"scripted_exit": T if self.exit(ts_ns, s) else F} for s in self.universe},
        )
