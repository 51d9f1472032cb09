"""Per-lane, per-kind busy coverage of time buckets, at any zoom, via prefix sums.

Ops on one lane never overlap, so the busy cycles of a lane before time ``t`` are
``P[j] + min(t - s_j, d_j)`` with ``j`` the last op starting at or before ``t`` (one ``searchsorted``).
Coverage of W buckets therefore costs O(W log n) whatever the number of ops, which is what keeps the
timeline responsive on multi-million-op traces.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from htptui.analysis.summary import KIND_NAMES, op_kinds
from htptui.model.chrometrace import OpTrace


def search_sorted(a: np.ndarray, v: object, side: str = "left") -> np.ndarray | int:
    """``np.searchsorted(a, v, side)`` for a sorted integer ``a`` queried at float positions,
    without numpy casting all of ``a`` to float64 on every call (O(n) per query: 0.1 ms per
    scalar on a 320k-op lane, which every timeline row paid several times per repaint).

    For an integer ``s``: ``s > x`` iff ``s > floor(x)``, and ``s >= x`` iff ``s >= ceil(x)``, so
    the query is rounded the way ``side`` needs and the search stays in ``a``'s dtype.
    """
    if isinstance(v, float) and a.dtype.kind in "iu":  # one scalar (np.float64 too): no arrays
        info = np.iinfo(a.dtype)
        if math.isnan(v) or v > info.max:
            return int(a.size)
        if v < info.min:
            return 0
        r = math.floor(v) if side == "right" else math.ceil(v)
        return int(np.searchsorted(a, min(max(r, int(info.min)), int(info.max)), side=side))  # type: ignore[call-overload]
    q = np.asarray(v)
    if a.dtype.kind in "iu" and q.dtype.kind == "f":
        out = IntQueries(q, a.dtype, side).search(a)
    else:
        out = np.searchsorted(a, q, side=side)  # type: ignore[call-overload]
    return int(out) if np.ndim(out) == 0 else out


class IntQueries:
    """Float positions rounded once for searching sorted arrays of one integer dtype (what
    :func:`search_sorted` does per call): a coverage row searches every kind's track at the same
    bucket edges, so the rounding, clipping and NaN handling are done once for all of them."""

    __slots__ = ("above", "below", "dtype", "side", "values")

    def __init__(self, q: np.ndarray, dtype: np.dtype, side: str) -> None:
        info = np.iinfo(dtype)
        lo, top = float(info.min), np.nextafter(float(info.max), 0.0)  # floats the dtype holds
        r = np.floor(q) if side == "right" else np.ceil(q)
        self.below, self.above = ~(r >= lo), ~(r <= top)  # NaN sorts last, as in a float search
        self.below &= ~np.isnan(r)
        self.values = np.clip(np.nan_to_num(r), lo, top).astype(dtype)
        self.dtype, self.side = dtype, side

    def search(self, a: np.ndarray) -> np.ndarray:
        """``np.searchsorted(a, q, side)`` for a sorted ``a`` of this dtype."""
        out = np.searchsorted(a, self.values, side=self.side)  # type: ignore[call-overload]
        return np.where(self.below, 0, np.where(self.above, a.size, out))


def _prefix(durs: np.ndarray) -> np.ndarray:
    """[0, d0, d0+d1, …] as int64: what a track's busy cycles before any of its ops read."""
    out = np.empty(durs.size + 1, dtype=np.int64)
    out[0] = 0
    np.cumsum(durs, out=out[1:], dtype=np.int64)
    return out


@dataclass(eq=False)
class _Track:
    starts: np.ndarray
    durs: np.ndarray
    prefix: np.ndarray  # prefix[j] = Σ durs[:j]
    index: np.ndarray  # trace op indices, in start order


class CoverageIndex:
    """Prefix-sum index over (lane, kind) tracks of one op trace."""

    def __init__(
        self, trace: OpTrace, kinds: np.ndarray | None = None, mask: np.ndarray | None = None
    ) -> None:
        self.trace = trace
        self.kinds = op_kinds(trace) if kinds is None else kinds
        self.n_kinds = len(KIND_NAMES)
        self.tracks: dict[tuple[int, int], _Track] = {}
        self.lane_tracks: dict[int, _Track] = {}
        self.position = np.full(len(trace), -1, dtype=np.int64)
        sel = np.ones(len(trace), dtype=bool) if mask is None else mask
        # trace is sorted by ts already; a stable sort by lane (then kind) keeps start order, and
        # one sort serves every lane (a mask per lane is O(ops x lanes): traces have 30k+ lanes)
        chosen = np.flatnonzero(sel)
        by_lane = chosen[np.argsort(trace.lane[chosen], kind="stable")]
        lanes_sorted = trace.lane[by_lane]
        empty = np.zeros(0, dtype=np.int64)
        for ln in trace.lanes:
            lo, hi = np.searchsorted(lanes_sorted, [ln.index, ln.index + 1])
            on_lane = by_lane[lo:hi] if hi > lo else empty
            self.lane_tracks[ln.index] = self._track(on_lane)
            # position of every op inside its lane track, for O(1) next/previous-op steps
            self.position[on_lane] = np.arange(on_lane.size, dtype=np.int64)
            if not on_lane.size:
                continue
            kinds = self.kinds[on_lane]
            by_kind = on_lane[np.argsort(kinds, kind="stable")]
            ks = self.kinds[by_kind]
            for k in np.unique(ks).tolist():
                a, b = np.searchsorted(ks, [k, k + 1])
                self.tracks[(ln.index, int(k))] = self._track(by_kind[a:b])

    def parts(self) -> tuple[list[int], np.ndarray, list[tuple[int, int]], np.ndarray]:
        """The index as flat arrays, what :meth:`restore` rebuilds it from: the lane keys and
        their tracks' op indices as (lengths, concatenation), then the (lane, kind) keys and theirs."""

        def flat(tracks: list[_Track]) -> np.ndarray:
            lens = np.array([t.index.size for t in tracks], dtype=np.int64)
            cat = np.concatenate([t.index for t in tracks]) if tracks else lens[:0]
            return np.concatenate([lens, cat.astype(np.int64)])

        return (list(self.lane_tracks), flat(list(self.lane_tracks.values())),
                list(self.tracks), flat(list(self.tracks.values())))  # fmt: skip

    @classmethod
    def restore(
        cls,
        trace: OpTrace,
        kinds: np.ndarray,
        lane_keys: list[int],
        lane_flat: np.ndarray,
        track_keys: list[tuple[int, int]],
        track_flat: np.ndarray,
    ) -> CoverageIndex:
        """The index :meth:`parts` describes, over ``trace`` (the same state as built afresh, in
        a few vectorised passes). Raises ValueError when the parts do not fit the trace."""
        self = cls.__new__(cls)
        self.trace, self.kinds, self.n_kinds = trace, kinds, len(KIND_NAMES)
        n = len(trace)
        lane_tracks = self._unflatten(lane_flat, len(lane_keys))
        self.lane_tracks = dict(zip(lane_keys, lane_tracks, strict=True))
        self.tracks = dict(
            zip(track_keys, self._unflatten(track_flat, len(track_keys)), strict=True)
        )
        self.position = np.full(n, -1, dtype=np.int64)
        lens = lane_flat[: len(lane_keys)]
        cat = lane_flat[len(lane_keys) :]
        firsts = np.repeat(np.cumsum(lens) - lens, lens)
        self.position[cat] = np.arange(cat.size, dtype=np.int64) - firsts
        return self

    def _unflatten(self, flat: np.ndarray, m: int) -> list[_Track]:
        lens, cat = flat[:m], flat[m:]
        n = len(self.trace)
        if lens.size != m or (m and int(lens.min()) < 0) or int(lens.sum()) != cat.size:
            raise ValueError("coverage parts: track lengths")
        if cat.size and (int(cat.min()) < 0 or int(cat.max()) >= n):
            raise ValueError("coverage parts: op index out of range")
        starts, durs = self.trace.ts[cat], self.trace.dur[cat]
        bounds = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        b = bounds.tolist()
        # every track's prefix sums [0, d0, d0+d1, ...] side by side in one array, each track's
        # cumsum written in place (one pass over the durations; tracks are few, ops many)
        prefix = np.empty(cat.size + m, dtype=np.int64)
        d64 = durs.astype(np.int64, copy=False)
        for j, (a, z) in enumerate(zip(b, b[1:], strict=False)):
            prefix[a + j] = 0
            np.cumsum(d64[a:z], out=prefix[a + j + 1 : z + j + 1])
        return [
            _Track(
                starts=starts[a:z], durs=durs[a:z], prefix=prefix[a + j : z + j + 1], index=cat[a:z]
            )
            for j, (a, z) in enumerate(zip(b, b[1:], strict=False))
        ]

    @classmethod
    def masked(cls, full: CoverageIndex, mask: np.ndarray) -> CoverageIndex:
        """The index of the ops in ``mask``, filtered out of ``full`` (the index of every op of
        the same trace): the same state as ``CoverageIndex(trace, kinds, mask)``, without its sorts.

        Each track of ``full`` already holds its ops in start order, so the filtered track is that
        order with the other ops left out: one boolean pass per track, no argsort by lane or kind
        (a filter on a 1M-event trace builds its index in a third of the time).
        """
        self = cls.__new__(cls)
        self.trace, self.kinds, self.n_kinds = full.trace, full.kinds, full.n_kinds
        self.position = np.full(len(full.trace), -1, dtype=np.int64)
        self.lane_tracks = {}
        for lane, track in full.lane_tracks.items():
            sub = self._subtrack(track, mask)
            self.lane_tracks[lane] = sub
            self.position[sub.index] = np.arange(sub.index.size, dtype=np.int64)
        self.tracks = {}
        for key, track in full.tracks.items():
            sub = self._subtrack(track, mask)
            if sub.index.size:  # as built afresh: a (lane, kind) track only where ops are
                self.tracks[key] = sub
        return self

    @staticmethod
    def _subtrack(track: _Track, mask: np.ndarray) -> _Track:
        keep = mask[track.index]
        durs = track.durs[keep]
        return _Track(
            starts=track.starts[keep], durs=durs, prefix=_prefix(durs), index=track.index[keep]
        )

    def _track(self, idx: np.ndarray) -> _Track:
        durs = self.trace.dur[idx]
        return _Track(starts=self.trace.ts[idx], durs=durs, prefix=_prefix(durs), index=idx)

    @staticmethod
    def _cumulative(
        track: _Track, edges: np.ndarray, queries: IntQueries | None = None
    ) -> np.ndarray:
        if queries is not None and queries.dtype == track.starts.dtype:
            j = queries.search(track.starts) - 1
        else:
            j = search_sorted(track.starts, edges, side="right") - 1
        jj = np.maximum(j, 0)
        partial = np.clip(edges - track.starts[jj], 0, track.durs[jj])
        return np.where(j >= 0, track.prefix[jj] + partial, 0)

    def coverage(self, lane_index: int, lo: float, hi: float, width: int) -> np.ndarray:
        """Busy cycles per (kind, bucket) of one lane over [lo, hi) split into ``width`` buckets."""
        out = np.zeros((self.n_kinds, max(width, 0)), dtype=np.float64)
        if width <= 0 or hi <= lo:
            return out
        edges = lo + (hi - lo) * np.arange(width + 1, dtype=np.float64) / width
        queries: IntQueries | None = None
        for k in range(self.n_kinds):
            track = self.tracks.get((lane_index, k))
            if track is not None:
                if queries is None and track.starts.dtype.kind in "iu":
                    queries = IntQueries(edges, track.starts.dtype, "right")
                out[k] = np.diff(self._cumulative(track, edges, queries))
        return out

    def ops_in(self, lane_index: int, lo: float, hi: float) -> np.ndarray:
        """Trace indices of the ops of one lane that intersect [lo, hi)."""
        track = self.lane_tracks.get(lane_index)
        if track is None or track.starts.size == 0:
            return np.zeros(0, dtype=np.int64)
        ends = track.starts + track.durs
        a = max(int(search_sorted(track.starts, lo, side="right")) - 1, 0)
        b = int(search_sorted(track.starts, hi, side="left"))
        cand = np.arange(a, b)
        cand = cand[ends[cand] > lo]
        return track.index[cand]

    def neighbour(self, lane_index: int, op_index: int, step: int) -> int | None:
        """The op ``step`` places after (or before, if negative) ``op_index`` on its lane."""
        track = self.lane_tracks.get(lane_index)
        if track is None:
            return None
        here = int(self.position[op_index]) if 0 <= op_index < self.position.size else -1
        on_lane = here >= 0 and int(self.trace.lane[op_index]) == lane_index
        pos = np.array([here]) if on_lane else np.zeros(0, dtype=np.int64)
        if pos.size == 0:
            # not on this lane: nearest by time
            t = self.trace.ts[op_index]
            p = int(search_sorted(track.starts, t))
            p = p if step > 0 else p - 1
        else:
            p = int(pos[0]) + step
        if 0 <= p < track.index.size:
            return int(track.index[p])
        return None


def dominant_kind(
    cov: np.ndarray, bucket_cycles: float, threshold: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Per bucket: the kind covering the most cycles, and the busy fraction (0..1)."""
    busy = cov.sum(axis=0)
    kind = cov.argmax(axis=0)
    frac = np.clip(busy / bucket_cycles, 0.0, 1.0) if bucket_cycles > 0 else np.zeros_like(busy)
    kind = np.where(busy > threshold, kind, -1)
    return kind, frac


def bucket_edges(lo: float, hi: float, width: int) -> np.ndarray:
    """The ``width + 1`` edges splitting [lo, hi) into equal buckets (the grid every coverage uses)."""
    return lo + (hi - lo) * np.arange(width + 1, dtype=np.float64) / max(width, 1)


def interval_coverage(
    starts: np.ndarray, durs: np.ndarray, lo: float, hi: float, width: int
) -> np.ndarray:
    """Covered cycles per bucket of [lo, hi) for sorted, non-overlapping intervals (e.g. a QHAS path)."""
    if width <= 0 or hi <= lo or starts.size == 0:
        return np.zeros(max(width, 0), dtype=np.float64)
    track = _Track(starts=starts, durs=durs, prefix=_prefix(durs), index=np.arange(starts.size))
    return np.diff(CoverageIndex._cumulative(track, bucket_edges(lo, hi, width))).astype(np.float64)


def step_max(ts: np.ndarray, values: np.ndarray, lo: float, hi: float, width: int) -> np.ndarray:
    """Per bucket of [lo, hi): the largest value a step series (e.g. a VTCM counter) takes there."""
    out = np.zeros(max(width, 0), dtype=np.float64)
    if width <= 0 or hi <= lo or ts.size == 0:
        return out
    edges = bucket_edges(lo, hi, width)
    vals = np.asarray(values, dtype=np.float64)
    before = search_sorted(ts, edges[:-1], side="right") - 1
    out = np.where(before >= 0, vals[np.maximum(before, 0)], 0.0)
    a = search_sorted(ts, edges[:-1], side="left")
    b = search_sorted(ts, edges[1:], side="left")
    inside = b > a
    if inside.any():
        padded = np.concatenate([vals, [-np.inf]])
        pairs = np.stack([a[inside], b[inside]], axis=1).ravel()
        maxima = np.maximum.reduceat(padded, pairs)[::2]
        out[inside] = np.maximum(out[inside], maxima)
    return out


def kind_coverage(
    index: CoverageIndex, lane_index: int, kind: int, lo: float, hi: float, width: int
) -> np.ndarray:
    """Busy cycles per bucket of [lo, hi) of one kind on one lane (one row of ``coverage``, cheaper)."""
    track = index.tracks.get((lane_index, kind))
    if track is None or width <= 0 or hi <= lo:
        return np.zeros(max(width, 0), dtype=np.float64)
    return np.diff(CoverageIndex._cumulative(track, bucket_edges(lo, hi, width))).astype(np.float64)
