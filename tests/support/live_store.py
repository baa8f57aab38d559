"""A state store written by hand for the Live tab's chart tests (no bot needed)."""

from __future__ import annotations

import pandas as pd

from rbts.runtime.live.store import StateStore

FIVE_MIN = 300 * 1_000_000_000
T0 = pd.Timestamp("2025-03-03 14:35", tz="UTC").value  # 09:35 New York
SCOPES = {"market_hours": "global", "up": "entry", "down": "exit"}
STRATEGY = """strategy "figures"
universe: AAPL, MSFT
cycle: 5m
let fast = ema(close, 3, 5m)
let slow = ema(close, 8, 5m)
global market_hours: time in RTH
entry up: fast > slow
exit down: fast < slow
"""


def ts_at(i: int) -> int:
    return T0 + i * FIVE_MIN


def states_at(i: int) -> tuple[str, str]:
    """(up, down) at cycle i: warming first, then alternating runs of 3."""
    if i < 2:
        return "warming", "warming"
    return ("true", "false") if (i // 3) % 2 else ("false", "true")


def write_cycles(store: StateStore, n: int, version: str = "figures v1", start: int = 0) -> None:
    with store.transaction():
        for i in range(start, start + n):
            up, down = states_at(i)
            fast = None if i < 2 else 100.0 + i * 0.01
            per_symbol = {
                "": {"rules": {"market_hours": "true"}, "values": {}},
                "AAPL": {"rules": {"up": up, "down": down},
                         "values": {"fast": fast, "slow": None if i < 2 else 100.0, "ema(close, 3, 5m)": fast,
                                    "rsi(close, 14)": 50.0 + i % 7},
                         "blocked_by": [] if up == "true" else ["up"]},
            }
            store.add_cycle(ts_at(i), per_symbol, version)
            store.add_equity(ts_at(i), 10_000.0 + i, 10_000.0)
