"""What the Live tab's charts draw, as pure functions of plain frames read from the state store.

:class:`LiveFrames` is the whole input (``ui/live_data.py`` builds it from the store);
everything here is a function of it, tested without a bot or Streamlit.  Nothing is
recomputed: rule states and values are the ones the bot recorded at each cycle.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rbts.ui.rule_view import FALSE, TRUE, WARMING, RuleView
from rbts.dsl.exchange import EXCHANGE_TZ

STATE_CODES = {"true": TRUE, "false": FALSE, "warming": WARMING}
SCOPE_ORDER = {"global": 0, "entry": 1, "exit": 2}
LET_NAME = re.compile(r"[a-z_][a-z0-9_]*")  # a let's name; calls and symbols (VIX) never match

CYCLE_COLUMNS = ["ts", "symbol", "rules", "values", "blocked_by", "version"]
EQUITY_COLUMNS = ["ts", "equity", "cash", "day_pnl"]
FILL_COLUMNS = ["ts", "client_order_id", "symbol", "side", "qty", "price", "version"]
ORDER_COLUMNS = ["client_order_id", "symbol", "side", "type", "qty", "price", "status", "ts_init", "terminal"]
EVENT_COLUMNS = ["ts", "kind", "level", "message"]
BAR_COLUMNS = ["symbol", "ts", "open", "high", "low", "close", "volume"]


def empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


@dataclass(frozen=True)
class LiveFrames:
    """The store's records as frames; ``ts`` is data time in UTC nanoseconds (int) everywhere."""

    cycles: pd.DataFrame  # CYCLE_COLUMNS: one row per cycle and symbol ("" = the global rules), oldest first
    equity: pd.DataFrame  # EQUITY_COLUMNS: per cycle; day_pnl NaN where the store does not say
    fills: pd.DataFrame  # FILL_COLUMNS
    orders: pd.DataFrame  # ORDER_COLUMNS
    events: pd.DataFrame  # EVENT_COLUMNS (ts NaN for events that only carry a wall-clock time)
    bars: pd.DataFrame  # BAR_COLUMNS (empty when no bars are known)
    scopes: dict[str, str] = field(default_factory=dict)  # rule name -> global / entry / exit

    @property
    def symbols(self) -> list[str]:
        return sorted(s for s in set(self.cycles["symbol"]) if s)


def cycle_frame(rows: list[dict]) -> pd.DataFrame:
    """Store rows (rules / values / blocked_by as JSON text or already decoded) -> a cycles frame."""
    frame = pd.DataFrame(rows, columns=CYCLE_COLUMNS) if rows else empty(CYCLE_COLUMNS)
    for col in ("rules", "values", "blocked_by"):
        frame[col] = [json.loads(v) if isinstance(v, str) else (v or {}) for v in frame[col]]
    frame["ts"] = frame["ts"].astype("int64")
    return frame.sort_values("ts", kind="stable").reset_index(drop=True)


def to_times(ts) -> pd.DatetimeIndex:
    """UTC nanoseconds -> exchange time."""
    return pd.DatetimeIndex(pd.to_datetime(np.asarray(ts, dtype="int64"), unit="ns", utc=True)).tz_convert(EXCHANGE_TZ)


def bars_of(frames: LiveFrames, symbol: str) -> pd.DataFrame:
    """``symbol``'s bars indexed by close time (UTC), columns open high low close volume."""
    mine = frames.bars[frames.bars["symbol"] == symbol]
    index = pd.DatetimeIndex(pd.to_datetime(mine["ts"].to_numpy("int64"), unit="ns", utc=True), name="ts")
    return pd.DataFrame({c: mine[c].to_numpy(float) for c in BAR_COLUMNS[2:]}, index=index)


# ----------------------------------------------------------------------------- rule strip


def _rows(frames: LiveFrames, symbol: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    cycles = frames.cycles
    return cycles[cycles["symbol"] == ""], cycles[cycles["symbol"] == symbol]


def cycle_times(frames: LiveFrames, symbol: str) -> np.ndarray:
    """The cycle instants (ns) at which ``symbol`` was evaluated (or the global rules, before it had a row)."""
    glob, mine = _rows(frames, symbol)
    return np.unique(np.concatenate([glob["ts"].to_numpy("int64"), mine["ts"].to_numpy("int64")]))


def rule_views(frames: LiveFrames, symbol: str) -> list[RuleView]:
    """One view per rule, global rules then the ticker's entry and exit rules, with the states the
    bot recorded at each cycle (a rule a cycle did not have, e.g. before an apply, counts as false)."""
    times = cycle_times(frames, symbol)
    glob, mine = _rows(frames, symbol)
    views = []
    for rows, is_global in ((glob, True), (mine, False)):
        position = np.searchsorted(times, rows["ts"].to_numpy("int64"))
        names = list(dict.fromkeys(name for rules in rows["rules"] for name in rules))
        for name in names:
            states = np.full(len(times), FALSE, dtype=np.int8)
            for at, rules in zip(position, rows["rules"], strict=True):
                if name in rules:
                    states[at] = STATE_CODES.get(rules[name], FALSE)
            scope = "global" if is_global else frames.scopes.get(name, "rule")
            views.append(RuleView(name, scope, None if is_global else symbol, to_times(times), states, [], None))
    return sorted(views, key=lambda v: SCOPE_ORDER.get(v.scope, 1))


# ----------------------------------------------------------------------------- indicator lines


def indicator_lines(frames: LiveFrames, symbol: str) -> dict[str, pd.Series]:
    """Every value the ticker's rules and the global rules compared (each ``let`` and function call,
    by its canonical text), per cycle; NaN while warming."""
    out: dict[str, pd.Series] = {}
    for rows in _rows(frames, symbol)[::-1]:
        index = to_times(rows["ts"])
        labels = list(dict.fromkeys(k for values in rows["values"] for k in values))
        for label in labels:
            if label in out:
                continue
            data = [_number(values.get(label)) for values in rows["values"]]
            out[label] = pd.Series(data, index=index, name=label, dtype=float)
    return _merge_equal(out)


def _merge_equal(lines: dict[str, pd.Series]) -> dict[str, pd.Series]:
    """One line for a ``let`` and the call it names (``fast = ema(close, 3, 5m)``: the two series are
    equal wherever both have a value).  After an apply a let may name another call: ``slow =
    ema(close, 8, 5m) → ema(close, 10, 5m)``, the calls in the order they first had a value."""
    lets = [k for k in lines if LET_NAME.fullmatch(k)]
    calls = [k for k in lines if k not in lets]
    out: dict[str, pd.Series] = {}
    for let in lets:
        named = sorted((c for c in calls if _same_where_both(lines[let], lines[c])), key=lambda c: _first(lines[c]))
        calls = [c for c in calls if c not in named]
        label = f"{let} = {' → '.join(named)}" if named else let
        out[label] = lines[let].rename(label)
    return {**out, **{c: lines[c] for c in calls}}


def _first(line: pd.Series) -> int:
    finite = np.flatnonzero(np.isfinite(line.to_numpy(float)))
    return int(finite[0]) if len(finite) else len(line)


def _same_where_both(a: pd.Series, b: pd.Series) -> bool:
    if not a.index.equals(b.index):
        return False
    x, y = a.to_numpy(float), b.to_numpy(float)
    both = np.isfinite(x) & np.isfinite(y)
    return bool(both.any()) and bool(np.array_equal(x[both], y[both]))


def line_names(lines: dict[str, pd.Series]) -> dict[str, str]:
    """Each value's name -> the label of the line that shows it."""
    return {part: label for label in lines for part in label.replace(" → ", " = ").split(" = ")}


def _number(value) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else np.nan


def on_price_scale(line: pd.Series, closes: pd.Series) -> bool:
    """Whether a line belongs over the candles (a moving average, VWAP, a band) rather than in its own
    panel (RSI, a slope, MACD): its values lie within half to twice the typical close."""
    values, price = line.dropna(), closes.dropna()
    if values.empty or price.empty:
        return False
    typical = float(price.median())
    return typical > 0 and 0.5 * typical <= float(values.median()) <= 2.0 * typical


# ----------------------------------------------------------------------------- fills and orders


def deciding_cycles(frames: LiveFrames, fills: pd.DataFrame) -> np.ndarray:
    """For each fill, the cycle (ns) that decided its order, in data time only (an order's ts_init is
    the node's wall clock, which a replay does not share): the order's own cycle when the store
    records it (``orders.decided_ts``), else the first cycle of the last run of cycles at or before
    the fill whose rules called for that side (every global and entry rule true for a buy, an exit
    rule true for a sell), else the last cycle at or before the fill."""
    recorded = _recorded(frames.orders, "decided_ts")
    out, decisions = [], {}
    for symbol, side, coid, ts in zip(fills["symbol"], fills["side"], fills["client_order_id"], fills["ts"],
                                      strict=True):
        if coid in recorded and int(recorded[coid]) <= int(ts):  # never a cycle after the fill
            out.append(int(recorded[coid]))
            continue
        if (symbol, side) not in decisions:
            decisions[symbol, side] = _decisions(frames, symbol, side)
        times, calls = decisions[symbol, side]
        upto = np.searchsorted(times, int(ts), side="right")
        out.append(_run_start(times, calls, upto) if calls[:upto].any() else int(times[upto - 1]) if upto
                   else int(ts))
    return np.asarray(out, dtype="int64")


def _run_start(times: np.ndarray, calls: np.ndarray, upto: int) -> int:
    """The first cycle of the last run of calling cycles before ``upto``: an order is placed when its
    rules become true and rests (no new order) while they stay true."""
    last = int(np.flatnonzero(calls[:upto])[-1])
    gaps = np.flatnonzero(~calls[:last])
    return int(times[gaps[-1] + 1 if len(gaps) else 0])


def _recorded(orders: pd.DataFrame, column: str) -> dict:
    """client order id -> the store's ``column`` for the orders that have it."""
    if column not in orders:
        return {}
    return {k: v for k, v in zip(orders["client_order_id"], orders[column], strict=True)
            if v is not None and not (isinstance(v, float) and np.isnan(v))}


def _decisions(frames: LiveFrames, symbol: str, side: str) -> tuple[np.ndarray, np.ndarray]:
    """The symbol's cycle times and whether its rules called for ``side`` at each."""
    views = rule_views(frames, symbol)
    times = cycle_times(frames, symbol)
    if side == "BUY":
        deciding = [v.states == TRUE for v in views if v.scope in ("global", "entry")]
        calls = np.logical_and.reduce(deciding) if deciding else np.zeros(len(times), dtype=bool)
    else:
        deciding = [v.states == TRUE for v in views if v.scope == "exit"]
        calls = np.logical_or.reduce(deciding) if deciding else np.zeros(len(times), dtype=bool)
    return np.asarray(times, dtype="int64"), calls


def fill_notes(frames: LiveFrames, symbol: str) -> pd.DataFrame:
    """The symbol's fills with the text their marker shows: side, quantity, price, time, and the rules
    and values of the cycle that decided it (global and entry rules for a buy; the exit rule, stop or
    breaker for a sell)."""
    fills = frames.fills[frames.fills["symbol"] == symbol].reset_index(drop=True)
    decided = deciding_cycles(frames, fills)
    reasons = _recorded(frames.orders, "reason")
    names = line_names(indicator_lines(frames, symbol))
    notes = [_fill_text(frames, symbol, fill, at, names, reasons.get(fill.client_order_id))
             for fill, at in zip(fills.itertuples(), decided, strict=True)]
    return fills.assign(decided=decided, text=notes)


def _cycle(frames: LiveFrames, symbol: str, ts: int) -> tuple[dict, dict]:
    """(rules, values) of ``symbol`` at cycle ``ts``, global rules and values included."""
    rows = frames.cycles[(frames.cycles["ts"] == ts) & frames.cycles["symbol"].isin(["", symbol])]
    rules, values = {}, {}
    for row in rows.sort_values("symbol").itertuples():
        rules.update(row.rules)
        values.update(row.values)
    return rules, values


def _fill_text(frames: LiveFrames, symbol: str, fill, decided: int, names: dict[str, str],
               reason: str | None) -> str:
    rules, values = _cycle(frames, symbol, decided)
    head = f"<b>{fill.side} {fill.qty:g} {symbol} @ {fill.price:,.2f}</b> · {to_times([fill.ts])[0]:%Y-%m-%d %H:%M}"
    why = _recorded_why(fill.side, reason) if reason else _why(frames, symbol, fill.side, rules, decided)
    deciding = ("global", "entry") if fill.side == "BUY" else ("exit",)
    shown = [f"{name} = {state}" for name, state in rules.items() if frames.scopes.get(name, "rule") in
             (*deciding, "rule")]
    shown_values = {names.get(k, k): v for k, v in values.items()}  # a let and its call: one line
    numbers = [f"{k} = {'warming' if v is None else f'{v:.4g}'}" for k, v in shown_values.items()]
    version = getattr(fill, "version", None) or "-"
    return "<br>".join([head, f"decided at the {to_times([decided])[0]:%H:%M} cycle ({version}): {why}",
                        *shown, *numbers])


RISK_REASONS = {"stop_loss": "stop_loss", "take_profit": "take_profit", "trailing_stop": "trailing_stop",
                "max_daily_loss": "max_daily_loss breaker", "flatten": "flatten",
                "broker_stop": "broker_stop (the stop resting at the broker)"}


def _recorded_why(side: str, reason: str) -> str:
    """The cause the strategy recorded with the order (rbts.runtime.strategy.decision)."""
    if side == "BUY":
        return f"every global and entry rule true ({reason.replace('+', ', ')})"
    return RISK_REASONS.get(reason) or f"exit rule {reason} true"


def _why(frames: LiveFrames, symbol: str, side: str, rules: dict, decided: int) -> str:
    if side == "BUY":
        return "every global and entry rule true"
    exits = [n for n, s in rules.items() if s == "true" and frames.scopes.get(n) == "exit"]
    if exits:
        return f"exit rule {', '.join(exits)} true"
    events = frames.events[(frames.events["ts"] == decided)]
    for kind, text in (("max_daily_loss", "max_daily_loss breaker"), ("exit_market", "exit limit unfilled, at market")):
        if (events["kind"] == kind).any():
            return text
    return "a risk exit (stop_loss, take_profit or trailing_stop) or flatten"


def working_limits(frames: LiveFrames, symbol: str) -> pd.DataFrame:
    """The symbol's limit orders still resting (not terminal), with a label and ``since``: the cycle
    that decided each (as for a fill at the last cycle)."""
    orders = frames.orders
    mine = orders[(orders["symbol"] == symbol) & (orders["terminal"] == 0) & (orders["type"] == "LIMIT")
                  & orders["price"].notna()].reset_index(drop=True)
    labels = [f"{o.side} {o.qty:g} limit {o.price:,.2f}" for o in mine.itertuples()]
    last = int(frames.cycles["ts"].max()) if len(frames.cycles) else 0
    since = deciding_cycles(frames, mine.assign(ts=last)) if len(mine) else []
    return mine.assign(label=labels, since=since)


# ----------------------------------------------------------------------------- equity marks


MARKED_EVENTS = {"max_daily_loss": "breaker", "safe_mode": "safe_mode", "connection": "connection"}  # kind -> mark


def equity_marks(frames: LiveFrames) -> pd.DataFrame:
    """Moments to mark on the equity chart: each version change (the first cycle of a new strategy
    version), breaker trips, safe mode, the IB connection lost or restored, and errors (a refused
    apply, a controller or rule error): events with a data time."""
    rows = []
    glob = frames.cycles[frames.cycles["symbol"] == ""]
    versions = glob["version"].to_numpy(object)
    for i in range(1, len(versions)):
        if versions[i] != versions[i - 1]:
            rows.append((int(glob["ts"].iloc[i]), "apply", f"{versions[i] or 'no strategy'} (was {versions[i - 1]})"))
    events = frames.events[frames.events["ts"].notna()]
    for e in events.itertuples():
        kind = MARKED_EVENTS.get(e.kind) or ("error" if e.level == "ERROR" else None)
        if kind is not None:
            rows.append((int(e.ts), kind, e.message))
    return pd.DataFrame(rows, columns=["ts", "kind", "text"]).sort_values("ts", kind="stable").reset_index(drop=True)


# ----------------------------------------------------------------------------- per day, across runs


def daily_equity(equity: pd.DataFrame) -> pd.DataFrame:
    """One row per New York day over every run: the equity and day PnL at the day's last cycle, and the
    runs that traded that day.  ``equity``: ts, equity, day_pnl, run (one row per cycle, any runs)."""
    columns = ["day", "equity", "day_pnl", "runs"]
    if equity.empty:
        return pd.DataFrame(columns=columns)
    ordered = equity.sort_values("ts", kind="stable")
    days = to_times(ordered["ts"]).date
    grouped = ordered.assign(day=days).groupby("day", sort=True)
    out = grouped.agg(equity=("equity", "last"), day_pnl=("day_pnl", "last"),
                      runs=("run", lambda r: ", ".join(str(int(x)) for x in dict.fromkeys(r) if pd.notna(x))))
    return out.reset_index()[columns]


def run_starts(equity: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Where each run after the first began (its first cycle, data time), with how the one before ended.
    ``runs``: run, mode, end_state (None while running or when its process died without saying)."""
    columns = ["ts", "run", "text"]
    if equity.empty or equity["run"].isna().all():
        return pd.DataFrame(columns=columns)
    firsts = equity.dropna(subset=["run"]).groupby("run")["ts"].min().sort_index()
    ended = dict(zip(runs["run"], runs["end_state"], strict=True)) if len(runs) else {}
    modes = dict(zip(runs["run"], runs["mode"], strict=True)) if len(runs) else {}
    rows = []
    for previous, (run, ts) in zip(firsts.index[:-1], list(firsts.items())[1:], strict=True):
        how = ended.get(previous) if isinstance(ended.get(previous), str) else "died"
        rows.append((int(ts), int(run), f"run {int(run)} ({modes.get(run, '?')}) started; run {int(previous)} {how}"))
    return pd.DataFrame(rows, columns=columns)
