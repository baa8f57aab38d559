"""`make bench` runs every benchmark: bench/run_all.py finds each bench_*.py and has quick settings for it."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run_all():
    spec = importlib.util.spec_from_file_location("run_all", ROOT / "bench" / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_bench_runs_run_all_over_every_benchmark():
    assert re.search(r"^bench:.*\n\t\$\(BIN\)/python bench/run_all\.py", (ROOT / "Makefile").read_text(), re.M)
    run_all = _run_all()
    files = sorted(p.stem.removeprefix("bench_") for p in (ROOT / "bench").glob("bench_*.py"))
    assert sorted(run_all.benchmarks()) == files
    assert set(run_all.QUICK) == set(files)  # a new benchmark gets its quick settings too


def test_an_unknown_name_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        _run_all().main(["--only", "nope"])
    assert info.value.code == 2 and "no benchmark named nope" in capsys.readouterr().err


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "bench").glob("bench_*.py")))
def test_every_benchmark_script_imports(script):
    """A benchmark that no longer imports (a name moved or removed) breaks `make bench` silently."""
    done = subprocess.run([sys.executable, "-c", f"import runpy, sys; sys.path.insert(0, 'bench'); "
                           f"runpy.run_path('bench/{script}', run_name='bench_import_check')"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
