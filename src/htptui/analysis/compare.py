"""Compare two runs given as report documents (a live directory or a saved JSON baseline alike).

Everything here reads the plain dict written by :func:`htptui.output.document.build_report` (plus its
``compare_basis`` section when present), so a saved baseline and a freshly loaded optrace go through
one code path. Graph wall and per-lane busy are compared separately: summed busy cycles are work
volume, never wall time, and the domain is the busiest unit (a max, not a sum).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from htptui.analysis.run import RunAnalysis

BASIS_KEY = "compare_basis"
BASIS_VERSION = 1

# --- one compared figure ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    """One figure of run A beside the same figure of run B."""

    name: str
    a: float | None
    b: float | None
    unit: str = "cycles"  # "cycles" | "us" | "count" | "pct"
    na_a: str = ""  # why A's figure is n/a (present but not derivable, e.g. idle when Σ DPC > wall)
    na_b: str = ""

    @property
    def delta(self) -> float | None:
        """B − A (None when either side lacks the figure)."""
        if self.a is None or self.b is None:
            return None
        return self.b - self.a

    @property
    def rel(self) -> float | None:
        """(B − A) / |A| as a fraction (None when A is missing or zero)."""
        d = self.delta
        if d is None or not self.a:
            return None
        return d / abs(self.a)

    @property
    def status(self) -> str:
        """``added`` (only in B), ``removed`` (only in A), ``changed``, ``same``, ``n/a`` or ``missing``.

        ``n/a``: a side has the figure but it cannot be derived there (the reason in ``na_a``/``na_b``).
        """
        if self.na_a or self.na_b:
            return "n/a"
        if self.a is None and self.b is None:
            return "missing"
        if self.a is None:
            return "added"
        if self.b is None:
            return "removed"
        return "changed" if self.b != self.a else "same"

    @property
    def magnitude(self) -> float:
        """|Δ|, or the present side's size for an added or removed figure (sort key)."""
        d = self.delta
        if d is not None:
            return abs(d)
        return abs(self.a if self.a is not None else (self.b or 0.0))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        rel = self.rel
        return {
            "name": self.name,
            "a": self.a,
            "b": self.b,
            "delta": self.delta,
            "rel_pct": None if rel is None else round(rel * 100.0, 4),
            "unit": self.unit,
            "status": self.status,
            **({"na_reason_a": self.na_a} if self.na_a else {}),
            **({"na_reason_b": self.na_b} if self.na_b else {}),
        }


@dataclass(frozen=True, slots=True)
class Noise:
    """Deltas smaller than both ``rel`` (fraction of A) or ``cycles`` (absolute) are hidden."""

    rel: float = 0.01
    cycles: float = 50.0

    def significant(self, c: Change) -> bool:
        """Whether a change is worth showing (added and removed figures always are)."""
        if c.status in ("added", "removed", "n/a"):
            return True
        d = c.delta
        if not d:
            return False
        if c.unit == "cycles" and abs(d) < self.cycles:
            return False
        r = c.rel
        return not (r is not None and abs(r) < self.rel)


NO_NOISE_FILTER = Noise(rel=0.0, cycles=0.0)


@dataclass(frozen=True, slots=True)
class RowChange:
    """One QNN op or HTP kernel: DPC, busy and instance count of A beside B."""

    name: str
    dpc: Change
    busy: Change
    instances: Change
    name_a: str | None = None  # A's spelling when it differs (see :func:`spelling_aliases`)

    @property
    def status(self) -> str:
        """``added``, ``removed``, ``changed`` or ``same``."""
        if self.dpc.status in ("added", "removed"):
            return self.dpc.status
        if any(c.status == "changed" for c in (self.dpc, self.busy, self.instances)):
            return "changed"
        return "same"

    @property
    def magnitude(self) -> float:
        """Largest |Δ| of DPC and busy (sort key)."""
        return max(self.dpc.magnitude, self.busy.magnitude)

    def significant(self, noise: Noise) -> bool:
        """Whether this row survives the noise threshold."""
        if self.status in ("added", "removed"):
            return True
        return (
            noise.significant(self.dpc)
            or noise.significant(self.busy)
            or self.instances.status == "changed"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {
            "name": self.name,
            **({"name_a": self.name_a} if self.name_a else {}),
            "status": self.status,
            "dpc": self.dpc.to_dict(),
            "busy": self.busy.to_dict(),
            "instances": self.instances.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class InstanceChange:
    """One kernel instance of a QNN op, matched by its order among that op's instances of the kernel."""

    qnn_op: str
    kernel: str
    n: int  # 0-based order of this kernel's instance within the QNN op (by start time)
    dur: Change
    dpc: Change
    lane_a: str | None
    lane_b: str | None

    @property
    def status(self) -> str:
        """``added``, ``removed``, ``moved`` (other lane), ``changed`` or ``same``."""
        if self.dur.status in ("added", "removed"):
            return self.dur.status
        if self.lane_a != self.lane_b:
            return "moved"
        if self.dur.status == "changed" or self.dpc.status == "changed":
            return "changed"
        return "same"

    @property
    def magnitude(self) -> float:
        """Largest |Δ| of duration and DPC (sort key)."""
        return max(self.dur.magnitude, self.dpc.magnitude)

    def significant(self, noise: Noise) -> bool:
        """Whether this instance survives the noise threshold."""
        if self.status in ("added", "removed", "moved"):
            return True
        return noise.significant(self.dur) or noise.significant(self.dpc)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {
            "qnn_op": self.qnn_op,
            "kernel": self.kernel,
            "n": self.n,
            "status": self.status,
            "lane_a": self.lane_a,
            "lane_b": self.lane_b,
            "dur": self.dur.to_dict(),
            "dpc": self.dpc.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class GraphChange:
    """Compiled-graph structure of A beside B, at node-count and QNN-op-edge level."""

    nodes: Change
    kernel_counts: tuple[Change, ...]  # only kernels whose node count differs
    qnn_ops_added: tuple[str, ...]
    qnn_ops_removed: tuple[str, ...]
    edges_added: tuple[tuple[str, str], ...]
    edges_removed: tuple[tuple[str, str], ...]

    @property
    def changed(self) -> bool:
        """Whether the structure differs at all."""
        return bool(
            self.nodes.status == "changed"
            or self.kernel_counts
            or self.qnn_ops_added
            or self.qnn_ops_removed
            or self.edges_added
            or self.edges_removed
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {
            "changed": self.changed,
            "nodes": self.nodes.to_dict(),
            "kernel_counts": [c.to_dict() for c in self.kernel_counts],
            "qnn_ops_added": list(self.qnn_ops_added),
            "qnn_ops_removed": list(self.qnn_ops_removed),
            "edges_added": [list(e) for e in self.edges_added],
            "edges_removed": [list(e) for e in self.edges_removed],
        }


# --- what one document holds ------------------------------------------------------------------


@dataclass
class RunFigures:
    """The comparable figures of one run, read from its report document."""

    name: str
    source: str
    summary: dict[str, tuple[float | None, str]]  # label -> (value, unit), in display order
    cores: dict[int, dict[str, Any]]  # core -> wall, domain, idle figures used by `check`
    lanes: dict[str, float]  # lane label -> busy cycles
    phases: dict[str, float]  # first-execute runtrace phase -> µs
    qnn_ops: dict[str, dict[str, float]]  # name -> dpc, busy, instances
    kernels: dict[str, dict[str, float]]
    instances: (
        dict[tuple[str, str, int], dict[str, Any]] | None
    )  # (op, kernel, n) -> dur, dpc, lane
    graph: dict[str, Any] | None
    complete: bool  # per-op rows cover every op (compare_basis present), not just the top N
    notes: list[str] = field(default_factory=list)
    na: dict[str, str] = field(default_factory=dict)  # summary label -> why that figure is n/a


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int | float):
        return v
    return None


def _rows_by_name(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for r in rows:
        name = str(r.get("name", ""))
        if name in out:
            continue
        out[name] = {
            "dpc": _num(r.get("dpc")) or 0,
            "busy": _num(r.get("busy")) or 0,
            "instances": _num(r.get("instances")) or 0,
        }
    return out


def figures(doc: dict[str, Any]) -> RunFigures:
    """Extract the comparable figures from a report document."""
    timing = doc.get("timing") or {}
    cores = doc.get("cores") or []
    multi = len(cores) > 1
    summary: dict[str, tuple[float | None, str]] = {}
    na: dict[str, str] = {}
    summary["graph wall (cycles)"] = (_num(timing.get("graph_wall_cycles")), "cycles")
    summary["graph wall at the trace clock (µs)"] = (
        _num(timing.get("graph_wall_us_at_trace_clock")),
        "us",
    )
    coarse = timing.get("coarse") or {}
    summary["runtrace Graph Execute (µs)"] = (_num(coarse.get("runtrace Graph Execute µs")), "us")
    summary["Σ DPC (cycles)"] = (_num(timing.get("dpc_sum")), "cycles")
    core_figs: dict[int, dict[str, Any]] = {}
    lanes: dict[str, float] = {}
    for c in cores:
        core = int(c.get("core", 0))
        p = f"core {core} " if core else ""  # core 0 unprefixed: comparable with single-core runs
        tax = c.get("boundary_tax") or {}
        core_figs[core] = {
            "wall": _num(c.get("graph_wall_cycles")),
            "domain_unit": c.get("domain_unit"),
            "domain": _num(c.get("domain_cycles")),
            "idle": _num(c.get("accumulated_idle_cycles")),
            "idle_pct": _num(c.get("accumulated_idle_pct")),
        }
        if multi:
            summary[f"core {core} graph wall (cycles)"] = (core_figs[core]["wall"], "cycles")
        summary[f"{p}domain: busiest unit (cycles)"] = (core_figs[core]["domain"], "cycles")
        for unit, busy in sorted((c.get("unit_busy") or {}).items()):
            summary[f"{p}{unit} busiest lane busy (cycles)"] = (_num(busy), "cycles")
        idle_label = f"{p}accumulated idle = wall − Σ DPC (cycles)"
        summary[idle_label] = (core_figs[core]["idle"], "cycles")
        if "accumulated_idle_cycles" in c and c.get("accumulated_idle_cycles") is None:
            na[idle_label] = str(c.get("accumulated_idle_note") or "cannot be derived")
        summary[f"{p}boundary tax busy (cycles)"] = (_num(tax.get("total_busy")), "cycles")
        summary[f"{p}boundary tax on the dominant path (cycles)"] = (
            _num(tax.get("total_dpc")),
            "cycles",
        )
        summary[f"{p}Σ busy over lanes, NOT wall (cycles)"] = (
            _num(c.get("busy_sum_cycles")),
            "cycles",
        )
        summary[f"{p}executed op instances"] = (_num(c.get("executed_ops")), "count")
        for ln in c.get("lanes") or []:
            busy = _num(ln.get("busy"))
            if busy is not None:
                lanes[str(ln.get("label"))] = busy
    phases: dict[str, float] = {}
    executes = timing.get("executes") or []
    if executes:
        for ph in executes[0].get("phases") or []:
            us = _num(ph.get("us"))
            if us is not None and ph.get("name") not in phases:
                phases[str(ph.get("name"))] = us
    notes: list[str] = []
    basis = doc.get(BASIS_KEY)
    name = str(doc.get("name", ""))
    for c in cores:
        if "accumulated_idle_cycles" in c and c.get("accumulated_idle_cycles") is None:
            core = int(c.get("core", 0))
            notes.append(
                f"{name or doc.get('source')}: core {core} accumulated idle is n/a "
                f"({c.get('accumulated_idle_note') or 'cannot be derived'})"
            )
    if isinstance(basis, dict):
        qnn_ops = _rows_by_name(basis.get("qnn_ops") or [])
        kernels = _rows_by_name(basis.get("kernels") or [])
        instances: dict[tuple[str, str, int], dict[str, Any]] | None = {}
        for r in basis.get("instances") or []:
            key = (str(r.get("qnn_op", "")), str(r.get("kernel", "")), int(r.get("n", 0)))
            instances[key] = {
                "dur": _num(r.get("dur")) or 0,
                "dpc": _num(r.get("dpc")) or 0,
                "lane": r.get("lane"),
            }
        graph = basis.get("graph") if isinstance(basis.get("graph"), dict) else None
        complete = True
    else:
        rk = doc.get("ranking") or {}
        qnn_ops = _rows_by_name(rk.get("qnn_op") or [])
        kernels = _rows_by_name(rk.get("kernel") or [])
        instances = None
        graph = None
        complete = False
        notes.append(
            f"{name or doc.get('source')}: no {BASIS_KEY} section (saved by an older htptui?); "
            "per-op rows cover only its top-N ranking, and instances and graph structure are not compared"
        )
    return RunFigures(
        name=name,
        source=str(doc.get("source", "")),
        summary=summary,
        cores=core_figs,
        lanes=lanes,
        phases=phases,
        qnn_ops=qnn_ops,
        kernels=kernels,
        instances=instances,
        graph=graph,
        complete=complete,
        notes=notes,
        na=na,
    )


# --- the comparison ---------------------------------------------------------------------------


@dataclass
class Comparison:
    """Run A against run B: every figure, row and structural change, unfiltered."""

    a: RunFigures
    b: RunFigures
    summary: list[Change]
    lanes: list[Change]  # busy per lane, sorted by |Δ|
    phases: list[Change]  # first execute's runtrace phases (µs), sorted by |Δ|
    qnn_ops: list[RowChange]  # sorted by |Δ|
    kernels: list[RowChange]
    instances: list[InstanceChange] | None
    graph: GraphChange | None
    notes: list[str]
    alias_a: dict[str, str] = field(default_factory=dict)  # A's QNN op name -> B's spelling

    @property
    def ops_added(self) -> list[str]:
        """QNN ops executed only in B."""
        return [r.name for r in self.qnn_ops if r.status == "added"]

    @property
    def ops_removed(self) -> list[str]:
        """QNN ops executed only in A."""
        return [r.name for r in self.qnn_ops if r.status == "removed"]

    @property
    def lanes_added(self) -> list[str]:
        """Lanes present only in B."""
        return [c.name for c in self.lanes if c.status == "added"]

    @property
    def lanes_removed(self) -> list[str]:
        """Lanes present only in A."""
        return [c.name for c in self.lanes if c.status == "removed"]

    def summary_change(self, name: str) -> Change | None:
        """A summary figure by its label."""
        return next((c for c in self.summary if c.name == name), None)

    def lane(self, label: str) -> Change | None:
        """The busy change of one lane."""
        return next((c for c in self.lanes if c.name == label), None)

    def qnn_op(self, name: str) -> RowChange | None:
        """The row of one QNN op."""
        return next((r for r in self.qnn_ops if r.name == name), None)

    def kernel(self, name: str) -> RowChange | None:
        """The row of one HTP kernel."""
        return next((r for r in self.kernels if r.name == name), None)

    def identical(self, noise: Noise = NO_NOISE_FILTER) -> bool:
        """Whether nothing differs beyond ``noise``."""
        return not any(
            [
                [c for c in self.summary if noise.significant(c)],
                [c for c in self.lanes if noise.significant(c)],
                [c for c in self.phases if noise.significant(c)],
                [r for r in self.qnn_ops if r.significant(noise)],
                [r for r in self.kernels if r.significant(noise)],
                [r for r in self.instances or [] if r.significant(noise)],
                self.graph is not None and self.graph.changed,
            ]
        )

    def to_dict(self, noise: Noise, top: int | None = None) -> dict[str, Any]:
        """JSON-able form: significant rows only (at most ``top`` per table), with hidden counts."""

        def cut(rows: list[Any], pred: Any) -> tuple[list[Any], int]:
            keep = [r for r in rows if pred(r)]
            hidden = len(rows) - len(keep)
            return (keep if top is None else keep[:top]), hidden

        lanes, lanes_hidden = cut(self.lanes, noise.significant)
        phases, phases_hidden = cut(self.phases, noise.significant)
        ops, ops_hidden = cut(self.qnn_ops, lambda r: r.significant(noise))
        kernels, kernels_hidden = cut(self.kernels, lambda r: r.significant(noise))
        inst, inst_hidden = cut(self.instances or [], lambda r: r.significant(noise))
        return {
            "schema": "htptui.diff",
            "schema_version": 1,
            "a": {"name": self.a.name, "source": self.a.source},
            "b": {"name": self.b.name, "source": self.b.source},
            "noise": {"min_delta_pct": noise.rel * 100.0, "min_cycles": noise.cycles},
            "identical": self.identical(noise),
            "summary": [c.to_dict() for c in self.summary],
            "lanes": [c.to_dict() for c in lanes],
            "lanes_added": self.lanes_added,
            "lanes_removed": self.lanes_removed,
            "phases_first_execute_us": [c.to_dict() for c in phases],
            "ops_added": self.ops_added,
            "ops_removed": self.ops_removed,
            "qnn_ops": [r.to_dict() for r in ops],
            "kernels": [r.to_dict() for r in kernels],
            "instances": None if self.instances is None else [r.to_dict() for r in inst],
            "graph": None if self.graph is None else self.graph.to_dict(),
            "hidden_below_noise": {
                "lanes": lanes_hidden,
                "phases": phases_hidden,
                "qnn_ops": ops_hidden,
                "kernels": kernels_hidden,
                "instances": inst_hidden,
            },
            "notes": list(self.notes),
        }


def _sorted_changes(changes: list[Change]) -> list[Change]:
    return sorted(changes, key=lambda c: (-c.magnitude, c.name))


def _row_changes(
    a: dict[str, dict[str, float]], b: dict[str, dict[str, float]], both_only: bool
) -> list[RowChange]:
    names = list(dict.fromkeys([*a, *b]))
    if both_only:
        names = [n for n in names if n in a and n in b]
    rows = []
    for n in names:
        ra, rb = a.get(n), b.get(n)
        rows.append(
            RowChange(
                name=n,
                dpc=Change(n, ra and ra["dpc"], rb and rb["dpc"]),
                busy=Change(n, ra and ra["busy"], rb and rb["busy"]),
                instances=Change(n, ra and ra["instances"], rb and rb["instances"], "count"),
            )
        )
    return sorted(rows, key=lambda r: (-r.magnitude, r.name))


def _instance_changes(
    a: dict[tuple[str, str, int], dict[str, Any]], b: dict[tuple[str, str, int], dict[str, Any]]
) -> list[InstanceChange]:
    rows = []
    for key in dict.fromkeys([*a, *b]):
        ia, ib = a.get(key), b.get(key)
        label = f"{key[0]} {key[1]} #{key[2]}"
        rows.append(
            InstanceChange(
                qnn_op=key[0],
                kernel=key[1],
                n=key[2],
                dur=Change(label, ia and ia["dur"], ib and ib["dur"]),
                dpc=Change(label, ia and ia["dpc"], ib and ib["dpc"]),
                lane_a=ia and ia["lane"],
                lane_b=ib and ib["lane"],
            )
        )
    return sorted(rows, key=lambda r: (-r.magnitude, r.qnn_op, r.kernel, r.n))


def _graph_change(a: dict[str, Any], b: dict[str, Any]) -> GraphChange:
    ka: dict[str, int] = a.get("nodes_by_kernel") or {}
    kb: dict[str, int] = b.get("nodes_by_kernel") or {}
    counts = [
        Change(k, ka.get(k), kb.get(k), "count")
        for k in dict.fromkeys([*ka, *kb])
        if ka.get(k) != kb.get(k)
    ]
    oa, ob = set(a.get("qnn_ops") or []), set(b.get("qnn_ops") or [])
    ea = {(str(e[0]), str(e[1])) for e in a.get("qnn_op_edges") or [] if len(e) == 2}
    eb = {(str(e[0]), str(e[1])) for e in b.get("qnn_op_edges") or [] if len(e) == 2}
    return GraphChange(
        nodes=Change("nodes", _num(a.get("nodes")), _num(b.get("nodes")), "count"),
        kernel_counts=tuple(_sorted_changes(counts)),
        qnn_ops_added=tuple(sorted(ob - oa)),
        qnn_ops_removed=tuple(sorted(oa - ob)),
        edges_added=tuple(sorted(eb - ea)),
        edges_removed=tuple(sorted(ea - eb)),
    )


def spelling_key(name: str) -> str:
    """A QNN op name without its separators' spelling: ``model.layers.0.mlp`` and
    ``_model_layers_0_mlp`` (the converter's sanitised form) give the same key."""
    return re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_")


def spelling_aliases(a: Iterable[str], b: Iterable[str]) -> dict[str, str]:
    """A's names that exist in B only under another spelling (A name -> B name).

    A name found as-is in the other run is never re-paired; among the rest, a pair is made only
    when exactly one A name and exactly one B name share a :func:`spelling_key` (never a guess)."""
    sa, sb = list(dict.fromkeys(a)), list(dict.fromkeys(b))
    only_a = [n for n in sa if n not in set(sb)]
    only_b = [n for n in sb if n not in set(sa)]
    by_a: dict[str, list[str]] = {}
    by_b: dict[str, list[str]] = {}
    for n in only_a:
        by_a.setdefault(spelling_key(n), []).append(n)
    for n in only_b:
        by_b.setdefault(spelling_key(n), []).append(n)
    return {
        na[0]: by_b[k][0]
        for k, na in by_a.items()
        if k and len(na) == 1 and len(by_b.get(k, ())) == 1
    }


def _respelled(fa: RunFigures, alias: dict[str, str]) -> RunFigures:
    """A's figures with its QNN op names in B's spelling (rows, instances, graph ops and edges)."""
    if not alias:
        return fa
    graph = fa.graph
    if graph is not None:
        graph = {
            **graph,
            "qnn_ops": [alias.get(str(o), str(o)) for o in graph.get("qnn_ops") or []],
            "qnn_op_edges": [
                [alias.get(str(e[0]), str(e[0])), alias.get(str(e[1]), str(e[1]))]
                for e in graph.get("qnn_op_edges") or []
                if len(e) == 2
            ],
        }
    inst = fa.instances
    if inst is not None:
        inst = {(alias.get(q, q), k, n): v for (q, k, n), v in inst.items()}
    return replace(
        fa,
        qnn_ops={alias.get(k, k): v for k, v in fa.qnn_ops.items()},
        instances=inst,
        graph=graph,
    )


def compare(doc_a: dict[str, Any], doc_b: dict[str, Any]) -> Comparison:
    """Compare two report documents (A = baseline / before, B = current / after).

    QNN ops are matched by name; an op whose name is spelled differently in the two runs (dotted
    vs the converter's underscore form, :func:`spelling_aliases`) is matched too, under B's name,
    with A's spelling kept on the row (``name_a``) and a note saying how many were matched so."""
    fa, fb = figures(doc_a), figures(doc_b)
    notes = [*fa.notes, *fb.notes]
    alias = spelling_aliases(fa.qnn_ops, fb.qnn_ops)
    if alias:
        first = next(iter(alias.items()))
        notes.append(
            f"{len(alias)} QNN op(s) matched across spellings of their names (A {first[0]!r} is "
            f"B {first[1]!r}): the names differ only in separators"
        )
        fa = _respelled(fa, alias)
    summary = [
        Change(
            k,
            (fa.summary.get(k) or (None, u))[0],
            (fb.summary.get(k) or (None, u))[0],
            u,
            na_a=fa.na.get(k, ""),
            na_b=fb.na.get(k, ""),
        )
        for k, (_, u) in {**fa.summary, **fb.summary}.items()
    ]
    summary = [c for c in summary if c.status != "missing"]
    for core in sorted(set(fa.cores) & set(fb.cores)):
        ua, ub = fa.cores[core]["domain_unit"], fb.cores[core]["domain_unit"]
        if ua != ub:
            notes.append(f"core {core}: the domain (busiest) unit changed from {ua} to {ub}")
    lanes = _sorted_changes(
        [Change(k, fa.lanes.get(k), fb.lanes.get(k)) for k in dict.fromkeys([*fa.lanes, *fb.lanes])]
    )
    phases = _sorted_changes(
        [
            Change(k, fa.phases.get(k), fb.phases.get(k), "us")
            for k in dict.fromkeys([*fa.phases, *fb.phases])
        ]
    )
    both_complete = fa.complete and fb.complete
    instances = None
    if fa.instances is not None and fb.instances is not None:
        instances = _instance_changes(fa.instances, fb.instances)
    graph = None
    if fa.graph is not None and fb.graph is not None:
        graph = _graph_change(fa.graph, fb.graph)
    elif fa.complete and fb.complete and (fa.graph is None) != (fb.graph is None):
        notes.append("only one run has a compiled graph (_htp.json): structure not compared")
    back = {v: k for k, v in alias.items()}
    qnn_rows = [
        replace(r, name_a=back[r.name]) if r.name in back else r
        for r in _row_changes(fa.qnn_ops, fb.qnn_ops, both_only=not both_complete)
    ]
    return Comparison(
        a=fa,
        b=fb,
        summary=summary,
        lanes=lanes,
        phases=phases,
        qnn_ops=qnn_rows,
        kernels=_row_changes(fa.kernels, fb.kernels, both_only=not both_complete),
        instances=instances,
        graph=graph,
        notes=notes,
        alias_a=alias,
    )


# --- the CI gate ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Limits:
    """Regression thresholds of ``htptui check`` (fractions; None disables a gate)."""

    wall: float | None = 0.05
    op: float | None = 0.10
    op_min_cycles: float = 500.0
    domain: float | None = 0.05
    idle_points: float | None = None  # accumulated idle, in percentage points of wall


@dataclass(frozen=True, slots=True)
class Gate:
    """One evaluated threshold: the figure, its limit and whether it regressed."""

    what: str
    a: float | None
    b: float | None
    limit: str
    regressed: bool
    unit: str = "cycles"

    @property
    def delta(self) -> float | None:
        """B − A."""
        return None if self.a is None or self.b is None else self.b - self.a

    @property
    def rel(self) -> float | None:
        """(B − A) / |A|."""
        d = self.delta
        return None if d is None or not self.a else d / abs(self.a)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        rel = self.rel
        return {
            "what": self.what,
            "baseline": self.a,
            "current": self.b,
            "delta": self.delta,
            "rel_pct": None if rel is None else round(rel * 100.0, 4),
            "unit": self.unit,
            "limit": self.limit,
            "regressed": self.regressed,
        }


def _pct(x: float) -> str:
    return f"{x * 100:g} %"


def check(cmp: Comparison, limits: Limits) -> tuple[list[Gate], list[str]]:
    """Evaluate the regression gates of B (current) against A (baseline); return gates and notes."""
    gates: list[Gate] = []
    notes: list[str] = []
    if limits.wall is not None:
        c = cmp.summary_change("graph wall (cycles)")
        if c is None or c.delta is None:
            notes.append("graph wall missing in one run: wall gate skipped")
        else:
            r = c.rel
            gates.append(
                Gate(
                    "graph wall",
                    c.a,
                    c.b,
                    f"+{_pct(limits.wall)}",
                    r is not None and r > limits.wall,
                )
            )
    for core in sorted(set(cmp.a.cores) & set(cmp.b.cores)):
        ca, cb = cmp.a.cores[core], cmp.b.cores[core]
        p = f"core {core} " if core else ""
        if limits.domain is not None and ca["domain"] and cb["domain"] is not None:
            r = (cb["domain"] - ca["domain"]) / ca["domain"]
            gates.append(
                Gate(
                    f"{p}domain ({ca['domain_unit']}→{cb['domain_unit']})"
                    if ca["domain_unit"] != cb["domain_unit"]
                    else f"{p}domain ({ca['domain_unit']})",
                    ca["domain"],
                    cb["domain"],
                    f"+{_pct(limits.domain)}",
                    r > limits.domain,
                )
            )
        if (
            limits.idle_points is not None
            and ca["idle_pct"] is not None
            and cb["idle_pct"] is not None
        ):
            gates.append(
                Gate(
                    f"{p}accumulated idle (% of wall)",
                    ca["idle_pct"],
                    cb["idle_pct"],
                    f"+{limits.idle_points * 100:g} points",
                    cb["idle_pct"] - ca["idle_pct"] > limits.idle_points * 100.0,
                    "pct",
                )
            )
    if limits.op is not None:
        if not (cmp.a.complete and cmp.b.complete):
            notes.append("per-op gate covers only the QNN ops in both runs' top-N rankings")
        for row in cmp.qnn_ops:
            if row.status in ("added", "removed"):
                continue
            for metric, c in (("DPC", row.dpc), ("busy", row.busy)):
                d, r = c.delta, c.rel
                bad = bool(
                    d is not None and d >= limits.op_min_cycles and (r is None or r > limits.op)
                )
                if bad or (d and d > 0 and r is not None and r > limits.op):
                    gates.append(
                        Gate(
                            f"QNN op {row.name} {metric}",
                            c.a,
                            c.b,
                            f"+{_pct(limits.op)} and ≥ {limits.op_min_cycles:g} cycles",
                            bad,
                        )
                    )
    return gates, notes


def _occurrence(keys: np.ndarray) -> np.ndarray:
    """For each position, how many earlier positions hold the same key (0 for the first)."""
    if not keys.size:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    first = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(keys.size), 0))
    out = np.empty(keys.size, dtype=np.int64)
    out[order] = np.arange(keys.size) - group_start
    return out


def basis_of(an: RunAnalysis) -> dict[str, Any] | None:
    """Full per-QNN-op, per-kernel and per-instance rows plus graph structure, for comparisons."""
    from htptui.analysis import ranking

    t = an.trace
    if t is None:
        return None
    out: dict[str, Any] = {"version": BASIS_VERSION}
    for level, key in (("qnn_op", "qnn_ops"), ("kernel", "kernels")):
        r = an.ranking(level)
        out[key] = [
            {
                "name": r.names[i],
                "dpc": int(r.dpc[i]),
                "busy": int(r.busy[i]),
                "instances": int(r.instances[i]),
                "units": ranking.units_text(int(r.units[i])),
            }
            for i in range(len(r))
        ]
    # trace order is (ts, -dur): order within an op is by start time
    names = t.strings.names
    pair = t.qnn_op.astype(np.int64) * (len(names) + 1) + t.kernel.astype(np.int64)
    n_of = _occurrence(pair).tolist()
    order_of = _occurrence(t.qnn_op.astype(np.int64)).tolist()
    labels = [ln.label for ln in t.lanes]
    out["instances"] = [
        {"qnn_op": names[q], "kernel": names[k], "n": n, "order": o, "lane": labels[ln],
         "ts": ts, "dur": dur, "dpc": max(dpc, 0), "op_id": f"0x{op_id:016x}"}
        for q, k, n, o, ln, ts, dur, dpc, op_id in zip(
            t.qnn_op.tolist(), t.kernel.tolist(), n_of, order_of, t.lane.tolist(),
            t.ts.tolist(), t.dur.tolist(), t.dpc.tolist(), t.op_id.tolist(), strict=True)
    ]  # fmt: skip
    g = an.run.graph
    dag = an.qnn_dag()
    out["graph"] = (
        None
        if g is None or dag is None
        else {
            "nodes": len(g.nodes),
            "nodes_by_kernel": dict(sorted(Counter(n.type for n in g.nodes.values()).items())),
            "qnn_ops": sorted(dag.ops),
            "qnn_op_edges": [list(e) for e in sorted(dag.edges)],
        }
    )
    return out


# --- window statistics of two runs (compare mode's m / W / drag) ------------------------------

WINDOW_MAPPINGS = ("cycles", "ops")
WINDOW_MAPPING_TEXT = {
    "cycles": "the same [from, to) on each run's own cycle axis (both drawn on one scale)",
    "ops": "the same ops: those starting in the window on {run}, matched in the other run by "
    "(QNN op, kernel, n); each run's window spans its own copies",
}


def map_window_by_ops(
    src: tuple[list[tuple[str, str, int]], np.ndarray, np.ndarray],
    dst: tuple[list[tuple[str, str, int]], np.ndarray, np.ndarray],
    lo: int,
    hi: int,
) -> tuple[tuple[int, int], tuple[int, int], int] | None:
    """The op-range mapping of a window marked on ``src``: (src window, dst window, ops matched).

    ``src`` and ``dst`` are (instance keys (QNN op, kernel, n) in one spelling, ts, end) of the
    two runs. The ops are the src instances starting in [lo, hi) that also exist in dst; each run's
    window is the first start to the last end of its own copies of them. None when none match.
    """
    keys_s, ts_s, end_s = src
    keys_d, ts_d, end_d = dst
    inside = np.flatnonzero((ts_s >= lo) & (ts_s < hi))
    where = {k: i for i, k in enumerate(keys_d)}
    pairs = [(int(i), where[keys_s[i]]) for i in inside.tolist() if keys_s[i] in where]
    if not pairs:
        return None
    si = np.array([p[0] for p in pairs], dtype=np.int64)
    di = np.array([p[1] for p in pairs], dtype=np.int64)
    ws = (int(ts_s[si].min()), int(end_s[si].max()))
    wd = (int(ts_d[di].min()), int(end_d[di].max()))
    return ws, wd, len(pairs)


@dataclass
class WindowComparison:
    """The window figures of run A beside run B (each a :meth:`RunAnalysis.scoped` child)."""

    window_a: tuple[int, int]
    window_b: tuple[int, int]
    ops: Change  # op instances in each window
    figures: list[tuple[str, Change]]  # (section, figure): per core, then per lane
    qnn_ops: list[RowChange]  # the ops in the windows, ranked by |Δ DPC|
    alias_a: dict[str, str] = field(default_factory=dict)


def _core_figures(an: RunAnalysis) -> dict[str, tuple[float | None, str, str]]:
    """label -> (value, unit, why n/a) of every per-core and per-lane window figure."""
    out: dict[str, tuple[float | None, str, str]] = {}
    summaries = an.core_summaries()
    multi = len(summaries) > 1
    for cs in summaries:
        p = f"core {cs.core} " if multi or cs.core else ""
        bt = cs.boundary
        out[f"{p}wall (window ∩ ops' span, cycles)"] = (cs.wall, "cycles", "")
        out[f"{p}Σ DPC (cycles)"] = (cs.dpc_sum, "cycles", "")
        out[f"{p}idle = wall − Σ DPC (cycles)"] = (cs.idle, "cycles", cs.idle_note)
        out[f"{p}idle (% of wall)"] = (cs.idle_pct, "pct", cs.idle_note)
        out[f"{p}domain: busiest unit (cycles)"] = (cs.domain_cycles, "cycles", "")
        out[f"{p}Σ busy over lanes, NOT wall (cycles)"] = (cs.busy_sum, "cycles", "")
        out[f"{p}HVX∥HMX-compute overlap (cycles)"] = (cs.hvx_hmx_overlap, "cycles", "")
        out[f"{p}HVX∥HMX overlap (% of smaller unit)"] = (cs.overlap_pct, "pct", "")
        out[f"{p}boundary tax busy (cycles)"] = (bt.total_busy, "cycles", "")
        out[f"{p}boundary tax on the dominant path (cycles)"] = (bt.total_dpc, "cycles", "")
        stats = {ls.lane.index: ls for ls in cs.lanes}
        t = an.trace
        lanes = [ln for ln in (t.lanes if t is not None else ()) if ln.core == cs.core]
        for ln in lanes:  # a lane of the run idle all through the window: 0, not "removed"
            ls = stats.get(ln.index)
            busy, util = (ls.busy, ls.utilization) if ls is not None else (0, 0.0)
            out[f"{p}lane {ln.label} busy (cycles)"] = (busy, "cycles", "")
            out[f"{p}lane {ln.label} util (% of wall)"] = (util, "pct", "")
    return out


_UNIT_RANK = {"HMX": 0, "HVX": 1, "DMA": 2}


def _lane_figure_order(label: str) -> tuple[int, int, int, str, int]:
    """Lane figures of both runs in one order: core, unit (HMX, HVX, DMA), lane number, busy
    before util (``core 1 lane HVX 513 busy (cycles)``)."""
    head, _, rest = label.partition("lane ")
    core = int(head.split()[1]) if head.startswith("core ") else 0
    parts = rest.split()
    unit = parts[0] if parts else ""
    num = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 1 << 30
    return (core, _UNIT_RANK.get(unit, 3), num, unit, 0 if " busy " in label else 1)


def _ranked(an: RunAnalysis) -> dict[str, dict[str, float]]:
    r = an.ranking("qnn_op")
    return {
        r.names[i]: {
            "dpc": int(r.dpc[i]),
            "busy": int(r.busy[i]),
            "instances": int(r.instances[i]),
        }
        for i in range(len(r))
    }


def window_comparison(
    child_a: RunAnalysis, child_b: RunAnalysis, alias: dict[str, str] | None = None
) -> WindowComparison:
    """A's window figures beside B's, both computed by the whole-graph code on the clipped ops
    (each child is ``RunAnalysis.scoped``); QNN ops matched across spellings as in :func:`compare`
    (``alias``: the whole runs' A → B spellings, ``Comparison.alias_a``; else from the windows)."""
    fa, fb = _core_figures(child_a), _core_figures(child_b)
    figs: list[tuple[str, Change]] = []
    for label in dict.fromkeys([*fa, *fb]):
        va, ua, na_a = fa.get(label, (None, "", ""))
        vb, ub, na_b = fb.get(label, (None, "", ""))
        section = "lanes" if " lane " in f" {label}" else "core"
        figs.append(
            (section, Change(label, va, vb, ua or ub, na_a=na_a if va is None else "",
                             na_b=na_b if vb is None else ""))
        )  # fmt: skip
    lanes = sorted(
        (f for f in figs if f[0] == "lanes"), key=lambda f: _lane_figure_order(f[1].name)
    )
    figs = [f for f in figs if f[0] == "core"] + lanes
    ra, rb = _ranked(child_a), _ranked(child_b)
    if alias is None:
        alias = spelling_aliases(ra, rb)
    ra = {alias.get(k, k): v for k, v in ra.items()}
    back = {v: k for k, v in alias.items()}
    rows = [
        replace(r, name_a=back[r.name]) if r.name in back else r
        for r in _row_changes(ra, rb, both_only=False)
    ]
    assert child_a.window[0] is not None and child_a.window[1] is not None
    assert child_b.window[0] is not None and child_b.window[1] is not None
    n_a = len(child_a.trace) if child_a.trace is not None else 0
    n_b = len(child_b.trace) if child_b.trace is not None else 0
    return WindowComparison(
        window_a=(int(child_a.window[0]), int(child_a.window[1])),
        window_b=(int(child_b.window[0]), int(child_b.window[1])),
        ops=Change("op instances in the window", n_a, n_b, "count"),
        figures=figs,
        qnn_ops=rows,
        alias_a=alias,
    )
