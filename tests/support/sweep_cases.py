"""Strategies for sweep tests: one with params (SPEC §6.1) whose variants the sweeps run, the
same strategy with literal numbers (a plain backtest, the reference), and one whose worker
process dies on chosen variants (SIGKILL, as an out-of-memory kill would)."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

from rbts.runtime.research.tasks import ParamStrategy

PARAMS = """\
strategy "sweep test"
universe: AAPL, MSFT, NVDA
cycle: 5m
param fast = 9 in [4, 5, 6, 7, 9, 12]
param slow = 21 in [18, 21, 26, 30]
let fast_ema = ema(close, fast, 5m)
let slow_ema = ema(close, slow, 5m)
global vix_not_rising: slope(ema(VIX, 9, 5m), 30m) < 0.3
entry bull_cross: fast_ema crosses_above slow_ema
exit bear_cross: fast_ema crosses_below slow_ema
"""

# The Optimize section's 2 x 2 grid (the app tests paste it).
OPTIMIZE_ME = """\
strategy "Optimize me"
universe: AAPL, MSFT
cycle: 5m
param fast = 9 in [5, 9]
param slow = 21 in [21, 30]
let fast_ema = ema(close, fast, 5m)
let slow_ema = ema(close, slow, 5m)
entry bull_cross: fast_ema crosses_above slow_ema
exit bear_cross: fast_ema crosses_below slow_ema
"""

# The same strategy without params: literal lengths (``LITERAL.format(fast=9, slow=21)``).
LITERAL = """\
strategy "sweep test"
universe: AAPL, MSFT, NVDA
cycle: 5m
let fast_ema = ema(close, {fast}, 5m)
let slow_ema = ema(close, {slow}, 5m)
global vix_not_rising: slope(ema(VIX, 9, 5m), 30m) < 0.3
entry bull_cross: fast_ema crosses_above slow_ema
exit bear_cross: fast_ema crosses_below slow_ema
"""


def variant(fast, slow):
    """The checked strategy of one variant, as ``rbts backtest --set fast=.. --set slow=..`` loads it."""
    from rbts.dsl.load import load_strategy

    return load_strategy(PARAMS, overrides={"fast": str(fast), "slow": str(slow)})


@dataclass(frozen=True)
class DyingStrategy(ParamStrategy):
    """Kills its worker on ``fast`` in ``once`` (first attempt only: a marker file remembers)
    and on ``fast`` in ``always`` (every attempt)."""

    marker_dir: str = ""
    once: tuple = ()
    always: tuple = ()

    def prepare(self):
        bind = super().prepare()

        def make(values):
            fast = values.get("fast")
            marker = Path(self.marker_dir) / f"died-{fast}"
            if fast in self.always or (fast in self.once and not marker.exists()):
                marker.touch()
                os.kill(os.getpid(), signal.SIGKILL)
            return bind(values)

        return make
