"""Vectorised building blocks for generating column values.

The generator works on NumPy arrays: ids as raw 16-byte UUIDs, times as int64 microseconds since
the Unix epoch (UTC), amounts as int64 hundredths, small vocabularies as integer codes. Text is
built with Arrow's string kernels. No function here loops over rows in Python.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
BytesArray = npt.NDArray[np.bytes_]
UuidArray = npt.NDArray[np.void]  # raw 16-byte UUIDs (dtype V16)

MICROS_PER_SECOND = 1_000_000
MICROS_PER_HOUR = 3600 * MICROS_PER_SECOND
MICROS_PER_DAY = 24 * MICROS_PER_HOUR
NEVER = np.iinfo(np.int64).max  # a planned event that does not happen

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)
_LETTERS = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)


def _hex_chars(raw: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """(n, k) bytes -> (n, 2k) lower-case hex digits."""
    out = np.empty((raw.shape[0], raw.shape[1] * 2), dtype=np.uint8)
    out[:, 0::2] = _HEX[raw >> 4]
    out[:, 1::2] = _HEX[raw & 0x0F]
    return out


def uuids(rng: np.random.Generator, n: int) -> UuidArray:
    """n random version-4 UUIDs as raw 16-byte values."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    return np.ascontiguousarray(raw).view("V16").ravel()


def uuid_text(raw: UuidArray) -> pa.Array:
    """Raw UUIDs -> canonical 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx' strings."""
    n = len(raw)
    hexed = _hex_chars(np.ascontiguousarray(raw).view(np.uint8).reshape(n, 16))
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    for dst, src, width in ((0, 0, 8), (9, 8, 4), (14, 12, 4), (19, 16, 4), (24, 20, 12)):
        out[:, dst : dst + width] = hexed[:, src : src + width]
    return text(np.ascontiguousarray(out).view("S36").ravel())


def no_uuids(n: int) -> UuidArray:
    """n all-zero UUID slots (for columns that are NULL there)."""
    return np.zeros(n, dtype="V16")


def hex_tokens(rng: np.random.Generator, n: int, chars: int) -> BytesArray:
    """n random lower-case hex strings of ``chars`` characters (chars must be even)."""
    raw = rng.integers(0, 256, size=(n, chars // 2), dtype=np.uint8)
    return np.ascontiguousarray(_hex_chars(raw)).view(f"S{chars}").ravel()


def patterned(rng: np.random.Generator, n: int, pattern: str) -> BytesArray:
    """n random strings shaped like ``pattern``: '#' a digit, 'L' an upper-case letter, else literal."""
    out = np.empty((n, len(pattern)), dtype=np.uint8)
    for pos, ch in enumerate(pattern):
        if ch == "#":
            out[:, pos] = _DIGITS[rng.integers(0, 10, size=n)]
        elif ch == "L":
            out[:, pos] = _LETTERS[rng.integers(0, 26, size=n)]
        else:
            out[:, pos] = ord(ch)
    return np.ascontiguousarray(out).view(f"S{len(pattern)}").ravel()


def text(values: BytesArray, null: BoolArray | None = None) -> pa.Array:
    """Byte strings (ASCII) -> Arrow strings, optionally with NULLs where ``null`` is true."""
    return flat(pa.array(values, type=pa.binary(), mask=null).cast(pa.string()))


def pick(vocabulary: Sequence[str], index: npt.NDArray[np.integer], null: BoolArray | None = None) -> pa.Array:
    """vocabulary[index] for every row, as Arrow strings (NULL where ``null`` is true)."""
    picked = pa.array(list(vocabulary), type=pa.string()).take(pa.array(index.astype(np.int32)))
    if null is not None and null.any():
        picked = pc.if_else(pa.array(null), pa.scalar(None, pa.string()), picked)
    return flat(picked)


def flat(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous Arrow array (kernels return chunked arrays for large inputs)."""
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def join(*parts: pa.Array | str) -> pa.Array:
    """Element-wise string concatenation of Arrow arrays and literal strings."""
    return flat(pc.binary_join_element_wise(*parts, ""))


def int_text(values: npt.NDArray[np.integer]) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def padded_int_text(values: npt.NDArray[np.integer], width: int) -> pa.Array:
    return pc.utf8_lpad(int_text(values), width=width, padding="0")


def money_text(cents: IntArray) -> pa.Array:
    """int64 hundredths -> '12.34' strings, for JSON payloads and manifest details."""
    sign = pick(["", "-"], (cents < 0).astype(np.int64))
    mag = np.abs(cents)
    return join(sign, int_text(mag // 100), ".", padded_int_text(mag % 100, 2))


def wall_clock(micros: IntArray, zone: str) -> IntArray:
    """Instants -> what a wall clock in ``zone`` shows, as microseconds (for naive timestamps).

    NEVER stays NEVER."""
    missing = micros == NEVER
    safe = np.where(missing, 0, micros)
    local = pc.local_timestamp(pa.array(safe, type=pa.timestamp("us", tz=zone)))
    shown = local.cast(pa.int64()).to_numpy(zero_copy_only=False)
    return np.where(missing, NEVER, shown).astype(np.int64)


def json_object(fields: Sequence[tuple[str, pa.Array, bool]]) -> pa.Array:
    """Build '{"k": v, ...}' per row from (key, string values, quote?) triples.

    Values must not contain characters that need JSON escaping; the generator only feeds it fixed
    vocabulary, numbers and ids.
    """
    parts: list[pa.Array | str] = ["{"]
    for pos, (key, values, quoted) in enumerate(fields):
        parts.append(('"' if pos == 0 else ', "') + key + ('": "' if quoted else '": '))
        parts.append(values)
        if quoted:
            parts.append('"')
    parts.append("}")
    return join(*parts)


def string_lists(offsets: npt.NDArray[np.int32], values: pa.Array) -> pa.ListArray:
    """A list<string> column (for text[]) from list offsets + flat values."""
    return pa.ListArray.from_arrays(pa.array(offsets, type=pa.int32()), values)


def uniform_between(rng: np.random.Generator, low: IntArray | int, high: IntArray | int, size: int) -> IntArray:
    """``size`` uniform int64 values in [low, high) (bounds scalar or per row; high <= low gives low)."""
    low_arr = np.asarray(low, dtype=np.int64)
    span = np.maximum(np.asarray(high, dtype=np.int64) - low_arr, 1)
    return (low_arr + (rng.random(size=size) * span).astype(np.int64)).astype(np.int64)


def weighted_choice(rng: np.random.Generator, weights: Sequence[float], n: int) -> npt.NDArray[np.int64]:
    """n indices drawn with the given (not necessarily normalised) weights."""
    cdf = np.cumsum(np.asarray(weights, dtype=np.float64))
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(cdf) - 1).astype(np.int64)
