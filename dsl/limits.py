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
MAX_DEPTH = 200  # levels of nesting in one statement (recursive walkers stay far from Python's limit)
MAX_STATEMENTS = 10_000  # lets and rules
MAX_UNIVERSE = 500  # tickers
MAX_NAME = 64  # characters of a let or rule name
MAX_STRATEGY_NAME = 200  # characters of a strategy name
MAX_SYMBOL = 32  # characters of a symbol
MAX_BARS = 1_000_000  # bars (or cycles) a window, a bar count, prev's k or a ttl in cycles may span
MAX_DURATION_DAYS = 3_660  # ten years: the longest duration anywhere
MAX_TEXT_CHARS = 2_000_000  # characters of a strategy's text
MAX_JSON_CHARS = 20_000_000  # characters of a JSON form (pretty-printed JSON is ~10x the text)

# words of the language that can never be a let or rule name (the JSON schema lists the same ones)
NAME_KEYWORDS = frozenset({
    "above", "and", "bar", "bars", "below", "between", "crosses", "crosses_above", "crosses_below", "entry", "exit",
    "for", "global", "in", "let", "not", "or", "time", "within",
})
_SYMBOL_FORM = re.compile(r"[A-Z0-9]+(\.[A-Z0-9]+)*")


def capital_problem(value: float) -> str | None:
    """Why ``value`` cannot be a starting capital (USD), or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return f"capital must be a number of USD, got {value!r}"
    if not CAPITAL_MIN <= value <= CAPITAL_MAX:
        return f"capital must be between {CAPITAL_MIN:,.0f} and {CAPITAL_MAX:,.0f} USD, got {value:g}"
    return None


def literal_problem(text: str, value: int | float) -> str | None:
    """Why a number literal (as written, and as read; a whole number too long to read may be
    passed as 0) is refused, or None."""
    if isinstance(value, int) and len(text.lstrip("-")) > MAX_INT_DIGITS:
        return f"number {text[:20]}... is too large (at most {MAX_INT_DIGITS} digits)"
    if isinstance(value, float) and not math.isfinite(value):
        return f"number {text[:20]}{'...' if len(text) > 20 else ''} is too large"
    return None


def source_problem(chars: int, form: str) -> str | None:
    """Why a strategy's text (``form`` "text" or "JSON") is too large to read, or None."""
    limit = MAX_JSON_CHARS if form == "JSON" else MAX_TEXT_CHARS
    if chars > limit:
        return f"the {form} form is {chars:,} characters long; a strategy has at most {limit:,}"
    return None


def normalize_symbol(text: str) -> str:
    """A symbol as the symbol table keys it: ``"brk b"`` -> ``BRK.B``, ``^VIX`` -> ``VIX``."""
    return ".".join(str(text).strip().lstrip("^").upper().split())


def symbol_problem(text: str) -> str | None:
    """Why ``text`` (a symbol as written, quoted or not) cannot name a ticker, or None."""
    found = CONTROL_CHAR.search(text)
    if found:
        return f"a symbol cannot hold the control character {found.group()!r}"
    name = normalize_symbol(text)
    if not name:
        return "a symbol cannot be empty"
    if len(name) > MAX_SYMBOL:
        return f"symbol {name[:20]}... is longer than {MAX_SYMBOL} characters"
    if not _SYMBOL_FORM.fullmatch(name):
        return (f"symbol {text.strip()!r} may hold only letters A-Z, digits, and dots or spaces between them "
                "(BRK.B, \"BRK B\")")
    return None


def name_problem(name: str, what: str) -> str | None:
    """Why ``name`` cannot name a let or a rule (``what``), or None."""
    if name in NAME_KEYWORDS:
        return f"{name!r} is a keyword and cannot be a {what} name"
    if len(name) > MAX_NAME:
        return f"{what} name {name[:20]}... is longer than {MAX_NAME} characters"
    return None


def duration_literal_problem(text: str) -> str | None:
    """Why a duration as written (``5m``) cannot be read, or None (its length is the checker's)."""
    if len(text) - 1 > MAX_INT_DIGITS:
        return f"duration {text[:12]}... is too long (at most {MAX_INT_DIGITS} digits)"
    return None


def duration_problem(seconds: int, text: str) -> str | None:
    if seconds > MAX_DURATION_DAYS * 86_400:
        return f"duration {text if len(text) <= 16 else text[:12] + '...'} is longer than {MAX_DURATION_DAYS:,} days"
    return None


def bars_problem(count: int, unit: str, subject: str = "") -> str | None:
    """Why ``count`` ``unit`` (bars, cycles, bars of 1m) are too many, or None."""
    if count > MAX_BARS:
        return f"{subject + ' is ' if subject else ''}{count_text(count)} {unit}, more than the limit of {MAX_BARS:,}"
    return None


def count_text(n: int) -> str:
    """``1,000,000``; a number too long to read as ``100000... (100 digits)``."""
    digits = str(n)
    return f"{n:,}" if len(digits) <= 15 else f"{digits[:6]}... ({len(digits)} digits)"
