"""Times of day as the language writes them: ``HH:MM`` from 00:00 to 24:00, in exchange time.

The one reader and writer of the text form, used by the parser, the JSON form and the
visual builder (which accepted 24:30 while the parser did not).
"""

from __future__ import annotations

import re

_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})")


def clock_problem(text: str) -> str | None:
    """Why ``text`` is not a time of day (None: it is one)."""
    match = _CLOCK.fullmatch(text)
    if match:
        hours, minutes = int(match[1]), int(match[2])
        if minutes <= 59 and (hours < 24 or (hours, minutes) == (24, 0)):
            return None
    return f"{text} is not a time of day (HH:MM, 00:00 to 24:00)"


def parse_clock(text: str) -> int:
    """Minutes after midnight of ``HH:MM``; ``ValueError`` with :func:`clock_problem`'s words."""
    problem = clock_problem(text)
    if problem:
        raise ValueError(problem)
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
