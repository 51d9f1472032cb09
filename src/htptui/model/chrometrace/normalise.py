"""Merging chunk columns (:class:`_Builder`) and normalising them (:func:`_finish`): Core Overview
de-duplication, lanes from thread names, sort order, counters per core, flows.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

import numpy as np

from htptui.errors import InputError
from htptui.model.chrometrace.columns import (
    FLAG_NULL_EXEC,
    UNIT_ORDER,
    Counters,
    Flows,
    Lane,
    NonExecuted,
    OpTrace,
    StringTable,
)
from htptui.model.chrometrace.extract import (
    _Chunk,
)
from htptui.model.chrometrace.wire import (
    _PROCESS_CORE_RE,
    _THREAD_CORE_RE,
    _UNIT_RE,
    MAX_CYCLES,
    MAX_PID_TID,
    NON_EXECUTED_LANE,
)


class _Builder:
    """Merges chunk columns in order, re-interning chunk-local strings into one table."""

    def __init__(self) -> None:
        self.strings = StringTable()
        self.parts: dict[str, list[np.ndarray]] = {}
        self.counter_parts: dict[tuple[int, str], tuple[list[np.ndarray], list[np.ndarray]]] = {}
        self.flow_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]] = []
        self.thread_names: dict[tuple[int, int], str] = {}
        self.process_names: dict[int, str] = {}
        self.process_opids: dict[int, int] = {}
        self.other_ph = 0
        self.total = 0
        self.bad_ids = 0
        self.skipped = 0

    def add_chunk(self, chunk: _Chunk) -> None:
        remap = np.array([self.strings.intern(s) for s in chunk.strings], dtype=np.int32)
        for key, col in chunk.x.items():
            if key in ("kernel", "qnn", "qtype"):
                col = remap[col] if col.size else col
            elif key == "ordinal":
                col = col + self.total
            self.parts.setdefault(key, []).append(col)
        for name, (tsv, val) in chunk.counters.items():
            series = self.counter_parts.setdefault(name, ([], []))
            series[0].append(tsv)
            series[1].append(val)
        self.flow_parts.append(chunk.flows)
        self.thread_names.update(chunk.thread_names)
        self.process_names.update(chunk.process_names)
        self.process_opids.update(chunk.process_opids)
        self.other_ph += chunk.other_ph
        self.bad_ids += chunk.bad_ids
        self.skipped += chunk.skipped
        self.total += chunk.n_events

    def snapshot(self) -> _Builder:
        """A builder sharing this one's arrays and strings (for a partial trace)."""
        b = _Builder()
        b.strings = self.strings
        b.parts = {k: list(v) for k, v in self.parts.items()}
        b.counter_parts = {k: (list(v[0]), list(v[1])) for k, v in self.counter_parts.items()}
        b.flow_parts = list(self.flow_parts)
        b.thread_names = dict(self.thread_names)
        b.process_names = dict(self.process_names)
        b.process_opids = dict(self.process_opids)
        b.other_ph, b.total, b.bad_ids, b.skipped = (
            self.other_ph, self.total, self.bad_ids, self.skipped)  # fmt: skip
        return b

    def column(self, key: str, dtype: Any) -> np.ndarray:
        parts = self.parts.pop(key, None)  # each part is freed as soon as its column is built
        if not parts:
            return np.zeros(0, dtype=dtype)
        out = np.concatenate(parts)
        del parts
        return out.astype(dtype, copy=False)

    @property
    def counters(self) -> dict[tuple[int, str], tuple[np.ndarray, np.ndarray]]:
        return {
            k: (np.concatenate(v[0]), np.concatenate(v[1])) for k, v in self.counter_parts.items()
        }

    def flow_column(self, k: int, dtype: Any) -> np.ndarray:
        cols = [p[k] for p in self.flow_parts]
        return np.concatenate(cols).astype(dtype, copy=False) if cols else np.zeros(0, dtype=dtype)

    @property
    def flow_cat(self) -> list[str]:
        return list(chain.from_iterable(p[4] for p in self.flow_parts))


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    """One array of the parts (the part itself when there is one: no copy)."""
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _is_sorted_ts_dur(ts: np.ndarray, dur: np.ndarray) -> bool:
    """Whether the rows are already in (ts, -dur) order (then a stable lexsort is the identity)."""
    if ts.size < 2:
        return True
    step = ts[1:] - ts[:-1]
    if (step < 0).any():
        return False
    tie = step == 0
    return not tie.any() or not (tie & (dur[1:] > dur[:-1])).any()


def ts_dur_order(ts: np.ndarray, dur: np.ndarray) -> np.ndarray:
    """The permutation ``np.lexsort((-dur, ts))`` (by ts, longer first on a tie, stable), faster.

    One stable sort on ts (timsort: near-linear on the nearly ordered ops of a real trace), then
    only the runs of equal ts whose durations are out of order are sorted again, by -dur.
    """
    order = np.argsort(ts, kind="stable")
    if ts.size < 2:
        return order
    ts_o = ts[order]
    tie = ts_o[1:] == ts_o[:-1]
    if not tie.any():
        return order
    dur_o = dur[order]
    if not (tie & (dur_o[1:] > dur_o[:-1])).any():
        return order
    member = np.zeros(ts.size, dtype=bool)  # the positions that share their ts with a neighbour
    member[1:] |= tie
    member[:-1] |= tie
    pos = np.flatnonzero(member)
    new_run = np.ones(pos.size, dtype=bool)
    new_run[1:] = ~tie[pos[1:] - 1]  # not tied to the position before it: a new run starts
    run = np.cumsum(new_run)
    within = np.lexsort((-dur_o[pos], run))  # stable: equal (ts, dur) keep their order
    order[pos] = order[pos[within]]
    return order


def _dense_codes(v: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Sorted distinct values of ``v`` and each element's index among them, by a table lookup;
    None when the values span too wide a range for a table."""
    lo, hi = int(v.min()), int(v.max())
    if hi - lo >= 1 << 20:
        return None
    off = v - lo
    present = np.flatnonzero(np.bincount(off, minlength=hi - lo + 1))
    table = np.zeros(hi - lo + 1, dtype=np.intp)
    table[present] = np.arange(present.size)
    return present.astype(np.int64) + lo, table[off]


def _pair_codes(pid: np.ndarray, tid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique((pid << 32) | (tid & 0xFFFFFFFF), return_inverse=True)`` without sorting the ops:
    pids and tids are coded by table lookups (the usual few lanes), only the distinct pairs sorted."""
    pair_key = (pid << 32) | (tid & 0xFFFFFFFF)
    pc = _dense_codes(pid) if pid.size else None
    tc = _dense_codes(tid) if pc is not None else None
    if pc is None or tc is None or pc[0].size * tc[0].size > 1 << 22:
        uniq, inverse = np.unique(pair_key, return_inverse=True)
        return uniq, inverse.reshape(-1)
    (pu, pinv), (tu, tinv) = pc, tc
    comb = pinv * tu.size + tinv
    present = np.flatnonzero(np.bincount(comb, minlength=pu.size * tu.size))
    keys = (pu[present // tu.size] << 32) | (tu[present % tu.size] & 0xFFFFFFFF)
    srt = np.argsort(keys)  # distinct keys: the order np.unique gives them
    rank = np.zeros(pu.size * tu.size, dtype=np.intp)
    rank[present[srt]] = np.arange(present.size)
    return keys[srt], rank[comb]


_RANGE_WHAT = {
    "ts": "a ts",
    "dur": "a dur",
    "start": "a Start Cycle",
    "dpc": "a Dominant Path Cycles",
}


def _check_ranges(label: str, **cols: np.ndarray) -> None:
    """Refuse cycle values (and pids/tids) too large for the int64 arithmetic done on them."""
    for name, col in cols.items():
        if not col.size:
            continue
        limit = MAX_PID_TID if name in ("pid", "tid") else MAX_CYCLES
        lo, hi = int(col.min()), int(col.max())
        bad = hi if hi >= limit else lo if lo <= -limit else None
        if bad is not None:
            what = f"a {name}" if name in ("pid", "tid") else _RANGE_WHAT[name]
            raise InputError(
                label,
                f"{what} value of {bad} is out of range (must be below 2**{limit.bit_length() - 1})",
            )


def _drop_exact_duplicates(
    keep: np.ndarray,
    pid: np.ndarray,
    op_id: np.ndarray,
    tid: np.ndarray,
    ts: np.ndarray,
    dur: np.ndarray,
) -> int:
    """Clear ``keep`` on every repeat of a kept event with the same (pid, ID, tid, ts, dur).

    A doubled event inside one Core Overview process would count its op twice (a lane above 100 %
    utilisation). A 1-D hash sort finds candidates fast; candidates are confirmed on the exact key.
    Events without an ID are left alone. Returns how many were dropped.
    """
    idx = np.flatnonzero(keep & (op_id != 0))
    if idx.size < 2:
        return 0
    with np.errstate(over="ignore"):
        h = op_id[idx].astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        h ^= ts[idx].astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
        h ^= dur[idx].astype(np.uint64) * np.uint64(0x165667B19E3779F9)
        h ^= (tid[idx].astype(np.uint64) << np.uint64(20)) ^ pid[idx].astype(np.uint64)
    hs = np.sort(h)
    if not (hs[1:] == hs[:-1]).any():
        return 0  # the common case: one sort, no repeats
    order = np.argsort(h, kind="stable")
    hs = h[order]
    same = np.flatnonzero(hs[1:] == hs[:-1])
    dropped = 0
    seen: set[tuple[int, int, int, int, int]] = set()
    cand = np.unique(np.concatenate([order[same], order[same + 1]]))
    for j in np.sort(cand).tolist():  # original order: the first copy is kept
        i = int(idx[j])
        key = (int(pid[i]), int(op_id[i]), int(tid[i]), int(ts[i]), int(dur[i]))
        if key in seen:
            keep[i] = False
            dropped += 1
        else:
            seen.add(key)
    return dropped


def _finish(b: _Builder, label: str, shape: str, gzipped: bool) -> OpTrace:
    warnings: list[str] = []
    pid = b.column("pid", np.int64)
    tid = b.column("tid", np.int64)
    ts = b.column("ts", np.int64)
    dur = b.column("dur", np.int64)
    kernel = b.column("kernel", np.int32)
    qnn = b.column("qnn", np.int32)
    qtype = b.column("qtype", np.int32)
    op_id = b.column("op_id", np.uint64)
    flags = b.column("flags", np.uint16)
    dpc = b.column("dpc", np.int64)
    cpp = b.column("cpp", np.float32)
    start = b.column("start", np.int64)
    ordinal = b.column("ordinal", np.int64)
    b.parts.clear()
    _check_ranges(label, pid=pid, tid=tid, ts=ts, dur=dur, start=start, dpc=dpc)

    overview_core: dict[int, int] = {}
    for p, name in b.process_names.items():
        m = _PROCESS_CORE_RE.match(name.strip()) if "Overview" in name else None  # one per core
        if m:
            overview_core[p] = int(m.group(1))

    # which X events are the canonical copy of an executed op
    if overview_core:
        keep = np.isin(pid, np.fromiter(overview_core, dtype=np.int64))
        doubled = _drop_exact_duplicates(keep, pid, op_id, tid, ts, dur)
        if doubled:
            warnings.append(
                f"{doubled} exact duplicate events inside a Core Overview process (same ID, lane, "
                "ts, dur) dropped: each op counts once"
            )
        duplicates = int(pid.size - keep.sum()) + b.skipped
    else:
        # no "Core N Overview" process: de-duplicate by (ID, tid, ts, dur)
        if pid.size:
            key = np.stack([op_id.astype(np.int64), tid, ts, dur], axis=1)
            _, first_idx = np.unique(key, axis=0, return_index=True)
            keep = np.zeros(pid.size, dtype=bool)
            keep[first_idx] = True
            # events without an ID are never duplicates of each other by key alone
            keep |= op_id == 0
        else:
            keep = np.zeros(0, dtype=bool)
        duplicates = int(pid.size - keep.sum())
        if pid.size:
            warnings.append("no 'Core N Overview' process: de-duplicated ops by (ID, tid, ts, dur)")

    # lanes
    def thread_name(p: int, t: int) -> str:
        return b.thread_names.get((p, t), "")

    lane_key_of: dict[tuple[int, int], int] = {}
    lanes: list[Lane] = []
    non_exec_mask = np.zeros(pid.size, dtype=bool)
    lane_col = np.full(pid.size, -1, dtype=np.int32)
    kept_idx = np.flatnonzero(keep)
    # one int64 key per (pid, tid) pair: a 1-D unique is far faster than np.unique(axis=0)
    uniq_keys, pair_inverse = _pair_codes(pid[kept_idx], tid[kept_idx])
    pairs = [(int(k) >> 32, int(k) & 0xFFFFFFFF) for k in uniq_keys.tolist()]
    pairs = [(pp, tt - (1 << 32) if tt >= 1 << 31 else tt) for pp, tt in pairs]
    pair_lane: dict[tuple[int, int], int] = {}
    for p, t in pairs:
        tname = thread_name(p, t)
        if tname.strip() == NON_EXECUTED_LANE:
            pair_lane[(p, t)] = -2
            continue
        if not tname:
            # fall back to the same tid's name in a per-op process ("Core:0 Type: HVX Tid: 512")
            for (_pp, tt), nm in b.thread_names.items():
                if tt == t and _UNIT_RE.search(nm):
                    tname = nm
                    break
        m = _UNIT_RE.search(tname)
        unit = m.group(1).upper() if m else "?"
        cm = _THREAD_CORE_RE.search(tname)
        core = overview_core.get(p, int(cm.group(1)) if cm else 0)
        key = (core, t)
        if key not in lane_key_of:
            lane_key_of[key] = -1
            lanes.append(
                Lane(index=-1, core=core, tid=t, unit=unit, thread_name=tname or f"tid {t}")
            )
        pair_lane[(p, t)] = -3  # resolved after sorting lanes
    lanes.sort(key=lambda ln: (ln.core, UNIT_ORDER.get(ln.unit, 9), ln.tid))
    lanes = [
        Lane(index=i, core=ln.core, tid=ln.tid, unit=ln.unit, thread_name=ln.thread_name)
        for i, ln in enumerate(lanes)
    ]
    for ln in lanes:
        lane_key_of[(ln.core, ln.tid)] = ln.index
    unknown = [ln for ln in lanes if ln.unit == "?"]
    if unknown:
        warnings.append(
            "lanes without a 'Type: HMX|HVX|DMA' thread_name: "
            + ", ".join(f"tid {ln.tid}" for ln in unknown)
            + " (unit shown as '?')"
        )
    pair_pos = {pair: k for k, pair in enumerate(pairs)}
    for (p, t), v in pair_lane.items():
        sel = kept_idx[pair_inverse == pair_pos[(p, t)]]
        if v == -2:
            non_exec_mask[sel] = True
        else:
            tname = thread_name(p, t)
            cm = _THREAD_CORE_RE.search(tname)
            core = overview_core.get(p, int(cm.group(1)) if cm else 0)
            lane_col[sel] = lane_key_of[(core, t)]
    # null_exec ops anywhere are non-executed too
    non_exec_mask |= keep & ((flags & FLAG_NULL_EXEC) != 0)
    executed = keep & ~non_exec_mask & (lane_col >= 0)

    ne = np.flatnonzero(non_exec_mask)
    ne_order = ne[np.argsort(ts[ne], kind="stable")]
    non_executed = NonExecuted(
        ts=ts[ne_order], name=kernel[ne_order], op_id=op_id[ne_order], flags=flags[ne_order]
    )

    ex = np.flatnonzero(executed)
    # the SDK writes each core's ops in time order: then the stable (ts, -dur) sort is the identity
    order = ex if _is_sorted_ts_dur(ts[ex], dur[ex]) else ex[ts_dur_order(ts[ex], dur[ex])]
    negative = int((dur[order] < 0).sum()) if order.size else 0
    if negative:
        warnings.append(f"{negative} ops have a negative dur; treated as 0")

    opids = b.process_opids
    qnn_op_ids: dict[str, int] = {
        name[5:]: opids[p]
        for p, name in b.process_names.items()
        if p in opids and name.startswith("QNN::")
    }
    q_sel = qnn[order]
    if q_sel.size:
        uq, first = np.unique(q_sel, return_index=True)
        names = b.strings.names
        first_ids = (op_id[order[first]] & np.uint64(0xFFFFFFFF)).tolist()
        for sid, qid in zip(uq.tolist(), first_ids, strict=True):
            name = names[sid]
            if name and name not in qnn_op_ids:
                qnn_op_ids[name] = qid
    if b.bad_ids:
        warnings.append(f"{b.bad_ids} events have an unreadable args.ID")
    if b.other_ph:
        warnings.append(f"{b.other_ph} events of other phases (not X/C/M/s/f) ignored")

    # counters belong to the core whose Overview process carries them (core 0 otherwise)
    merged: dict[tuple[int, str], tuple[list[np.ndarray], list[np.ndarray]]] = {}
    for (cpid, name), (tsl, vall) in b.counter_parts.items():
        entry = merged.setdefault((overview_core.get(cpid, 0), name), ([], []))
        entry[0].extend(tsl)
        entry[1].extend(vall)
    b.counter_parts = {}  # each series' parts are freed as soon as it is built
    core_counters: dict[int, dict[str, Counters]] = {}
    for (core, name), (tsl, vall) in sorted(merged.items()):
        tsv = _concat(tsl).astype(np.int64, copy=False)
        val = _concat(vall).astype(np.float64, copy=False)
        tsl.clear()
        vall.clear()
        if tsv.size > 1 and (tsv[1:] < tsv[:-1]).any():  # a stable sort only when out of order
            o = np.argsort(tsv, kind="stable")
            tsv, val = tsv[o], val[o]
        core_counters.setdefault(core, {})[name] = Counters(name=name, ts=tsv, value=val)
    counters = core_counters[min(core_counters)] if core_counters else {}
    flows = Flows(
        flow_id=b.flow_column(0, np.int64),
        is_start=b.flow_column(1, bool),
        ts=b.flow_column(2, np.int64),
        tid=b.flow_column(3, np.int64),
        category=b.flow_cat,
    )
    b.flow_parts = []
    if not order.size:
        warnings.append("the trace has no executed ops")
    # gather the executed ops in order, freeing each unordered column as soon as it is copied
    del pid, tid, keep, non_exec_mask, executed
    cols: dict[str, np.ndarray] = {}
    cols["ts"] = ts[order]
    del ts
    cols["dur"] = np.maximum(dur[order], 0)
    del dur
    cols["lane"] = lane_col[order]
    del lane_col
    cols["kernel"] = kernel[order]
    del kernel
    cols["qnn_op"] = qnn[order]
    del qnn
    cols["qnn_type"] = qtype[order]
    del qtype
    cols["op_id"] = op_id[order]
    del op_id
    cols["flags"] = flags[order]
    del flags
    cols["dpc_event"] = dpc[order]
    del dpc
    cols["cpp"] = cpp[order]
    del cpp
    cols["start_cycle"] = start[order]
    del start
    cols["ordinal"] = ordinal[order]
    del ordinal
    return OpTrace(
        source=label,
        strings=b.strings,
        lanes=tuple(lanes),
        **cols,
        non_executed=non_executed,
        counters=counters,
        core_counters=core_counters,
        flows=flows,
        process_names=dict(b.process_names),
        qnn_op_ids=qnn_op_ids,
        shape=shape,
        gzipped=gzipped,
        total_events=b.total,
        duplicate_events=duplicates,
        warnings=warnings,
    )
