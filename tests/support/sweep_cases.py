"""Strategies for sweep tests: a text template per variant (the stand-in for params), and one
whose worker process dies on chosen variants (SIGKILL, as an out-of-memory kill would)."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

from rbts.runtime.research.tasks import TemplateStrategy

TEMPLATE = """\
strategy "sweep test"
universe: AAPL, MSFT, NVDA
cycle: 5m
let fast = ema(close, {fast}, 5m)
let slow = ema(close, {slow}, 5m)
global vix_not_rising: slope(ema(VIX, 9, 5m), 30m) < 0.3
entry bull_cross: fast crosses_above slow
exit bear_cross: fast crosses_below slow
"""


@dataclass(frozen=True)
class DyingStrategy(TemplateStrategy):
    """Kills its worker on ``fast`` in ``once`` (first attempt only: a marker file remembers)
    and on ``fast`` in ``always`` (every attempt)."""

    marker_dir: str = ""
    once: tuple = ()
    always: tuple = ()

    def prepare(self):
        def variant(values):
            fast = values.get("fast")
            marker = Path(self.marker_dir) / f"died-{fast}"
            if fast in self.always or (fast in self.once and not marker.exists()):
                marker.touch()
                os.kill(os.getpid(), signal.SIGKILL)
            return self.text_with(values)

        return variant
