"""The bar size and the clock of an imported file: the size inferred from the most common step
(one the catalog can store, every bar on its grid), closes on New York's clock grid, and files
stamped at the bar OPEN refused (a classic source of look-ahead)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rbts.dsl.errors import Diagnostic, RbtsError
from rbts.dsl.exchange import EXCHANGE_TZ
from rbts.runtime.data import instruments
from rbts.runtime.data.import_read import BarSource

_SESSION_STARTS = [9 * 60 + 30, 4 * 60]  # minutes after midnight: RTH and ETH opens
_SESSION_ENDS = [13 * 60, 16 * 60, 20 * 60]  # early close, RTH and ETH closes


def bar_seconds(ts: np.ndarray, source: BarSource) -> int:
    """The bar size: the most common step between consecutive bars."""
    if len(ts) < 2:
        raise RbtsError("a single bar is not enough to tell the bar size; import at least two")
    steps = np.diff(ts) // 1_000_000_000
    values, counts = np.unique(steps, return_counts=True)
    seconds = int(values[np.argmax(counts)])
    if seconds >= 86400 and seconds % 86400 in (3600 * 23, 3600):  # daily across a DST change
        seconds = 86400
    if seconds <= 0:
        raise RbtsError("cannot infer the bar size from the timestamps")
    if not instruments.storable_seconds(seconds):
        r = int(np.flatnonzero(steps == seconds)[0]) + 1
        raise _row_error(source, r, f"the bars are {_seconds_text(seconds)} apart (the most common step between rows), "
                                    f"a bar size the catalog cannot store; bar sizes are {instruments.STORABLE_SIZES}")
    off_grid = np.flatnonzero((steps % seconds != 0) & (seconds < 86400))
    if len(off_grid):
        r = int(off_grid[0]) + 1
        raise _row_error(source, r, f"ts is off the {instruments.bar_spec(seconds)} grid the other bars follow (bar size inferred: {seconds} s)")
    return seconds


def _row_error(source: BarSource, row: int, message: str) -> RbtsError:
    """An error about a row's ts: positioned in a CSV, "row N: ..." in a Parquet file."""
    span = source.span(row, "ts")
    return RbtsError(Diagnostic(message if span else f"{source.where(row)}: {message}", span),
                     filename=str(source.path), source=source.text)


def _seconds_text(seconds: int) -> str:
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        if seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    raise AssertionError(seconds)  # pragma: no cover - 1 divides every number


def check_clock_grid(index: pd.DatetimeIndex, seconds: int, source: BarSource) -> None:
    """Bars must close on New York's clock grid (SPEC §2.3): 09:31:00 for 1m, 10:00 for 1h, midnight for 1d."""
    step = min(seconds, 86400)
    if 86400 % step:
        return
    wall = index.tz_convert(EXCHANGE_TZ).tz_localize(None).as_unit("ns").asi8
    off = np.flatnonzero(wall % (step * 1_000_000_000))
    if len(off) == 0:
        return
    r = int(off[0])
    when = index[r].tz_convert(EXCHANGE_TZ).strftime("%Y-%m-%d %H:%M:%S")
    what = "midnight at the end of their day" if step == 86400 else f"whole multiples of {instruments.bar_spec(step).rsplit('-', 1)[0].lower()} on the New York clock"
    raise RbtsError(
        Diagnostic(f"bars must close at {what}; this one closes at {when} New York ({len(off)} such bars)", source.span(r, "ts")),
        filename=str(source.path), source=source.text,
    )  # fmt: skip


def reject_open_stamped(index: pd.DatetimeIndex, seconds: int, tz: str, source: BarSource) -> None:
    """Refuse vendor files stamped at the bar OPEN, a classic source of look-ahead."""
    local = index.tz_convert(tz)
    if seconds >= 86400:
        weekdays = set(local[local.hour == 0].day_of_week)
        if weekdays and 0 in weekdays and 5 not in weekdays:
            raise RbtsError(
                "daily bars stamped 00:00 on Monday..Friday are stamped at the session DATE (their open); "
                "rbts stamps a daily bar at its close, midnight at the END of its day. "
                "Import with --stamped open to shift every bar by one day, or fix the ts column."
            )
        return
    if seconds > 3600:
        return
    wall = local.tz_localize(None).as_unit("ns").asi8 // 60_000_000_000  # minutes since epoch, wall clock
    day, minute = wall // 1440, wall % 1440
    starts = np.flatnonzero(np.concatenate(([True], day[1:] != day[:-1])))
    ends = np.concatenate((starts[1:], [len(day)])) - 1
    first, last_close = minute[starts], minute[ends] + seconds // 60
    open_like = np.isin(first, _SESSION_STARTS) & np.isin(last_close, _SESSION_ENDS)
    if len(starts) and open_like.mean() >= 0.8:
        example = local[starts[int(np.flatnonzero(open_like)[0])]]
        hhmm = lambda m: f"{m // 60:02d}:{m % 60:02d}"  # noqa: E731
        raise RbtsError(
            f"the bars look OPEN-stamped: on {int(open_like.sum())} of {len(starts)} days the first bar is at "
            f"{hhmm(int(first[0]))} and the last at {hhmm(int(minute[ends[0]]))} ({tz}), e.g. {example.date()}. rbts needs each bar's "
            f"CLOSE time (1-minute RTH bars run 09:31..16:00); using open times would let every rule see one bar into the future. "
            f"Import with --stamped open to shift every bar by {instruments.bar_spec(seconds).rsplit('-', 1)[0].lower()}."
        )
