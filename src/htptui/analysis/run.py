"""One analysis per run: every derived figure computed once, on first use, and cached.

:class:`RunAnalysis` wraps a loaded run and is what every TUI pane, report section and export reads:
per-core summaries, timing, op kinds, coverage indexes, rankings per (level, scope), the op-id → ops
index, findings, graph diff, cross-checks and the compare basis. A ``Scope`` (filter regex plus
drill-down path) is hashable, so a filter or level change computes only the ranking and coverage it
changes; everything else is already cached. :meth:`RunAnalysis.warm` computes what the explorer shows
first; the TUI calls it in the load worker so no pane computes on the UI thread.

Thread safety: each figure is computed under its own lock, so a worker warming the cache and the
UI thread asking for the same figure never compute it twice, and asking for another never waits.
"""

from __future__ import annotations

import contextlib
import itertools
import operator
import re
import threading
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from htptui.analysis import ranking as ranking_mod
from htptui.analysis import structure as structure_mod
from htptui.analysis import summary
from htptui.analysis.structure import NO_RULES, StructureRanking, StructureRules

if TYPE_CHECKING:
    from pathlib import Path

    from htptui.analysis.buckets import CoverageIndex
    from htptui.analysis.checks import Check
    from htptui.analysis.dag import QnnDag
    from htptui.analysis.deps import Deps
    from htptui.analysis.findings import Finding
    from htptui.analysis.graph_diff import GraphDiff
    from htptui.analysis.timing import Timing
    from htptui.model.chrometrace import OpTrace
    from htptui.model.run import Run

T = TypeVar("T")
# findings rules that read whole-graph QHAS tables (the dominant path's idle rows, per-instance
# DRAM/VTCM bytes against clipped cycles), so they do not describe a window or a filter
SCOPED_SKIP_WINDOW = frozenset({"idle_bubbles", "memory_bound"})
SCOPED_SKIP_FILTER = frozenset({"idle_bubbles"})
EMPTY = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Scope:
    """Which ops a ranking covers: a filter regex (None = all) and a drill-down path.

    ``drill`` is a tuple of (level, row name) steps: each keeps only the members of that row of the
    ranking one step up. Scopes are hashable, so rankings and masks cache per scope.
    """

    pattern: str | None = None
    drill: tuple[tuple[str, str], ...] = ()

    def into(self, level: str, name: str) -> Scope:
        """One drill step deeper."""
        return Scope(self.pattern, (*self.drill, (level, name)))

    def out(self) -> Scope:
        """One drill step back."""
        return Scope(self.pattern, self.drill[:-1])


ALL = Scope()


class RunAnalysis:
    """Lazily computed, cached figures of one loaded run."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self._lock = threading.Lock()  # guards _locks only
        self._locks: dict[Hashable, threading.Lock] = {}
        self._cache: dict[Hashable, Any] = {}
        # set on a scoped child (see :meth:`scoped`): the parent, the window, the wall per core and
        # the full-trace index of every op of the child's trace
        self.parent: RunAnalysis | None = None
        self.window: tuple[int | None, int | None] = (None, None)
        self.pattern: str | None = None
        self.spans: dict[int, tuple[int, int]] = {}
        self.op_map: np.ndarray | None = None
        self.structure_rules: StructureRules = NO_RULES  # the structure level's grouping rules

    # ------------------------------------------------------------------ plumbing

    def _memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value for ``key``, computed once under that key's own lock (a thread asking
        for another figure is never held up by a long computation)."""
        try:
            return self._cache[key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._cache:
                self._cache[key] = compute()
            return self._cache[key]  # type: ignore[no-any-return]

    def _seed(self, figures: dict[Hashable, Any]) -> None:
        """Take already known figures (read back by :mod:`htptui.analysis.warm_cache`); a figure
        computed meanwhile stays as it is."""
        with self._lock:
            for key, value in figures.items():
                self._cache.setdefault(key, value)

    def cached(self, key: Hashable) -> bool:
        """Whether a figure is already computed (tests and the bench use it)."""
        return key in self._cache

    @property
    def trace(self) -> OpTrace | None:
        """The op trace of the run (None when it is missing)."""
        return self.run.trace

    @property
    def has_ops(self) -> bool:
        """Whether there is an op trace with at least one executed op."""
        return self.run.trace is not None and len(self.run.trace) > 0

    # ------------------------------------------------------------------ summaries and timing

    def cores(self) -> list[int]:
        """Core numbers present in the trace, ascending ([] without a trace)."""
        t = self.trace
        return self._memo("cores", lambda: summary.cores(t) if t is not None else [])

    def core_summary(self, core: int) -> summary.CoreSummary:
        """Wall, lanes, domain, idle, overlap and boundary tax of one core."""
        t = self.trace
        assert t is not None
        root = self.parent.trace if self.parent is not None else None

        def compute() -> summary.CoreSummary:
            if root is None:
                return summary.core_summary(t, core)
            flagged = summary.hmx_flagged(root, core)
            return summary.core_summary(t, core, span=self.spans.get(core), hmx_flags=flagged)

        return self._memo(("core_summary", core), compute)

    def core_summaries(self) -> list[summary.CoreSummary]:
        """A summary per core (core 0 alone for a trace without lanes)."""
        if self.trace is None:
            return []
        return [self.core_summary(c) for c in (self.cores() or [0])]

    def first_core_summary(self) -> summary.CoreSummary | None:
        """The summary of the lowest core (what the header and timing quote)."""
        if not self.has_ops:
            return None
        return self.core_summary((self.cores() or [0])[0])

    def timing(self) -> Timing:
        """Coarse µs beside fine cycles, runtrace phases and the clock sanity checks."""
        from htptui.analysis import timing

        return self._memo("timing", lambda: timing.timing(self.run))

    def trace_clock_ghz(self) -> float | None:
        """Clock of the execute the op trace shows (None when unknown)."""
        try:
            return self.timing().trace_clock_ghz
        except Exception:  # noqa: BLE001 - the clock is a nicety; a partial run must still draw
            return None

    def kinds(self) -> np.ndarray:
        """KIND_* code of every op."""
        t = self.trace
        assert t is not None
        return self._memo("kinds", lambda: summary.op_kinds(t))

    # ------------------------------------------------------------------ filters and scopes

    def filter_mask(self, pattern: str) -> np.ndarray:
        """Ops whose kernel, QNN op name or unit/lane label matches ``pattern`` (raises re.error)."""
        rx = re.compile(pattern, re.IGNORECASE)  # raise before caching anything

        def compute() -> np.ndarray:
            t = self.trace
            assert t is not None
            names = t.strings.names
            hit = name_hits(names, rx, t.derived("strings.folded", (names,), lambda: folded(names)))
            lane_hit = np.array(
                [bool(rx.search(ln.unit)) or bool(rx.search(ln.label)) for ln in t.lanes] or [False]
            )
            return hit[t.kernel] | hit[t.qnn_op] | lane_hit[t.lane]

        return self._memo(("filter", pattern), compute)

    def forget_pattern(self, pattern: str) -> int:
        """Drop every cached figure computed for the filter ``pattern`` (its mask, rankings,
        drill-downs, coverage, match order and scoped children); the number of figures dropped.
        The explorer computes a typed pattern before Enter and forgets the ones never applied."""
        with self._lock:
            stale = [k for k in self._cache if _mentions_pattern(k, pattern)]
            for k in stale:
                self._cache.pop(k, None)
        return len(stale)

    def mask(self, scope: Scope) -> np.ndarray | None:
        """Boolean op mask of a scope (None = every op)."""
        if scope == ALL:
            return None

        def compute() -> np.ndarray | None:
            t = self.trace
            assert t is not None
            if not scope.drill:
                assert scope.pattern is not None
                return self.filter_mask(scope.pattern)
            parent = scope.out()
            level, name = scope.drill[-1]
            rk = self.ranking(level, parent)
            members = rk.members_of_name(name)
            m = np.zeros(len(t), dtype=bool)
            m[members] = True
            return m

        return self._memo(("mask", scope), compute)

    def ranking(self, level: str, scope: Scope = ALL) -> ranking_mod.Ranking:
        """DPC ranking at ``level`` over the ops of ``scope`` (``structure``: the folded tree,
        :mod:`htptui.analysis.structure`, under :attr:`structure_rules`)."""
        t = self.trace
        assert t is not None
        if level == "structure":
            return self._memo(
                ("ranking", level, scope),
                lambda: structure_mod.rank(t, self.mask(scope), self.structure_rules),
            )
        return self._memo(
            ("ranking", level, scope), lambda: ranking_mod.rank(t, level, self.mask(scope))
        )

    def structure(self, scope: Scope = ALL) -> StructureRanking:
        """The structure level (the folded tree of QNN op names) over the ops of ``scope``."""
        rk = self.ranking("structure", scope)
        assert isinstance(rk, StructureRanking)
        return rk

    def set_structure_rules(self, rules: StructureRules) -> None:
        """Use these grouping rules for the structure level (drops structure figures cached
        under other rules; every other figure stays)."""
        if rules.key == self.structure_rules.key:
            return
        self.structure_rules = rules
        with self._lock:
            stale = [k for k in self._cache if _uses_structure(k)]
            for k in stale:
                self._cache.pop(k, None)

    def coverage(self, pattern: str | None = None) -> CoverageIndex:
        """Per-lane, per-kind busy coverage of every op (or of the ops matching ``pattern``)."""
        from htptui.analysis.buckets import CoverageIndex

        t = self.trace
        assert t is not None
        if pattern is None:
            return self._memo("coverage", lambda: CoverageIndex(t, kinds=self.kinds()))

        def masked() -> CoverageIndex:
            mask = self.filter_mask(pattern)
            if self.cached("coverage"):  # the explorer's: filter it, no sort
                return CoverageIndex.masked(self.coverage(), mask)
            return CoverageIndex(t, kinds=self.kinds(), mask=mask)

        return self._memo(("coverage", pattern), masked)

    def ops_in_time_order(self, pattern: str | None = None) -> np.ndarray:
        """Op indices (all, or matching ``pattern``) sorted by (ts, index), for n/N stepping."""
        t = self.trace
        assert t is not None

        def compute() -> np.ndarray:
            idx = (
                np.arange(len(t)) if pattern is None else np.flatnonzero(self.filter_mask(pattern))
            )
            if self._memo("ts_sorted", lambda: bool(np.all(np.diff(t.ts) >= 0))):
                return idx  # the trace is sorted by ts: index order is already (ts, index) order
            return idx[np.lexsort((idx, t.ts[idx]))]

        return self._memo(("time_order", pattern), compute)

    # ------------------------------------------------------------------ windows and filters

    @property
    def is_scoped(self) -> bool:
        """Whether this analysis covers a time window and/or a filter of a run."""
        return self.parent is not None

    def scoped(
        self, lo: int | None = None, hi: int | None = None, pattern: str | None = None
    ) -> RunAnalysis:
        """The same analysis over the ops in [lo, hi) (clipped to it) matching ``pattern``.

        Every figure of the child (summaries, rankings, findings, timeline) is computed by the same
        code as the whole graph's, on the clipped trace (:func:`htptui.analysis.window.clip_trace`),
        with the window clamped to each core's span as the wall. ``scoped()`` with no window and no
        filter gives the whole-graph figures. Raises re.error for a bad ``pattern``.
        """
        if pattern is not None:
            self.filter_mask(pattern)  # raise a bad regex before caching anything

        def compute() -> RunAnalysis:
            import dataclasses

            from htptui.analysis.window import clip_trace

            t = self.trace
            assert t is not None
            mask = self.filter_mask(pattern) if pattern is not None else None
            sub, ops = clip_trace(t, lo, hi, mask, self.run.qhas)
            child = RunAnalysis(dataclasses.replace(self.run, trace=sub))
            child.parent, child.window, child.pattern, child.op_map = self, (lo, hi), pattern, ops
            child.structure_rules = self.structure_rules
            for c in self.cores() or [0]:
                cs = self.core_summary(c)
                a = cs.start if lo is None else max(lo, cs.start)
                b = cs.end if hi is None else min(hi, cs.end)
                child.spans[c] = (a, max(a, b))
            with _ANALYSES_LOCK:
                _ANALYSES[child.run] = child
            return child

        return self._memo(("scoped", lo, hi, pattern), compute)

    # ------------------------------------------------------------------ joins

    def _op_id_index(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        def compute() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            t = self.trace
            assert t is not None
            order = np.argsort(t.op_id, kind="stable")
            keys = t.op_id[order]
            uniq, starts = np.unique(keys, return_index=True)
            return uniq, np.append(starts, keys.size).astype(np.int64), order

        return self._memo("op_id_index", compute)

    def ops_of_op_id(self, op_id: int) -> np.ndarray:
        """Trace op indices with this op ID (the instances of one graph node), in trace order."""
        if not self.has_ops:
            return EMPTY
        uniq, bounds, order = self._op_id_index()
        k = int(np.searchsorted(uniq, op_id))
        if k >= uniq.size or int(uniq[k]) != op_id:
            return EMPTY
        return order[bounds[k] : bounds[k + 1]]

    def ops_of_qnn_op(self, name: str) -> np.ndarray:
        """Trace op indices of a QNN op (by name)."""
        if not self.has_ops:
            return EMPTY
        return self.ranking("qnn_op").members_of_name(name)

    def dpc_of_ops(self, ops: np.ndarray) -> int:
        """Σ Dominant Path Cycles of some ops (negative = not reported counts 0)."""
        t = self.trace
        if t is None or not ops.size:
            return 0
        return int(np.maximum(t.dpc[ops], 0).sum())

    def qnn_dag(self) -> QnnDag | None:
        """The compiled graph collapsed to QNN ops (the one derivation of QNN-op edges)."""
        from htptui.analysis.dag import qnn_dag

        g = self.run.graph
        return self._memo("qnn_dag", lambda: qnn_dag(g) if g is not None else None)

    def deps(self, duty: float = 1.0) -> Deps:
        """Producer → consumer edges between executed ops (`Inputs Ops` + flow events).

        Reads every op's `Inputs Ops` once from the file (the loader keeps no lists): call it off
        the UI thread on big traces; ``duty`` < 1 paces that read (``deps.build_deps_paced``) so a
        UI thread sharing the interpreter keeps drawing. The same edges either way.
        """
        from htptui.analysis.deps import build_deps, build_deps_paced

        def compute() -> Deps:
            t = self.trace
            assert t is not None
            if duty < 1.0:
                return build_deps_paced(t, self.run.graph, self.flow_edges(), duty)
            return build_deps(t, self.run.graph, t.inputs_ops(), self.flow_edges())

        return self._memo("deps", compute)

    def flow_edges(self) -> tuple[np.ndarray, np.ndarray, int, int]:
        """The flow-event edges alone (columnar already: cheap next to reading `Inputs Ops`)."""
        from htptui.analysis.deps import flow_edges

        t = self.trace
        assert t is not None
        return self._memo("flow_edges", lambda: flow_edges(t))

    def producers(
        self, op: int, args: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(producer ops, VIA_* bits) of ``op``: from :meth:`deps` once computed, else from ``op``'s
        own args (``args``, or decoded now: one chunk read) and the flows, with the same result."""
        from htptui.analysis.deps import producers_of

        if self.cached("deps"):
            return self.deps().producers(op)
        t = self.trace
        assert t is not None
        if args is None:
            args = t.event_args(op)
        return producers_of(t, self.run.graph, op, args.get("Inputs Ops"), self.flow_edges())

    def waited_for(self, op: int, args: dict[str, Any] | None = None) -> int | None:
        """The producer op ``op`` waited for (the one that finished last), None without one.

        Answered before :meth:`deps` is ready too (from ``op``'s own `Inputs Ops`, see
        :meth:`producers`)."""
        from htptui.analysis.deps import waited_among

        t = self.trace
        assert t is not None
        return waited_among(self.producers(op, args)[0], t.ts, t.dur, op)

    # ------------------------------------------------------------------ SDK checks and rules

    def qnn_op_busy(self) -> dict[str, int]:
        """Σ busy cycles per QNN op name."""
        from htptui.analysis.checks import qnn_op_busy

        return self._memo("qnn_op_busy", lambda: qnn_op_busy(self.run))

    def cross_checks(self) -> list[Check]:
        """Derived-vs-SDK cross-checks."""
        from htptui.analysis.checks import cross_checks

        return self._memo("checks", lambda: cross_checks(self.run))

    def findings(
        self, expected: Any = None, expected_path: str | Path | None = None
    ) -> list[Finding]:
        """Every findings rule, most severe first (``expected`` QNN-op deps and ``expected_path``
        an expected graph file, as in ``run_all``); raises InputError for a bad expected file."""
        from htptui.analysis.findings import run_all

        key = (
            "findings",
            None if expected is None else _freeze(expected),
            None if expected_path is None else str(expected_path),
        )
        if self.parent is None:
            return self._memo(
                key, lambda: run_all(self.run, expected=expected, expected_path=expected_path)
            )
        return self._memo(key, lambda: self._scoped_findings(expected, expected_path))

    def findings_left_out(self) -> frozenset[str]:
        """Rules a scoped analysis does not report (they read whole-graph QHAS tables)."""
        skip: frozenset[str] = frozenset()
        if self.window != (None, None):
            skip |= SCOPED_SKIP_WINDOW
        if self.pattern is not None:
            skip |= SCOPED_SKIP_FILTER
        return skip

    def _scoped_findings(self, expected: Any, expected_path: str | Path | None) -> list[Finding]:
        """Findings of a window/filter: every rule on the scoped run (``run_all``, unchanged), the
        rules that read whole-graph QHAS tables dropped (:meth:`findings_left_out`), and the ops
        mapped back to the full trace."""
        import dataclasses

        from htptui.analysis.findings import run_all

        skip = self.findings_left_out()
        out = [
            f
            for f in run_all(self.run, expected=expected, expected_path=expected_path)
            if f.rule not in skip
        ]
        if self.op_map is not None and self.op_map.size:
            m = self.op_map
            out = [dataclasses.replace(f, ops=tuple(int(m[i]) for i in f.ops if 0 <= i < m.size))
                   for f in out]  # fmt: skip
        return out

    def graph_diff(self, expected: str | Path | None = None) -> GraphDiff | None:
        """The compiled graph against ``expected`` (or a discovered expected.dag); raises InputError."""
        from htptui.analysis.graph_diff import diff_run

        return self._memo(
            ("graph_diff", None if expected is None else str(expected)),
            lambda: diff_run(self.run, expected),
        )

    def compare_basis(self) -> dict[str, Any] | None:
        """Full per-QNN-op, per-kernel, per-instance rows and graph structure for diff/check."""
        from htptui.analysis.compare import basis_of

        return self._memo("compare_basis", lambda: basis_of(self))

    # ------------------------------------------------------------------ warming

    def warm_first(self, progress: Callable[[float, str], None] | None = None) -> None:
        """Compute what the explorer's visible panes show first (call it off the UI thread).

        A trace from the column cache reads these figures back from beside its entry when an
        earlier open stored them (:mod:`htptui.analysis.warm_cache`: keyed, checked, else
        computed); figures computed here are stored there for the next open."""
        from htptui.analysis import warm_cache

        again = self.cached("coverage")  # warmed before: neither read nor stored again
        restored = self.has_ops and not again and warm_cache.restore(self)
        steps: list[tuple[str, Callable[[], object]]] = [("timing", self.timing)]
        if self.has_ops:
            steps = [
                ("summaries", self.core_summaries),
                ("timing", self.timing),
                ("coverage index", self.coverage),
                ("ranking", lambda: self.ranking("qnn_op").op_rows),
                ("op-id index", self._op_id_index),
            ]
        if self.run.graph is not None:
            steps.append(("QNN-op DAG", self.qnn_dag))
        steps.append(("cross-checks", self.cross_checks))  # the header warns when they disagree
        for k, (label, step) in enumerate(steps):
            if progress is not None:
                progress(k / len(steps), f"analysing: {label}")
            step()
        if self.has_ops and not restored and not again:
            warm_cache.store(self)

    def warm_rest(self) -> None:
        """Compute the rest ahead of use: other ranking levels and the findings (off the UI thread)."""
        if not self.has_ops:
            return
        for level in ranking_mod.ALL_LEVELS:
            self.ranking(level).op_rows  # noqa: B018 - computes and caches the row index
        self.findings()

    def warm_args(self, stride: int = 256, should_stop: Callable[[], bool] | None = None) -> int:
        """Make every op's raw trace args cheap to read (call it off the UI thread, after the rest).

        ``OpTrace.event_args`` indexes the lines of an op's file chunk on its first visit; visiting
        one op every ``stride`` (in file order) indexes every chunk, so the explorer's Details pane
        reads a selected op's args at once instead of in a worker. Returns the chunks indexed."""
        t = self.trace
        if t is None or not len(t):
            return 0
        done = 0
        for i in np.argsort(t.ordinal, kind="stable")[::stride].tolist():
            if should_stop is not None and should_stop():
                break
            if not t.event_args_ready(i):
                with contextlib.suppress(Exception):  # args are best effort, as in Details
                    t.event_args(i)
                if not t.event_args_ready(i):
                    break  # not one event per line: args stay read per op, on demand
                done += 1
        return done

    def warm(self, progress: Callable[[float, str], None] | None = None) -> None:
        """Everything :meth:`warm_first` and :meth:`warm_rest` compute."""
        self.warm_first(progress)
        self.warm_rest()


def _uses_structure(key: Hashable) -> bool:
    """Whether a cache key is a structure ranking or a mask/ranking drilled through one."""
    if not isinstance(key, tuple) or not key or key[0] not in ("ranking", "mask"):
        return False
    if key[0] == "ranking" and key[1] == "structure":
        return True
    scope = key[-1]
    return isinstance(scope, Scope) and any(lv == "structure" for lv, _ in scope.drill)


def folded(names: list[str]) -> tuple[list[str], list[int]]:
    """Every ASCII name lower-cased ("" for the others), and the indices of the non-ASCII ones:
    what :func:`name_hits` reads to match a literal pattern without the regex engine."""
    low = [s.lower() if s.isascii() else "" for s in names]
    return low, [i for i, s in enumerate(names) if not s.isascii()]


def literal_parts(pattern: str) -> list[str] | None:
    """The alternatives of ``pattern`` when it is plain ASCII text or text|text|… (what most
    filters are: ``add``, ``conv|pool``), lower-cased; None when it needs the regex engine."""
    parts = pattern.split("|")
    if not pattern.isascii() or not all(parts) or any(re.escape(p) != p for p in parts):
        return None
    return [p.lower() for p in parts]


def name_hits(
    names: list[str], rx: re.Pattern[str], folds: tuple[list[str], list[int]]
) -> np.ndarray:
    """Which names ``rx`` (compiled with IGNORECASE) finds something in, as a bool array.

    A literal pattern is a substring test on the lower-cased ASCII names (several times faster
    than one regex search per name); non-ASCII names always go through ``rx``, whose case folding
    differs from ``str.lower`` (``ſ`` matches ``s``), so the answer is the regex's, name for name.
    """
    parts = literal_parts(rx.pattern)
    if parts is None:
        return np.fromiter(map(bool, map(rx.search, names)), dtype=bool, count=len(names))
    low, non_ascii = folds
    hit = np.zeros(len(names), dtype=bool)
    for part in parts:
        hit |= np.fromiter(map(operator.contains, low, itertools.repeat(part)), dtype=bool,
                           count=len(low))  # fmt: skip
    for i in non_ascii:
        hit[i] = rx.search(names[i]) is not None
    return hit


def _mentions_pattern(key: Hashable, pattern: str) -> bool:
    """Whether a cache key was computed under the filter ``pattern``: ("filter", p),
    ("coverage", p), ("time_order", p), ("scoped", lo, hi, p) or a key holding Scope(p, …)."""
    if not isinstance(key, tuple) or not key:
        return False
    if key[0] in ("filter", "coverage", "time_order", "scoped") and key[-1] == pattern:
        return True
    return any(isinstance(part, Scope) and part.pattern == pattern for part in key)


def _freeze(value: Any) -> Hashable:
    if isinstance(value, dict):
        return tuple(sorted((str(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(sorted(str(v) for v in value))
    return str(value)


_ANALYSES: weakref.WeakKeyDictionary[Any, RunAnalysis] = weakref.WeakKeyDictionary()
_ANALYSES_LOCK = threading.Lock()


def analysis_of(run: Run) -> RunAnalysis:
    """The one :class:`RunAnalysis` of a loaded run (created on first use)."""
    with _ANALYSES_LOCK:
        an = _ANALYSES.get(run)
        if an is None:
            an = _ANALYSES[run] = RunAnalysis(run)
        return an
