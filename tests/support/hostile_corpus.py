"""The answers to the inputs of tests/corpus/hostile (issue #13's reproducers and what the
fuzzers found). Regenerate the golden ``.out`` files after a deliberate change (review the diff!):

    .venv/bin/python tests/support/hostile_corpus.py HOME

HOME is a home with bars (a copy is used per case); tests pass their ``small_demo_home``.

* ``*.rbts``, ``*.json``: read through the front door (``load_strategy``, as the app reads an
  upload) and -- if valid -- every later stage (canonical text, JSON form, indicator graph, both
  evaluators, the last variant of its params); the answer is ``ok`` or
  the rendered error, each diagnostic positioned inside the file.
* ``*.csv``: imported as AAPL into a copy of a home holding AAPL's demo bars; the answer
  is the rendered error and the home must be byte-for-byte unchanged.
* ``*.cli``: one ``rbts`` command line (``{home}``, ``{strategy}``, ``{params}`` (a strategy
  declaring params ``fast``, ``tf`` and ``thr``), ``{file}``, ``{tmp}``, and
  ``{corpus}``, this folder, filled in); the answer is the exit status and what went to stderr.
"""

from __future__ import annotations

import shlex
import shutil
import sys
import tempfile
from pathlib import Path

HOSTILE = Path(__file__).resolve().parent.parent / "corpus" / "hostile"
STRATEGY = 'strategy "t"\nuniverse: AAPL\ncycle: 5m\nentry: close > ema(close, 9, 5m)\nexit: close < ema(close, 9, 5m)\n'
PARAMS = ('strategy "p"\nuniverse: AAPL\ncycle: 5m\nparam fast = 9 in [5, 9, 13]\nparam tf = 5m in [5m, 15m]\n'
          'param thr = 0 in [0, 0.1]\nentry: close > ema(close, fast, tf) + thr\nexit: close < ema(close, fast, tf)\n')
KINDS = ("*.rbts", "*.json", "*.csv", "*.cli")


def cases() -> list[Path]:
    return sorted(p for kind in KINDS for p in HOSTILE.glob(kind))


def answer(path: Path, home: Path) -> str:
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        work = Path(tmp)
        if path.suffix in (".rbts", ".json"):
            return _strategy_answer(path)
        shutil.copytree(home, work / "home")
        if path.suffix == ".csv":
            return _csv_answer(path, work).replace(str(work) + "/", "")
        return _cli_answer(path, work).replace(str(work), "{tmp}").replace(str(HOSTILE), "{corpus}")


def _strategy_answer(path: Path) -> str:
    from support.fuzz_front import assert_positioned, exercise_loaded

    from rbts.dsl.errors import RbtsError
    from rbts.dsl.load import decode, load_strategy

    data, name, text = path.read_bytes(), path.name, None
    try:  # as the app reads an upload: the file's text named by the file
        text = decode(data, name)
        checked = load_strategy(text, filename=name)
    except RbtsError as exc:
        shown = text if text is not None else data.decode("utf-8", errors="replace")
        assert_positioned(exc, shown, name)
        return exc.with_source(name, shown).render() + "\n"
    exercise_loaded(checked, text, name)
    return "ok\n"


def _csv_answer(path: Path, work: Path) -> str:
    from support.fuzz_front import snapshot

    from rbts.dsl.errors import RbtsError
    from rbts.runtime.data.catalog import BarStore
    from rbts.runtime.data.importer import import_file
    from rbts.runtime.settings import load_settings

    csv = work / path.name
    shutil.copy(path, csv)
    before = snapshot(work / "home")
    try:
        result = import_file(BarStore(load_settings(work / "home")), csv, "AAPL")
    except RbtsError as exc:
        assert snapshot(work / "home") == before, f"{path.name}: a failed import changed the catalog"
        return exc.render() + "\n"
    return f"ok: {result.rows} bars\n"


def _cli_answer(path: Path, work: Path) -> str:
    from typer.testing import CliRunner

    from rbts.runtime.cli.app import app

    (work / "s.rbts").write_text(STRATEGY)
    (work / "p.rbts").write_text(PARAMS)
    (work / "file.txt").write_text("keep me\n")
    places = {"{home}": str(work / "home"), "{strategy}": str(work / "s.rbts"), "{params}": str(work / "p.rbts"),
              "{file}": str(work / "file.txt"),
              "{tmp}": str(work), "{corpus}": str(HOSTILE)}
    args = shlex.split(path.read_text())
    if "--home" not in args:
        args = ["--home", "{home}", *args]
    for key, value in places.items():
        args = [a.replace(key, value) for a in args]
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert (work / "file.txt").read_text() == "keep me\n", f"{path.name} changed a file it was handed"
    return f"exit {result.exit_code}\n{result.stderr}"


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    for case in cases():
        out = case.with_name(case.name + ".out")
        out.write_text(answer(case, Path(sys.argv[1])))
        print(f"== {case.name}\n{out.read_text()}")
