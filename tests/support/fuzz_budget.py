"""The fuzzers' budgets: a few thousand cases in `make test`, 100,000+ in `make fuzz` (``RBTS_FUZZ=full``)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

FULL = os.environ.get("RBTS_FUZZ") == "full"
BUDGET = {  # examples per fuzzer: (make test, make fuzz)
    "text": (1500, 100_000),
    "json": (800, 30_000),
    "csv": (150, 1_000),
    "cli": (40, 400),
}


def fuzz_settings(kind: str):
    override = os.environ.get("RBTS_FUZZ_EXAMPLES")  # a quick look while developing: RBTS_FUZZ_EXAMPLES=50
    examples = int(override) if override else BUDGET[kind][1 if FULL else 0]
    # no shrinking: an input costs milliseconds to a second, and a mutated file hardly shrinks;
    # the failing input is printed as found (the corpus keeps a hand-minimised copy)
    return settings(max_examples=examples, deadline=None, database=None, derandomize=not FULL,
                    phases=[Phase.explicit, Phase.generate], report_multiple_bugs=False,
                    suppress_health_check=list(HealthCheck))
