"""A loaded run as columnar tables with a fixed schema and units, for SQL (``htptui sql``) and export.

Pure numpy: nothing here imports DuckDB, textual or rich. Every table has the same columns in every
run (unknown values are NULL: a masked entry, ``None`` in an object array, or NaN in a float array),
so many runs stack into one table set. Tables are built from the joined model (``Run``), never
from raw JSON, and follow the trace's units: ``ts``/``dur`` are **cycles** (spec trap 1), the
executed ops are de-duplicated (trap 2), and ``*_us`` columns convert cycles with the clock of the
execute the op trace shows (runtrace first execute; trap 7), NULL when that clock is unknown.

``tables_from_document`` builds the same tables from a saved ``htptui report --format json``
document (its ``compare_basis`` rows); columns a report does not carry are NULL there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from htptui.model._io import clean_text, fmt_id, parse_id

# --- schema -------------------------------------------------------------------------------------

# SQL types used in the schema (DuckDB spellings; any engine reading Parquet understands them)
BIGINT, DOUBLE, VARCHAR, BOOLEAN, INTEGER = "BIGINT", "DOUBLE", "VARCHAR", "BOOLEAN", "INTEGER"


@dataclass(frozen=True, slots=True)
class Column:
    """One column: name, SQL type, unit (``""`` for none) and a one-line meaning."""

    name: str
    type: str
    unit: str
    doc: str


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A table's name, meaning and columns (``run`` is always the first column)."""

    name: str
    doc: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Column names in order."""
        return tuple(c.name for c in self.columns)


def _t(name: str, doc: str, *cols: tuple[str, str, str, str]) -> TableSpec:
    run = Column("run", VARCHAR, "", "run label (the run's name; the path label with --runs)")
    return TableSpec(name, doc, (run, *(Column(*c) for c in cols)))


CYC = "cycles"
US = "µs"
B = "bytes"

#: the QHAS traffic columns every per-op / per-type / per-path table carries
_TRAFFIC = (
    ("dram_read", BIGINT, B, "DRAM bytes read"),
    ("dram_write", BIGINT, B, "DRAM bytes written"),
    ("vtcm_read", BIGINT, B, "VTCM bytes read"),
    ("vtcm_write", BIGINT, B, "VTCM bytes written"),
)
#: the QHAS per-type share and dominant-path columns (qnn_op_nodes, qnn_op_types, htp_op_types)
_TYPE_DPC = (
    ("percent_active", DOUBLE, "%", "percent_active_cycles"),
    ("dpc", BIGINT, CYC, "num_dominant_path_cycles_htp_<core>"),
    ("percent_dpc", DOUBLE, "%", "percent_dominant_path_cycles_htp_<core>"),
)


SCHEMA: dict[str, TableSpec] = {
    s.name: s
    for s in (
        _t(
            "ops",
            "executed HTP op instances: de-duplicated (Core Overview copy), one row per instance "
            "(a tile of a tiled op is one row), sorted by (ts, -dur)",
            ("op", BIGINT, "", "row number in trace order (0-based)"),
            ("core", INTEGER, "", "HTP core"),
            ("lane", VARCHAR, "", "lane label, e.g. 'HMX 256', 'HVX 512', 'c1 HVX 513'"),
            ("unit", VARCHAR, "", "HMX | HVX | DMA | ? (from the lane's thread_name)"),
            ("tid", BIGINT, "", "thread id of the lane"),
            ("ts", BIGINT, CYC, "start, rebased cycles (the trace's ts)"),
            ("dur", BIGINT, CYC, "busy cycles on this lane"),
            ("end_ts", BIGINT, CYC, "ts + dur"),
            ("ts_us", DOUBLE, US, "ts at the trace execute's clock (NULL: clock unknown)"),
            ("dur_us", DOUBLE, US, "dur at the trace execute's clock"),
            ("end_us", DOUBLE, US, "end_ts at the trace execute's clock"),
            ("start_cycle", BIGINT, CYC, "absolute HTP PCYCLE (args 'Start Cycle'; = QHAS)"),
            ("kind", VARCHAR, "", "HMX compute | HVX compute | DMA | sync/wait | boundary | other"),
            ("kernel", VARCHAR, "", "HTP op type (kernel)"),
            ("qnn_op", VARCHAR, "", "owning QNN op name"),
            ("qnn_type", VARCHAR, "", "owning QNN op type"),
            ("op_id", VARCHAR, "", "args.ID as 16 hex digits (tiles share one ID)"),
            ("qnn_op_id", BIGINT, "", "low 32 bits of op_id (= profile.txt OpId_N)"),
            ("flags", VARCHAR, "", "comma-separated Flags (dma, dma_set, dma_wait, uses_hmx, ...)"),
            ("dpc", BIGINT, CYC, "Dominant Path Cycles of this instance (per tile for tiled ops)"),
            (
                "dpc_per_tile",
                BOOLEAN,
                "",
                "dpc is this instance's own figure (false: a tiled op's per-op DPC, shown once per ID)",
            ),
            (
                "dpc_source",
                VARCHAR,
                "",
                "where dpc comes from: trace (untiled op) | QHAS | QHAS path (tile) | op-level "
                "(a tiled op's figure, once per ID) | unknown (its other tiles) | absent",
            ),
            ("cycles_per_packet", DOUBLE, "cycles/packet", "packet efficiency (NULL: absent)"),
            ("dram_read", BIGINT, B, "DRAM bytes read (QHAS instance; NULL without QHAS)"),
            ("dram_write", BIGINT, B, "DRAM bytes written (QHAS instance)"),
            ("vtcm_read", BIGINT, B, "VTCM bytes read (QHAS instance)"),
            ("vtcm_write", BIGINT, B, "VTCM bytes written (QHAS instance)"),
        ),
        _t(
            "lanes",
            "unit lanes (threads) that ran executed ops; figures as in the report's lane table",
            ("core", INTEGER, "", "HTP core"),
            ("lane", VARCHAR, "", "lane label"),
            ("unit", VARCHAR, "", "HMX | HVX | DMA | ?"),
            ("tid", BIGINT, "", "thread id"),
            ("thread_name", VARCHAR, "", "thread_name metadata as written"),
            ("ops", BIGINT, "", "executed op instances on the lane"),
            ("busy", BIGINT, CYC, "Σ dur on the lane (= QHAS cycles_used)"),
            ("start", BIGINT, CYC, "first start (rebased)"),
            ("end", BIGINT, CYC, "last end (rebased)"),
            ("span", BIGINT, CYC, "end - start (= QHAS resource timeline_cycles)"),
            ("utilization_pct", DOUBLE, "%", "busy / core graph wall × 100 (QHAS convention)"),
        ),
        _t(
            "cores",
            "per-core graph figures, as in the report's core summary",
            ("core", INTEGER, "", "HTP core"),
            ("graph_wall", BIGINT, CYC, "span of executed ops (= QHAS timeline_cycles)"),
            ("graph_wall_us", DOUBLE, US, "graph wall at the trace execute's clock"),
            ("clock_ghz", DOUBLE, "GHz", "clock of the execute the op trace shows"),
            ("executed_ops", BIGINT, "", "executed op instances"),
            ("busy_sum", BIGINT, CYC, "Σ busy over lanes: work volume, NOT wall"),
            ("dpc_sum", BIGINT, CYC, "Σ Dominant Path Cycles"),
            (
                "accumulated_idle",
                BIGINT,
                CYC,
                "wall - Σ DPC (NULL when not derivable: a tiled op's split unknown, Σ DPC > wall)",
            ),
            ("domain_unit", VARCHAR, "", "busiest unit (its busiest lane)"),
            ("domain_cycles", BIGINT, CYC, "busy of the busiest HMX/HVX lane (max, never sum)"),
            ("hvx_hmx_overlap", BIGINT, CYC, "cycles where HVX and HMX compute both run"),
        ),
        _t(
            "counters",
            "memory counter samples (ph C): step values in bytes, written at op start and end",
            ("core", INTEGER, "", "HTP core"),
            ("name", VARCHAR, "", "VTCM alloc | VTCM read | VTCM write | DRAM read | DRAM write"),
            ("ts", BIGINT, CYC, "sample time, rebased cycles"),
            ("ts_us", DOUBLE, US, "ts at the trace execute's clock"),
            ("value", DOUBLE, B, "bytes (per-op amount; VTCM alloc: current allocation)"),
        ),
        _t(
            "qhas_instances",
            "QHAS htp_op_instances: one row per executed instance (per tile), sorted by start",
            ("core", INTEGER, "", "HTP core"),
            ("tid", BIGINT, "", "thread id"),
            ("op_id", VARCHAR, "", "op ID as 16 hex digits (QHAS strips leading zeros)"),
            ("htp_op", VARCHAR, "", "HTP kernel"),
            ("qnn_op", VARCHAR, "", "QNN op name"),
            ("qnn_op_type", VARCHAR, "", "QNN op type"),
            ("dtype", VARCHAR, "", "data type"),
            ("dims", VARCHAR, "", "output dims, e.g. '1x8x32x256'"),
            ("start_cycle", BIGINT, CYC, "absolute PCYCLE"),
            ("ts", BIGINT, CYC, "start_cycle rebased to the trace's ts (NULL without a trace)"),
            ("cycles", BIGINT, CYC, "busy cycles"),
            ("dpc", BIGINT, CYC, "num_dominant_path_cycles (per tile)"),
            ("percent_dpc", DOUBLE, "%", "percent_dominant_path_cycles"),
            ("cycles_per_packet", DOUBLE, "cycles/packet", "packet efficiency"),
            ("flags", VARCHAR, "", "comma-separated true flags (hmx, hvx, dma, ...)"),
            *_TRAFFIC,
        ),
        _t(
            "qhas_path",
            "QHAS dominant_path_htp_<core> rows sorted by start (idle rows interleaved)",
            ("core", INTEGER, "", "HTP core"),
            ("seq", BIGINT, "", "position on the path (0-based, by start)"),
            ("op_id", VARCHAR, "", "op ID (0x0000000000000000 on idle rows)"),
            ("htp_op", VARCHAR, "", "HTP kernel, or 'Accumulated Idle'"),
            ("qnn_op", VARCHAR, "", "QNN op name"),
            ("start_cycle", BIGINT, CYC, "absolute PCYCLE where the path enters"),
            ("end_cycle", BIGINT, CYC, "absolute PCYCLE where the path leaves"),
            ("ts", BIGINT, CYC, "start_cycle rebased to the trace's ts (NULL without a trace)"),
            ("end_ts", BIGINT, CYC, "end_cycle rebased"),
            ("dp_cycles", BIGINT, CYC, "cycles of this row on the path"),
            ("cycles", BIGINT, CYC, "busy cycles of the op"),
            ("partial", BOOLEAN, "", "only part of the op is on the path"),
            ("idle", BOOLEAN, "", "an Accumulated Idle gap"),
        ),
        _t(
            "qhas_qnn_ops",
            "QHAS qnn_op_instances_nodes: one row per (QNN op, core); cycles/bytes are the op's "
            "totals, repeated on each core's row",
            ("qnn_op", VARCHAR, "", "QNN op name"),
            ("qnn_op_type", VARCHAR, "", "QNN op type"),
            ("core", INTEGER, "", "core of the DPC figures (_htp_<core> keys)"),
            ("cycles", BIGINT, CYC, "Σ busy of the op's instances (work volume)"),
            *_TYPE_DPC,
            ("num_htp_ops", BIGINT, "", "HTP instances"),
            *_TRAFFIC,
        ),
        _t(
            "qhas_qnn_op_types",
            "QHAS qnn_op_types: one row per (QNN op type, core)",
            ("op", VARCHAR, "", "QNN op type"),
            ("core", INTEGER, "", "core of the DPC figures"),
            ("cycles", BIGINT, CYC, "Σ busy (work volume)"),
            *_TYPE_DPC,
            ("num_htp_ops", BIGINT, "", "HTP instances"),
            *_TRAFFIC,
        ),
        _t(
            "qhas_kernels",
            "QHAS htp_op_types: one row per (HTP kernel, core)",
            ("kernel", VARCHAR, "", "HTP kernel"),
            ("core", INTEGER, "", "core of the DPC figures"),
            ("cycles", BIGINT, CYC, "Σ busy (work volume)"),
            *_TYPE_DPC,
            ("instances", BIGINT, "", "executed instances (dma_wait ones included)"),
            *_TRAFFIC,
        ),
        _t(
            "qhas_overall",
            "QHAS htp_overall_summary: one row per core",
            ("core", INTEGER, "", "HTP core"),
            ("timeline_cycles", BIGINT, CYC, "graph wall"),
            ("percent_idle", DOUBLE, "%", "accumulated idle / wall × 100"),
            ("time_us", DOUBLE, US, "first execute QNN DSP Execute"),
            ("graph_execute_us", DOUBLE, US, "first execute Graph Execute"),
            ("inf_per_s", DOUBLE, "1/s", "1e6 / time_us"),
            ("peak_vtcm_alloc", BIGINT, B, "max of the VTCM alloc counter"),
            ("total_dram_read", BIGINT, B, "DRAM bytes read"),
            ("total_dram_write", BIGINT, B, "DRAM bytes written"),
            ("total_vtcm_read", BIGINT, B, "VTCM bytes read"),
            ("total_vtcm_write", BIGINT, B, "VTCM bytes written"),
            ("htp_nodes", BIGINT, "", "executed HTP ops"),
            ("qnn_nodes", BIGINT, "", "QNN ops"),
        ),
        _t(
            "qhas_resources",
            "QHAS htp_overall_summary htp_resources: one row per unit thread that ran ops",
            ("core", INTEGER, "", "HTP core"),
            ("unit", VARCHAR, "", "HMX | HVX | DMA"),
            ("tid", BIGINT, "", "thread id (joins ops.tid / lanes.tid)"),
            ("start_cycle", BIGINT, CYC, "first start, absolute PCYCLE"),
            ("end_cycle", BIGINT, CYC, "last end, absolute PCYCLE"),
            ("timeline_cycles", BIGINT, CYC, "end_cycle - start_cycle"),
            ("cycles_used", BIGINT, CYC, "Σ dur on the thread (= lanes.busy)"),
            ("utilization_pct", DOUBLE, "%", "cycles_used / overall timeline_cycles × 100"),
            *_TRAFFIC,
        ),
        _t(
            "graph_nodes",
            "compiled-graph nodes (*_htp.json; graph = 'compiled', or 'before' for "
            "*_htp_graph_before.json); only tensor-producing nodes are listed",
            ("graph", VARCHAR, "", "compiled | before"),
            ("op_id", VARCHAR, "", "node ID (= trace op_id, = its output tensor ID)"),
            ("kernel", VARCHAR, "", "node type (HTP kernel)"),
            ("qnn_op", VARCHAR, "", "grouping (QNN op name)"),
            ("qnn_op_id", BIGINT, "", "low 32 bits of op_id"),
            ("n_inputs", BIGINT, "", "input tensors (repeats counted)"),
            ("n_outputs", BIGINT, "", "output tensors"),
            ("op_flags", VARCHAR, "", "scalar param op_flags"),
            ("cycles_start", BIGINT, CYC, "scalar param cycles_start (absolute PCYCLE)"),
            ("cycles_duration", BIGINT, CYC, "scalar param cycles_duration"),
            ("cycles_dominant", BIGINT, CYC, "scalar param cycles_dominant (per-op figure)"),
            ("cycles_per_packet", DOUBLE, "cycles/packet", "scalar param cycles_per_packet"),
            ("mem_dram_read", BIGINT, B, "scalar param mem_dram_read"),
            ("mem_dram_write", BIGINT, B, "scalar param mem_dram_write"),
            ("mem_vtcm_read", BIGINT, B, "scalar param mem_vtcm_read"),
            ("mem_vtcm_write", BIGINT, B, "scalar param mem_vtcm_write"),
        ),
        _t(
            "graph_tensors",
            "compiled-graph tensors",
            ("graph", VARCHAR, "", "compiled | before"),
            ("tensor_id", VARCHAR, "", "tensor ID as 16 hex digits"),
            ("type", INTEGER, "", "QNN tensor type code"),
            ("type_name", VARCHAR, "", "APP_WRITE | APP_READ | NATIVE | STATIC | ..."),
            ("data_type", INTEGER, "", "QNN data type code"),
            ("dtype", VARCHAR, "", "data type name"),
            ("dims", VARCHAR, "", "dims, e.g. '1x8x32x256'"),
            ("elements", BIGINT, "", "number of elements"),
            ("nbytes", BIGINT, B, "size (NULL when the element size is unknown)"),
            ("is_static", BOOLEAN, "", "STATIC (constant / weights)"),
            ("producer", VARCHAR, "", "op_id of the producing node (NULL: none)"),
        ),
        _t(
            "graph_edges",
            "compiled-graph data edges: one row per (consumer input slot) whose tensor has a producer",
            ("graph", VARCHAR, "", "compiled | before"),
            ("src", VARCHAR, "", "producer node op_id"),
            ("dst", VARCHAR, "", "consumer node op_id"),
            ("tensor_id", VARCHAR, "", "the tensor"),
            ("slot", BIGINT, "", "input position on the consumer"),
            ("src_qnn_op", VARCHAR, "", "producer's QNN op"),
            ("dst_qnn_op", VARCHAR, "", "consumer's QNN op"),
        ),
        _t(
            "runtrace_phases",
            "runtrace phases per execute (QNN DSP Execute, VTCM Acquire, Resource Power On, Graph "
            "Execute): ticks are 19.2 MHz QTimer, cycles absolute PCYCLE, each at its own clock",
            ("execute", BIGINT, "", "1-based execute (profile.txt Execute Stat N)"),
            ("phase", VARCHAR, "", "phase name"),
            ("ts_ticks", DOUBLE, "ticks", "start, 19.2 MHz ticks since the first event"),
            ("dur_ticks", DOUBLE, "ticks", "duration in 19.2 MHz ticks (NOT cycles)"),
            ("us", DOUBLE, US, "summary_time_us (or dur_ticks / 19.2)"),
            ("ghz", DOUBLE, "GHz", "this phase's HTP clock"),
            ("start_cycles", BIGINT, CYC, "stat_start_cycles (absolute PCYCLE)"),
            ("end_cycles", BIGINT, CYC, "stat_end_cycles"),
            ("cycles", BIGINT, CYC, "end_cycles - start_cycles: the phase's real wall cycles"),
        ),
        _t(
            "findings",
            "what htptui found wrong (htptui findings), most severe first",
            ("rank", BIGINT, "", "position (0 = most severe)"),
            ("rule", VARCHAR, "", "rule name"),
            ("severity", VARCHAR, "", "high | medium | low | info"),
            ("title", VARCHAR, "", "one line"),
            ("advice", VARCHAR, "", "what to do"),
            ("impact", DOUBLE, CYC, "graph-wall cycles at stake (0: not measurable)"),
            ("qnn_ops", VARCHAR, "", "comma-separated QNN ops concerned"),
            ("n_ops", BIGINT, "", "trace op instances concerned"),
            ("evidence", VARCHAR, "", "the numbers, as a JSON object"),
        ),
    )
}

# --- columns ------------------------------------------------------------------------------------

Columns = dict[str, np.ndarray]


@dataclass(eq=False)
class Tables:
    """The tables of one run: name -> {column -> 1-D array}; ``run`` is added by the engine."""

    run: str
    data: dict[str, Columns]
    clock_ghz: float | None = None
    rebase: int | None = None

    def rows(self, table: str) -> int:
        """Row count of a table."""
        cols = self.data.get(table) or {}
        return len(next(iter(cols.values()))) if cols else 0


def _obj(values: list[Any] | np.ndarray) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


_INT64 = (-(1 << 63), (1 << 63) - 1)


def _as_int(v: Any) -> int | None:
    """An integer cell, or None for anything else (a saved report may hold any JSON value)."""
    if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
        return None
    if isinstance(v, float | np.floating) and not np.isfinite(v):
        return None
    i = int(v)
    return i if _INT64[0] <= i <= _INT64[1] else None


def _as_float(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
        return np.nan
    try:
        return float(v)
    except OverflowError:
        return np.nan


def _nullable_int(values: list[Any]) -> np.ndarray:
    ints = [_as_int(v) for v in values]
    arr = np.array([0 if v is None else v for v in ints], dtype=np.int64)
    mask = np.array([v is None for v in ints], dtype=bool)
    return np.ma.masked_array(arr, mask=mask) if mask.any() else arr


def _nullable_float(values: list[Any]) -> np.ndarray:
    return np.array([_as_float(v) for v in values], dtype=np.float64)


def _empty(spec: TableSpec) -> Columns:
    return {c.name: _typed([], c.type) for c in spec.columns if c.name != "run"}


def _typed(values: list[Any], sqltype: str) -> np.ndarray:
    if sqltype in (BIGINT, INTEGER):
        return _nullable_int(values)
    if sqltype == DOUBLE:
        return _nullable_float(values)
    if sqltype == BOOLEAN:
        arr = np.array([v is True for v in values], dtype=bool)
        mask = np.array([not isinstance(v, bool) for v in values], dtype=bool)
        return np.ma.masked_array(arr, mask=mask) if mask.any() else arr
    return _obj([_as_text(v) for v in values])


def _as_text(v: Any) -> str | None:
    if v is None or isinstance(v, dict | list):
        return None
    return clean_text(v if isinstance(v, str) else str(v))


def _from_rows(spec: TableSpec, rows: list[dict[str, Any]]) -> Columns:
    """Columns from a list of row dicts (missing keys are NULL)."""
    return {
        c.name: _typed([r.get(c.name) for r in rows], c.type)
        for c in spec.columns
        if c.name != "run"
    }


def _dims(dims: Any) -> str:
    return "x".join(str(d) for d in dims) if dims else ""


# --- DPC: the one accessor ------------------------------------------------------------------------


def instance_dpc(opt: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-instance Dominant Path Cycles of the executed ops, whether each is the instance's own,
    and where it comes from: the model's one resolved figure (``OpTrace.dpc``, :mod:`htptui.model.dpc`).

    Untiled ops: the event's ``Dominant Path Cycles``. Tiled ops (one ID on several tiles, spec
    §1.4b): the true per-tile DPC from QHAS (joined on ID + Start Cycle, else the path rows inside
    the tile); without QHAS the op-level figure once per ID (first tile; the other tiles 0), not
    per tile. Returns (dpc with -1 where none exists, per_tile known mask, source labels).
    """
    from htptui.model import dpc as dpc_mod

    t = opt.trace
    labels = np.array(
        [dpc_mod.SHORT_LABELS.get(k, "?") for k in range(max(dpc_mod.SHORT_LABELS) + 1)],
        dtype=object,
    )
    return t.dpc.astype(np.int64), dpc_mod.known_mask(t), labels[t.dpc_source]


# --- builders from a loaded run ---------------------------------------------------------------------


def trace_clock_ghz(opt: Any) -> float | None:
    """The clock of the execute the op trace shows (the runtrace's first execute), or None.

    The same figure as ``analysis.timing.timing(opt).trace_clock_ghz`` (its Graph Execute phase,
    else its QNN DSP Execute), read without computing the rest of the timing view.
    """
    rt = opt.runtrace
    if rt is None or not rt.executes:
        return None
    first = rt.executes[0]
    ph = first.phase("Graph Execute") or first.phase("QNN DSP Execute")
    return ph.freq_ghz if ph is not None and ph.freq_ghz else None


def _us(cycles: np.ndarray, ghz: float | None) -> np.ndarray:
    if not ghz:
        return np.full(cycles.shape, np.nan)
    return cycles / (ghz * 1000.0)


def _ops(opt: Any, ghz: float | None) -> Columns:
    from htptui.analysis.run import analysis_of
    from htptui.analysis.summary import KIND_NAMES
    from htptui.model.chrometrace import flag_names

    t = opt.trace
    n = len(t)
    names = np.array(t.strings.names, dtype=object)
    lanes = t.lanes
    lane_label = np.array([ln.label for ln in lanes] or [""], dtype=object)
    lane_unit = np.array([ln.unit for ln in lanes] or ["?"], dtype=object)
    lane_tid = np.array([ln.tid for ln in lanes] or [0], dtype=np.int64)
    lane_core = np.array([ln.core for ln in lanes] or [0], dtype=np.int32)
    li = t.lane.astype(np.intp)
    end = t.end
    uniq_flags, flag_inv = np.unique(t.flags, return_inverse=True)
    flag_text = np.array([",".join(flag_names(int(f))) for f in uniq_flags] or [""], dtype=object)
    uniq_ids, id_inv = np.unique(t.op_id, return_inverse=True)
    id_text = np.array([fmt_id(int(x)) for x in uniq_ids] or [""], dtype=object)
    dpc, per_tile, dpc_source = instance_dpc(opt)
    cpp = t.cpp.astype(np.float64)
    start = t.start_cycle.astype(np.int64)
    cols: Columns = {
        "op": np.arange(n, dtype=np.int64),
        "core": lane_core[li],
        "lane": lane_label[li],
        "unit": lane_unit[li],
        "tid": lane_tid[li],
        "ts": t.ts.astype(np.int64),
        "dur": t.dur.astype(np.int64),
        "end_ts": end.astype(np.int64),
        "ts_us": _us(t.ts, ghz),
        "dur_us": _us(t.dur, ghz),
        "end_us": _us(end, ghz),
        "start_cycle": np.ma.masked_array(start, mask=start < 0),
        "kind": np.array(KIND_NAMES, dtype=object)[analysis_of(opt).kinds()] if n else _obj([]),
        "kernel": names[t.kernel],
        "qnn_op": names[t.qnn_op],
        "qnn_type": names[t.qnn_type],
        "op_id": id_text[id_inv] if n else _obj([]),
        "qnn_op_id": (t.op_id & np.uint64(0xFFFFFFFF)).astype(np.int64),
        "flags": flag_text[flag_inv] if n else _obj([]),
        "dpc": np.ma.masked_array(dpc, mask=dpc < 0),
        "dpc_per_tile": per_tile,
        "dpc_source": dpc_source,
        "cycles_per_packet": cpp,
    }
    mem = {
        k: np.zeros(n, dtype=np.int64)
        for k in ("dram_read", "dram_write", "vtcm_read", "vtcm_write")
    }
    missing = np.ones(n, dtype=bool)
    if opt.qhas is not None and n:
        qidx = opt._qhas_index
        inst = opt.qhas.instances
        ids, starts = t.op_id.tolist(), t.start_cycle.tolist()
        for i in range(n):
            j = qidx.get((ids[i], starts[i]))
            if j is None:
                continue
            q = inst[j]
            missing[i] = False
            mem["dram_read"][i] = q.dram_read
            mem["dram_write"][i] = q.dram_write
            mem["vtcm_read"][i] = q.vtcm_read
            mem["vtcm_write"][i] = q.vtcm_write
    for k, v in mem.items():
        cols[k] = np.ma.masked_array(v, mask=missing)
    return cols


def _lanes_and_cores(opt: Any, ghz: float | None) -> tuple[Columns, Columns]:
    from htptui.analysis.run import analysis_of

    lane_rows: list[dict[str, Any]] = []
    core_rows: list[dict[str, Any]] = []
    t = opt.trace
    if t is not None and len(t):
        for cs in analysis_of(opt).core_summaries():
            for ls in cs.lanes:
                ln = ls.lane
                lane_rows.append(
                    {
                        "core": ln.core,
                        "lane": ln.label,
                        "unit": ln.unit,
                        "tid": ln.tid,
                        "thread_name": ln.thread_name,
                        "ops": ls.ops,
                        "busy": ls.busy,
                        "start": ls.start,
                        "end": ls.end,
                        "span": ls.span,
                        "utilization_pct": ls.utilization,
                    }
                )
            core_rows.append(
                {
                    "core": cs.core,
                    "graph_wall": cs.wall,
                    "graph_wall_us": cs.wall / ghz / 1000.0 if ghz else None,
                    "clock_ghz": ghz,
                    "executed_ops": cs.executed_ops,
                    "busy_sum": cs.busy_sum,
                    "dpc_sum": cs.dpc_sum,
                    "accumulated_idle": cs.idle,
                    "domain_unit": cs.domain_unit,
                    "domain_cycles": cs.domain_cycles,
                    "hvx_hmx_overlap": cs.hvx_hmx_overlap,
                }
            )
    return _from_rows(SCHEMA["lanes"], lane_rows), _from_rows(SCHEMA["cores"], core_rows)


def _counters(opt: Any, ghz: float | None) -> Columns:
    t = opt.trace
    parts: list[tuple[int, str, np.ndarray, np.ndarray]] = []
    if t is not None:
        for core, series in sorted(t.core_counters.items()):
            for name, c in series.items():
                parts.append((core, name, c.ts.astype(np.int64), c.value.astype(np.float64)))
    if not parts:
        return _empty(SCHEMA["counters"])
    ts = np.concatenate([p[2] for p in parts])
    return {
        "core": np.concatenate([np.full(p[2].size, p[0], dtype=np.int32) for p in parts]),
        "name": np.concatenate([_obj([p[1]] * p[2].size) for p in parts]),
        "ts": ts,
        "ts_us": _us(ts, ghz),
        "value": np.concatenate([p[3] for p in parts]),
    }


def _rebased(cycle: int, rebase: int | None) -> int | None:
    return None if rebase is None else cycle - rebase


def _qhas_tables(opt: Any, rebase: int | None) -> dict[str, Columns]:
    q = opt.qhas
    out: dict[str, list[dict[str, Any]]] = {
        k: []
        for k in (
            "qhas_instances",
            "qhas_path",
            "qhas_qnn_ops",
            "qhas_qnn_op_types",
            "qhas_kernels",
            "qhas_overall",
            "qhas_resources",
        )
    }
    if q is not None:
        for r in q.instances:
            out["qhas_instances"].append(
                {
                    "core": r.core,
                    "tid": r.tid,
                    "op_id": fmt_id(r.op_id),
                    "htp_op": r.htp_op,
                    "qnn_op": r.qnn_op,
                    "qnn_op_type": r.qnn_op_type,
                    "dtype": r.dtype,
                    "dims": _dims(r.dims),
                    "start_cycle": r.start_cycle,
                    "ts": _rebased(r.start_cycle, rebase),
                    "cycles": r.cycles,
                    "dpc": r.dpc,
                    "percent_dpc": r.percent_dpc,
                    "cycles_per_packet": r.cycles_per_packet,
                    "flags": ",".join(r.flags),
                    "dram_read": r.dram_read,
                    "dram_write": r.dram_write,
                    "vtcm_read": r.vtcm_read,
                    "vtcm_write": r.vtcm_write,
                }
            )
        for core in sorted(q.dominant_path):
            for seq, r in enumerate(q.path_sorted(core)):
                out["qhas_path"].append(
                    {
                        "core": core,
                        "seq": seq,
                        "op_id": fmt_id(r.op_id),
                        "htp_op": r.htp_op,
                        "qnn_op": r.qnn_op,
                        "start_cycle": r.start_cycle,
                        "end_cycle": r.end_cycle,
                        "ts": _rebased(r.start_cycle, rebase),
                        "end_ts": _rebased(r.end_cycle, rebase),
                        "dp_cycles": r.dp_cycles,
                        "cycles": r.cycles,
                        "partial": r.partial,
                        "idle": r.is_idle,
                    }
                )
        for key, rows, name_col, count_col in (
            ("qhas_qnn_ops", q.qnn_op_nodes, "qnn_op", "num_htp_ops"),
            ("qhas_qnn_op_types", q.qnn_op_types, "op", "num_htp_ops"),
            ("qhas_kernels", q.htp_op_types, "kernel", "instances"),
        ):
            for r in rows:
                for core in sorted(r.dpc) or [None]:
                    row = {
                        name_col: r.name,
                        "core": core,
                        "cycles": r.cycles,
                        "percent_active": r.percent_active,
                        "dpc": None if core is None else int(r.dpc[core]),
                        "percent_dpc": r.percent_dpc.get(core) if core is not None else None,
                        count_col: r.count,
                        "dram_read": r.dram_read,
                        "dram_write": r.dram_write,
                        "vtcm_read": r.vtcm_read,
                        "vtcm_write": r.vtcm_write,
                    }
                    if key == "qhas_qnn_ops":
                        row["qnn_op_type"] = r.op_type
                    out[key].append(row)
        for o in q.overall:
            for r in o.resources:
                out["qhas_resources"].append(
                    {
                        "core": o.core,
                        "unit": r.unit,
                        "tid": r.tid,
                        "start_cycle": r.start_cycle,
                        "end_cycle": r.end_cycle,
                        "timeline_cycles": r.timeline_cycles,
                        "cycles_used": r.cycles_used,
                        "utilization_pct": r.utilization,
                        "dram_read": r.dram_read,
                        "dram_write": r.dram_write,
                        "vtcm_read": r.vtcm_read,
                        "vtcm_write": r.vtcm_write,
                    }
                )
            out["qhas_overall"].append(
                {
                    "core": o.core,
                    "timeline_cycles": o.timeline_cycles,
                    "percent_idle": o.percent_idle,
                    "time_us": o.time_us,
                    "graph_execute_us": o.graph_execute_us,
                    "inf_per_s": o.inf_per_s,
                    "peak_vtcm_alloc": o.peak_vtcm_alloc,
                    "total_dram_read": o.total_dram_read,
                    "total_dram_write": o.total_dram_write,
                    "total_vtcm_read": o.total_vtcm_read,
                    "total_vtcm_write": o.total_vtcm_write,
                    "htp_nodes": o.htp_nodes,
                    "qnn_nodes": o.qnn_nodes,
                }
            )
    return {k: _from_rows(SCHEMA[k], v) for k, v in out.items()}


def _int_param(params: Mapping[str, Any], key: str) -> int | None:
    v = params.get(key)
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return int(v)


def _graph_tables(opt: Any) -> dict[str, Columns]:
    nodes: list[dict[str, Any]] = []
    tensors: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    for label, g in (("compiled", opt.graph), ("before", opt.graph_before)):
        if g is None:
            continue
        for n in g.nodes.values():
            p = n.params
            cpp = p.get("cycles_per_packet")
            flags = p.get("op_flags")
            nodes.append(
                {
                    "graph": label,
                    "op_id": fmt_id(n.id),
                    "kernel": n.type,
                    "qnn_op": n.grouping,
                    "qnn_op_id": n.qnn_op_id,
                    "n_inputs": len(n.inputs),
                    "n_outputs": len(n.outputs),
                    "op_flags": flags if isinstance(flags, str) else None,
                    "cycles_start": _int_param(p, "cycles_start"),
                    "cycles_duration": _int_param(p, "cycles_duration"),
                    "cycles_dominant": _int_param(p, "cycles_dominant"),
                    "cycles_per_packet": float(cpp)
                    if isinstance(cpp, int | float) and not isinstance(cpp, bool)
                    else None,
                    "mem_dram_read": _int_param(p, "mem_dram_read"),
                    "mem_dram_write": _int_param(p, "mem_dram_write"),
                    "mem_vtcm_read": _int_param(p, "mem_vtcm_read"),
                    "mem_vtcm_write": _int_param(p, "mem_vtcm_write"),
                }
            )
            for slot, tid in enumerate(n.inputs):
                src = g.producer.get(tid)
                if src is None:
                    continue
                src_node = g.nodes.get(src)
                edges.append(
                    {
                        "graph": label,
                        "src": fmt_id(src),
                        "dst": fmt_id(n.id),
                        "tensor_id": fmt_id(tid),
                        "slot": slot,
                        "src_qnn_op": src_node.grouping if src_node is not None else None,
                        "dst_qnn_op": n.grouping,
                    }
                )
        for tz in g.tensors.values():
            prod = g.producer.get(tz.id)
            tensors.append(
                {
                    "graph": label,
                    "tensor_id": fmt_id(tz.id),
                    "type": tz.type,
                    "type_name": tz.type_name,
                    "data_type": tz.data_type,
                    "dtype": tz.dtype_name,
                    "dims": _dims(tz.dims),
                    "elements": tz.elements,
                    "nbytes": tz.nbytes,
                    "is_static": tz.is_static,
                    "producer": fmt_id(prod) if prod is not None else None,
                }
            )
    return {
        "graph_nodes": _from_rows(SCHEMA["graph_nodes"], nodes),
        "graph_tensors": _from_rows(SCHEMA["graph_tensors"], tensors),
        "graph_edges": _from_rows(SCHEMA["graph_edges"], edges),
    }


def _runtrace(opt: Any) -> Columns:
    rows: list[dict[str, Any]] = []
    rt = opt.runtrace
    if rt is not None:
        for ex in rt.executes:
            for ph in ex.phases:
                rows.append(
                    {
                        "execute": ex.index,
                        "phase": ph.name,
                        "ts_ticks": ph.ts_ticks,
                        "dur_ticks": ph.dur_ticks,
                        "us": ph.time_us,
                        "ghz": ph.freq_ghz,
                        "start_cycles": ph.start_cycles,
                        "end_cycles": ph.end_cycles,
                        "cycles": ph.cycles,
                    }
                )
    return _from_rows(SCHEMA["runtrace_phases"], rows)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _finding_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "rank": k,
            "rule": f.get("rule"),
            "severity": f.get("severity"),
            "title": f.get("title"),
            "advice": f.get("advice"),
            "impact": f.get("impact"),
            "qnn_ops": ",".join(str(x) for x in _list(f.get("qnn_ops"))),
            "n_ops": len(_list(f.get("ops"))),
            "evidence": json.dumps(f.get("evidence") or {}, ensure_ascii=False, sort_keys=True),
        }
        for k, f in enumerate(items)
    ]


def _findings(opt: Any) -> Columns:
    if opt.trace is None and opt.qhas is None and opt.profile is None and opt.heap is None:
        return _empty(SCHEMA["findings"])
    from htptui.analysis.run import analysis_of

    return _from_rows(
        SCHEMA["findings"], _finding_rows([f.to_dict() for f in analysis_of(opt).findings()])
    )


TABLE_BUILDERS: dict[str, tuple[str, ...]] = {
    # builder key -> the tables it fills (built together because they share work)
    "ops": ("ops",),
    "lanes": ("lanes", "cores"),
    "counters": ("counters",),
    "qhas": (
        "qhas_instances",
        "qhas_path",
        "qhas_qnn_ops",
        "qhas_qnn_op_types",
        "qhas_kernels",
        "qhas_overall",
        "qhas_resources",
    ),
    "graph": ("graph_nodes", "graph_tensors", "graph_edges"),
    "runtrace": ("runtrace_phases",),
    "findings": ("findings",),
}


def tables_named_in(query: str) -> set[str]:
    """Tables whose name occurs anywhere in a query's text (a superset of those it reads).

    When none does (``SHOW TABLES``, ``SELECT 1``, catalog queries), every table is returned, so a
    table is never missing from a query that could see it.
    """
    found = {n for n in SCHEMA if re.search(rf"(?<![\w$]){n}(?![\w$])", query, re.IGNORECASE)}
    return found or set(SCHEMA)


def build_tables(opt: Any, only: set[str] | None = None) -> Tables:
    """The tables of one loaded run (an ``Run``): all of them, or those in ``only``.

    Tables not asked for are not built (the findings rules, for instance, take seconds on a
    million-op trace), and are absent from :attr:`Tables.data`.
    """
    wanted = set(SCHEMA) if only is None else set(only) & set(SCHEMA)
    ghz = trace_clock_ghz(opt)
    t = opt.trace
    rebase = t.rebase if t is not None else None
    data: dict[str, Columns] = {}

    def need(key: str) -> bool:
        return any(name in wanted for name in TABLE_BUILDERS[key])

    if need("ops"):
        data["ops"] = _ops(opt, ghz) if t is not None else _empty(SCHEMA["ops"])
    if need("lanes"):
        data["lanes"], data["cores"] = _lanes_and_cores(opt, ghz)
    if need("counters"):
        data["counters"] = _counters(opt, ghz)
    if need("qhas"):
        data.update(_qhas_tables(opt, rebase))
    if need("graph"):
        data.update(_graph_tables(opt))
    if need("runtrace"):
        data["runtrace_phases"] = _runtrace(opt)
    if need("findings"):
        data["findings"] = _findings(opt)
    return Tables(run=opt.name, data=_ordered(data), clock_ghz=ghz, rebase=rebase)


def _ordered(data: dict[str, Columns], every: bool = False) -> dict[str, Columns]:
    """Columns in schema order; tables absent from ``data`` stay absent unless ``every``."""
    out: dict[str, Columns] = {}
    for name, spec in SCHEMA.items():
        if name not in data and not every:
            continue
        cols = data.get(name) or _empty(spec)
        out[name] = {c: cols[c] for c in spec.names if c != "run"}
    return out


# --- builders from a saved report document ------------------------------------------------------------


def _dicts(value: Any) -> list[dict[str, Any]]:
    """The dict items of a JSON list (anything else in a saved report is ignored)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


_LANE_RE = re.compile(r"^(?:c(?P<core>\d+) )?(?P<unit>\S+) (?P<tid>-?\d+)$")


def tables_from_document(doc: Mapping[str, Any], run: str) -> Tables:
    """The same tables from a saved ``htptui report --format json`` document.

    A report carries the executed instances (``compare_basis.instances``: QNN op, kernel, lane, ts,
    dur, DPC), the lanes, the core figures, the QHAS overall rows and dominant path, the runtrace
    phases and the findings; every other column is NULL and the other tables are empty.
    """
    timing = doc.get("timing") if isinstance(doc.get("timing"), dict) else {}
    ghz = _as_float(timing.get("trace_execute_clock_ghz"))
    ghz = ghz if ghz > 0 else None  # NaN compares false
    lane_info: dict[str, dict[str, Any]] = {}
    lane_rows: list[dict[str, Any]] = []
    core_rows: list[dict[str, Any]] = []
    for core in _dicts(doc.get("cores")):
        for ln in _dicts(core.get("lanes")):
            lane_info[str(ln.get("label"))] = ln
            lane_rows.append({**ln, "lane": ln.get("label")})
        idle = core.get("accumulated_idle_cycles") if core.get("dpc_consistent", True) else None
        # (None in the report too when it cannot be derived: a tiled op's unknown split, Σ DPC > wall)
        wall = _as_int(core.get("graph_wall_cycles"))
        core_rows.append(
            {
                "core": core.get("core"),
                "graph_wall": wall,
                "graph_wall_us": wall / ghz / 1000.0 if (ghz and wall is not None) else None,
                "clock_ghz": ghz,
                "executed_ops": core.get("executed_ops"),
                "busy_sum": core.get("busy_sum_cycles"),
                "dpc_sum": core.get("dpc_sum"),
                "accumulated_idle": idle,
                "domain_unit": core.get("domain_unit"),
                "domain_cycles": core.get("domain_cycles"),
                "hvx_hmx_overlap": core.get("hvx_hmx_overlap_cycles"),
            }
        )
    basis = doc.get("compare_basis") if isinstance(doc.get("compare_basis"), dict) else {}
    op_rows: list[dict[str, Any]] = []
    for k, r in enumerate(_dicts(basis.get("instances"))):
        label = str(r.get("lane"))
        ln = lane_info.get(label)
        m = _LANE_RE.match(label)
        ts, dur = _as_int(r.get("ts")), _as_int(r.get("dur"))
        end = ts + dur if ts is not None and dur is not None else None
        op_rows.append(
            {
                "op": k,
                "core": ln.get("core") if ln else (int(m.group("core") or 0) if m else None),
                "lane": label,
                "unit": ln.get("unit") if ln else (m.group("unit") if m else None),
                "tid": ln.get("tid") if ln else (int(m.group("tid")) if m else None),
                "ts": ts,
                "dur": dur,
                "end_ts": end,
                "ts_us": ts / ghz / 1000.0 if (ghz and ts is not None) else None,
                "dur_us": dur / ghz / 1000.0 if (ghz and dur is not None) else None,
                "end_us": end / ghz / 1000.0 if (ghz and end is not None) else None,
                "kernel": r.get("kernel"),
                "qnn_op": r.get("qnn_op"),
                "dpc": r.get("dpc"),
                "dpc_per_tile": r.get("dpc_per_tile"),
            }
        )
    data: dict[str, Columns] = {
        "ops": _from_rows(SCHEMA["ops"], op_rows),
        "lanes": _from_rows(SCHEMA["lanes"], lane_rows),
        "cores": _from_rows(SCHEMA["cores"], core_rows),
    }
    q = doc.get("qhas") if isinstance(doc.get("qhas"), dict) else {}
    paths = q.get("dominant_path") if isinstance(q.get("dominant_path"), dict) else {}
    trace = doc.get("trace") if isinstance(doc.get("trace"), dict) else {}
    rebase = _as_int(trace.get("rebase_cycles"))
    path_rows = []
    for core, rows in sorted(paths.items(), key=lambda kv: str(kv[0]).zfill(8)):
        if _as_int(parse_id(core)) is None:
            continue
        for seq, r in enumerate(_dicts(rows)):
            oid = r.get("op_id")
            num = parse_id(oid)
            oid = fmt_id(num) if num is not None else oid
            start, end = _as_int(r.get("start_cycle")), _as_int(r.get("end_cycle"))
            path_rows.append(
                {
                    **r,
                    "core": parse_id(core),
                    "seq": seq,
                    "op_id": oid,
                    "ts": None if start is None or rebase is None else start - rebase,
                    "end_ts": None if end is None or rebase is None else end - rebase,
                }
            )
    data["qhas_path"] = _from_rows(SCHEMA["qhas_path"], path_rows)
    overall = _dicts(q.get("overall"))
    data["qhas_overall"] = _from_rows(SCHEMA["qhas_overall"], overall)
    data["qhas_resources"] = _from_rows(
        SCHEMA["qhas_resources"],
        [{**r, "core": o.get("core")} for o in overall for r in _dicts(o.get("resources"))],
    )
    phase_rows = []
    for ex in _dicts(timing.get("executes")):
        for p in _dicts(ex.get("phases")):
            phase_rows.append({**p, "execute": ex.get("index"), "phase": p.get("name")})
    data["runtrace_phases"] = _from_rows(SCHEMA["runtrace_phases"], phase_rows)
    fnd = doc.get("findings") if isinstance(doc.get("findings"), dict) else {}
    data["findings"] = _from_rows(SCHEMA["findings"], _finding_rows(_dicts(fnd.get("items"))))
    return Tables(run=run, data=_ordered(data, every=True), clock_ghz=ghz, rebase=rebase)


__all__ = [
    "SCHEMA",
    "Column",
    "TableSpec",
    "Tables",
    "build_tables",
    "instance_dpc",
    "tables_from_document",
    "tables_named_in",
    "trace_clock_ghz",
]
