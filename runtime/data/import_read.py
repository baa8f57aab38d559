"""Reading a vendor's CSV or Parquet bar file for ``rbts data import``: its required columns
(``ts, open, high, low, close, volume``, any case, extra columns ignored) and how to name a row
in messages (its CSV line and the field under the caret, or its Parquet row number)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rbts.dsl.errors import Diagnostic, RbtsError, Span, decode_text, source_lines
from rbts.runtime.data.bar_files import COLUMNS

REQUIRED = ("ts", *COLUMNS)
TS_ALIASES = ("timestamp", "time", "datetime", "date", "date_time", "t")
_NA = ["", "NaN", "nan", "NA", "N/A", "null", "NULL", "None"]


@dataclass
class BarSource:
    """A loaded file: its raw columns and how to name a row in messages."""

    path: Path
    frame: pd.DataFrame  # required columns only, as read
    lines: np.ndarray | None  # CSV: file line number of each data row
    text: str | None  # CSV: the file's text (for the caret under a bad field)
    header: list[str]

    def where(self, row: int) -> str:
        return f"line {self.lines[row]}" if self.lines is not None else f"row {row + 1}"

    def span(self, row: int, column: str) -> Span | None:
        if self.lines is None or self.text is None:
            return None
        return field_span(self.text, int(self.lines[row]), self.header.index(column) if column in self.header else 0)


def read_source(path: Path) -> BarSource:
    if not path.exists():
        raise RbtsError("no such file")
    if path.is_dir():
        raise RbtsError("this is a folder; give a .csv or .parquet file")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise RbtsError("expected a .csv or .parquet file")
    try:
        return _read_csv(path) if suffix == ".csv" else _read_parquet(path)
    except OSError as exc:
        raise RbtsError(f"cannot read the file: {exc.strerror or exc}") from None


def _read_csv(path: Path) -> BarSource:
    text = decode_text(path.read_bytes(), str(path))
    lines = source_lines(text)  # split as diagnostics count lines; a CR-only file falls back to row numbers
    nonblank = np.array([i + 1 for i, line in enumerate(lines) if line.strip()], dtype=np.int64)
    if len(nonblank) == 0:
        raise RbtsError("the file is empty")
    header_line = re.split(r"\r\n?", lines[nonblank[0] - 1], maxsplit=1)[0]  # a CR-only file is one "\n" line
    try:
        header = [h.strip().lower() for h in next(csv.reader([header_line]), [])]  # quoted names may hold commas
    except csv.Error as exc:
        raise RbtsError(f"cannot read the header line as CSV: {exc}") from None
    header_span = Span(int(nonblank[0]), 1, int(nonblank[0]), len(header_line) + 1)
    _check_columns(path, header, header_span, text)
    try:
        # ts stays text (parsed below); numbers are parsed by the C reader, junk leaves a column as text
        names = [str(c) for c in pd.read_csv(io.StringIO(text), nrows=0).columns]
        ts_name = next((c for c in names if c.strip().lower() == "ts"), None)
        if ts_name is None:  # the header read differently by pandas (a quote left open): name what it saw
            _check_columns(path, [c.strip().lower() for c in names], header_span, text)
        raw = pd.read_csv(io.StringIO(text), dtype={ts_name: str}, skip_blank_lines=True, keep_default_na=False, na_values=_NA)
    except (pd.errors.ParserError, ValueError) as exc:
        raise RbtsError(f"cannot read as CSV: {exc}") from None
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    if len(raw) != len(nonblank) - 1:  # quoted newlines: fall back to row numbers
        return BarSource(path, raw[list(REQUIRED)], None, None, header)
    return BarSource(path, raw[list(REQUIRED)], nonblank[1:], text, header)


def _read_parquet(path: Path) -> BarSource:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a broken file
        raise RbtsError(f"cannot read as Parquet: {exc}") from None
    frame = table.to_pandas()
    if frame.index.name and frame.index.name.lower() in ("ts", *TS_ALIASES) and "ts" not in [str(c).lower() for c in frame.columns]:
        frame = frame.reset_index()
    header = [str(c).strip().lower() for c in frame.columns]
    _check_columns(path, header, None, None)
    frame.columns = header
    return BarSource(path, frame[list(REQUIRED)].reset_index(drop=True), None, None, header)


def _check_columns(path: Path, header: list[str], span: Span | None, text: str | None) -> None:
    dupes = sorted({h for h in header if header.count(h) > 1 and h in REQUIRED})
    if dupes:
        raise RbtsError(Diagnostic(f"column {dupes[0]!r} appears more than once (names are case-insensitive)", span), filename=str(path), source=text)
    missing = [c for c in REQUIRED if c not in header]
    if not missing:
        return
    hint = None
    if "ts" in missing:
        alias = next((h for h in header if h in TS_ALIASES), None)
        if alias:
            hint = f"rename {alias!r} to 'ts' once you are sure it holds each bar's CLOSE time"
    found = ", ".join(repr(h) if "," in h or not h.strip() else h for h in header) or "none"
    raise RbtsError(
        Diagnostic(f"missing required column(s) {', '.join(missing)}; found: {found}; need: {', '.join(REQUIRED)}", span, hint=hint),
        filename=str(path), source=text,
    )  # fmt: skip


def field_span(text: str, line_no: int, column: int) -> Span:
    line = source_lines(text)[line_no - 1].rstrip("\r")
    parts = line.split(",")
    col = sum(len(p) + 1 for p in parts[:column]) + 1
    width = len(parts[column]) if column < len(parts) else 1
    return Span(line_no, col, line_no, col + max(1, width))
