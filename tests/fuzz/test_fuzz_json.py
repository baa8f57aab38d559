"""Fuzzed JSON forms through the front door (``load_strategy``), some with ``--set`` overrides: every
one gets a positioned user error (or an error naming the param) or works in every form and stage."""

import pytest
from hypothesis import given

from support.fuzz_budget import fuzz_settings
from support.fuzz_front import exercise_json
from support.fuzz_inputs import json_cases


@pytest.mark.slow
@fuzz_settings("json")
@given(json_cases())
def test_fuzzed_json_forms(case):
    exercise_json(*case)
