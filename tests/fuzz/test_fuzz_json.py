"""Fuzzed JSON forms: every document gets a positioned user error or works in every form and stage."""

import pytest
from hypothesis import given

from support.fuzz_budget import fuzz_settings
from support.fuzz_front import exercise_json
from support.fuzz_inputs import json_texts


@pytest.mark.slow
@fuzz_settings("json")
@given(json_texts())
def test_fuzzed_json_forms(text):
    exercise_json(text)
