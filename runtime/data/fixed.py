"""Nautilus' on-disk bar format, encoded and decoded with numpy.

The catalog stores each price and volume as a little-endian signed 128-bit
fixed-point integer (``fixed_size_binary[16]``, scale 10**16). Nautilus' own
serializer needs a Python ``Bar`` object per row (about 6 µs each); these
vectorised versions make a year of 1-minute bars a matter of milliseconds.
``tests/data/test_fixed.py`` checks they give byte-identical tables.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

FIXED_PRECISION = 16  # nautilus_trader.model.objects.FIXED_PRECISION (high-precision build)
# the largest Price and Quantity Nautilus accepts (model.objects.PRICE_MAX / QUANTITY_MAX; a test pins them)
PRICE_MAX = 17_014_118_346_046.0
QUANTITY_MAX = 34_028_236_692_093.0
_TWO64 = 18446744073709551616.0
_LOW32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)

BAR_SCHEMA = pa.schema(
    [pa.field(name, pa.binary(16), nullable=False) for name in ("open", "high", "low", "close", "volume")]
    + [pa.field("ts_event", pa.uint64(), nullable=False), pa.field("ts_init", pa.uint64(), nullable=False)]
)


def encode(values: np.ndarray, precision: int) -> pa.FixedSizeBinaryArray:
    """Non-negative floats -> fixed-point int128 (rounded half-even to ``precision`` decimals)."""
    mantissa = np.rint(np.asarray(values, dtype=np.float64) * 10.0**precision)
    if mantissa.size and (mantissa.min() < 0 or mantissa.max() >= 2.0**63):
        raise ValueError("fixed-point encoding needs values in [0, 9.2e18 / 10**precision)")
    m = mantissa.astype(np.uint64)
    s = np.uint64(10 ** (FIXED_PRECISION - precision))
    lo, hi = _mul_64x64(m, s)
    words = np.empty((len(m), 2), dtype="<u8")
    words[:, 0] = lo
    words[:, 1] = hi
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), len(m), [None, pa.py_buffer(words.tobytes())])


def _mul_64x64(m: np.ndarray, s: np.uint64) -> tuple[np.ndarray, np.ndarray]:
    """Full 128-bit product of uint64 arrays by a uint64 scalar, as (low, high) words."""
    m0, m1 = m & _LOW32, m >> _SHIFT32
    s0, s1 = s & _LOW32, s >> _SHIFT32
    p00, p01, p10, p11 = m0 * s0, m0 * s1, m1 * s0, m1 * s1
    mid = (p00 >> _SHIFT32) + (p01 & _LOW32) + (p10 & _LOW32)
    lo = (p00 & _LOW32) | ((mid & _LOW32) << _SHIFT32)
    hi = p11 + (p01 >> _SHIFT32) + (p10 >> _SHIFT32) + (mid >> _SHIFT32)
    return lo, hi


def decode(column: pa.ChunkedArray | pa.Array, precision: int) -> np.ndarray:
    """fixed-point int128 -> float64, rounded to ``precision`` decimals."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if len(column) == 0:
        return np.empty(0, dtype=np.float64)
    raw = np.frombuffer(column.buffers()[1], dtype="<u8", count=2 * (len(column) + column.offset))
    words = raw.reshape(-1, 2)[column.offset :]
    value = words[:, 1].view(np.int64).astype(np.float64) * _TWO64 + words[:, 0].astype(np.float64)
    return np.round(value / 10.0**FIXED_PRECISION, precision)
