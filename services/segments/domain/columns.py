"""`ProfileColumns`: every customer's profile held column-wise in NumPy arrays and byte
blobs, so a segment over a million customers is a handful of vectorised array operations
and the whole store holds no Python object per profile (issue 15: 1M profiles in well
under 400 MB).

Encodings (all exact, so the columnar evaluator agrees with the reference one):
  number (total_spend)   int64 paise (amounts are DECIMAL(_, 2); float would round)
  integer (visits)       int64
  date                   int64 microseconds since the epoch, UTC
  text                   int32 codes into a per-column vocabulary of casefolded
                         values; code 0 is NULL
  name, as written       a second text column, not casefolded (int32 codes, own vocabulary):
                         the preview's sample shows names without a SQL round trip
  customer id            str ids: one sorted UTF-8 blob (`SortedText`); int ids: a sorted
                         int64 array; either with a permutation when rows are not in key
                         order, plus a dict for the (few) ids appended after the load

Numbers and dates carry a separate `valid` mask rather than a sentinel, so no
comparison can accidentally match a NULL.

Text vocabulary. The values present at load form a `SortedText`: sorted by code point
(= UTF-8 byte order), code = 1 + rank. So `beginsWith` is a contiguous code range found by
two binary searches, and the row mask is two integer comparisons; `=`/`in` are one binary
search per operand and integer comparisons. `contains` is decided per distinct value by a
NumPy scan of the blob (see `SortedText.containing`) and cached per needle. Values first
seen after the load (from `profile.changed`) get codes after the sorted ones, in a small
"extra" list that predicates scan in Python and cache per needle, extending the cached
answer only for values added since. A value a row stops using stays in the vocabulary
(harmless: no row has its code). The extra list is never re-sorted into the blob: at the
rate new customers arrive it stays small next to the loaded vocabulary, and a restart folds
it in.

Arrays are allocated with spare capacity that doubles when full, so `upsert` (append or
update in place) is amortised O(1). One writer only: the service applies events and
evaluates on one event loop; nothing here locks (the cache builds a new `ProfileColumns`
elsewhere and swaps it in whole).
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Callable, Iterable, Sequence
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.ma  # noqa: F401  (see below)
from numpy.typing import NDArray

from shared.rules.fields import FIELDS, FieldType
from shared.rules.values import to_epoch_us, to_paise

from .profile import CustomerId, Profile

# NumPy imports `numpy.ma` lazily, on first use (here: `np.unique` inside `contains`). The
# API process gets its columns from the loading child and would pay that import, about
# 40 ms, inside the first such preview; importing it with this module pays it at start.
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]
_CACHE_SIZE = 16  # cached per-needle predicates per text column
_SEP = b"\xff"  # never occurs in UTF-8, so no match can straddle two values
_JOIN, _JOIN_UTF8 = "\uffff", "\uffff".encode()  # joins values to encode them at once
_UNIT = "\x1f"  # joins values to casefold them at once (casefold maps no char to it)
# Values sampled to choose how to dedupe a text column: hashing wins while values repeat
# (1M names of 12k distinct: 0.14 s against 0.73 s), NumPy's sort when nearly all differ.
_SAMPLE = 20_000
_FEW = 8  # up to this many codes, `or` of equality tests beats a table lookup per row
_DENSE = 4  # present codes spanning under this many times their count: scan the span


def _encode_int(value: Any, ftype: FieldType) -> int:
    """A Python profile value in the column's int64 encoding."""
    if ftype == "number":
        return to_paise(value)
    if ftype == "date":
        return to_epoch_us(value)
    if isinstance(value, bool):
        raise TypeError("expected int, got bool")
    return operator.index(value)  # int or NumPy integer; a float is a TypeError


class SortedText:
    """Distinct strings sorted by code point, held as one UTF-8 blob (values separated by
    0xFF) and their start offsets: about the bytes of the text, not a Python object each.
    Indexing gives the UTF-8 bytes of a value, so `bisect` searches it directly."""

    __slots__ = ("blob", "starts")

    def __init__(self, values: Sequence[str]) -> None:
        """`values` must be sorted and distinct (see `build`)."""
        joined = _JOIN.join(values)
        if joined.count(_JOIN) != max(len(values) - 1, 0):  # a value holds U+FFFF itself
            self._fill(_SEP.join(v.encode() for v in values), len(values))
        else:  # one encode in C instead of one per value
            self._fill(joined.encode().replace(_JOIN_UTF8, _SEP), len(values))

    @classmethod
    def from_utf8(cls, encoded: Sequence[bytes]) -> SortedText:
        """From values already UTF-8 encoded, sorted and distinct."""
        self = cls.__new__(cls)
        self._fill(_SEP.join(encoded), len(encoded))
        return self

    def _fill(self, blob: bytes, count: int) -> None:
        self.blob = blob
        # starts[i] .. starts[i + 1] - 1 is value i: found from the separators (vectorised).
        dtype = np.uint32 if len(blob) < 2**32 - 2 else np.int64
        starts = np.zeros(count + 1, dtype)
        if count:
            seps = np.flatnonzero(np.frombuffer(blob, np.uint8) == _SEP[0])
            if seps.size != count - 1:
                raise ValueError("a value holds the byte 0xFF: not UTF-8")
            starts[1:count] = seps + 1
            starts[count] = len(blob) + 1
        self.starts = starts

    def __len__(self) -> int:
        return self.starts.size - 1

    def __getitem__(self, i: int) -> bytes:
        return self.blob[int(self.starts[i]) : int(self.starts[i + 1]) - 1]

    def subset(self, ranks: NDArray[Any]) -> SortedText:
        """The values at `ranks` (ascending), as their own `SortedText`."""
        blob, starts = self.blob, self.starts
        begin, end = starts[ranks].tolist(), (starts[ranks + 1] - 1).tolist()
        return SortedText.from_utf8([blob[b:e] for b, e in zip(begin, end, strict=True)])

    def decode(self, i: int) -> str:
        return self[i].decode()

    def find(self, value: bytes) -> int | None:
        """Rank of `value`, or None when absent."""
        i = bisect.bisect_left(self, value, 0, len(self))
        return i if i < len(self) and self[i] == value else None

    def prefix_range(self, prefix: bytes) -> tuple[int, int]:
        """Ranks [lo, hi) of the values starting with `prefix`: every such value sorts
        between `prefix` itself and `prefix` + 0xFF, a byte UTF-8 never uses."""
        n = len(self)
        return bisect.bisect_left(self, prefix, 0, n), bisect.bisect_left(self, prefix + _SEP, 0, n)

    def containing(self, needle: bytes, lo: int = 0, hi: int | None = None) -> BoolArray:
        """Per value of ranks [lo, hi) (default all): whether it contains `needle`. Finds
        every occurrence of the needle's first byte in that stretch of the blob, narrows
        those positions byte by byte, then maps the survivors to values by their offsets
        (vectorised; no Python loop per value)."""
        hi = len(self) if hi is None else hi
        out = np.zeros(max(hi - lo, 0), np.bool_)
        if not needle or not out.size:
            out[:] = True
            return out
        begin, end = int(self.starts[lo]), int(self.starts[hi]) - 1  # the ranks' bytes
        data = np.frombuffer(self.blob, np.uint8, end - begin, begin)
        k = len(needle)
        pos = np.flatnonzero(data[: max(data.size - k + 1, 0)] == needle[0])
        for j in range(1, k):
            if not pos.size:
                break
            pos = pos[data[pos + j] == needle[j]]
        if pos.size:
            starts = self.starts[lo : hi + 1].astype(np.int64) - begin
            out[np.searchsorted(starts, pos, side="right") - 1] = True
        return out

    @staticmethod
    def build(values: Iterable[str]) -> tuple[SortedText, dict[str, int]]:
        """The sorted vocabulary of `values` and each value's rank (a transient map)."""
        distinct = sorted(set(values))
        return SortedText(distinct), {v: i for i, v in enumerate(distinct)}


class IntColumn:
    """int64 values plus a validity mask (False = NULL), with spare capacity."""

    __slots__ = ("values", "valid")

    def __init__(self, capacity: int) -> None:
        self.values = np.zeros(capacity, np.int64)
        self.valid = np.zeros(capacity, np.bool_)

    def grow(self, capacity: int) -> None:
        values, valid = np.zeros(capacity, np.int64), np.zeros(capacity, np.bool_)
        values[: self.values.size], valid[: self.valid.size] = self.values, self.valid
        self.values, self.valid = values, valid

    def set(self, i: int, value: int | None) -> None:
        self.values[i] = 0 if value is None else value
        self.valid[i] = value is not None


class _Needle:
    """A cached predicate over a text column's vocabulary: the answer for the sorted
    values (a bool per value for `contains`, a code range for `beginsWith`) and the
    extra codes that match, as far as the extra values were scanned."""

    __slots__ = ("base", "extra", "scanned")

    def __init__(self, base: BoolArray | tuple[int, int]) -> None:
        self.base = base
        self.extra: list[int] = []
        self.scanned = 0


class TextColumn:
    """Casefolded text as codes into a vocabulary; see the module docstring. With
    `fold=False` the values are kept as given (the display copy of the names)."""

    def __init__(self, capacity: int, fold: bool = True) -> None:
        self._fold: Callable[[str], str] = str.casefold if fold else str
        self.codes = np.zeros(capacity, np.int32)
        self._sorted = SortedText([])  # codes 1 .. len(_sorted)
        self._extra: list[str] = []  # codes len(_sorted) + 1 ..
        self._extra_lookup: dict[str, int] = {}
        self._cache: dict[tuple[str, str], _Needle] = {}  # insertion order = LRU order

    @property
    def distinct(self) -> int:
        return len(self._sorted) + len(self._extra)

    def grow(self, capacity: int) -> None:
        codes = np.zeros(capacity, np.int32)
        codes[: self.codes.size] = self.codes
        self.codes = codes

    def _code_of(self, key: str) -> int | None:
        """Code of a casefolded value, or None when no row ever had it."""
        rank = self._sorted.find(key.encode())
        return rank + 1 if rank is not None else self._extra_lookup.get(key)

    def encode(self, value: str | None) -> int:
        if value is None:
            return 0
        if not isinstance(value, str):
            raise TypeError(f"expected str, got {type(value).__name__}")
        key = self._fold(value)
        code = self._code_of(key)
        if code is None:
            code = self._extra_lookup[key] = self.distinct + 1
            self._extra.append(key)
        return code

    def load(self, values: Sequence[str | None], n: int) -> None:
        """Bulk-encode rows 0..n-1: the vocabulary becomes the sorted distinct values."""
        if len(values) != n:
            raise ValueError(f"expected {n} values, got {len(values)}")
        self._extra, self._extra_lookup, self._cache = [], {}, {}
        present: BoolArray = np.array(values, dtype=object).reshape(n) != None  # noqa: E711 (elementwise)
        try:
            joined = _UNIT.join(v for v in values if v is not None)
        except TypeError as error:
            raise TypeError(f"expected str values: {error}") from None
        count = int(np.count_nonzero(present))
        if joined.count(_UNIT) != max(count - 1, 0) or "\0" in joined:
            # A value holds the joiner, or a NUL (NumPy's bytes arrays drop trailing
            # NULs): take the slower, exact way.
            folded = [None if v is None else self._fold(v) for v in values]
            self._sorted, rank = SortedText.build(v for v in folded if v is not None)
            self.codes[:n] = np.fromiter(
                (0 if v is None else rank[v] + 1 for v in folded), np.int32, count=n
            )
            return
        # casefold is per character, so folding the joined text folds every value; a
        # fixed-width bytes array then sorts in C, in UTF-8 byte (= code point) order.
        # About five times faster than casefold/set/sorted/dict per value at 1M rows.
        encoded = self._fold(joined).encode().split(_UNIT.encode()) if count else []
        del joined
        codes = np.zeros(n, np.int32)
        sample = encoded[:_SAMPLE]
        if len(set(sample)) < 0.8 * len(sample):  # repeated values (city, name): hash them
            ranked = sorted(dict.fromkeys(encoded))
            rank_of = {v: i + 1 for i, v in enumerate(ranked)}
            codes[present] = np.fromiter(map(rank_of.__getitem__, encoded), np.int32, count)
        else:  # near-unique (email, phone): sorting in C beats a million dict entries
            distinct, inverse = np.unique(np.array(encoded, np.bytes_), return_inverse=True)
            ranked = distinct.tolist()
            codes[present] = inverse.reshape(-1) + 1
        del encoded
        self._sorted = SortedText.from_utf8(ranked)
        self.codes[:n] = codes

    def _needle(self, op: str, needle: str) -> _Needle:
        """The cached predicate `op` (contains/beginsWith) of `needle` (casefolded)."""
        key = (op, needle)
        found = self._cache.pop(key, None)
        if found is None:
            raw = needle.encode()
            found = _Needle(
                self._sorted.containing(raw) if op == "contains" else self._sorted.prefix_range(raw)
            )
        if found.scanned < len(self._extra):
            first = len(self._sorted) + 1 + found.scanned
            fresh = self._extra[found.scanned :]
            contains = op == "contains"
            found.extra.extend(
                first + i
                for i, v in enumerate(fresh)
                if (needle in v if contains else v.startswith(needle))
            )
            found.scanned = len(self._extra)
        self._cache[key] = found
        while len(self._cache) > _CACHE_SIZE:
            del self._cache[next(iter(self._cache))]
        return found

    def _any_of(self, codes: NDArray[np.int32], wanted: Sequence[int]) -> BoolArray:
        """Rows whose code is one of `wanted` (codes ≥ 1)."""
        if len(wanted) <= _FEW:
            out = np.zeros(codes.size, np.bool_)
            for code in wanted:
                out |= codes == code
            return out
        table = np.zeros(self.distinct + 1, np.bool_)
        table[list(wanted)] = True
        return table[codes]

    def mask(self, op: str, value: Any, n: int, within: BoolArray | None = None) -> BoolArray:
        """Rows 0..n-1 matching `text op value`; NULL rows match only `null`.

        `within`, when given for `contains`, says which rows the caller will keep (it ANDs
        the result with them): only their distinct values are tested, which is cheaper
        than a first scan of a large vocabulary when they are few. Rows outside are False.
        """
        codes = self.codes[:n]
        if op == "null":
            return codes == 0
        if op == "notNull":
            return codes != 0
        if op == "contains":
            needle = value.casefold()
            if within is not None and ("contains", needle) not in self._cache:
                return self._contains_within(codes, needle, within)
            found = self._needle(op, needle)
            assert isinstance(found.base, np.ndarray)
            table = np.zeros(self.distinct + 1, np.bool_)
            table[1 : found.base.size + 1] = found.base
            table[found.extra] = True
            return table[codes]
        if op == "beginsWith":
            found = self._needle(op, value.casefold())
            assert isinstance(found.base, tuple)
            lo, hi = found.base
            out = codes > lo  # codes lo+1 .. hi are the ranks lo .. hi-1
            out &= codes <= hi
            if found.extra:
                out |= self._any_of(codes, found.extra)
            return out
        if op == "in":
            wanted = {c for v in value if (c := self._code_of(v.casefold())) is not None}
            return self._any_of(codes, sorted(wanted))
        code = self._code_of(value.casefold())
        if op == "=":
            return np.zeros(n, np.bool_) if code is None else codes == code
        if op == "!=":
            out = codes != 0
            if code is not None:
                out &= codes != code
            return out
        raise ValueError(f"operator {op!r} does not apply to text")

    def _contains_within(
        self, codes: NDArray[np.int32], needle: str, within: BoolArray
    ) -> BoolArray:
        present = np.unique(codes[within])
        present = present[present != 0]
        size = len(self._sorted)
        loaded = present[present <= size]  # codes of sorted values: scan their bytes at once
        if loaded.size and int(loaded[-1]) - int(loaded[0]) < _DENSE * loaded.size:
            # Close together (e.g. after a `beginsWith` on the same column, one code range):
            # scan that stretch of the blob in place rather than copying each value out.
            first = int(loaded[0]) - 1
            found = self._sorted.containing(needle.encode(), first, int(loaded[-1]))
            found = found[loaded - 1 - first]
        else:
            found = self._sorted.subset(loaded - 1).containing(needle.encode())
        hits = loaded[found].tolist()
        hits += [c for c in present[present > size].tolist() if needle in self.value_of(c)]
        out = np.zeros(codes.size, np.bool_)
        if hits:
            out[within] = self._any_of(codes[within], hits)
        return out

    def value_of(self, code: int) -> str:
        """The value of a code ≥ 1 (casefolded unless the column keeps values as given)."""
        size = len(self._sorted)
        return self._sorted.decode(code - 1) if code <= size else self._extra[code - size - 1]


class _Keys:
    """Customer id → row index, without a Python object per loaded id (see the module
    docstring). Ids appended after the load live in `_extra`."""

    def __init__(self, ids: list[CustomerId]) -> None:
        n = len(ids)
        self._size = n
        self._text: SortedText | None = None
        self._ints: IntArray | None = None
        self._row_of: NDArray[np.int64] | None = None  # sorted position → row (None: same)
        self._sorted_at: NDArray[np.int64] | None = None  # row → sorted position
        self._extra: dict[CustomerId, int] = {}
        self._extra_ids: list[CustomerId] = []
        if all(isinstance(i, str) for i in ids):
            # Strictly ascending (as the cache loads them) means unique and no permutation.
            if all(a < b for a, b in pairwise(ids)):  # type: ignore[operator]
                self._text = SortedText(ids)  # type: ignore[arg-type]
            else:
                order = sorted(range(n), key=ids.__getitem__)
                ranked = [ids[i] for i in order]
                if any(a == b for a, b in pairwise(ranked)):
                    raise ValueError("customer ids must be unique")
                self._text = SortedText(ranked)  # type: ignore[arg-type]
                self._set_order(np.array(order, np.int64))
        elif all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            values = np.array(ids, np.int64)
            order_arr = np.argsort(values, kind="stable")
            self._ints = values[order_arr]
            if n and np.any(self._ints[1:] == self._ints[:-1]):
                raise ValueError("customer ids must be unique")
            self._set_order(order_arr.astype(np.int64))
        else:  # mixed id types: correct, just not compact
            self._extra = dict(zip(ids, range(n), strict=True))
            if len(self._extra) != n:
                raise ValueError("customer ids must be unique")
            self._extra_ids = list(ids)
            self._size = 0

    def _set_order(self, row_of: NDArray[np.int64]) -> None:
        self._row_of = row_of
        self._sorted_at = np.empty_like(row_of)
        self._sorted_at[row_of] = np.arange(row_of.size)

    def index_of(self, customer_id: CustomerId) -> int | None:
        found = self._extra.get(customer_id)
        if found is not None:
            return found
        pos: int | None = None
        if self._text is not None and isinstance(customer_id, str):
            pos = self._text.find(customer_id.encode())
        elif (
            self._ints is not None
            and isinstance(customer_id, int)
            and not isinstance(customer_id, bool)
        ):
            p = int(np.searchsorted(self._ints, customer_id))
            pos = p if p < self._ints.size and self._ints[p] == customer_id else None
        if pos is None:
            return None
        return pos if self._row_of is None else int(self._row_of[pos])

    def append(self, customer_id: CustomerId, row: int) -> None:
        self._extra[customer_id] = row
        self._extra_ids.append(customer_id)

    def id_at(self, row: int) -> CustomerId:
        if row >= self._size:
            return self._extra_ids[row - self._size]
        pos = row if self._sorted_at is None else int(self._sorted_at[row])
        if self._text is not None:
            return self._text.decode(pos)
        assert self._ints is not None
        return int(self._ints[pos])


def _int_array(data: Any, ftype: FieldType, n: int) -> tuple[NDArray[np.int64], BoolArray]:
    """Values and validity of a bulk-loaded int column; see `from_arrays`."""
    valid: BoolArray = np.ones(n, np.bool_)
    if isinstance(data, np.ma.MaskedArray):
        valid = ~np.ma.getmaskarray(data)
        data = data.filled(np.datetime64("NaT") if data.dtype.kind == "M" else 0)
    if isinstance(data, np.ndarray) and data.dtype != object:
        if data.shape != (n,):
            raise ValueError(f"expected shape ({n},), got {data.shape}")
        kind = data.dtype.kind
        if kind == "M" and ftype == "date":
            valid = valid & ~np.isnat(data)
            values = data.astype("datetime64[us]").astype(np.int64)
        elif kind in "iu":
            values = data.astype(np.int64)
        elif kind == "f":  # NaN as NULL, the usual NumPy/pandas idiom for missing ints
            valid = valid & ~np.isnan(data)
            if not np.array_equal(data[valid], np.round(data[valid])):
                raise ValueError("float column holds non-integral values")
            values = np.where(valid, data, 0).astype(np.int64)
        else:
            raise TypeError(f"cannot load a {data.dtype} array as a {ftype} column")
        return np.where(valid, values, 0), valid
    items = list(data)
    if len(items) != n:
        raise ValueError(f"expected {n} values, got {len(items)}")
    valid = np.fromiter((v is not None for v in items), np.bool_, n)
    values = np.fromiter((0 if v is None else _encode_int(v, ftype) for v in items), np.int64, n)
    return values, valid


class ProfileColumns:
    """All profiles, column-wise. Build with `from_arrays`/`from_profiles`, keep fresh
    with `upsert`/`upsert_many`, evaluate with `evaluate.mask`."""

    def __init__(self, capacity: int = 1024) -> None:
        self._size = 0
        self._capacity = max(1, capacity)
        self._keys = _Keys([])
        self._ints = {
            f.name: IntColumn(self._capacity) for f in FIELDS.values() if f.type != "text"
        }
        self._texts = {
            f.name: TextColumn(self._capacity) for f in FIELDS.values() if f.type == "text"
        }
        # The names as written, for the preview's sample (the columns above are casefolded).
        self._names = TextColumn(self._capacity, fold=False)
        # Rows of profiles that are no longer customers (merged, erased, an undone import):
        # False here, in no audience. None until the first removal, so the usual case pays
        # nothing per evaluation.
        self._live: BoolArray | None = None
        self._dead = 0

    def __len__(self) -> int:
        """Rows, removed ones included (see `live_count`)."""
        return self._size

    @property
    def live_count(self) -> int:
        return self._size - self._dead

    @property
    def live(self) -> BoolArray | None:
        """False for removed rows; None when no row was ever removed."""
        return None if self._live is None else self._live[: self._size]

    def remove(self, customer_id: CustomerId) -> bool:
        """Take a profile out of every audience (its row stays, dead, until upserted
        again); returns whether it was there."""
        i = self._keys.index_of(customer_id)
        if i is None:
            return False
        if self._live is None:
            self._live = np.ones(self._capacity, np.bool_)
        if self._live[i]:
            self._live[i] = False
            self._dead += 1
        return True

    @property
    def capacity(self) -> int:
        return self._capacity

    @classmethod
    def from_arrays(
        cls, customer_id: Sequence[CustomerId] | NDArray[Any], **columns: Any
    ) -> ProfileColumns:
        """Bulk load, one keyword per field (a missing field is all NULL).

        Numeric/date columns are either
        * NumPy arrays already in the column encoding, the fast path: int paise for
          total_spend, int epoch µs or datetime64 for dates; NULLs as a MaskedArray,
          NaN in a float array, or NaT; or
        * sequences (lists) of Python values or None, converted one by one: Decimal or
          int RUPEES for total_spend, int, datetime (naive = UTC).
        Note the unit differs: an int ndarray of total_spend is paise, a list is rupees.
        Text columns are sequences of str or None. Customer ids must be unique; str ids
        already in ascending order (as the cache loads them) need no permutation.
        """
        ids: list[CustomerId] = (
            customer_id.tolist() if isinstance(customer_id, np.ndarray) else list(customer_id)
        )
        unknown = set(columns) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown columns: {sorted(unknown)}")
        n = len(ids)
        self = cls(capacity=max(n, 1024))
        self._keys = _Keys(ids)
        del ids  # the keys hold them compactly now
        for name, data in columns.items():
            if name in self._texts:
                self._texts[name].load(data, n)
                if name == "name":
                    self._names.load(data, n)
            else:
                col = self._ints[name]
                col.values[:n], col.valid[:n] = _int_array(data, FIELDS[name].type, n)
        self._size = n
        return self

    def adopt(self, other: ProfileColumns, fields: Iterable[str]) -> None:
        """Take `fields` from `other`, built from the same rows in the same order (the
        cache builds parts of one load in parallel and joins them here)."""
        if len(other) != self._size or other._capacity != self._capacity:
            raise ValueError("the parts of a load must hold the same rows")
        for name in fields:
            if name in self._texts:
                self._texts[name] = other._texts[name]
                if name == "name":
                    self._names = other._names
            else:
                self._ints[name] = other._ints[name]

    @classmethod
    def from_profiles(cls, profiles: Iterable[Profile]) -> ProfileColumns:
        rows = list(profiles)
        columns = {name: [getattr(p, name) for p in rows] for name in FIELDS}
        return cls.from_arrays([p.customer_id for p in rows], **columns)

    def _grow(self, minimum: int) -> None:
        self._capacity = max(minimum, 2 * self._capacity)
        if self._live is not None:
            live = np.ones(self._capacity, np.bool_)
            live[: self._live.size] = self._live
            self._live = live
        for column in self._ints.values():
            column.grow(self._capacity)
        for text in self._texts.values():
            text.grow(self._capacity)
        self._names.grow(self._capacity)

    def upsert(self, profile: Profile) -> int:
        """Insert or overwrite the profile's row; returns its index."""
        # Encode first so a bad value leaves the row untouched (or not appended).
        ints = {
            name: None
            if (v := getattr(profile, name)) is None
            else _encode_int(v, FIELDS[name].type)
            for name in self._ints
        }
        texts = {name: col.encode(getattr(profile, name)) for name, col in self._texts.items()}
        display = self._names.encode(profile.name)
        i = self._keys.index_of(profile.customer_id)
        if i is None:
            i = self._size
            if i == self._capacity:
                self._grow(i + 1)
            self._keys.append(profile.customer_id, i)
            self._size += 1
        for name, value in ints.items():
            self._ints[name].set(i, value)
        for name, code in texts.items():
            self._texts[name].codes[i] = code
        self._names.codes[i] = display
        if self._live is not None and not self._live[i]:
            self._live[i] = True
            self._dead -= 1
        return i

    def upsert_many(self, profiles: Iterable[Profile]) -> list[int]:
        """`upsert` each in order (later wins for a repeated id); returns their indices.
        Not atomic: a bad profile raises after the ones before it were applied."""
        rows = list(profiles)
        new = len({p.customer_id for p in rows if self._keys.index_of(p.customer_id) is None})
        if self._size + new > self._capacity:
            self._grow(self._size + new)  # one reallocation for the whole batch
        return [self.upsert(p) for p in rows]

    def int_column(self, name: str) -> tuple[NDArray[np.int64], BoolArray]:
        """Views (values, valid) of the live rows of a number/integer/date column."""
        col = self._ints[name]
        return col.values[: self._size], col.valid[: self._size]

    def text_column(self, name: str) -> TextColumn:
        return self._texts[name]

    def index_of(self, customer_id: CustomerId) -> int | None:
        return self._keys.index_of(customer_id)

    def names_at(self, indices: Iterable[int] | NDArray[np.integer[Any]]) -> list[str | None]:
        """The names (as written, not casefolded) of rows `indices`; None = NULL."""
        codes = self._names.codes[np.asarray(indices, dtype=np.intp)].tolist()
        return [self._names.value_of(c) if c else None for c in codes]

    def customer_ids_at(
        self, indices: Iterable[int] | NDArray[np.integer[Any]]
    ) -> list[CustomerId]:
        return [self._keys.id_at(i) for i in np.asarray(indices, dtype=np.intp).tolist()]
