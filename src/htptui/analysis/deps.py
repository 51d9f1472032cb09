"""Why is this op waiting: producer → consumer edges between executed ops (spec §1.4, §1.4b, §1.6).

Two sources, merged into one edge list:

- ``args["Inputs Ops"]`` of every executed op. An entry is the ID of an executed op, or of a tensor;
  a tensor ID resolves through the compiled graph's producer map (``_htp.json``: tensor → producing
  node, whose ID is the producing op's ``args.ID``) when the graph is present. Tiled ops share one ID
  (§1.4b), so an ID resolves to *every* executed op carrying it: all tiles of a producer are
  candidates. ``$Const``/``$Shape`` tensors and IDs of nothing executed resolve to nothing. Edges
  between ops of one ID (tiles of one op) are dropped.
- Flow events: each ``s``/``f`` pair sharing an ``id``. The ``s`` end is the producer's *end*: it
  resolves to the op on that thread whose ``ts + dur`` equals ``s.ts``; the ``f`` end resolves to
  the op on that thread whose ``ts`` equals ``f.ts``. Flows sit on pid 0 (the first core's
  Core Overview), so they are matched against that core's lanes by thread id.

Everything is indexed once (sorts and searchsorted, one Python step per *distinct* unresolved ID),
so building is near-linear in ops + edges; per-op queries are CSR slices.

"The producer this op waited for" is the producer that finished last among those that started no
later than the op (the latest-finishing of all producers when none did); the wait is
``ts[op] − end[producer]`` cycles (negative when that producer's end overlaps the op's start).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from htptui.model.chrometrace import OpTrace
    from htptui.model.htp_graph import HtpGraph

VIA_INPUTS = 1  # edge read from `Inputs Ops`
VIA_FLOW = 2  # edge read from a flow event pair
VIA_LABELS = {
    VIA_INPUTS: "Inputs Ops",
    VIA_FLOW: "flow",
    VIA_INPUTS | VIA_FLOW: "Inputs Ops + flow",
}

_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Deps:
    """Producer → consumer edges between executed ops, indexed both ways."""

    src: np.ndarray  # int64 producer op index per edge
    dst: np.ndarray  # int64 consumer op index per edge
    via: np.ndarray  # uint8 VIA_* bits per edge
    by_dst: np.ndarray  # edge indices sorted by (dst, src)
    dst_ptr: np.ndarray  # CSR bounds into by_dst per op (n + 1)
    by_src: np.ndarray  # edge indices sorted by (src, dst)
    src_ptr: np.ndarray  # CSR bounds into by_src per op (n + 1)
    flows_total: int = 0  # complete s/f pairs in the trace
    flows_resolved: int = 0  # s/f pairs whose both ends matched an executed op
    inputs_total: int = 0  # `Inputs Ops` entries read
    inputs_resolved: int = 0  # entries that resolved to at least one executed op
    notes: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return int(self.src.shape[0])

    def producers(self, op: int) -> tuple[np.ndarray, np.ndarray]:
        """(producer op indices, VIA_* bits) of ``op``."""
        e = self.by_dst[self.dst_ptr[op] : self.dst_ptr[op + 1]]
        return self.src[e], self.via[e]

    def consumers(self, op: int) -> tuple[np.ndarray, np.ndarray]:
        """(consumer op indices, VIA_* bits) of ``op``."""
        e = self.by_src[self.src_ptr[op] : self.src_ptr[op + 1]]
        return self.dst[e], self.via[e]


def waited_for(deps: Deps, ts: np.ndarray, dur: np.ndarray, op: int) -> int | None:
    """The producer of ``op`` that finished last (the one it waited for), None without producers."""
    return waited_among(deps.producers(op)[0], ts, dur, op)


def waited_among(prods: np.ndarray, ts: np.ndarray, dur: np.ndarray, op: int) -> int | None:
    """Of ``op``'s producers ``prods``, the one it waited for (see the module doc), None if none."""
    if not prods.size:
        return None
    before = prods[ts[prods] <= ts[op]]
    cand = before if before.size else prods
    ends = ts[cand] + dur[cand]
    best = np.flatnonzero(ends == ends.max())
    # ties: the one that started last, then the lowest index (deterministic)
    tied = cand[best]
    return int(tied[np.lexsort((tied, -ts[tied]))][0])


def producers_of(
    trace: OpTrace,
    graph: HtpGraph | None,
    op: int,
    inputs: Any,
    flows: tuple[np.ndarray, np.ndarray, int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """``op``'s producers and VIA_* bits from its own ``Inputs Ops`` list alone (``inputs``: the
    raw list from its args) and the flow edges (:func:`flow_edges`): exactly what
    ``build_deps(...).producers(op)`` gives, without reading every other op's args first."""
    from htptui.model.chrometrace.inputs import parse_ids

    values = inputs if isinstance(inputs, list) else []
    ids, ok = parse_ids(values)
    op_ids = trace.op_id.astype(np.uint64)
    found: list[np.ndarray] = []
    for x in np.unique(ids[ok]).tolist():
        hit = np.flatnonzero(op_ids == np.uint64(x))
        if not hit.size and graph is not None:
            prod = graph.producer.get(int(x), 0)
            if prod and 0 < prod < 1 << 64:
                hit = np.flatnonzero(op_ids == np.uint64(prod))
        found.append(hit)
    src = np.concatenate(found).astype(np.int64) if found else _EMPTY
    src = src[op_ids[src] != op_ids[op]]
    f_src, f_dst = flows[0], flows[1]
    fs = f_src[f_dst == op].astype(np.int64)
    allsrc = np.concatenate([src, fs])
    via = np.concatenate(
        [np.full(src.size, VIA_INPUTS, np.uint8), np.full(fs.size, VIA_FLOW, np.uint8)]
    )
    if not allsrc.size:
        return _EMPTY, np.zeros(0, dtype=np.uint8)
    uniq, inv = np.unique(allsrc, return_inverse=True)
    merged = np.zeros(uniq.size, dtype=np.uint8)
    np.bitwise_or.at(merged, inv, via)
    return uniq, merged


def wait_chain(
    deps: Deps, ts: np.ndarray, dur: np.ndarray, op: int, limit: int = 100_000
) -> list[int]:
    """``op`` then the producer it waited for, that one's, … back to an op without producers."""
    chain = [op]
    seen = {op}
    cur = op
    while len(chain) < limit:
        nxt = waited_for(deps, ts, dur, cur)
        if nxt is None or nxt in seen:
            break
        chain.append(nxt)
        seen.add(nxt)
        cur = nxt
    return chain


def _op_id_groups(op_id: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distinct IDs, CSR bounds, op indices grouped by ID)."""
    order = np.argsort(op_id, kind="stable")
    keys = op_id[order]
    uniq, starts = np.unique(keys, return_index=True)
    return uniq, np.append(starts, keys.size).astype(np.int64), order.astype(np.int64)


def _expand(k: np.ndarray, bounds: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For group numbers ``k``, (position in ``k`` repeated per member, member op index)."""
    counts = bounds[k + 1] - bounds[k]
    rep = np.repeat(np.arange(k.size, dtype=np.int64), counts)
    if not rep.size:
        return _EMPTY, _EMPTY
    first = np.repeat(bounds[k], counts)
    offs = np.arange(rep.size, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    return rep, order[first + offs]


def _input_edges(
    trace: OpTrace, graph: HtpGraph | None, ptr: np.ndarray, ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int, int]:
    n = len(trace)
    dst = np.repeat(np.arange(n, dtype=np.int64), np.diff(ptr))
    key = ids.astype(np.uint64)
    uniq, bounds, order = _op_id_groups(trace.op_id.astype(np.uint64))
    if not uniq.size or not key.size:
        return _EMPTY, _EMPTY, int(key.size), 0
    pos = np.minimum(np.searchsorted(uniq, key), uniq.size - 1)
    hit = uniq[pos] == key
    if graph is not None and not hit.all():
        # tensor IDs → producing node ID, one dict look-up per distinct unresolved key
        miss_keys, inv = np.unique(key[~hit], return_inverse=True)
        mapped = np.array(
            [graph.producer.get(int(x), 0) for x in miss_keys.tolist()], dtype=np.uint64
        )
        prod = mapped[inv]
        p2 = np.minimum(np.searchsorted(uniq, prod), uniq.size - 1)
        ok = (uniq[p2] == prod) & (prod != 0)
        miss_idx = np.flatnonzero(~hit)
        pos[miss_idx[ok]] = p2[ok]
        hit[miss_idx[ok]] = True
    resolved = int(hit.sum())
    rep, src = _expand(pos[hit].astype(np.int64), bounds, order)
    d = dst[hit][rep]
    keep = trace.op_id[src] != trace.op_id[d]  # tiles of one op are not each other's producers
    return src[keep], d[keep], int(key.size), resolved


def flow_edges(trace: OpTrace) -> tuple[np.ndarray, np.ndarray, int, int]:
    """(producer ops, consumer ops, complete s/f pairs, pairs starting off the executed lanes)."""
    fl = trace.flows
    if fl.flow_id.size == 0 or len(trace) == 0:
        return _EMPTY, _EMPTY, 0, 0
    # pair s and f ends by id (the first of each kind), vectorised
    fid = np.asarray(fl.flow_id, dtype=np.int64)
    is_s = np.asarray(fl.is_start, dtype=bool)
    s_rows = np.flatnonzero((fid >= 0) & is_s)
    f_rows = np.flatnonzero((fid >= 0) & ~is_s)
    us, s_first = np.unique(fid[s_rows], return_index=True)
    uf, f_first = np.unique(fid[f_rows], return_index=True)
    _common, ia, ib = np.intersect1d(us, uf, assume_unique=True, return_indices=True)
    if not ia.size:
        return _EMPTY, _EMPTY, 0, 0
    s_idx = s_rows[s_first[ia]].astype(np.int64)
    f_idx = f_rows[f_first[ib]].astype(np.int64)
    # flows live on pid 0: match them on the first core's lanes, by thread id
    first_core = min((ln.core for ln in trace.lanes), default=0)
    lane_tid = np.array([ln.tid if ln.core == first_core else -1 for ln in trace.lanes] or [-1])
    tid = lane_tid[trace.lane].astype(np.int64)
    ok_op = tid >= 0
    ops = np.flatnonzero(ok_op).astype(np.int64)

    def keyed(t_tid: np.ndarray, t: np.ndarray) -> np.ndarray:
        # (thread id, time) as one sortable int64: tids are < 2**19, rebased times < 2**44
        return (t_tid.astype(np.int64) << 44) | (t.astype(np.int64) & ((1 << 44) - 1))

    def find(times: np.ndarray, q_tid: np.ndarray, q_ts: np.ndarray) -> np.ndarray:
        if not ops.size:
            return np.full(q_tid.size, -1, dtype=np.int64)
        k = keyed(tid[ops], times[ops])
        o = np.lexsort((ops, k))
        srt, ks = ops[o], k[o]
        q = keyed(q_tid, q_ts)
        p = np.minimum(np.searchsorted(ks, q, side="left"), ks.size - 1)
        sane = (q_tid >= 0) & (q_tid < 1 << 19) & (q_ts >= 0) & (q_ts < 1 << 44)
        return np.where((ks[p] == q) & sane, srt[p], -1)

    src = find(trace.ts + trace.dur, fl.tid[s_idx], fl.ts[s_idx])
    dst = find(trace.ts, fl.tid[f_idx], fl.ts[f_idx])
    ok = (src >= 0) & (dst >= 0) & (src != dst)
    lane_tids = np.unique(lane_tid[lane_tid >= 0])
    from_tensor = int((~np.isin(np.asarray(fl.tid)[s_idx], lane_tids)).sum())
    return src[ok], dst[ok], int(s_idx.size), from_tensor


def build_deps(
    trace: OpTrace,
    graph: HtpGraph | None,
    inputs: tuple[np.ndarray, np.ndarray],
    flows: tuple[np.ndarray, np.ndarray, int, int] | None = None,
) -> Deps:
    """Merge `Inputs Ops` edges (``inputs`` = :meth:`OpTrace.inputs_ops`) and flow edges
    (``flows`` = :func:`flow_edges`, computed here when not given)."""
    n = len(trace)
    ptr, ids = inputs
    i_src, i_dst, in_total, in_resolved = _input_edges(trace, graph, ptr, ids)
    f_src, f_dst, flows_total, flows_from_tensors = (
        flows if flows is not None else flow_edges(trace)
    )
    src = np.concatenate([i_src, f_src]).astype(np.int64)
    dst = np.concatenate([i_dst, f_dst]).astype(np.int64)
    via = np.concatenate(
        [np.full(i_src.size, VIA_INPUTS, np.uint8), np.full(f_src.size, VIA_FLOW, np.uint8)]
    )
    if src.size:
        key = src * max(n, 1) + dst
        uk, inv = np.unique(key, return_inverse=True)
        merged = np.zeros(uk.size, dtype=np.uint8)
        np.bitwise_or.at(merged, inv, via)
        src, dst, via = uk // max(n, 1), uk % max(n, 1), merged
    by_dst = np.lexsort((src, dst)).astype(np.int64)
    by_src = np.lexsort((dst, src)).astype(np.int64)
    dst_ptr = np.searchsorted(dst[by_dst], np.arange(n + 1), side="left").astype(np.int64)
    src_ptr = np.searchsorted(src[by_src], np.arange(n + 1), side="left").astype(np.int64)
    notes = []
    if flows_from_tensors:
        notes.append(
            f"{flows_from_tensors} flow(s) start on a thread with no executed ops "
            "(non-executed tensors, tid 1): no producer op"
        )
    if graph is None and in_total > in_resolved:
        notes.append("no compiled graph (_htp.json): Inputs Ops tensor IDs cannot be resolved")
    return Deps(
        src=src,
        dst=dst,
        via=via,
        by_dst=by_dst,
        dst_ptr=dst_ptr,
        by_src=by_src,
        src_ptr=src_ptr,
        flows_total=flows_total,
        flows_resolved=int(f_src.size),
        inputs_total=in_total,
        inputs_resolved=in_resolved,
        notes=tuple(notes),
    )


def paced_chunks(chunks: Iterator[Any], duty: float) -> Iterator[Any]:
    """``chunks`` with the reading thread asleep between them, so that it holds the interpreter
    about ``duty`` of the time (a UI thread sharing it keeps drawing; 1.0: no pause).

    Each chunk's decode is one long C call that keeps the GIL; the pause after it is as long as
    the decode and its processing took × (1 − duty) / duty."""
    last = time.perf_counter()
    for item in chunks:
        yield item
        if duty < 1.0:
            busy = time.perf_counter() - last
            time.sleep(min(busy * (1.0 - duty) / max(duty, 0.05), 0.25))
        last = time.perf_counter()


def build_deps_paced(
    trace: OpTrace,
    graph: HtpGraph | None,
    flows: tuple[np.ndarray, np.ndarray, int, int] | None = None,
    duty: float = 0.5,
) -> Deps:
    """:func:`build_deps` reading every op's `Inputs Ops` at ``duty`` of one core (see
    :func:`paced_chunks`): the same edges, for a build in a thread beside an interactive UI."""
    from htptui.model.chrometrace.inputs import inputs_csr

    chunks = getattr(trace, "_inputs_chunks", None)
    if chunks is None:  # another OpTrace shape: the plain read
        return build_deps(trace, graph, trace.inputs_ops(), flows)
    csr = inputs_csr(trace.ordinal, paced_chunks(chunks(), duty))
    return build_deps(trace, graph, csr, flows)
