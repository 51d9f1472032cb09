"""Window statistics in compare mode: `m` / `W` / drag on the dual timeline, `M` clears, `x` maps.

A window marked on A's or B's rows gives, for each run, the figures the explorer's Window tab shows
(per-lane busy and utilisation, HVX∥HMX overlap, Σ DPC, idle, boundary tax, the ops ranked), side by
side with deltas. Each side is :meth:`RunAnalysis.scoped` on that run's own op trace (the whole-graph
code on the clipped ops), so the figures equal the explorer's and ``htptui report --from/--to``.

How a window maps between A and B (``x`` toggles, the pane says which):

* ``cycles`` (default): the same cycle range [from, to) on each run's own timeline axis, as the
  dual timeline draws both runs on one scale from each run's first op;
* ``ops``: the same ops: the instances that start inside the window marked on one run, matched in
  the other by (QNN op, kernel, n) (spellings matched as the ranking does); each run's window spans
  its own copies of them (:func:`htptui.analysis.compare.map_window_by_ops`).

The runs' op traces are read once, in a thread worker, on the first window (from the column cache
when the documents were just built from them; a saved report's op trace only when it is still there
and has the report's op count).
"""

from __future__ import annotations

import textwrap
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.text import Text
from textual.containers import ScrollableContainer
from textual.widgets import Static

from htptui.analysis.compare import (
    WINDOW_MAPPING_TEXT,
    WINDOW_MAPPINGS,
    WindowComparison,
    map_window_by_ops,
    window_comparison,
)
from htptui.present.format import cell_width, elide_middle, fmt_delta, fmt_int, fmt_rel
from htptui.present.format import fmt_unit_value as fmt_value

if TYPE_CHECKING:
    from htptui.analysis.run import RunAnalysis

NUM = 11  # one number column with its gap
TOP = 25  # ranked ops shown (the export has them all)
WINDOW_HINT = (
    "No window marked. m: the selected row's instances; W: the visible range; drag on A's or B's "
    "rows; M clears; x maps by cycles / by ops; [ ] window ↔ tables."
)


def run_of_document(doc: dict[str, Any]) -> Any:
    """The :class:`Run` a report document was made from (its op trace re-read), or a reason str.

    Only when the op trace the document names is still a file and has as many executed ops as the
    document's per-instance rows (a saved report of another version of the trace is refused)."""
    from htptui.errors import InputError
    from htptui.model.discover import resolve_graph
    from htptui.model.run import load_run

    found = (doc.get("artifacts") or {}).get("found") or {}
    trace = found.get("op_trace")
    if not trace or not Path(str(trace)).is_file():
        return "its op trace is not at hand (a saved report without the trace next to it)"
    src = Path(str(doc.get("source") or trace))
    try:
        arts = resolve_graph(src, Path(str(trace)).name) if src.is_dir() else None
        run = load_run(str(src if src.is_dir() else trace), artifacts=arts)
    except (InputError, OSError) as exc:
        return f"its op trace cannot be read: {exc}"
    rows = ((doc.get("compare_basis") or {}).get("instances")) or []
    if run.trace is None or (rows and len(run.trace) != len(rows)):
        return "its op trace no longer matches the report (different op count)"
    return run


def _row(label: str, cells: list[str], label_w: int) -> str:
    label = elide_middle(label, label_w)
    pad = " " * (label_w - cell_width(label))
    return label + pad + "".join(c.rjust(NUM) for c in cells)


def window_pair_text(
    wc: WindowComparison, mapping: str, marked_on: str, width: int, top: int = TOP
) -> str:
    """The two runs' window figures as aligned plain text: figure | A | B | Δ | Δ %."""
    longest = max([cell_width(c.name) for _s, c in wc.figures] + [cell_width(wc.ops.name), 24])
    label_w = max(min(longest + 2, width - 4 * NUM - 2), 16)
    (la, ha), (lb, hb) = wc.window_a, wc.window_b
    how = WINDOW_MAPPING_TEXT[mapping].format(run=marked_on)
    head = (
        f"window A [{fmt_int(la)}, {fmt_int(ha)}) = {fmt_int(ha - la)} cycles · "
        f"B [{fmt_int(lb)}, {fmt_int(hb)}) = {fmt_int(hb - lb)} cycles · marked on {marked_on}"
    )
    lines = [
        *textwrap.wrap(head, max(width, 40)),
        *textwrap.wrap(f"mapping ({mapping}, x toggles): {how}", max(width, 40)),
        "",
        _row("figure", ["A", "B", "Δ", "Δ %"], label_w),
        _row(wc.ops.name, _cells(wc.ops), label_w),
    ]
    section = "core"
    for sec, ch in wc.figures:
        if sec != section:
            lines += ["", _row("per lane (util % = busy / window wall)", [], label_w)]
            section = sec
        lines.append(_row(ch.name, _cells(ch), label_w))
    rows = [r for r in wc.qnn_ops if (r.dpc.a or 0) or (r.dpc.b or 0) or (r.busy.a or r.busy.b)]
    lines += [
        "",
        f"QNN ops in the windows ranked by |Δ| ({min(top, len(rows))} of {len(rows)}; e exports all)",
        _row("QNN op", ["A DPC", "B DPC", "Δ DPC", "Δ %", "A busy", "B busy"], label_w),
    ]
    for r in rows[:top]:
        cells = [fmt_value(r.dpc.a), fmt_value(r.dpc.b), _delta(r.dpc), fmt_rel(r.dpc.rel),
                 fmt_value(r.busy.a), fmt_value(r.busy.b)]  # fmt: skip
        lines.append(_row(r.name, cells, label_w))
    return "\n".join(lines)


def _delta(ch: Any) -> str:
    if ch.status in ("added", "removed"):
        return ch.status
    return fmt_delta(ch.delta, ch.unit)


def _cells(ch: Any) -> list[str]:
    a = fmt_value(ch.a, ch.unit) if not ch.na_a else "n/a"
    b = fmt_value(ch.b, ch.unit) if not ch.na_b else "n/a"
    rel = "" if ch.unit == "pct" else fmt_rel(ch.rel)
    return [a, b, _delta(ch), rel]


class CompareWindowPane(ScrollableContainer, can_focus=True):
    """The window figures of A beside B (plain text, scrolls both ways)."""

    DEFAULT_CSS = """
    CompareWindowPane { width: 1fr; height: 1fr; padding: 0 1; overflow: auto auto; display: none; }
    CompareWindowPane > Static { width: auto; }
    CompareWindowPane:focus { background: $boost; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.text = WINDOW_HINT

    def compose(self) -> Any:
        """One plain-text body."""
        yield Static(WINDOW_HINT, id="cmp-window-body", markup=False)

    def show(self, body: str) -> None:
        """Replace the body (file-derived names stay literal: Text, no markup)."""
        self.text = body
        if self.is_mounted:
            self.query_one("#cmp-window-body", Static).update(Text(body, no_wrap=True))


class CompareWindowMixin:
    """The window keys of :class:`htptui.tui.compare.CompareApp`."""

    doc_a: dict[str, Any]
    doc_b: dict[str, Any]
    pattern: str | None
    mode: str

    def window_init(self) -> None:
        """Window state (call from ``__init__``)."""
        self.win_mark: tuple[str, int, int] | None = None  # (run marked on, lo, hi)
        self.win_mapping = WINDOW_MAPPINGS[0]
        self.win_result: WindowComparison | None = None
        self._win_runs: dict[str, Any] = {}  # "A"/"B" -> RunAnalysis or a reason str
        self._win_lock = threading.Lock()

    # --- marking -------------------------------------------------------------------------------

    def _view_run(self) -> str:
        return "B" if self.mode == "B" else "A"

    def action_window_view(self) -> None:
        """`W`: the visible range of the dual timeline becomes the window (marked on the run in
        view: A in the diff and A views, B in the B view)."""
        tl: Any = self.query_one("#cmp-timeline")  # type: ignore[attr-defined]
        self.set_compare_window(
            self._view_run(), int(np.floor(tl.view_lo)), int(np.ceil(tl.view_hi))
        )

    def action_mark_window(self) -> None:
        """`m`: the window spans the selected ranking row's instances (first start to last end)
        on the run in view (A in the diff view, unless only B has it)."""
        tl: Any = self.query_one("#cmp-timeline")  # type: ignore[attr-defined]
        sel = getattr(self, "selected", None)
        order = ["B", "A"] if self.mode == "B" else ["A", "B"]
        for tag in order:
            run = tl.a if tag == "A" else tl.b
            m = run.mask_of(tl.level, sel)
            if m is not None and m.any():
                self.set_compare_window(tag, int(run.ts[m].min()), int(run.end[m].max()))
                return
        self.notify(  # type: ignore[attr-defined]
            "m: select a ranking row first (its instances become the window); W takes the visible "
            "range; drag on the timeline",
            timeout=4,
        )

    def action_clear_window(self) -> None:
        """`M`: forget the window; the tables come back."""
        self.win_mark = None
        self.win_result = None
        tl: Any = self.query_one("#cmp-timeline")  # type: ignore[attr-defined]
        tl.windows = {}
        tl.refresh()
        self.show_window_pane(False)
        self.query_one(CompareWindowPane).show(WINDOW_HINT)  # type: ignore[attr-defined]

    def action_window_mapping(self) -> None:
        """`x`: map the window between the runs by cycles ↔ by ops."""
        i = WINDOW_MAPPINGS.index(self.win_mapping)
        self.win_mapping = WINDOW_MAPPINGS[(i + 1) % len(WINDOW_MAPPINGS)]
        self.notify(  # type: ignore[attr-defined]
            f"window mapping: {self.win_mapping} — "
            + WINDOW_MAPPING_TEXT[self.win_mapping].format(run="the marked run"),
            timeout=4,
            markup=False,
        )
        if self.win_mark is not None:
            self.set_compare_window(*self.win_mark)

    def action_toggle_window_pane(self) -> None:
        """`[` / `]`: switch the table region between the tables and the window figures."""
        tables = self.query_one("#cmp-tables")  # type: ignore[attr-defined]
        self.show_window_pane(not tables.has_class("-window"))

    def show_window_pane(self, on: bool) -> None:
        """Show the window figures in place of the tables (or the tables back)."""
        tables = self.query_one("#cmp-tables")  # type: ignore[attr-defined]
        tables.set_class(on, "-window")
        self._split()  # type: ignore[attr-defined]
        if on:
            self.query_one(CompareWindowPane).focus()  # type: ignore[attr-defined]

    def on_dual_timeline_window_dragged(self, message: Any) -> None:
        """A mouse drag on A's or B's rows marks that range on that run."""
        message.stop()
        self.set_compare_window(message.run, message.lo, message.hi)

    # --- computing -----------------------------------------------------------------------------

    def map_window(
        self, run: str, lo: int, hi: int
    ) -> tuple[tuple[int, int], tuple[int, int]] | str:
        """(A's window, B's window) of a window marked on ``run`` under the current mapping."""
        if self.win_mapping == "cycles":
            return (lo, hi), (lo, hi)
        tl: Any = self.query_one("#cmp-timeline")  # type: ignore[attr-defined]
        sides = {"A": tl.a, "B": tl.b}

        def keyed(r: Any) -> tuple[list[tuple[str, str, int]], np.ndarray, np.ndarray]:
            keys = list(zip(r.qnn_op, r.kernel, r.n.tolist(), strict=True))
            return keys, r.ts, r.end

        other = "B" if run == "A" else "A"
        got = map_window_by_ops(keyed(sides[run]), keyed(sides[other]), lo, hi)
        if got is None:
            return f"no op starting in [{fmt_int(lo)}, {fmt_int(hi)}) on {run} is in run {other}"
        ws, wo, _n = got
        return (ws, wo) if run == "A" else (wo, ws)

    def set_compare_window(self, run: str, lo: int, hi: int, show: bool = True) -> None:
        """Mark [lo, hi) on ``run`` ("A"/"B"), draw it on both runs and compute the figures
        (``show``: bring the window pane up in place of the tables)."""
        if hi <= lo:
            return
        self.win_mark = (run, lo, hi)
        mapped = self.map_window(run, lo, hi)
        pane = self.query_one(CompareWindowPane)  # type: ignore[attr-defined]
        tl: Any = self.query_one("#cmp-timeline")  # type: ignore[attr-defined]
        if show:
            self.show_window_pane(True)
        if isinstance(mapped, str):
            self._window_failed(f"window [{fmt_int(lo)}, {fmt_int(hi)}) on {run}: {mapped}")
            return
        wa, wb = mapped
        tl.windows = {"A": wa, "B": wb}
        tl.refresh()
        pane.show("computing the window's figures of A and B…")
        key = (run, lo, hi, self.win_mapping, self.pattern)
        width = max(int(self.size.width) - 4, 60)  # type: ignore[attr-defined]

        def work() -> None:
            try:
                body = self._window_body(key, wa, wb, width)
            except Exception as exc:  # noqa: BLE001 - a broken window must not take the app down
                body = f"window failed: {type(exc).__name__}: {exc}"
                self.app.call_from_thread(self._window_ready, key, None, body)  # type: ignore[attr-defined]
                return
            self.app.call_from_thread(self._window_ready, key, *body)  # type: ignore[attr-defined]

        self.run_worker(work, thread=True, exclusive=True, group="cmp-window", exit_on_error=False)  # type: ignore[attr-defined]

    def window_analysis(self, tag: str) -> Any:
        """Run ``tag``'s RunAnalysis (read once; a reason str when it cannot be had)."""
        with self._win_lock:
            if tag not in self._win_runs:
                from htptui.analysis.run import analysis_of

                run = run_of_document(self.doc_a if tag == "A" else self.doc_b)
                self._win_runs[tag] = run if isinstance(run, str) else analysis_of(run)
            return self._win_runs[tag]

    def _window_body(
        self, key: tuple[Any, ...], wa: tuple[int, int], wb: tuple[int, int], width: int
    ) -> tuple[WindowComparison | None, str]:
        an_a, an_b = self.window_analysis("A"), self.window_analysis("B")
        for tag, an in (("A", an_a), ("B", an_b)):
            if isinstance(an, str):
                return None, f"window statistics need run {tag}'s op trace: {an}"
        pattern = key[4]
        ca: RunAnalysis = an_a.scoped(wa[0], wa[1], pattern)
        cb: RunAnalysis = an_b.scoped(wb[0], wb[1], pattern)
        wc = window_comparison(ca, cb, alias=self.cmp.alias_a)  # type: ignore[attr-defined]
        body = window_pair_text(wc, key[3], key[0], width)
        if pattern:
            body = f"filter /{pattern}/ on both runs\n" + body
        return wc, body

    def _window_failed(self, why: str) -> None:
        """No figures for this window: say why, and keep the tables (no near-empty pane)."""
        self.action_clear_window()
        self.query_one(CompareWindowPane).show(why)  # type: ignore[attr-defined]
        self.notify(why, severity="warning", timeout=6, markup=False)  # type: ignore[attr-defined]

    def _window_ready(self, key: tuple[Any, ...], wc: WindowComparison | None, body: str) -> None:
        if self.win_mark is None or (*self.win_mark, self.win_mapping, self.pattern) != key:
            return  # the window moved on meanwhile
        if wc is None:
            self._window_failed(body)
            return
        self.win_result = wc
        self.query_one(CompareWindowPane).show(body)  # type: ignore[attr-defined]
        self._split()  # type: ignore[attr-defined]

    def window_export(self) -> tuple[list[str], list[list[Any]]] | None:
        """The window figures and ranked ops as rows (for `e` with the window pane shown)."""
        wc = self.win_result
        if wc is None:
            return None
        cols = ["kind", "name", "A", "B", "delta", "unit", "A_name"]
        rows: list[list[Any]] = [["figure", wc.ops.name, wc.ops.a, wc.ops.b, wc.ops.delta,
                                  "count", ""]]  # fmt: skip
        rows += [["figure", c.name, c.a, c.b, c.delta, c.unit, ""] for _s, c in wc.figures]
        rows += [["qnn_op_dpc", r.name, r.dpc.a, r.dpc.b, r.dpc.delta, "cycles", r.name_a or r.name]
                 for r in wc.qnn_ops]  # fmt: skip
        return cols, rows
