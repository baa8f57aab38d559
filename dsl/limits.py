"""What is valid, in one place: the limits the text form, the JSON form, the checker and
the command line share (stated for users in docs/language.md, "Limits").

Each ``*_problem`` function returns why a value is refused (a sentence for an error
message), or None when it is fine.
"""

from __future__ import annotations

import math

CAPITAL_MIN = 1.0  # USD: less rounds to nothing in Nautilus' cents
CAPITAL_MAX = 1e12  # USD: Nautilus' MONEY_MAX is 1.7e13; the rest is headroom for profits


def capital_problem(value: float) -> str | None:
    """Why ``value`` cannot be a starting capital (USD), or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return f"capital must be a number of USD, got {value!r}"
    if not CAPITAL_MIN <= value <= CAPITAL_MAX:
        return f"capital must be between {CAPITAL_MIN:,.0f} and {CAPITAL_MAX:,.0f} USD, got {value:g}"
    return None
