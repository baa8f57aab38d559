"""What is valid, in one place: the limits the text form, the JSON form, the checker and
the command line share (stated for users in docs/language.md, "Limits").

Each ``*_problem`` function returns why a value is refused (a sentence for an error
message), or None when it is fine.
"""

from __future__ import annotations

import math
import re

CONTROL_CHAR = re.compile(r"[\x00-\x1f\x7f]")  # never in a name or a quoted symbol, in text or JSON
MAX_INT_DIGITS = 100  # a whole number literal (text or JSON) has at most this many digits
CAPITAL_MIN = 1.0  # USD: less rounds to nothing in Nautilus' cents
CAPITAL_MAX = 1e12  # USD: Nautilus' MONEY_MAX is 1.7e13; the rest is headroom for profits


def capital_problem(value: float) -> str | None:
    """Why ``value`` cannot be a starting capital (USD), or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return f"capital must be a number of USD, got {value!r}"
    if not CAPITAL_MIN <= value <= CAPITAL_MAX:
        return f"capital must be between {CAPITAL_MIN:,.0f} and {CAPITAL_MAX:,.0f} USD, got {value:g}"
    return None


def literal_problem(text: str, value: int | float) -> str | None:
    """Why a number literal (as written, and as read) is refused, or None."""
    if isinstance(value, int) and len(text.lstrip("-")) > MAX_INT_DIGITS:
        return f"number {text[:20]}... is too large (at most {MAX_INT_DIGITS} digits)"
    if isinstance(value, float) and not math.isfinite(value):
        return f"number {text[:20]}{'...' if len(text) > 20 else ''} is too large"
    return None
