"""What a restarted bot continues from: the last persisted cycle of the previous run.

The state store is the bot's memory across processes (Nautilus' own cache persistence needs
Redis in 1.231, which the embedded default does not have).  Every cycle's record carries the
account's equity and cash, the day's PnL, the positions (quantity and average price) and the
strategy's own equity (:mod:`rbts.runtime.live.monitor`), so the newest record of a run is a
consistent checkpoint: after a crash at any moment, the state at that cycle is known.

A resumed replay continues from the instant after that cycle with that cash (the simulated
account's balance) and those positions (given to the execution engine as the venue's position
reports, so Nautilus' own reconciliation opens them, owned by the bot's strategy); the strategy
carries on with the session's starting equity, its sizing base and a breaker that tripped that
day.  A resumed IB bot gets its positions from the broker (reconciliation) and the strategy's
state from the checkpoint.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from rbts.runtime.live.store import StateStore
from rbts.dsl.exchange import EXCHANGE_TZ



@dataclass(frozen=True)
class Checkpoint:
    run: int
    ts: int  # the cycle instant (UTC ns)
    equity: float  # the account
    cash: float
    day_pnl: float
    realized_pnl: float
    positions: dict[str, dict[str, float]] = field(default_factory=dict)  # symbol -> {qty, avg_px}
    strategy_equity: float | None = None  # the strategy's own view (its capital plus its PnL)
    halted: bool = False  # the daily loss breaker tripped in this cycle's session

    @property
    def day(self) -> str:
        return ny_day(self.ts)

    def as_config(self) -> dict[str, Any]:
        return asdict(self)


def ny_day(ts_ns: int) -> str:
    return pd.Timestamp(ts_ns, tz="UTC").tz_convert(EXCHANGE_TZ).date().isoformat()


def checkpoint_of(store: StateStore, run: int | None) -> Checkpoint | None:
    """The newest cycle record of ``run`` as a checkpoint (None: the run recorded no cycle)."""
    if run is None:
        return None
    rows = store.equity(1, run=run)
    if not rows:
        return None
    row = rows[0]
    day = ny_day(row["ts"])
    halted = any(e["kind"] == "max_daily_loss" and e["ts"] and ny_day(e["ts"]) == day
                 for e in store.events(500, run=run))
    return Checkpoint(run, int(row["ts"]), float(row["equity"]), float(row["cash"]), float(row["day_pnl"] or 0.0),
                      float(row["realized_pnl"] or 0.0), row["positions"] or {}, row.get("strategy_equity"), halted)


def from_config(data: dict | None) -> Checkpoint | None:
    return Checkpoint(**data) if data else None


def describe(cp: Checkpoint, mode: str) -> str:
    when = pd.Timestamp(cp.ts, tz="UTC").tz_convert(EXCHANGE_TZ).strftime("%Y-%m-%d %H:%M %Z")
    held = ", ".join(f"{s} {p['qty']:g} @ {p['avg_px']:.2f}" for s, p in sorted(cp.positions.items())) or "none"
    if mode == "ib":
        return (f"resumes run {cp.run}: positions and orders reconcile with IB; the strategy continues from the "
                f"cycle of {when} (day PnL {cp.day_pnl:+,.2f}{', breaker tripped' if cp.halted else ''})")
    return (f"resumes run {cp.run} from its last persisted cycle, {when}: cash {cp.cash:,.2f}, positions {held}"
            f"{', breaker tripped that day' if cp.halted else ''}")
