"""The joined optrace model: every artifact of one run, with IDs normalised and joined.

Trace instance <-> QHAS instance (by op ID and Start Cycle) <-> graph node (by op ID) <-> QNN op
(by name; its id is the low 32 bits of the op ID = profile ``OpId_N``). A missing or unreadable
artifact is recorded in :attr:`Run.errors` and removes only what depends on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from htptui.errors import InputError
from htptui.model import cache, htp_graph, qhas
from htptui.model._io import clean_text
from htptui.model.chrometrace import OpTrace
from htptui.model.discover import KIND_LABELS, Artifacts, discover
from htptui.model.htp_graph import HtpGraph, Node
from htptui.model.qhas import Qhas, QhasInstance

ProgressFn = Callable[[float, str], None]


@dataclass(eq=False)
class Run:
    """One profiled run: the op trace plus whatever companion artifacts were found."""

    source: str
    artifacts: Artifacts
    trace: OpTrace | None = None
    graph: HtpGraph | None = None
    graph_before: HtpGraph | None = None
    qhas: Qhas | None = None
    runtrace: Any = None  # htptui.model.runtrace.Runtrace
    profile: Any = None  # htptui.model.profile_text.ProfileText
    heap: Any = None  # htptui.model.heap.HeapProfile
    errors: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """A short display name: the graph name, else the directory name."""
        if self.qhas is not None and self.qhas.model_id:
            return clean_text(self.qhas.model_id)
        rt = self.runtrace
        if rt is not None and getattr(rt, "graph_name", ""):
            return clean_text(str(rt.graph_name))
        return clean_text(Path(self.source).name or self.source)

    @cached_property
    def _qhas_index(self) -> dict[tuple[int, int], int]:
        return self.qhas.instance_index() if self.qhas is not None else {}

    def qhas_instance(self, i: int) -> QhasInstance | None:
        """The QHAS instance row joined to trace op ``i`` (by op ID and Start Cycle)."""
        if self.qhas is None or self.trace is None:
            return None
        t = self.trace
        idx = self.qhas.instance_of(
            self._qhas_index, int(t.op_id[i]), int(t.start_cycle[i]), t.lanes[int(t.lane[i])].tid
        )
        return self.qhas.instances[idx] if idx is not None else None

    def graph_node(self, i: int) -> Node | None:
        """The compiled-graph node of trace op ``i`` (None for ops that produce no tensor)."""
        if self.graph is None or self.trace is None:
            return None
        return self.graph.nodes.get(int(self.trace.op_id[i]))

    def qnn_op_id(self, qnn_op_name: str) -> int | None:
        """QNN op id (profile ``OpId_N``) of a QNN op name."""
        if self.trace is not None and qnn_op_name in self.trace.qnn_op_ids:
            return self.trace.qnn_op_ids[qnn_op_name]
        if self.graph is not None:
            for node in self.graph.nodes.values():
                if node.grouping == qnn_op_name:
                    return node.qnn_op_id
        return None

    def has(self, kind: str) -> bool:
        """Whether an artifact kind loaded."""
        value = getattr(self, {"op_trace": "trace", "htp_graph": "graph"}.get(kind, kind), None)
        return value is not None

    def missing_sentence(self, kind: str) -> str:
        """One sentence saying why a kind of data is unavailable."""
        label = KIND_LABELS.get(kind, kind)
        if kind in self.errors:
            return f"{label} could not be read: {self.errors[kind]}"
        return f"no {label} in {self.source}"


def _load_one(kind: str, path: Path) -> Any:
    if kind == "htp_graph" or kind == "graph_before":
        return htp_graph.load(path)
    if kind == "qhas":
        return qhas.load(path)
    if kind == "runtrace":
        from htptui.model import runtrace

        return runtrace.load(path)
    if kind == "profile":
        from htptui.model import profile_text

        return profile_text.load(path)
    if kind == "heap":
        from htptui.model import heap

        return heap.load(path)
    raise ValueError(kind)


_ATTR = {"htp_graph": "graph", "graph_before": "graph_before", "qhas": "qhas", "runtrace": "runtrace",
         "profile": "profile", "heap": "heap"}  # fmt: skip


def load_run(
    target: str | Path,
    *,
    progress: ProgressFn | None = None,
    artifacts: Artifacts | None = None,
    partial: Callable[[Run, float], None] | None = None,
) -> Run:
    """Discover and load every artifact of an optrace directory, file, or ``-``.

    Raises InputError only when nothing usable was found or the op trace given explicitly is bad;
    other artifact errors are recorded in ``errors`` and the rest still loads. ``partial(opt,
    fraction)`` receives runs holding only the op-trace ops decoded so far (big files only).
    """
    arts = artifacts if artifacts is not None else discover(target)
    result = Run(source=arts.root, artifacts=arts)
    result.warnings.extend(arts.notes)

    def sub(lo: float, hi: float) -> ProgressFn | None:
        if progress is None:
            return None
        return lambda f, msg: progress(lo + (hi - lo) * f, msg)

    if arts.stdin_bytes is not None:
        result.trace = cache.load_op_trace(
            data=arts.stdin_bytes, label="<stdin>", progress=sub(0, 0.9)
        )
    elif "op_trace" in arts.problems:
        result.errors["op_trace"] = arts.problems["op_trace"]
    elif arts.op_trace is not None:
        on_partial = None
        if partial is not None:
            on_partial = lambda t, f: partial(  # noqa: E731
                Run(source=arts.root, artifacts=arts, trace=t), f
            )
        try:
            result.trace = cache.load_op_trace(
                arts.op_trace, progress=sub(0, 0.9), partial=on_partial, background_save=True
            )
        except InputError as exc:
            if Path(str(target)).is_file():
                raise
            result.errors["op_trace"] = exc.problem
    for kind, attr in _ATTR.items():
        path = arts.get(kind)
        if path is None:
            continue
        if kind in arts.problems:
            result.errors[kind] = arts.problems[kind]
            continue
        if progress:
            progress(0.9, f"reading {path.name}")
        try:
            setattr(result, attr, _load_one(kind, path))
        except InputError as exc:
            result.errors[kind] = exc.problem
        except RecursionError:
            result.errors[kind] = "nested too deeply to read (hostile or corrupt file)"
    if result.trace is not None:
        from htptui.model import dpc as dpc_mod

        # the one true per-instance DPC (tiled ops: from the QHAS join, spec §1.4b)
        dpc_mod.resolve(result.trace, result.qhas)
        result.warnings.extend(result.trace.warnings)
        unknown = int((result.trace.dpc_source == dpc_mod.DPC_OP_LEVEL).sum())
        if unknown:
            result.warnings.append(
                f"{unknown} tiled op {'ID' if unknown == 1 else 'IDs'} (repeated on several tiles, "
                f"or DPC > dur) and no QHAS row to split them: {dpc_mod.TILED_NOTE}"
            )
    if result.qhas is not None:
        result.warnings.extend(result.qhas.warnings)
    loaded = [
        k
        for k in ("trace", "graph", "qhas", "runtrace", "profile")
        if getattr(result, k) is not None
    ]
    if not loaded:
        if result.errors:
            kind, problem = next(iter(result.errors.items()))
            path = arts.get(kind)
            raise InputError(clean_text(str(path or arts.root)), problem)
        raise InputError(
            clean_text(arts.root),
            "no optrace artifacts found (expected chrometrace.json, *_htp.json, "
            "*_qnn_htp_analysis_summary.json, *_runtrace.json or profile.txt)",
        )
    if progress:
        progress(1.0, "loaded")
    return result
