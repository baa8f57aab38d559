"""Work functions for rbts.runtime.child_job tests: module-level, so a spawned child imports them."""

from __future__ import annotations

import os
import signal
import time

from rbts.dsl.errors import RbtsError


def counts_to(report, n: int) -> str:
    for i in range(1, n + 1):
        report(i, f"step {i}")
    return f"counted to {n}"


def refuses(report, message: str):
    raise RbtsError(message)


def breaks(report):
    return {}["missing"]


def dies(report, code: int):
    os._exit(code)  # (a report just before would be lost with the queue's feeder thread)


def sleeps(report):
    report(0, "sleeping")
    time.sleep(120)


def stops_cleanly(report):
    """Like a sweep: SIGTERM ends the work, which still returns what it has."""
    stopped = []
    signal.signal(signal.SIGTERM, lambda *_: stopped.append(True))
    report(0, "working")
    while not stopped:
        time.sleep(0.02)
    return "stopped with 3 rows"
