"""Result rows and the CSV/JSON text of a sweep's files (SPEC §6.2).

A row is a plain dict: ``fold`` (walk-forward only), ``variant``, one column per param,
every metrics.json key (``warnings`` joined with "; "), ``status``, ``error``.  Extra
columns (a later stage's figures) go between the metrics and ``status``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence

from rbts.runtime.backtest.metrics import METRIC_KEYS

METRIC_COLUMNS = (*METRIC_KEYS, "warnings")
TEST_COLUMNS = tuple(f"test_{k}" for k in METRIC_COLUMNS if k not in ("start", "end"))


def make_row(line: Mapping, params: Sequence[str]) -> dict:
    """A results.csv row from a journal line."""
    row: dict = {} if line["kind"] == "run" else {"fold": line["fold"]}
    row["variant"] = line["variant"]
    values = line.get("values") or {}
    row.update({p: values.get(p) for p in params})
    metrics = line.get("metrics") or {}
    row.update({k: metrics.get(k) for k in METRIC_KEYS})
    row["warnings"] = "; ".join(metrics.get("warnings") or [])
    row["status"], row["error"] = line["status"], line.get("error") or ""
    return row


def result_columns(params: Sequence[str], walk_forward: bool, extra: Sequence[str] = ()) -> list[str]:
    return [*(["fold"] if walk_forward else []), "variant", *params, *METRIC_COLUMNS, *extra, "status", "error"]


def fold_columns(params: Sequence[str]) -> list[str]:
    return ["fold", "train_start", "train_end", "test_start", "test_end", *params, "train_objective",
            "deflated_sharpe", "pbo", *TEST_COLUMNS]


def to_csv(rows: Iterable[Mapping], columns: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})
    return out.getvalue()


def _cell(value) -> object:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # every digit: the CSV holds the metrics bit for bit
    return value


def sweep_json(data: Mapping) -> str:
    return json.dumps(data, indent=2, allow_nan=False, default=str) + "\n"
