"""View models of the Live tab (and ``rbts status``): plain functions of a control snapshot.

A snapshot is :func:`rbts.runtime.live.control.snapshot`'s dict.  Nothing here
imports Streamlit, so every function is tested directly.
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from rbts.dsl.exchange import EXCHANGE_TZ



def format_ts(ts_ns: int | None) -> str:
    """A data timestamp (UTC ns) in exchange time, or ``-``."""
    if not ts_ns:
        return "-"
    return pd.Timestamp(int(ts_ns), tz="UTC").tz_convert(EXCHANGE_TZ).strftime("%Y-%m-%d %H:%M %Z")


def banner(snap: dict[str, Any]) -> str:
    """One line: running or not, mode, connection, strategy version, safe mode and why."""
    st = snap.get("status") or {}
    where = f"watching {snap['remote']}: " if snap.get("remote") else ""  # state: redis://, another machine
    if not snap.get("running"):
        return where + not_running(snap.get("bot") or {}, st)
    parts = [f"{where}bot running (pid {snap.get('pid')})", f"mode {st.get('mode', '?')}",
             "connected" if st.get("connected") else "NOT CONNECTED"]
    if snap.get("stale"):
        parts.append("NO HEARTBEAT")
    silent = st.get("feed_warnings") or {}
    if silent:
        parts.append("FEED SILENT: " + ", ".join(f"{s} since {t}" for s, t in sorted(silent.items())))
    if st.get("safe_mode"):
        parts.append(f"SAFE MODE: {st.get('safe_reason')}")
    else:
        parts.append(f"strategy {st.get('strategy_version') or '-'}")
    held = {p["symbol"] for p in snap.get("positions", []) if p.get("exit_only")}
    if held:
        parts.append("EXIT-ONLY: " + ", ".join(sorted(held)))
    return " | ".join(parts)


def not_running(bot: dict[str, Any], st: dict[str, Any]) -> str:
    """The banner of a home whose bot does not run: how its last run ended (a crash is not a stop)."""
    run, state = bot.get("run"), bot.get("state")
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(bot["ended"])) if bot.get("ended") else None
    if state == "died":
        detail = bot.get("detail")
        why = ("its process was killed or crashed" if detail is None or "without a clean stop" in detail
               else f"it failed: {detail}")
        return f"bot DIED: run {run} ended without a clean stop, {why}; `rbts restart` starts it again and resumes"
    if state == "stopped":
        return f"bot not running (run {run} stopped{f' at {when}' if when else ''})"
    last = st.get("node_status")
    return f"bot not running{f' (last state: {last})' if last else ''}"


def health(snap: dict[str, Any]) -> str:
    """``ok`` / ``idle`` / ``warning`` / ``error``: how the banner should look."""
    st = snap.get("status") or {}
    if not snap.get("running"):
        died = (snap.get("bot") or {}).get("state") == "died"
        return "error" if died or st.get("node_status") == "killed" or st.get("last_error") else "idle"
    if snap.get("stale"):
        return "error"
    if st.get("safe_mode") or not st.get("connected") or st.get("last_error") or st.get("feed_warnings"):
        return "warning"
    return "ok"


def staleness_note(snap: dict[str, Any]) -> str | None:
    """When no bot runs, the figures shown are the last ones it wrote: say so, and when."""
    st = snap.get("status") or {}
    if snap.get("running") or not st.get("updated"):
        return None
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(st["updated"]))
    return f"The figures below are the last state the bot wrote ({when}); a replay's positions end with it."


def metrics(snap: dict[str, Any]) -> list[tuple[str, str]]:
    st = snap.get("status") or {}

    def money(key: str, signed: bool = False) -> str:
        value = st.get(key)
        return "-" if value is None else (f"{value:+,.2f}" if signed else f"{value:,.2f}")

    return [("Equity", money("equity")), ("Day PnL", money("day_pnl", True)),
            ("Realised", money("realized_pnl", True)), ("Unrealised", money("unrealized_pnl", True)),
            ("Last cycle", format_ts(st.get("last_cycle_ts")))]


def positions_table(snap: dict[str, Any]) -> pd.DataFrame:
    """Open positions; ``managed`` says "exit-only" for one the running version holds but does not trade
    (its exit rules, stops, breaker and flatten apply; never an entry)."""
    rows = [{"symbol": p["symbol"], "qty": p["qty"], "avg price": p["avg_px"],
             "unrealised": round(p["unrealized_pnl"], 2), "managed": "exit-only" if p.get("exit_only") else ""}
            for p in snap.get("positions", [])]
    return pd.DataFrame(rows, columns=["symbol", "qty", "avg price", "unrealised", "managed"])


def orders_table(snap: dict[str, Any]) -> pd.DataFrame:
    rows = [{"symbol": o["symbol"], "side": o["side"], "qty": o["qty"], "type": o["type"],
             "price": o["price"], "status": o["status"], "version": o["strategy_version"]}
            for o in snap.get("orders", [])]
    return pd.DataFrame(rows, columns=["symbol", "side", "qty", "type", "price", "status", "version"])


def fills_table(snap: dict[str, Any]) -> pd.DataFrame:
    rows = [{"time": format_ts(f["ts"]), "symbol": f["symbol"], "side": f["side"], "qty": f["qty"],
             "price": f["price"]} for f in snap.get("fills", [])]
    return pd.DataFrame(rows, columns=["time", "symbol", "side", "qty", "price"])


def rules_table(snap: dict[str, Any]) -> pd.DataFrame:
    """Per ticker: each rule's state, what blocks an entry, and the values the rules compared."""
    cycle = snap.get("cycle") or {}
    global_rules = (cycle.get("") or {}).get("rules", {})
    exit_only = set((snap.get("status") or {}).get("exit_only") or ())
    rows = []
    for symbol, row in cycle.items():
        if symbol == "":
            continue
        blocked = row.get("blocked_by") or []
        rules = {**global_rules, **row.get("rules", {})}
        rows.append({
            "symbol": symbol,
            "entry": "exit-only: no entries" if symbol in exit_only else
            "blocked by: " + ", ".join(blocked) if blocked else "allowed",
            "rules": ", ".join(f"{k}={v}" for k, v in rules.items()),
            "values": ", ".join(f"{k}={_num(v)}" for k, v in row.get("values", {}).items()),
            "cycle": format_ts(row.get("ts")),
        })
    return pd.DataFrame(rows, columns=["symbol", "entry", "rules", "values", "cycle"])


def events_lines(snap: dict[str, Any], limit: int = 30) -> list[str]:
    out = []
    for e in snap.get("events", [])[:limit]:
        when = time.strftime("%H:%M:%S", time.localtime(e["wall"]))
        out.append(f"{when} {e['level']:<7} {e['message']}")
    return out


def equity_frame(snap: dict[str, Any]) -> pd.DataFrame:
    rows = snap.get("equity") or []
    frame = pd.DataFrame(rows, columns=["ts", "equity", "cash"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True).dt.tz_convert(EXCHANGE_TZ)
    return frame


def _num(value) -> str:
    if value is None:
        return "warming"
    return f"{value:.4g}" if isinstance(value, float) else str(value)
