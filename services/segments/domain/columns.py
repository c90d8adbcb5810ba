"""`ProfileColumns`: every customer's profile held column-wise in NumPy arrays, so a
segment over a million customers is a handful of vectorised array operations.

Encodings (all exact, so the columnar evaluator agrees with the reference one):
  number (total_spend)   int64 paise (amounts are DECIMAL(_, 2); float would round)
  integer (visits)       int64
  date                   int64 microseconds since the epoch, UTC
  text                   int32 codes into a per-column dictionary of casefolded
                         values; code 0 is NULL

Numbers and dates carry a separate `valid` mask rather than a sentinel, so no
comparison can accidentally match a NULL.

Text is dictionary-encoded because `=`/`in` then become integer comparisons, and
`contains`/`beginsWith` are decided once per DISTINCT value and spread to rows by
indexing the result with the codes: a city column has a few hundred distinct values
for a million rows. For near-unique columns (email) the per-value work is a Python
loop over the dictionary (measured faster than `np.strings.find` here); its result
is cached per needle and only extended for values added since, so repeated counts of
one segment stay cheap while events keep arriving.

Arrays are allocated with spare capacity that doubles when full, so `upsert`
(append or update in place, found through the customer id → row index dict) is
amortised O(1). One writer only: the service applies events and evaluates on one
thread/event loop; nothing here locks. Rows are never deleted; a value that a row
stops using stays in the text dictionary (harmless: no row has its code).
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shared.rules.fields import FIELDS, FieldType
from shared.rules.values import to_epoch_us, to_paise

from .profile import CustomerId, Profile

BoolArray = NDArray[np.bool_]
_CACHE_SIZE = 16  # cached per-needle predicates per text column (1 byte per distinct value)


def _encode_int(value: Any, ftype: FieldType) -> int:
    """A Python profile value in the column's int64 encoding."""
    if ftype == "number":
        return to_paise(value)
    if ftype == "date":
        return to_epoch_us(value)
    if isinstance(value, bool):
        raise TypeError("expected int, got bool")
    return operator.index(value)  # int or NumPy integer; a float is a TypeError


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


class TextColumn:
    """Dictionary-encoded casefolded text; see the module docstring."""

    def __init__(self, capacity: int) -> None:
        self.codes = np.zeros(capacity, np.int32)
        self._lookup: dict[str, int] = {}  # casefolded value → code (≥ 1)
        self._vocab: list[str] = [""]  # code → casefolded value; [0] stands for NULL
        self._cache: dict[tuple[str, str], BoolArray] = {}  # insertion order = LRU order

    @property
    def distinct(self) -> int:
        return len(self._vocab) - 1

    def grow(self, capacity: int) -> None:
        codes = np.zeros(capacity, np.int32)
        codes[: self.codes.size] = self.codes
        self.codes = codes

    def encode(self, value: str | None) -> int:
        if value is None:
            return 0
        if not isinstance(value, str):
            raise TypeError(f"expected str, got {type(value).__name__}")
        key = value.casefold()
        code = self._lookup.get(key)
        if code is None:
            code = self._lookup[key] = len(self._vocab)
            self._vocab.append(key)
        return code

    def load(self, values: Sequence[str | None], n: int) -> None:
        """Bulk-encode rows 0..n-1 (the hot loop of a 1M-row load, kept tight)."""
        if len(values) != n:
            raise ValueError(f"expected {n} values, got {len(values)}")
        self.codes[:n] = np.fromiter(map(self.encode, values), np.int32, count=n)

    def _predicate(self, op: str, needle: str) -> BoolArray:
        """`op` (contains/beginsWith) of each distinct value; index 0 (NULL) is False."""
        key = (op, needle)
        cached = self._cache.pop(key, None)
        done = 0 if cached is None else cached.size
        if done < len(self._vocab):
            new_values = self._vocab[done:]
            if op == "contains":
                tests: Iterable[bool] = (needle in v for v in new_values)
            else:
                tests = map(operator.methodcaller("startswith", needle), new_values)
            fresh = np.fromiter(tests, np.bool_, len(new_values))
            if done == 0:
                fresh[0] = False
            cached = fresh if cached is None else np.concatenate((cached, fresh))
        assert cached is not None
        self._cache[key] = cached
        while len(self._cache) > _CACHE_SIZE:
            del self._cache[next(iter(self._cache))]
        return cached

    def mask(self, op: str, value: Any, n: int) -> BoolArray:
        """Rows 0..n-1 matching `text op value`; NULL rows match only `null`."""
        codes = self.codes[:n]
        if op == "null":
            return codes == 0
        if op == "notNull":
            return codes != 0
        if op in ("contains", "beginsWith"):
            return self._predicate(op, value.casefold())[codes]
        if op == "in":
            found = [c for v in value if (c := self._lookup.get(v.casefold())) is not None]
            table = np.zeros(len(self._vocab), np.bool_)  # code → is one of the values
            table[found] = True
            return table[codes]
        code = self._lookup.get(value.casefold())
        if op == "=":
            return np.zeros(n, np.bool_) if code is None else codes == code
        if op == "!=":
            out = codes != 0
            if code is not None:
                out &= codes != code
            return out
        raise ValueError(f"operator {op!r} does not apply to text")


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
        self._ids: list[CustomerId] = []
        self._index: dict[CustomerId, int] = {}
        self._ints = {
            f.name: IntColumn(self._capacity) for f in FIELDS.values() if f.type != "text"
        }
        self._texts = {
            f.name: TextColumn(self._capacity) for f in FIELDS.values() if f.type == "text"
        }

    def __len__(self) -> int:
        return self._size

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
        Text columns are sequences of str or None. Customer ids must be unique.
        """
        ids: list[CustomerId] = (
            customer_id.tolist() if isinstance(customer_id, np.ndarray) else list(customer_id)
        )
        unknown = set(columns) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown columns: {sorted(unknown)}")
        n = len(ids)
        self = cls(capacity=max(n, 1024))
        self._index = dict(zip(ids, range(n), strict=True))
        if len(self._index) != n:
            raise ValueError("customer ids must be unique")
        self._ids = ids
        for name, data in columns.items():
            if name in self._texts:
                self._texts[name].load(data, n)
            else:
                col = self._ints[name]
                col.values[:n], col.valid[:n] = _int_array(data, FIELDS[name].type, n)
        self._size = n
        return self

    @classmethod
    def from_profiles(cls, profiles: Iterable[Profile]) -> ProfileColumns:
        rows = list(profiles)
        columns = {name: [getattr(p, name) for p in rows] for name in FIELDS}
        return cls.from_arrays([p.customer_id for p in rows], **columns)

    def _grow(self, minimum: int) -> None:
        self._capacity = max(minimum, 2 * self._capacity)
        for column in self._ints.values():
            column.grow(self._capacity)
        for text in self._texts.values():
            text.grow(self._capacity)

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
        i = self._index.get(profile.customer_id)
        if i is None:
            i = self._size
            if i == self._capacity:
                self._grow(i + 1)
            self._ids.append(profile.customer_id)
            self._index[profile.customer_id] = i
            self._size += 1
        for name, value in ints.items():
            self._ints[name].set(i, value)
        for name, code in texts.items():
            self._texts[name].codes[i] = code
        return i

    def upsert_many(self, profiles: Iterable[Profile]) -> list[int]:
        """`upsert` each in order (later wins for a repeated id); returns their indices.
        Not atomic: a bad profile raises after the ones before it were applied."""
        rows = list(profiles)
        new = len({p.customer_id for p in rows} - self._index.keys())
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
        return self._index.get(customer_id)

    def customer_ids_at(
        self, indices: Iterable[int] | NDArray[np.integer[Any]]
    ) -> list[CustomerId]:
        ids = self._ids
        return [ids[i] for i in np.asarray(indices, dtype=np.intp).tolist()]
