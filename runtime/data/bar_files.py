"""Bar frames <-> the Parquet files of Nautilus' catalog (same schema, metadata and file names).

A bar frame has a UTC ``DatetimeIndex`` named ``ts`` holding each bar's close
time and float64 columns ``open high low close volume``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from rbts.runtime.data import fixed
from rbts.runtime.files import atomic_writer

COLUMNS = ("open", "high", "low", "close", "volume")
VOLUME_PRECISION = 0


def empty_frame() -> pd.DataFrame:
    index = pd.DatetimeIndex([], tz="UTC", name="ts").as_unit("ns")
    return pd.DataFrame({c: np.empty(0, dtype=np.float64) for c in COLUMNS}, index=index)


def frame_to_table(frame: pd.DataFrame, bar_type: str, price_precision: int, extra: dict[str, str] | None = None) -> pa.Table:
    """A bar frame as the Arrow table Nautilus writes for ``bar_type`` (same schema and metadata)."""
    ts = pa.array(frame.index.as_unit("ns").asi8.view(np.uint64), type=pa.uint64())
    arrays = [fixed.encode(frame[c].to_numpy(np.float64), price_precision) for c in COLUMNS[:4]]
    arrays.append(fixed.encode(frame["volume"].to_numpy(np.float64), VOLUME_PRECISION))
    meta = {
        "bar_type": bar_type,
        "instrument_id": bar_type.rsplit("-", 4)[0],
        "price_precision": str(price_precision),
        "size_precision": str(VOLUME_PRECISION),
    }
    meta.update(extra or {})
    return pa.Table.from_arrays([*arrays, ts, ts], schema=fixed.BAR_SCHEMA.with_metadata(meta))


def table_to_frame(table: pa.Table) -> pd.DataFrame:
    meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    price_precision = int(meta.get("price_precision", 2))
    size_precision = int(meta.get("size_precision", 0))
    ts = table.column("ts_init").to_numpy().astype("datetime64[ns]")
    index = pd.DatetimeIndex(ts, name="ts").tz_localize("UTC")
    data = {c: fixed.decode(table.column(c), price_precision) for c in COLUMNS[:4]}
    data["volume"] = fixed.decode(table.column("volume"), size_precision)
    return pd.DataFrame(data, index=index)


def file_name(first_ns: int, last_ns: int) -> str:
    """Nautilus' file naming: ``2025-01-02T14-31-00-000000000Z_...Z.parquet``."""

    def stamp(ns: int) -> str:
        t = pd.Timestamp(ns, tz="UTC")
        return t.strftime("%Y-%m-%dT%H-%M-%S-") + f"{ns % 1_000_000_000:09d}Z"

    return f"{stamp(first_ns)}_{stamp(last_ns)}.parquet"


def write_table_atomic(table: pa.Table, target: Path) -> None:
    """Write a Parquet file to ``target`` atomically (the folder is created if needed)."""
    with atomic_writer(target, parents=True) as fh:
        pq.write_table(table, fh, row_group_size=100_000)
