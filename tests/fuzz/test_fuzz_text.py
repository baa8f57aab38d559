"""Fuzzed rule files: every text gets a positioned user error or works in every form and stage."""

import pytest
from hypothesis import given

from support.fuzz_budget import fuzz_settings
from support.fuzz_front import exercise_text
from support.fuzz_inputs import dsl_texts


@pytest.mark.slow
@fuzz_settings("text")
@given(dsl_texts())
def test_fuzzed_rule_files(text):
    exercise_text(text)
