"""Loader for the QHAS summary (`*_qnn_htp_analysis_summary.json`, artifact_type QHAS).

Tolerant by design: every section may be a ``{"data": [...]}`` wrapper or a bare list, per-core keys
carry ``_htp_<n>`` suffixes (never hard-coded to core 0), and IDs lose their leading zeros here, so
they are normalised to integers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from htptui.errors import InputError
from htptui.model._io import check_artifact_type, clean_text, decode_json, parse_id, read_bytes

_CORE_SUFFIX_RE = re.compile(r"_htp_(\d{1,6})$")
_PATH_SECTION_RE = re.compile(r"^dominant_path_htp_(\d{1,6})$")
#: cycle counts, byte counts and IDs at or above this are not real (and would overflow int64 sums)
_MAX_VALUE = 1 << 62
IDLE_NAME = "Accumulated Idle"


def _rows(section: Any) -> list[dict[str, Any]]:
    """Unwrap ``{"data": [...]}`` or a bare list into a list of dict rows (others dropped)."""
    if isinstance(section, dict):
        section = section.get("data", [])
    if not isinstance(section, list):
        return []
    return [r for r in section if isinstance(r, dict)]


def _num(row: dict[str, Any], key: str, default: float = 0) -> float:
    v = row.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int | float):
        return default
    if not -_MAX_VALUE < v < _MAX_VALUE:  # also false for NaN
        return default
    return v


def _int(row: dict[str, Any], key: str, default: int = 0) -> int:
    return int(_num(row, key, default))


def per_core(row: dict[str, Any], prefix: str) -> dict[int, float]:
    """Collect ``<prefix>_htp_<n>`` keys of a row into {core: value}."""
    out: dict[int, float] = {}
    for k, v in row.items():
        if k.startswith(prefix):
            m = _CORE_SUFFIX_RE.search(k)
            ok = m and isinstance(v, int | float) and not isinstance(v, bool)
            if ok and -_MAX_VALUE < v < _MAX_VALUE:
                out[int(m.group(1))] = v  # type: ignore[union-attr]
    return out


@dataclass(frozen=True, slots=True)
class QhasResource:
    """One unit thread's row of ``htp_resources`` (only threads that ran ops are listed)."""

    core: int
    unit: str
    tid: int
    start_cycle: int
    end_cycle: int
    timeline_cycles: int
    cycles_used: int
    utilization: float
    dram_read: int
    dram_write: int
    vtcm_read: int
    vtcm_write: int


@dataclass(frozen=True, slots=True)
class QhasOverall:
    """``htp_overall_summary`` for one HTP core."""

    core: int
    percent_idle: float
    percent_utilization: float
    time_us: float
    graph_execute_us: float
    inf_per_s: float
    timeline_cycles: int
    total_dram_read: int
    total_dram_write: int
    peak_vtcm_alloc: int
    total_vtcm_read: int
    total_vtcm_write: int
    unique_qnn_ops: int
    qnn_nodes: int
    unique_htp_ops: int
    htp_nodes: int
    resources: tuple[QhasResource, ...]


@dataclass(frozen=True, slots=True)
class QhasInstance:
    """One executed HTP op instance (``htp_op_instances``)."""

    core: int
    tid: int
    op_id: int
    htp_op: str
    qnn_op: str
    qnn_op_type: str
    dtype: str
    dims: tuple[int, ...]
    input_nodes: tuple[int, ...]
    start_cycle: int
    cycles: int
    dpc: int
    percent_dpc: float
    cycles_per_packet: float
    flags: tuple[str, ...]
    dram_read: int
    dram_write: int
    vtcm_read: int
    vtcm_write: int


@dataclass(frozen=True, slots=True)
class QhasPathRow:
    """One row of ``dominant_path_htp_<core>``; idle rows have htp_op ``Accumulated Idle``."""

    core: int
    op_id: int
    htp_op: str
    qnn_op: str
    start_cycle: int
    end_cycle: int
    partial: bool
    dp_cycles: int
    cycles: int

    @property
    def is_idle(self) -> bool:
        """Whether this row is an accumulated-idle gap rather than an op."""
        return self.htp_op == IDLE_NAME


@dataclass(frozen=True, slots=True)
class QhasTableRow:
    """A row of an aggregate table (qnn_op_types, qnn_op_instances_nodes, htp_op_types)."""

    name: str  # op (type tables) or qnn_op (instance-node table)
    op_type: str  # qnn_op_type where known
    cycles: int
    percent_active: float
    dpc: dict[int, float]  # per core
    percent_dpc: dict[int, float]
    count: int  # num_htp_ops or instances
    dram_read: int
    dram_write: int
    vtcm_read: int
    vtcm_write: int
    raw: dict[str, Any] = field(compare=False, repr=False)


FLAG_KEYS = ("hmx", "hvx", "dma", "dma_set", "dma_wait", "sync", "fmt_change", "ref_op")


@dataclass(frozen=True, slots=True)
class Qhas:
    """The QHAS summary: overall rows per core, tables, instances and dominant paths."""

    path: str
    model_id: str
    version: str
    overall: tuple[QhasOverall, ...]
    qnn_op_types: tuple[QhasTableRow, ...]
    qnn_op_nodes: tuple[QhasTableRow, ...]
    htp_op_types: tuple[QhasTableRow, ...]
    instances: tuple[QhasInstance, ...]
    dominant_path: dict[int, tuple[QhasPathRow, ...]]
    warnings: tuple[str, ...] = ()

    def overall_for(self, core: int = 0) -> QhasOverall | None:
        """The overall summary row of one core, if present."""
        for o in self.overall:
            if o.core == core:
                return o
        return None

    def instance_index(self) -> dict[tuple[int, int], int]:
        """Map (op_id, start_cycle) to the position in :attr:`instances` (the join key with the trace).

        Tiles of a tiled op share one op_id, each with its own start_cycle (spec §1.4b). Should two
        tiles of one ID start on the same cycle, the key keeps the first; :meth:`instance_of`
        tells them apart by tid.
        """
        out: dict[tuple[int, int], int] = {}
        for i, inst in enumerate(self.instances):
            out.setdefault((inst.op_id, inst.start_cycle), i)
        return out

    def instance_of(
        self, index: dict[tuple[int, int], int], op_id: int, start_cycle: int, tid: int
    ) -> int | None:
        """The instance of (op_id, start_cycle) on ``tid``: the index hit, or its same-key neighbour."""
        k = index.get((op_id, start_cycle))
        if k is None or self.instances[k].tid == tid:
            return k
        j = k + 1  # instances are sorted by (core, start_cycle): same-key rows are adjacent
        while j < len(self.instances) and self.instances[j].start_cycle == start_cycle:
            if self.instances[j].op_id == op_id and self.instances[j].tid == tid:
                return j
            j += 1
        return k

    def path_sorted(self, core: int = 0) -> list[QhasPathRow]:
        """The dominant path of a core sorted by start, idle rows interleaved where they belong."""
        return sorted(self.dominant_path.get(core, ()), key=lambda r: (r.start_cycle, r.end_cycle))


def _table(rows: list[dict[str, Any]], name_key: str, count_key: str) -> tuple[QhasTableRow, ...]:
    out = []
    for r in rows:
        out.append(
            QhasTableRow(
                name=clean_text(str(r.get(name_key, ""))),
                op_type=clean_text(str(r.get("qnn_op_type", r.get("op", "")))),
                cycles=_int(r, "cycles"),
                percent_active=float(_num(r, "percent_active_cycles")),
                dpc=per_core(r, "num_dominant_path_cycles"),
                percent_dpc=per_core(r, "percent_dominant_path_cycles"),
                count=_int(r, count_key),
                dram_read=_int(r, "dram_read"),
                dram_write=_int(r, "dram_write"),
                vtcm_read=_int(r, "vtcm_read"),
                vtcm_write=_int(r, "vtcm_write"),
                raw=r,
            )
        )
    return tuple(out)


def parse_obj(obj: Any, label: str) -> Qhas:
    """Build a :class:`Qhas` from decoded JSON."""
    if not isinstance(obj, dict):
        raise InputError(label, "expected a JSON object (QHAS summary)")
    check_artifact_type(obj, "QHAS", label)
    data = obj.get("data")
    if not isinstance(data, dict):
        raise InputError(label, "QHAS summary has no 'data' object")
    header = obj.get("header") if isinstance(obj.get("header"), dict) else {}
    ver = header.get("version") if isinstance(header.get("version"), dict) else {}
    version = (
        clean_text(".".join(str(ver.get(k, 0)) for k in ("major", "minor", "patch")), 64)
        if ver
        else ""
    )
    warnings: list[str] = []
    if ver and not (1 <= int(_num(ver, "major", 1)) < 2 or version == "2.0.0"):
        warnings.append(f"QHAS version {version} is outside the known 1.x range; reading it anyway")

    overall = []
    for r in _rows(data.get("htp_overall_summary")):
        core = _int(r, "htp")
        res = tuple(
            QhasResource(
                core=core,
                unit=clean_text(str(x.get("type", "?"))).upper(),
                tid=_int(x, "tid"),
                start_cycle=_int(x, "start_cycle"),
                end_cycle=_int(x, "end_cycle"),
                timeline_cycles=_int(x, "timeline_cycles"),
                cycles_used=_int(x, "cycles_used"),
                utilization=float(_num(x, "utilization")),
                dram_read=_int(x, "dram_read"),
                dram_write=_int(x, "dram_write"),
                vtcm_read=_int(x, "vtcm_read"),
                vtcm_write=_int(x, "vtcm_write"),
            )
            for x in _rows(r.get("htp_resources"))
        )
        overall.append(
            QhasOverall(
                core=core,
                percent_idle=float(_num(r, "percent_idle")),
                percent_utilization=float(_num(r, "percent_utilization")),
                time_us=float(_num(r, "time_us")),
                graph_execute_us=float(_num(r, "graph_execute_us")),
                inf_per_s=float(_num(r, "inf_per_s")),
                timeline_cycles=_int(r, "timeline_cycles"),
                total_dram_read=_int(r, "total_dram_read"),
                total_dram_write=_int(r, "total_dram_write"),
                peak_vtcm_alloc=_int(r, "peak_vtcm_alloc"),
                total_vtcm_read=_int(r, "total_vtcm_read"),
                total_vtcm_write=_int(r, "total_vtcm_write"),
                unique_qnn_ops=_int(r, "unique_qnn_ops"),
                qnn_nodes=_int(r, "qnn_nodes"),
                unique_htp_ops=_int(r, "unique_htp_ops"),
                htp_nodes=_int(r, "htp_nodes"),
                resources=res,
            )
        )

    instances = []
    bad = 0
    for r in _rows(data.get("htp_op_instances")):
        op_id = parse_id(r.get("op_id"))
        if op_id is None:
            bad += 1
            continue
        dims = r.get("dims") if isinstance(r.get("dims"), list) else []
        inputs = r.get("input_nodes") if isinstance(r.get("input_nodes"), list) else []
        instances.append(
            QhasInstance(
                core=_int(r, "htp"),
                tid=_int(r, "tid"),
                op_id=op_id,
                htp_op=clean_text(str(r.get("htp_op", ""))),
                qnn_op=clean_text(str(r.get("qnn_op", ""))),
                qnn_op_type=clean_text(str(r.get("qnn_op_type", ""))),
                dtype=clean_text(str(r.get("dtype", ""))),
                dims=tuple(int(d) for d in dims if isinstance(d, int | float)),
                input_nodes=tuple(i for i in (parse_id(x) for x in inputs) if i is not None),
                start_cycle=_int(r, "start_cycle"),
                cycles=_int(r, "cycles"),
                dpc=_int(r, "num_dominant_path_cycles"),
                percent_dpc=float(_num(r, "percent_dominant_path_cycles")),
                cycles_per_packet=float(_num(r, "cycles_per_packet")),
                flags=tuple(k for k in FLAG_KEYS if r.get(k) is True),
                dram_read=_int(r, "dram_read"),
                dram_write=_int(r, "dram_write"),
                vtcm_read=_int(r, "vtcm_read"),
                vtcm_write=_int(r, "vtcm_write"),
            )
        )
    if bad:
        warnings.append(f"{bad} htp_op_instances rows without a readable op_id skipped")

    paths: dict[int, tuple[QhasPathRow, ...]] = {}
    for key, section in data.items():
        m = _PATH_SECTION_RE.match(key)
        if not m:
            continue
        core = int(m.group(1))
        paths[core] = tuple(
            QhasPathRow(
                core=core,
                op_id=parse_id(r.get("op_id")) or 0,
                htp_op=clean_text(str(r.get("htp_op", ""))),
                qnn_op=clean_text(str(r.get("qnn_op", ""))),
                start_cycle=_int(r, "start_cycle"),
                end_cycle=_int(r, "end_cycle"),
                partial=r.get("partial") is True,
                dp_cycles=_int(r, "dp_cycles"),
                cycles=_int(r, "cycles"),
            )
            for r in _rows(section)
        )

    return Qhas(
        path=label,
        model_id=clean_text(str(obj.get("model_id", ""))),
        version=version,
        overall=tuple(sorted(overall, key=lambda o: o.core)),
        qnn_op_types=_table(_rows(data.get("qnn_op_types")), "op", "num_htp_ops"),
        qnn_op_nodes=_table(_rows(data.get("qnn_op_instances_nodes")), "qnn_op", "num_htp_ops"),
        htp_op_types=_table(_rows(data.get("htp_op_types")), "op", "instances"),
        instances=tuple(sorted(instances, key=lambda i: (i.core, i.start_cycle))),
        dominant_path=paths,
        warnings=tuple(warnings),
    )


def load(path: str | Path) -> Qhas:
    """Load a QHAS summary JSON (plain or gzip)."""
    label = str(path)
    return parse_obj(decode_json(read_bytes(path, "qhas"), label), label)
