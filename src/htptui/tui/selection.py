"""The ops of a selection, carried as one sorted numpy array from the pane that asks to every pane.

A folded structure node or a QNN op with thousands of instances selects up to every op of the
trace (320k at 1M events). As a tuple of ints that selection cost ~10 ms to build (``tolist`` and
``tuple``), ~15 ms to turn back into an array in the timeline, and a sort per pane that wanted
it ordered. :class:`OpSelection` keeps the array (sorted, unique, read-only) and offers the tuple
interface panes and plug-ins use (``len``, indexing, iteration, ``in``, equality with a tuple), so
nothing converts it on the way; :func:`ops_array` gives any pane the array without a copy.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

import numpy as np

from htptui.analysis.ranking import sorted_unique  # a big selection is sorted by one mask

__all__ = ["OpSelection", "in_sorted", "ops_array", "sorted_unique"]


class OpSelection(Sequence[int]):
    """Selected trace op indices: a sorted, unique, read-only int64 array with a tuple's interface.

    Equal to any tuple or list of the same indices in ascending order, and to another selection of
    the same ops; hashable like a tuple.
    """

    __slots__ = ("_hash", "array")

    def __init__(self, ops: Sequence[int] | np.ndarray | OpSelection = ()) -> None:
        if isinstance(ops, OpSelection):
            arr = ops.array
        elif isinstance(ops, np.ndarray):
            arr = sorted_unique(ops.astype(np.int64, copy=False).ravel())
        else:
            arr = sorted_unique(np.fromiter(ops, dtype=np.int64, count=len(ops)))
        view = arr.view()
        view.flags.writeable = False  # the view only: the caller's array stays as it was
        self.array: np.ndarray = view
        self._hash: int | None = None

    def __len__(self) -> int:
        return int(self.array.shape[0])

    @overload
    def __getitem__(self, i: int) -> int: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[int, ...]: ...
    def __getitem__(self, i: int | slice) -> int | tuple[int, ...]:
        if isinstance(i, slice):
            return tuple(self.array[i].tolist())
        return int(self.array[i])

    def __iter__(self) -> Iterator[int]:
        return iter(self.array.tolist())

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int | np.integer) or isinstance(value, bool):
            return False
        pos = int(np.searchsorted(self.array, int(value)))
        return pos < self.array.shape[0] and int(self.array[pos]) == int(value)

    def __eq__(self, other: object) -> bool:
        if other is self:
            return True
        if isinstance(other, OpSelection):
            return self.array is other.array or np.array_equal(self.array, other.array)
        if isinstance(other, tuple | list):
            return len(other) == len(self) and np.array_equal(
                self.array, np.asarray(other, dtype=np.int64)
            )
        return NotImplemented

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple(self.array.tolist()))  # equal to a tuple's hash, as == says
        return self._hash

    def __repr__(self) -> str:
        head = ", ".join(str(v) for v in self.array[:5].tolist())
        more = f", … {len(self) - 5} more" if len(self) > 5 else ""
        return f"OpSelection([{head}{more}])"

    def contains_array(self, ops: np.ndarray) -> np.ndarray:
        """Which of ``ops`` are selected."""
        return in_sorted(self.array, ops)


def in_sorted(sorted_ops: np.ndarray, ops: np.ndarray) -> np.ndarray:
    """``np.isin(ops, sorted_ops)`` for a sorted ``sorted_ops``: one binary search per op of
    ``ops``, no sort of the (possibly 300k-op) selection."""
    ops = np.asarray(ops, dtype=np.int64)
    if not sorted_ops.size or not ops.size:
        return np.zeros(ops.shape, dtype=bool)
    pos = np.searchsorted(sorted_ops, ops)
    inside = pos < sorted_ops.shape[0]
    hit = np.zeros(ops.shape, dtype=bool)
    hit[inside] = sorted_ops[pos[inside]] == ops[inside]
    return hit


def ops_array(ops: Any) -> np.ndarray:
    """The sorted unique int64 array of a selection given as an :class:`OpSelection` (no copy),
    a tuple, a list or an array."""
    if isinstance(ops, OpSelection):
        return ops.array
    return OpSelection(ops).array
