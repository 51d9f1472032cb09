"""The one true per-instance Dominant Path Cycles of every executed op (spec §1.4, §1.4b, trap 19).

An event's ``Dominant Path Cycles`` arg is a per-instance figure only for an *untiled* op. Tiles of a
tiled op share one ``args.ID``, and their ``Dominant Path Cycles`` (like ``Duration (cycles)``) is a
per-op statistic copied onto every tile. So:

- untiled op: the event's value (:data:`DPC_EVENT`);
- tiled op with QHAS: the QHAS ``htp_op_instances`` row joined on (ID, Start Cycle)
  (:data:`DPC_QHAS`), else the Σ ``dp_cycles`` of the ``dominant_path_htp_<core>`` rows of that ID
  inside the tile's interval, partial rows included (:data:`DPC_PATH`);
- tiled op without QHAS: the op's event value once per ID, on its first tile (:data:`DPC_OP_LEVEL`),
  and 0 on its other tiles (:data:`DPC_SPLIT_UNKNOWN`): the per-tile split cannot be read from the
  op trace, and the op-level value never enters a Σ once per tile.

:func:`resolve` writes the result to ``OpTrace.dpc`` (int64, -1 where no DPC exists) and
``OpTrace.dpc_source`` (uint8, one of the ``DPC_*`` codes); the event's own value stays in
``OpTrace.dpc_event``. Every consumer (summary, ranking, checks, findings, report, TUI, SQL) reads
``OpTrace.dpc``; nothing else may read ``dpc_event`` as a per-instance figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from htptui.model.chrometrace import OpTrace

DPC_EVENT = 0
DPC_QHAS = 1
DPC_PATH = 2
DPC_OP_LEVEL = 3
DPC_SPLIT_UNKNOWN = 4
DPC_ABSENT = 5

SOURCE_LABELS = {
    DPC_EVENT: "trace event (untiled op)",
    DPC_QHAS: "QHAS htp_op_instances (joined on ID + Start Cycle)",
    DPC_PATH: "QHAS dominant path rows inside the tile",
    DPC_OP_LEVEL: "op-level event value, once per ID (tiled op: per-tile split unknown without QHAS)",
    DPC_SPLIT_UNKNOWN: "unknown (tile of a tiled op; the op's DPC is counted on its first tile)",
    DPC_ABSENT: "absent (no Dominant Path Cycles in the trace or QHAS)",
}
SHORT_LABELS = {
    DPC_EVENT: "trace",
    DPC_QHAS: "QHAS",
    DPC_PATH: "QHAS path",
    DPC_OP_LEVEL: "op-level",
    DPC_SPLIT_UNKNOWN: "unknown",
    DPC_ABSENT: "absent",
}
KNOWN_SOURCES = (DPC_EVENT, DPC_QHAS, DPC_PATH)

TILED_NOTE = (
    "a tiled op's Dominant Path Cycles is a per-op figure copied onto every tile, so it is shown "
    "once per ID (on the op's first tile) and its per-tile split is unknown"
)


def known_mask(trace: OpTrace) -> np.ndarray:
    """Whether each op's ``dpc`` is a true per-instance figure (trace event, QHAS or QHAS path)."""
    return np.isin(trace.dpc_source, np.array(KNOWN_SOURCES, dtype=np.uint8))


def tiled_mask(op_id: np.ndarray, dur: np.ndarray, dpc_event: np.ndarray) -> np.ndarray:
    """Ops of tiled HTP ops: their ID repeats among executed ops, or an event's DPC exceeds its dur.

    The mask covers every op sharing such an ID (all tiles of the op). One sort of the IDs finds
    repeats; the common case (no tiled op) costs nothing more.
    """
    n = op_id.shape[0]
    if not n:
        return np.zeros(0, dtype=bool)
    srt = np.sort(op_id)
    rep = srt[1:][srt[1:] == srt[:-1]]
    over = (dpc_event > dur) & (op_id != 0)
    flagged_ids = np.unique(np.concatenate([rep, op_id[over]]))
    flagged_ids = flagged_ids[flagged_ids != 0]  # events without a readable ID are never grouped
    if not flagged_ids.size:
        return np.zeros(n, dtype=bool)
    return np.isin(op_id, flagged_ids)


def trace_only(
    op_id: np.ndarray, dur: np.ndarray, dpc_event: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Resolve DPC from the op trace alone: (dpc, dpc_source, tiled) for ops sorted by (ts, -dur)."""
    n = op_id.shape[0]
    tiled = tiled_mask(op_id, dur, dpc_event)
    dpc = dpc_event.astype(np.int64, copy=True)
    source = np.where(dpc_event >= 0, DPC_EVENT, DPC_ABSENT).astype(np.uint8)
    if tiled.any():
        t_idx = np.flatnonzero(tiled)
        # the ops are in time order, so the first occurrence of an ID is its first tile
        _, first_pos = np.unique(op_id[t_idx], return_index=True)
        first = np.zeros(n, dtype=bool)
        first[t_idx[first_pos]] = True
        rest = tiled & ~first
        dpc[rest] = 0
        source[rest] = DPC_SPLIT_UNKNOWN
        has = first & (dpc_event >= 0)
        source[has] = DPC_OP_LEVEL
        source[first & (dpc_event < 0)] = DPC_ABSENT
    return dpc, source, tiled


def _abs_start(trace: OpTrace) -> np.ndarray:
    """Absolute start cycle of every op (Start Cycle, else ts + the file's rebase constant)."""
    start = trace.start_cycle.astype(np.int64, copy=True)
    missing = start < 0
    if missing.any():
        rebase = trace.rebase
        if rebase is not None:
            start[missing] = trace.ts[missing] + rebase
    return start


def _path_dpc(
    trace: OpTrace, qhas: Any, ops: np.ndarray, start: np.ndarray
) -> dict[int, int] | None:
    """Σ dp_cycles of the dominant-path rows inside each tile's interval, for the tiles in ``ops``.

    Returns {op index: DPC} for the tiles whose core has a dominant path, else None entries are
    left out. A row inside several concurrent tiles of its ID goes to the one whose busy cycles
    equal the row's ``cycles``, then whose start equals the row's start, then the latest-starting.
    """
    lane_core = np.array([ln.core for ln in trace.lanes] or [0], dtype=np.int64)
    by_id: dict[tuple[int, int], list[int]] = {}
    for i in ops.tolist():
        core = int(lane_core[trace.lane[i]])
        if core not in qhas.dominant_path:
            continue
        by_id.setdefault((core, int(trace.op_id[i])), []).append(i)
    if not by_id:
        return None
    out: dict[int, int] = {i: 0 for tiles in by_id.values() for i in tiles}
    rows_by_id: dict[tuple[int, int], list[Any]] = {}
    for core, rows in qhas.dominant_path.items():
        for r in rows:
            if not r.is_idle and (core, r.op_id) in by_id:
                rows_by_id.setdefault((core, r.op_id), []).append(r)
    for key, tiles in by_id.items():
        for r in rows_by_id.get(key, ()):
            best = None
            best_rank: tuple[int, int, int] | None = None
            for i in tiles:
                s = int(start[i])
                e = s + int(trace.dur[i])
                if s <= r.start_cycle and r.end_cycle <= e:
                    rank = (int(int(trace.dur[i]) == r.cycles), int(s == r.start_cycle), s)
                    if best_rank is None or rank > best_rank:
                        best, best_rank = i, rank
            if best is not None:
                out[best] += r.dp_cycles
    return out


def resolve(trace: OpTrace, qhas: Any = None) -> None:
    """Set ``trace.dpc`` / ``trace.dpc_source`` from the op trace and, when given, the QHAS summary."""
    done = getattr(trace, "_trace_only_dpc", None)  # computed when the OpTrace was built
    inputs = (trace.op_id, trace.dur, trace.dpc_event)
    if done is not None and all(a is b for a, b in zip(done[0], inputs, strict=True)):
        dpc, source, tiled = done[1][0].copy(), done[1][1].copy(), done[1][2]
    else:
        dpc, source, tiled = trace_only(*inputs)
    if qhas is not None and len(trace):
        start = _abs_start(trace)
        index = qhas.instance_index()
        need = np.flatnonzero(tiled | (trace.dpc_event < 0))
        unjoined = []
        for i in need.tolist():
            tid = trace.lanes[int(trace.lane[i])].tid
            k = qhas.instance_of(index, int(trace.op_id[i]), int(start[i]), tid)
            if k is not None:
                dpc[i] = qhas.instances[k].dpc
                source[i] = DPC_QHAS
            elif tiled[i]:
                unjoined.append(i)
        if unjoined:
            via_path = _path_dpc(trace, qhas, np.array(unjoined, dtype=np.int64), start)
            for i, v in (via_path or {}).items():
                dpc[i] = v
                source[i] = DPC_PATH
    trace.dpc = dpc
    trace.dpc_source = source
    trace.tiled = tiled


def path_dpc_per_tile(trace: OpTrace, qhas: Any) -> dict[int, int]:
    """Σ dominant-path rows inside every tile of every tiled op (a cross-check of the QHAS join)."""
    ops = np.flatnonzero(trace.tiled)
    if qhas is None or not ops.size:
        return {}
    return _path_dpc(trace, qhas, ops, _abs_start(trace)) or {}
