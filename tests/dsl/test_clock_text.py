"""One reader of times of day (``HH:MM``, 00:00 to 24:00): the parser, the JSON form and the
builder give the same verdict on every text (the builder accepted 24:30 before)."""

from __future__ import annotations

import json

import pytest

from rbts.dsl.checker import check_text
from rbts.dsl.clock_text import format_clock, parse_clock
from rbts.dsl.errors import RbtsError
from rbts.dsl.json_form import from_json
from rbts.ui.builder_model import Condition

GOOD = {"00:00": 0, "9:30": 570, "09:30": 570, "16:00": 960, "23:59": 1439, "24:00": 1440}
BAD = ["24:30", "24:01", "25:00", "12:60", "99:99", "1230", "12:3", "-1:00", "12:30:00", ""]


@pytest.mark.parametrize("text, minutes", GOOD.items())
def test_times_of_day(text, minutes):
    assert parse_clock(text) == minutes
    assert format_clock(minutes) == text.zfill(5)


@pytest.mark.parametrize("text", BAD)
def test_not_times_of_day(text):
    with pytest.raises(ValueError, match="is not a time of day \\(HH:MM, 00:00 to 24:00\\)"):
        parse_clock(text)


def _rule(start: str, end: str) -> str:
    return f"universe: AAPL\nglobal: time between {start} and {end}\nentry: close > open\nexit: close < open\n"


@pytest.mark.parametrize("text", [*GOOD, *BAD])
def test_parser_json_and_builder_agree(text):
    def verdict(read) -> bool:
        try:
            read()
            return True
        except (ValueError, RbtsError):
            return False

    expected = text in GOOD
    # the grammar reads only [0-9]{1,2}:[0-9]{2} as a time: other shapes are syntax errors there
    assert verdict(lambda: check_text(_rule(text, "10:00"))) == expected
    form = check_text(_rule("09:30", "10:00")).json_form()
    form["body"][0]["cond"]["start"] = text
    assert verdict(lambda: from_json(json.dumps(form))) == expected
    assert verdict(lambda: Condition("time_between", right=None, start=text, end="10:00").node()) == expected


def test_the_builder_refuses_24_30_with_the_parser_s_words():
    with pytest.raises(ValueError, match="^24:30 is not a time of day"):
        Condition("time_between", right=None, start="24:30", end="10:00").node()
