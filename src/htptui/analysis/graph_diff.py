"""Expected-vs-actual op-DAG diff, shared STATIC tensor check and timeline overlap evidence.

The shared-tensor check finds the QNN de-duplication trap: byte-identical constants (e.g. per-branch
all-zero scratch) merged into one STATIC tensor consumed by ops designed independent, which makes a
false cross-branch dependency that serialises them. No rendering or UI imports here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from htptui.analysis import intervals
from htptui.analysis.dag import is_compiler_node, is_compiler_op, qnn_dag, qnn_digraph
from htptui.analysis.expected import ExpectedGraph, find_expected, load_expected, resolve
from htptui.analysis.reach import Reachability
from htptui.model.htp_graph import HtpGraph

if TYPE_CHECKING:
    from htptui.model.chrometrace import OpTrace
    from htptui.model.run import Run

MAX_TRIVIAL_ELEMENTS = 16  # shared constants this small (scalars, shapes) are shared legitimately


@dataclass(frozen=True, slots=True)
class TensorRef:
    """A tensor with everything needed to judge an edge it creates."""

    id: int
    key: str  # the ID as written in the files
    type_name: str  # STATIC, NATIVE, ...
    dtype: str
    dims: tuple[int, ...]
    nbytes: int | None
    producer: str | None  # producing node key (None for STATIC)
    producer_op: str | None
    consumers: tuple[tuple[str, str], ...]  # (node key, QNN op)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "id": self.key,
            "type": self.type_name,
            "dtype": self.dtype,
            "dims": list(self.dims),
            "bytes": self.nbytes,
            "producer": self.producer,
            "producer_op": self.producer_op,
            "consumers": [{"node": k, "op": op} for k, op in self.consumers],
        }


@dataclass(frozen=True, slots=True)
class EdgeDiff:
    """One QNN-op edge: matched, missing, unexpected, or added (touches an op not expected)."""

    src: str
    dst: str
    status: str  # matched | missing | unexpected | added
    tensors: tuple[TensorRef, ...] = ()
    via: tuple[str, ...] = ()  # compiler-added ops a matched edge passes through
    line: int = 0
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "src": self.src,
            "dst": self.dst,
            "status": self.status,
            "tensors": [t.to_dict() for t in self.tensors],
            "via": list(self.via),
            "line": self.line or None,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class NodeDiff:
    """One QNN op: matched, missing (expected, fused away or renamed) or added (by the compiler)."""

    name: str
    status: str  # matched | missing | added
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"name": self.name, "status": self.status, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class SharedTensor:
    """A STATIC tensor consumed by nodes of two or more QNN ops."""

    tensor: TensorRef
    ops: tuple[str, ...]
    trivial: bool  # shape or scalar constant that ops legitimately share
    reason: str = ""
    suspected: bool = False  # consumed by ops the expected graph says are independent
    independent_pairs: tuple[tuple[str, str], ...] = ()
    connected_in_actual: bool = True  # whether a producer path already links every pair of ops

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "tensor": self.tensor.to_dict(),
            "ops": list(self.ops),
            "trivial": self.trivial,
            "reason": self.reason,
            "suspected_dedup_false_dependency": self.suspected,
            "independent_pairs": [list(p) for p in self.independent_pairs],
            "connected_in_actual": self.connected_in_actual,
        }


@dataclass(slots=True)
class SharedTensorCheck:
    """Shared STATIC tensors: significant ones largest first, trivial (shape/scalar) set apart."""

    significant: list[SharedTensor] = field(default_factory=list)
    trivial: list[SharedTensor] = field(default_factory=list)

    @property
    def suspected(self) -> list[SharedTensor]:
        """Shared tensors suspected of a dedup-induced false dependency."""
        return [s for s in self.significant if s.suspected]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "suspected": [s.to_dict() for s in self.suspected],
            "significant": [s.to_dict() for s in self.significant],
            "trivial": [s.to_dict() for s in self.trivial],
        }


@dataclass(frozen=True, slots=True)
class Violation:
    """An independence assertion broken by a path (or a shared tensor) in the compiled graph."""

    a: str
    b: str
    kind: str  # path | shared_tensor
    path: tuple[str, ...]
    tensors: tuple[TensorRef, ...] = ()
    line: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "a": self.a,
            "b": self.b,
            "kind": self.kind,
            "path": list(self.path),
            "tensors": [t.to_dict() for t in self.tensors],
            "line": self.line or None,
        }


@dataclass(frozen=True, slots=True)
class Overlap:
    """How much two QNN ops overlapped in the timeline (0 % = they ran serially)."""

    a: str
    b: str
    a_busy: int  # union of a's instance intervals, cycles
    b_busy: int
    overlap: int  # cycles both were running
    pct: float | None  # overlap as % of the shorter op's busy union

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "a": self.a,
            "b": self.b,
            "a_busy": self.a_busy,
            "b_busy": self.b_busy,
            "overlap": self.overlap,
            "overlap_pct": None if self.pct is None else round(self.pct, 2),
        }


@dataclass(slots=True)
class GraphDiff:
    """The full diff of the compiled graph against an expected one (or only the shared check)."""

    expected_source: str | None
    nodes: list[NodeDiff] = field(default_factory=list)
    edges: list[EdgeDiff] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    shared: SharedTensorCheck = field(default_factory=SharedTensorCheck)
    overlaps: list[Overlap] = field(default_factory=list)
    compiler_htp_ops: list[tuple[str, str, str]] = field(default_factory=list)  # op, key, kernel
    independent: list[tuple[str, str]] = field(default_factory=list)  # explicit || pairs
    warnings: list[str] = field(default_factory=list)

    def edges_with(self, status: str) -> list[EdgeDiff]:
        """Edges of one status."""
        return [e for e in self.edges if e.status == status]

    def nodes_with(self, status: str) -> list[NodeDiff]:
        """Nodes of one status."""
        return [n for n in self.nodes if n.status == status]

    @property
    def ok(self) -> bool:
        """No missing/unexpected edge, no violation and no suspected dedup dependency."""
        return not (
            self.edges_with("missing")
            or self.edges_with("unexpected")
            or self.violations
            or self.shared.suspected
        )

    def overlap(self, a: str, b: str) -> Overlap | None:
        """The timeline overlap of a pair, if computed."""
        for o in self.overlaps:
            if {o.a, o.b} == {a, b}:
                return o
        return None

    def findings(self) -> list[tuple[str, str]]:
        """(severity, sentence) items, the most important first."""
        out: list[tuple[str, str]] = []
        for s in self.shared.suspected:
            t = s.tensor
            pairs = ", ".join(f"{a} || {b}" for a, b in s.independent_pairs)
            ov = [self.overlap(a, b) for a, b in s.independent_pairs]
            ov_txt = "; ".join(
                f"{o.a}/{o.b} overlap {o.pct:.0f} %" for o in ov if o and o.pct is not None
            )
            out.append(
                (
                    "error",
                    f"dedup-induced false dependency suspected: STATIC tensor {t.key} "
                    f"({t.dtype} {list(t.dims)}, {_bytes(t.nbytes)}) is shared by "
                    f"{', '.join(s.ops)} (consumers {', '.join(k for k, _ in t.consumers)}), "
                    f"which the expected graph says are independent ({pairs})"
                    + (f"; timeline: {ov_txt}" if ov_txt else ""),
                )
            )
        for v in self.violations:
            if v.kind == "path":
                out.append(
                    ("error", f"independence {v.a} || {v.b} broken by path {' -> '.join(v.path)}")
                )
        for e in self.edges_with("unexpected"):
            tens = ", ".join(f"{t.key} {t.type_name}" for t in e.tensors)
            out.append(("error", f"unexpected edge {e.src} -> {e.dst} (via {tens})"))
        for e in self.edges_with("missing"):
            out.append(
                ("error", f"missing edge {e.src} -> {e.dst}" + (f" ({e.note})" if e.note else ""))
            )
        for n in self.nodes_with("missing"):
            out.append(
                ("warning", f"expected op {n.name} is not in the compiled graph ({n.reason})")
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "expected": self.expected_source,
            "ok": self.ok,
            "findings": [{"severity": s, "text": t} for s, t in self.findings()],
            "counts": {
                st: len(self.edges_with(st)) for st in ("matched", "missing", "unexpected", "added")
            }
            | {f"{st}_ops": len(self.nodes_with(st)) for st in ("matched", "missing", "added")},
            "nodes": [n.to_dict() for n in self.nodes],
            "edges": [e.to_dict() for e in self.edges],
            "violations": [v.to_dict() for v in self.violations],
            "independent": [list(p) for p in self.independent],
            "overlaps": [o.to_dict() for o in self.overlaps],
            "shared_tensors": self.shared.to_dict(),
            "compiler_htp_ops": [
                {"op": op, "node": key, "kernel": kernel}
                for op, key, kernel in self.compiler_htp_ops
            ],
            "warnings": list(self.warnings),
        }


def _bytes(n: int | None) -> str:
    if n is None:
        return "? bytes"
    return f"{n:,} bytes"


# --- tensors -----------------------------------------------------------------------------------


def tensor_ref(
    graph: HtpGraph, tid: int, consumers: dict[int, list[int]] | None = None
) -> TensorRef:
    """Describe tensor ``tid`` with its producer and every consumer."""
    cons = consumers if consumers is not None else graph.consumers()
    t = graph.tensors.get(tid)
    p = graph.producer.get(tid)
    pnode = graph.nodes.get(p) if p is not None else None
    return TensorRef(
        id=tid,
        key=t.key if t is not None else f"0x{tid:016x}",
        type_name=t.type_name if t is not None else "?",
        dtype=t.dtype_name if t is not None else "?",
        dims=t.dims if t is not None else (),
        nbytes=t.nbytes if t is not None else None,
        producer=pnode.key if pnode is not None else None,
        producer_op=pnode.grouping if pnode is not None else None,
        consumers=tuple((graph.nodes[n].key, graph.nodes[n].grouping) for n in cons.get(tid, [])),
    )


def _trivial_reason(dims: tuple[int, ...], max_elements: int) -> str:
    if 0 in dims:
        return "shape constant (a dim is 0)"
    n = 1
    for d in dims:
        n *= d
    if n <= max_elements:
        return f"scalar constant ({n} element{'s' if n != 1 else ''})"
    return ""


#: violations (and timeline overlaps) listed in full; the rest are counted in a warning
MAX_LISTED_VIOLATIONS = 500
#: pairs of a shared tensor's consumers examined (a scalar shared by thousands of ops is one row)
MAX_SHARED_PAIR_OPS = 64


def shared_static_tensors(
    graph: HtpGraph,
    independent_pairs: Iterable[tuple[str, str]] | Callable[[str, str], bool] | None = None,
    *,
    max_trivial_elements: int = MAX_TRIVIAL_ELEMENTS,
) -> SharedTensorCheck:
    """STATIC tensors consumed by nodes of two or more QNN ops, largest first.

    ``independent_pairs`` are QNN op pairs the expected graph says are independent (or a predicate
    telling it); a significant tensor shared by such a pair is a suspected dedup-induced false
    dependency.
    """
    if callable(independent_pairs):
        is_indep = independent_pairs
    else:
        indep = {frozenset(p) for p in (independent_pairs or ()) if p[0] != p[1]}

        def is_indep(a: str, b: str) -> bool:
            return frozenset((a, b)) in indep

    cons = graph.consumers()
    dag = qnn_dag(graph)
    reach = Reachability(dag.edges, dag.ops)
    check = SharedTensorCheck()
    for tid, nodes in cons.items():
        t = graph.tensors.get(tid)
        if t is None or not t.is_static:
            continue
        ops = tuple(dict.fromkeys(graph.nodes[n].grouping for n in nodes))
        if len(ops) < 2:
            continue
        reason = _trivial_reason(t.dims, max_trivial_elements)
        few = ops[:MAX_SHARED_PAIR_OPS]
        pairs = tuple(
            (a, b) for i, a in enumerate(few) for b in few[i + 1 :] if a != b and is_indep(a, b)
        )
        connected = reach.all_connected(ops)
        st = SharedTensor(
            tensor=tensor_ref(graph, tid, cons),
            ops=ops,
            trivial=bool(reason),
            reason=reason,
            suspected=bool(pairs) and not reason,
            independent_pairs=pairs,
            connected_in_actual=connected,
        )
        (check.trivial if reason else check.significant).append(st)
    key = lambda s: (-(s.tensor.nbytes or 0), s.tensor.key)  # noqa: E731
    check.significant.sort(key=key)
    check.trivial.sort(key=key)
    return check


# --- timeline evidence ---------------------------------------------------------------------------


def op_indices(trace: OpTrace, qnn_op: str) -> np.ndarray:
    """Trace op indices (executed instances) of one QNN op."""
    sid = trace.strings.lookup(qnn_op)
    if sid is None:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(trace.qnn_op == sid)


def op_overlap(trace: OpTrace, a: str, b: str) -> Overlap:
    """Overlap of two QNN ops: union of each op's instance intervals, then their intersection."""
    ia, ib = op_indices(trace, a), op_indices(trace, b)
    end = trace.end
    sa, ea = trace.ts[ia], end[ia]
    sb, eb = trace.ts[ib], end[ib]
    busy_a = intervals.union_length(sa, ea)
    busy_b = intervals.union_length(sb, eb)
    both = intervals.intersection_length(sa, ea, sb, eb)
    shorter = min(busy_a, busy_b)
    pct = 100.0 * both / shorter if shorter > 0 else None
    return Overlap(a, b, busy_a, busy_b, both, pct)


# --- the diff ------------------------------------------------------------------------------------


def _independence(exp: ExpectedGraph) -> Callable[[str, str], bool]:
    """Whether the expected graph keeps two ops independent: said so, or no expected path joins them."""
    explicit = {frozenset((i.a, i.b)) for i in exp.independent}
    nodes = set(exp.nodes)
    reach = Reachability(((e.src, e.dst) for e in exp.edges), exp.nodes)

    def independent(a: str, b: str) -> bool:
        if frozenset((a, b)) in explicit:
            return True
        return a in nodes and b in nodes and not reach.connected(a, b)

    return independent


def diff_graphs(
    graph: HtpGraph,
    expected: ExpectedGraph | None,
    trace: OpTrace | None = None,
) -> GraphDiff:
    """Diff the compiled graph (QNN-op level) against an expected graph; ``None`` = shared check only."""
    import networkx as nx

    dag = qnn_dag(graph)
    cons = graph.consumers()
    result = GraphDiff(expected_source=expected.source if expected is not None else None)
    result.compiler_htp_ops = [
        (n.grouping, n.key, n.type) for n in graph.nodes.values() if is_compiler_node(n)
    ]
    dag_ops = set(dag.ops)
    trace_ops = [n for n in (trace.qnn_op_ids if trace is not None else {}) if n not in dag_ops]
    if expected is None:
        result.shared = shared_static_tensors(graph)
        return result
    exp = resolve(expected, dag.ops)
    result.warnings += exp.warnings
    exp_nodes = set(exp.nodes)
    actual = qnn_digraph(dag)
    # nodes
    for n in exp.nodes:
        if n in dag.nodes_of:
            result.nodes.append(NodeDiff(n, "matched"))
        else:
            result.nodes.append(NodeDiff(n, "missing", "fused away or renamed by the compiler"))
    for n in dag.ops:
        if n not in exp_nodes:
            why = "compiler-added" if is_compiler_op(n) else "not in the expected graph"
            result.nodes.append(NodeDiff(n, "added", why))
    for n in trace_ops:
        if n not in exp_nodes:
            result.nodes.append(NodeDiff(n, "added", "compiler-added (trace only, no graph node)"))
    # edges
    added_ops = [n for n in dag.ops if n not in exp_nodes]
    explained: set[tuple[str, str]] = set()
    for e in exp.edges:
        refs = tuple(tensor_ref(graph, t, cons) for t in dag.edges.get((e.src, e.dst), []))
        if (e.src, e.dst) in dag.edges:
            result.edges.append(EdgeDiff(e.src, e.dst, "matched", refs, line=e.line))
            explained.add((e.src, e.dst))
            continue
        missing = [x for x in (e.src, e.dst) if x not in dag.nodes_of]
        if missing:
            note = f"{' and '.join(missing)} not in the compiled graph"
            result.edges.append(EdgeDiff(e.src, e.dst, "missing", line=e.line, note=note))
            continue
        sub = actual.subgraph([e.src, e.dst, *added_ops])
        try:
            path = nx.shortest_path(sub, e.src, e.dst)
        except nx.NetworkXNoPath:
            path = None
        if path is not None:
            via = tuple(path[1:-1])
            result.edges.append(EdgeDiff(e.src, e.dst, "matched", via=via, line=e.line,
                                         note=f"via compiler-added {', '.join(via)}"))  # fmt: skip
            explained.update(zip(path, path[1:], strict=False))
        else:
            result.edges.append(EdgeDiff(e.src, e.dst, "missing", line=e.line))
    for (a, b), tids in dag.edges.items():
        if (a, b) in explained:
            continue
        refs = tuple(tensor_ref(graph, t, cons) for t in tids)
        status = "unexpected" if a in exp_nodes and b in exp_nodes else "added"
        note = "" if status == "unexpected" else "touches an op not in the expected graph"
        result.edges.append(EdgeDiff(a, b, status, refs, note=note))
    # independence
    explicit = [(i.a, i.b, i.line) for i in exp.independent]
    result.independent = [(a, b) for a, b, _ in explicit]
    result.shared = shared_static_tensors(graph, _independence(exp))
    actual_reach = Reachability(dag.edges, dag.ops)
    unlisted = 0
    for a, b, line in explicit:
        if a not in dag.nodes_of or b not in dag.nodes_of:
            continue
        if len(result.violations) >= MAX_LISTED_VIOLATIONS:
            # thousands of violated pairs (a glob over a chain): count them, list the first ones
            unlisted += actual_reach.connected(a, b) or any(
                a in st.ops and b in st.ops for st in result.shared.significant
            )
            continue
        path = None
        if not actual_reach.connected(a, b):
            pass  # no path either way: only a shared tensor can violate it
        else:
            for s, d in ((a, b), (b, a)):
                try:
                    path = nx.shortest_path(actual, s, d)
                    break
                except nx.NetworkXNoPath:
                    continue
        if path is not None:
            tens = tuple(
                tensor_ref(graph, t, cons) for x, y in zip(path, path[1:], strict=False)
                for t in dag.edges[(x, y)]
            )  # fmt: skip
            result.violations.append(Violation(a, b, "path", tuple(path), tens, line))
            continue
        for st in result.shared.significant:
            if a in st.ops and b in st.ops:
                result.violations.append(
                    Violation(a, b, "shared_tensor", (a, st.tensor.key, b), (st.tensor,), line)
                )
                break
    if unlisted:
        result.warnings.append(
            f"{unlisted:,} more independence violations not listed "
            f"(only the first {MAX_LISTED_VIOLATIONS:,} are)"
        )
    # timeline evidence for pairs expected independent (explicit, and those sharing a tensor)
    if trace is not None:
        want = list(dict.fromkeys([(a, b) for a, b, _ in explicit]
                                  + [p for s in result.shared.suspected for p in s.independent_pairs]))  # fmt: skip
        if len(want) > MAX_LISTED_VIOLATIONS:
            result.warnings.append(
                f"timeline overlap shown for the first {MAX_LISTED_VIOLATIONS:,} of "
                f"{len(want):,} op pairs expected independent"
            )
            want = want[:MAX_LISTED_VIOLATIONS]
        for a, b in want:
            if a in trace.qnn_op_ids and b in trace.qnn_op_ids:
                result.overlaps.append(op_overlap(trace, a, b))
    return result


def diff_run(opt: Run, expected: str | Path | None = None) -> GraphDiff | None:
    """Diff a loaded run against ``expected`` or a discovered ``expected.dag`` (None without a graph).

    Raises InputError for an unreadable or malformed expected graph.
    """
    if opt.graph is None:
        return None
    path = find_expected(opt.source, expected)
    exp = load_expected(path) if path is not None else None
    return diff_graphs(opt.graph, exp, opt.trace)


__all__ = [
    "EdgeDiff",
    "GraphDiff",
    "MAX_TRIVIAL_ELEMENTS",
    "NodeDiff",
    "Overlap",
    "SharedTensor",
    "SharedTensorCheck",
    "TensorRef",
    "Violation",
    "diff_graphs",
    "diff_run",
    "op_indices",
    "op_overlap",
    "shared_static_tensors",
    "tensor_ref",
]
