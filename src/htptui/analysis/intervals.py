"""Interval arithmetic on numpy arrays of [start, end) cycles."""

from __future__ import annotations

import numpy as np


def merge(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge possibly overlapping intervals into disjoint sorted ones."""
    if starts.size == 0:
        return starts.astype(np.int64), ends.astype(np.int64)
    order = np.argsort(starts, kind="stable")
    s = starts[order].astype(np.int64)
    e = ends[order].astype(np.int64)
    run_end = np.maximum.accumulate(e)
    # a new merged interval begins where the start exceeds every earlier end
    new = np.empty(s.size, dtype=bool)
    new[0] = True
    new[1:] = s[1:] > run_end[:-1]
    first = np.flatnonzero(new)
    last = np.append(first[1:] - 1, s.size - 1)
    return s[first], run_end[last]


def union_length(starts: np.ndarray, ends: np.ndarray) -> int:
    """Total length covered by the union of intervals."""
    ms, me = merge(starts, ends)
    return int((me - ms).sum())


def intersection_length(
    a_starts: np.ndarray, a_ends: np.ndarray, b_starts: np.ndarray, b_ends: np.ndarray
) -> int:
    """Length of (union of A) ∩ (union of B): |A| + |B| − |A ∪ B|, all vectorised."""
    if a_starts.size == 0 or b_starts.size == 0:
        return 0
    both = union_length(np.concatenate([a_starts, b_starts]), np.concatenate([a_ends, b_ends]))
    return union_length(a_starts, a_ends) + union_length(b_starts, b_ends) - both


def gaps(starts: np.ndarray, ends: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Gaps inside [lo, hi) not covered by any interval."""
    ms, me = merge(starts, ends)
    gs = np.concatenate([[lo], me]).astype(np.int64)
    ge = np.concatenate([ms, [hi]]).astype(np.int64)
    keep = ge > gs
    return gs[keep], ge[keep]


def max_concurrency(starts: np.ndarray, ends: np.ndarray) -> int:
    """Maximum number of intervals open at once (ends before starts at equal times)."""
    if starts.size == 0:
        return 0
    t = np.concatenate([starts, ends]).astype(np.int64)
    d = np.ones(starts.size + ends.size, np.int64)
    d[starts.size :] = -1
    order = np.lexsort((d, t))
    return int(np.cumsum(d[order]).max())


def grouped_max_concurrency(
    group: np.ndarray, starts: np.ndarray, ends: np.ndarray, n_groups: int
) -> np.ndarray:
    """Max concurrency within each group id in [0, n_groups)."""
    out = np.zeros(n_groups, dtype=np.int64)
    if starts.size == 0:
        return out
    starts = starts.astype(np.int64, copy=False)
    ends = ends.astype(np.int64, copy=False)
    lo = int(min(starts.min(), ends.min()))
    shift = (int(max(starts.max(), ends.max())) - lo).bit_length()  # time fits in `shift` bits
    if n_groups < (1 << max(61 - shift, 0)):
        # one int64 key per boundary, (group, time, end-before-start) packed as bits and sorted by
        # value: no argsort and no gathers; the group and the +1/-1 step are read back from the
        # key. Built and decoded in place (each fresh temporary of 2n costs a page-faulted alloc)
        m = starts.size
        key = np.empty(2 * m, np.int64)
        high = group.astype(np.int64)  # a copy, shifted in place
        high <<= shift
        for part, times, bit in ((key[:m], starts, 1), (key[m:], ends, 0)):
            np.subtract(times, lo, out=part)
            part |= high
            part <<= 1
            part |= bit
        key.sort()
        level = key & 1
        level <<= 1
        level -= 1
        np.cumsum(level, out=level)  # each group's steps sum to zero: levels restart
        key >>= shift + 1  # the group of every boundary, in order
        boundaries = np.flatnonzero(key[1:] != key[:-1])
        boundaries += 1
        boundaries = np.concatenate([[0], boundaries])
        out[key[boundaries]] = np.maximum.reduceat(level, boundaries)
        return out
    g = np.concatenate([group, group]).astype(np.int64)
    t = np.concatenate([starts, ends])
    d = np.ones(starts.size + ends.size, np.int64)
    d[starts.size :] = -1
    order = np.lexsort((d, t, g))
    level = np.cumsum(d[order])  # each group's deltas sum to zero, so levels restart per group
    gs = g[order]
    boundaries = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]])
    maxima = np.maximum.reduceat(level, boundaries)
    out[gs[boundaries]] = maxima
    return out


def grouped_union_length(
    group: np.ndarray, starts: np.ndarray, ends: np.ndarray, n_groups: int
) -> np.ndarray:
    """Union length of the intervals of each group 0..n_groups-1, all groups in one vectorised pass.

    Groups are kept apart by offsetting each one by ``group × (span + 1)``, so a single running
    maximum of the ends never carries over from one group to the next.
    """
    out = np.zeros(n_groups, dtype=np.int64)
    if starts.size == 0:
        return out
    s = starts.astype(np.int64)
    e = np.maximum(ends.astype(np.int64), s)
    lo = int(s.min())
    width = int(e.max()) - lo + 1
    g = group.astype(np.int64)
    so = s - lo + g * width
    eo = e - lo + g * width
    order = np.lexsort((so, g))
    so, eo, g = so[order], eo[order], g[order]
    run = np.maximum.accumulate(eo)
    prev = np.empty_like(run)
    prev[0] = so[0]
    prev[1:] = run[:-1]
    gain = eo - np.maximum(so, prev)
    np.maximum(gain, 0, out=gain)
    return np.bincount(g, weights=gain, minlength=n_groups).astype(np.int64)
