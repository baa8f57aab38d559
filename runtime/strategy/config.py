"""``RuleStrategyConfig``: what ``RuleStrategy`` needs to know about Nautilus beyond the rules."""

from __future__ import annotations

from nautilus_trader.config import StrategyConfig


class RuleStrategyConfig(StrategyConfig, frozen=True):
    """Where the rules' symbols live in Nautilus and how bars are stamped.

    instrument_ids: DSL symbol -> Nautilus instrument id, for every symbol the rules use.
    data_only: symbols never traded (indexes such as VIX; data-only instruments are also
        recognised by their INDEX asset class).
    account_venue: venue whose account holds the cash (default: the first traded instrument's).
    eval_delay_ns: rules for instant T run at T + this (1 ns in backtests; live feeds that
        deliver bars late need more).
    bar_ts_is_open: the bar feed stamps ``ts_event`` at the bar's open (IB live) rather than its close.
    trade_from_ns: cycles before this instant are a warm-up: evaluated (indicators, crosses and
        windows need them) but they neither trade nor are recorded.
    exit_only: symbols held from an earlier version that this one does not trade: their positions
        are exited by its exit rules, stops and breaker, never entered (a live apply, SPEC §5).
    """

    instrument_ids: dict[str, str]
    data_only: tuple[str, ...] = ()
    account_venue: str | None = None
    eval_delay_ns: int = 1
    bar_ts_is_open: bool = False
    trade_from_ns: int = 0
    exit_only: tuple[str, ...] = ()
