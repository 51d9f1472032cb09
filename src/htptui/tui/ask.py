"""The trace questions, as app actions: "why is this op waiting" (`p` / `P`) and the window.

:class:`AskMixin` is mixed into the explorer app; it keeps app.py's hooks to three calls
(``ask_init`` in ``__init__``, ``ask_loaded`` when a run is shown, ``ask_selected`` after each
selection). Dependencies are read once per run in a thread worker (:meth:`RunAnalysis.deps` re-reads
every op's `Inputs Ops` from the file: about 2 s at 1M events); until they are ready, `p`, the
Details pane and the timeline's producer marks answer from the selected op's own args
(:meth:`RunAnalysis.producers`, one chunk read, in a thread worker: ~0.1 s at 1M events) and the
consumers say they are still being computed; the marks are refined when the full build lands.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any

from textual import work
from textual.binding import Binding
from textual.message import Message

from htptui.present.format import fmt_int

if TYPE_CHECKING:
    from htptui.analysis.deps import Deps
    from htptui.analysis.run import RunAnalysis

ASK_BINDINGS = [
    Binding(
        "p",
        "wait_back",
        "Waited for",
        id="app.wait_back",
        tooltip="Jump to the producer this op waited for (the one that finished last); repeat to "
        "walk the chain back",
    ),
    Binding(
        "greater_than_sign",
        "timeline_size(2)",
        "Taller timeline",
        show=False,
        id="app.timeline_taller",
        tooltip="Grow the timeline region by two rows",
    ),
    Binding(
        "less_than_sign",
        "timeline_size(-2)",
        "Shorter timeline",
        show=False,
        id="app.timeline_shorter",
        tooltip="Shrink the timeline region by two rows",
    ),
    Binding(
        "B",
        "bookmark",
        "Bookmark",
        show=False,
        id="app.bookmark",
        tooltip="Bookmark the marked window (timeline focused) or the selected op",
    ),
    Binding(
        "apostrophe",
        "bookmarks",
        "Bookmarks",
        show=False,
        id="app.bookmarks",
        tooltip="List the bookmarks of this trace and jump back to one",
    ),
    Binding(
        "L",
        "legend",
        "Legend",
        show=False,
        id="app.legend",
        tooltip="The timeline glyph legend",
    ),
    Binding(
        "P",
        "wait_forward",
        "Chain fwd",
        show=False,
        id="app.wait_forward",
        tooltip="Step forward again along the chain walked with p",
    ),
]


DEPS_DUTY = 0.5  # share of the interpreter the full dependency build takes (see deps.paced_chunks)


class DepsReady(Message):
    """The dependency edges of the run are computed (cached on the RunAnalysis)."""

    def __init__(self, analysis: RunAnalysis, error: str | None = None) -> None:
        super().__init__()
        self.analysis = analysis
        self.error = error


def gap_text(cycles: int, clock_ghz: float | None) -> str:
    """A wait in cycles and, when the trace clock is known, in µs at that clock."""
    text = f"{fmt_int(cycles)} cycles"
    if clock_ghz:
        text += f" ({cycles / clock_ghz / 1000.0:.3f} µs at {clock_ghz:.3f} GHz)"
    return text


class AskMixin:
    """`p`/`P`: walk the chain of producers each op waited for."""

    analysis: RunAnalysis | None
    selection: tuple[tuple[int, ...], int | None]

    def ask_init(self) -> None:
        """Per-run state (call from ``__init__``)."""
        self._wait_back: list[int] = []  # ops left by `p`, most recent last
        self._wait_fwd: list[int] = []
        self._walking = False
        self._bookmarks: Any = None  # BookmarkStore of the loaded trace, opened on first use
        # (op, seconds from selection to its marks set, "fast" | "full"): the last marks drawn
        self.deps_marks_timing: tuple[int, float, str] | None = None

    def ask_loaded(self) -> None:
        """Start reading the dependencies of the loaded run."""
        an = self.analysis
        self._wait_back, self._wait_fwd = [], []
        if an is not None and an.has_ops:
            # after the filled panes' first frame: the read re-decodes the file (seconds at 1M events)
            self.call_after_refresh(self._deps_worker, an)  # type: ignore[attr-defined]

    @work(thread=True, exclusive=True, group="deps", exit_on_error=False)
    def _deps_worker(self, an: RunAnalysis) -> None:
        try:
            # paced: each chunk decode holds the GIL; the UI (and the fast path) draw in between
            an.deps(duty=DEPS_DUTY)
        except Exception as exc:  # noqa: BLE001 - dependencies are a nicety; the explorer stays up
            self.post_message(DepsReady(an, f"{type(exc).__name__}: {exc}"))  # type: ignore[attr-defined]
            return
        self.post_message(DepsReady(an))  # type: ignore[attr-defined]

    def on_deps_ready(self, message: DepsReady) -> None:
        """Mark the current op's producers and consumers, and refresh Details."""
        if message.analysis is not self.analysis:
            return
        if message.error:
            self.notify(f"dependencies: {message.error}", severity="warning", markup=False)  # type: ignore[attr-defined]
        self.ask_selected(self.selection[1])
        self.details.deps_ready()  # type: ignore[attr-defined]

    def deps_if_ready(self) -> Deps | None:
        """The run's dependency edges if the worker has computed them."""
        an = self.analysis
        if an is None or not an.has_ops or not an.cached("deps"):
            return None
        return an.deps()

    def ask_selected(self, primary: int | None) -> None:
        """Mark ``primary``'s producers and consumers on the timeline (after every selection).

        With the full dependency build done, at once; before it, the producers (and the one waited
        for) from the op's own args in a thread worker, the consumers once the build lands."""
        if not self._walking:
            self._wait_back, self._wait_fwd = [], []
        an = self.analysis
        tl: Any = self.timeline  # type: ignore[attr-defined]
        if primary is None or an is None or not an.has_ops:
            tl.set_deps(None, None, None)
            return
        t0 = time.perf_counter()
        deps = self.deps_if_ready()
        if deps is None:
            tl.set_deps(None, None, None)  # the previous op's marks go at once
            self._fast_deps_worker(an, primary, t0)
            return
        prods, _ = deps.producers(primary)
        cons, _ = deps.consumers(primary)
        tl.set_deps(prods, cons, an.waited_for(primary))
        self.deps_marks_timing = (primary, time.perf_counter() - t0, "full")

    @work(thread=True, exclusive=True, group="deps-fast", exit_on_error=False)
    def _fast_deps_worker(self, an: RunAnalysis, op: int, t0: float) -> None:
        """``op``'s producers from its own args (one chunk read), off the UI thread."""
        t = an.trace
        assert t is not None
        try:
            args = t.event_args(op)
            prods, _ = an.producers(op, args)
            waited = an.waited_for(op, args)
        except Exception:  # noqa: BLE001 - the full build still comes; no marks meanwhile
            return
        self.call_from_thread(self._fast_deps_ready, an, op, prods, waited, t0)  # type: ignore[attr-defined]

    def _fast_deps_ready(
        self, an: RunAnalysis, op: int, prods: Any, waited: int | None, t0: float
    ) -> None:
        if an is not self.analysis or self.selection[1] != op or an.cached("deps"):
            return  # moved on, or the full build already marked it (consumers included)
        self.timeline.set_deps(prods, None, waited)  # type: ignore[attr-defined]
        self.deps_marks_timing = (op, time.perf_counter() - t0, "fast")

    def _walk_to(self, op: int) -> None:
        self._walking = True
        try:
            self.select_op(op)  # type: ignore[attr-defined]
        finally:
            self._walking = False

    def action_wait_back(self) -> None:
        """Jump to the producer the selected op waited for; the gap goes to the status line."""
        an = self.analysis
        cur = self.selection[1]
        if an is None or cur is None or an.trace is None:
            return
        # before every op's Inputs Ops is read, the answer comes from this op's own args
        w = an.waited_for(cur)
        t = an.trace
        if w is None:
            self.notify(
                f"{t.kernel_name(cur)} has no producer among the executed ops",
                timeout=3,
                markup=False,
            )  # type: ignore[attr-defined]
            return
        self._wait_back.append(cur)
        self._wait_fwd = []
        gap = int(t.ts[cur]) - int(t.end[w])
        self._walk_to(w)
        self.notify(  # type: ignore[attr-defined]
            f"{t.kernel_name(cur)} waited for {t.kernel_name(w)} ({t.lane_of(w).label}): "
            f"gap {gap_text(gap, an.trace_clock_ghz())}",
            timeout=4,
            markup=False,
        )

    def on_timeline_window_changed(self, message: Any) -> None:
        """A window was marked on the timeline: the Window tab shows its figures."""
        message.stop()
        from htptui.tui.panes.window import WindowPane

        panes = list(self.query(WindowPane))  # type: ignore[attr-defined]
        for pane in panes:
            pane.set_window(message.window)
        if panes and message.window is not None:
            with contextlib.suppress(Exception):  # no tabbed region (compare mode)
                self.query_one("#dag-region").active = "tab-window"  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ bookmarks

    def bookmark_store(self) -> Any:
        """The loaded trace's bookmark store (None, with a notice, when it cannot be opened)."""
        an = self.analysis
        if an is None or an.trace is None:
            return None
        if self._bookmarks is None or self._bookmarks.trace_path != an.trace.source:
            from htptui.model.bookmarks import BookmarkStore

            try:
                self._bookmarks = BookmarkStore(an.trace.source)
            except OSError as exc:
                self.notify(f"bookmarks unavailable: {exc}", severity="warning", markup=False)  # type: ignore[attr-defined]
                return None
        return self._bookmarks

    def action_bookmark(self) -> None:
        """Bookmark the window marked on the timeline (when it has focus) or the selected op."""
        from htptui.model.bookmarks import Bookmark

        store = self.bookmark_store()
        an = self.analysis
        if store is None or an is None or an.trace is None:
            return
        t = an.trace
        tl: Any = self.timeline  # type: ignore[attr-defined]
        op = self.selection[1]
        if tl.window is not None and (self.focused is tl or op is None):  # type: ignore[attr-defined]
            lo, hi = tl.window
            bm = store.add(Bookmark("window", f"{fmt_int(hi - lo)} cycles", lo=lo, hi=hi))
        elif op is not None:
            label = f"{t.kernel_name(op)} · {t.qnn_op_name(op)} · {t.lane_of(op).label}"
            bm = store.add(Bookmark("op", label, op=op, op_id=int(t.op_id[op]), ts=int(t.ts[op])))
        else:
            self.notify("nothing to bookmark: select an op or mark a window", timeout=3)  # type: ignore[attr-defined]
            return
        from htptui.tui.bookmarks import bookmark_line

        self.notify(f"bookmarked {bookmark_line(bm)}", timeout=3, markup=False)  # type: ignore[attr-defined]

    def action_bookmarks(self) -> None:
        """List the bookmarks; the one chosen is jumped to."""
        store = self.bookmark_store()
        if store is None:
            return
        from htptui.tui.bookmarks import BookmarksScreen

        self.push_screen(BookmarksScreen(store), self.jump_to_bookmark)  # type: ignore[attr-defined]

    def jump_to_bookmark(self, index: int | None) -> None:
        """Select a bookmarked op (checked by ID and start) or mark and show a bookmarked window."""
        store, an = self._bookmarks, self.analysis
        if index is None or store is None or an is None or an.trace is None:
            return
        if not 0 <= index < len(store.items):
            return
        bm = store.items[index]
        t = an.trace
        tl: Any = self.timeline  # type: ignore[attr-defined]
        if bm.kind == "window":
            assert bm.lo is not None and bm.hi is not None
            tl.set_window((bm.lo, bm.hi))
            margin = max((bm.hi - bm.lo) * 0.05, 1.0)
            tl._set_view(bm.lo - margin, bm.hi + margin)
            tl._after_change()
            return
        op = bm.op
        if (
            op is None
            or not 0 <= op < len(t)
            or int(t.op_id[op]) != bm.op_id
            or int(t.ts[op]) != bm.ts
        ):
            self.notify("that op is not in this trace any more", severity="warning")  # type: ignore[attr-defined]
            return
        self.select_op(op)  # type: ignore[attr-defined]

    def action_timeline_size(self, delta: int) -> None:
        """Grow or shrink the timeline region (at least 5 rows; the panes keep at least 6)."""
        try:
            region = self.query_one("#timeline-region")  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - no timeline region on this screen
            return
        screen_h = int(self.screen.size.height)  # type: ignore[attr-defined]
        new = min(max(int(region.outer_size.height) + delta, 5), max(screen_h - 8, 5))
        region.styles.height = new

    def action_legend(self) -> None:
        """`L`: the timeline glyph legend."""
        from htptui.tui.screens import LegendScreen

        self.push_screen(LegendScreen("Timeline glyphs"))  # type: ignore[attr-defined]

    def action_wait_forward(self) -> None:
        """Step back to the op `p` came from."""
        if not self._wait_back:
            return
        cur = self.selection[1]
        op = self._wait_back.pop()
        if cur is not None:
            self._wait_fwd.append(cur)
        self._walk_to(op)
