"""Every reproducer of issue #13 (and every input the fuzzers found) gives its golden answer:
a positioned user error (exit 1) or a working strategy -- never an internal error, never data lost."""

import pytest

from support.hostile_corpus import answer, cases

CASES = cases()


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_hostile_input_gets_its_golden_answer(path, small_demo_home):
    assert answer(path, small_demo_home) == path.with_name(path.name + ".out").read_text()


def test_the_corpus_holds_every_kind_of_input():
    kinds = {p.suffix for p in CASES}
    assert kinds == {".rbts", ".json", ".csv", ".cli"} and len(CASES) >= 30
