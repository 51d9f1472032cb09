"""The explorer app: timeline, DPC ranking, QHAS units, op DAG and details, linked and keyboard first.

Loading runs in a thread worker that loads the run, warms its :class:`RunAnalysis` (summaries,
timing, coverage, rankings, indexes, findings) and only posts messages; handlers here own every
widget change and read the cached figures. Panes ask for a selection with
:func:`~htptui.tui.messages.request_selection` (a direct :meth:`HtpApp.select_ops` call, in the
same frame as the key), which is broadcast to each pane's ``on_ops_selected``; the `/` filter's
regex is broadcast to each pane's ``on_filter`` after a worker has computed its mask, ranking and
coverage on big traces.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import json
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.css.query import NoMatches
from textual.events import DescendantFocus
from textual.message import Message
from textual.reactive import Reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Input, Static, TabbedContent, TabPane
from textual.worker import get_current_worker

from htptui.analysis.run import RunAnalysis, Scope, analysis_of
from htptui.errors import InputError
from htptui.model._io import clean_text
from htptui.present.format import fmt_int
from htptui.present.tables import header_parts
from htptui.tui.ask import ASK_BINDINGS, AskMixin
from htptui.tui.commands_palette import HtpCommands
from htptui.tui.frames import flush_refreshes
from htptui.tui.messages import SelectOps
from htptui.tui.panes import PaneSpec, discover_panes
from htptui.tui.panes._common import update_static
from htptui.tui.panes.dag import DagPane
from htptui.tui.panes.details import DetailsPane
from htptui.tui.panes.qhas import QhasPane
from htptui.tui.panes.ranking import RankingPane
from htptui.tui.screens import HelpScreen, LoadingScreen
from htptui.tui.selection import OpSelection
from htptui.tui.widgets.timeline import Timeline

if TYPE_CHECKING:
    from htptui.analysis.structure import StructureRules
    from htptui.model.discover import Artifacts, Graph
    from htptui.model.run import Run

EXPORT_DIR_ENV = "HTPTUI_EXPORT_DIR"
FILTER_WORKER_ABOVE_OPS = 100_000  # filters of bigger traces are computed in a thread worker
# on those traces a pattern left unchanged this long in the filter input is computed before Enter
FILTER_PREVIEW_DELAY_S = 0.12
FILTER_PREVIEWS_KEPT = 4  # typed-but-never-applied patterns whose figures stay cached
REGIONS = ("timeline", "ranking", "qhas", "dag", "details")
REGION_TITLES = {"timeline": "Timeline", "ranking": "Ranking", "qhas": "QHAS", "dag": "DAG",
                 "details": "Details"}  # fmt: skip


class LoadProgress(Message):
    """Progress of the load worker (floods coalesce)."""

    def __init__(self, fraction: float, text: str) -> None:
        super().__init__()
        self.fraction = fraction
        self.text = text

    def can_replace(self, message: Message) -> bool:
        """Only the latest progress matters."""
        return isinstance(message, LoadProgress)


class Loaded(Message):
    """The load worker finished: the run and its warmed analysis."""

    def __init__(self, analysis: RunAnalysis) -> None:
        super().__init__()
        self.analysis = analysis
        self.opt = analysis.run


class FilterReady(Message):
    """The filter worker computed a pattern's mask, ranking and coverage (or found it invalid)."""

    def __init__(self, pattern: str, error: str | None = None) -> None:
        super().__init__()
        self.pattern = pattern
        self.error = error


class PartialLoaded(Message):
    """The ops decoded so far of a big trace (progressive load), with their coverage index."""

    def __init__(self, opt: Run, index: Any, fraction: float) -> None:
        super().__init__()
        self.opt = opt
        self.index = index
        self.fraction = fraction

    def can_replace(self, message: Message) -> bool:
        """A newer partial supersedes an older one."""
        return isinstance(message, PartialLoaded)


class LoadFailed(Message):
    """The load worker failed with a one-line reason."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class _Cancelled(Exception):
    """Raised inside the load worker when Esc cancelled it."""


class LightFooter(Footer):
    """The key footer, rebuilt only when the keys it shows change.

    Textual's footer recomposes (mounting a widget per key, then a layout pass of the screen) on every
    bindings update, i.e. on every focus change; most of them leave the shown keys as they were."""

    rebuilds = 0  # times the keys were rebuilt (tests count the work a key causes)
    _shown: tuple[Any, ...] | None = None

    def _signature(self, screen: Any) -> tuple[Any, ...]:
        return tuple(
            (b.key, b.description, b.action, enabled, tooltip, b.group)
            for (_node, b, enabled, tooltip) in screen.active_bindings.values()
            if b.show
        )

    def bindings_changed(self, screen: Any) -> None:
        """Recompose only when the shown keys differ from those on show."""
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            self._bindings_ready = True
            return
        focused = screen.focused
        if focused is not None and focused.id == "filter-input" and self._bindings_ready:
            return  # the filter input is a moment's overlay: keep the panes' keys on show
        sig = self._signature(screen)
        if sig == self._shown and self._bindings_ready:
            return
        self._shown = sig
        self.rebuilds += 1
        super().bindings_changed(screen)


def _bind(key: str, action: str, description: str, bid: str, tooltip: str, **kw: Any) -> Binding:
    return Binding(key, action, description, id=bid, tooltip=tooltip, **kw)


def _freeze_heap() -> None:
    """Move every object alive now out of the cyclic collector's reach (``gc.freeze``).

    A loaded 1M-event run holds millions of tracked objects (the analysis's tables, caches,
    per-op records); every ~17 cursor moves allocated enough to trigger a full collection,
    which walked them all on the UI thread: 80-110 ms inside one frame, the whole p95 of `j`.
    Frozen objects are still freed by reference counting when dropped; only reference cycles
    among them wait for ``gc.unfreeze``, which a run's long-lived figures do not form.
    """
    gc.freeze()


class ExplorerScreen(Screen[None]):
    """The explorer's screen: a focus change repaints what it changes, not the whole screen.

    Textual's ``Screen.focused`` is a reactive that repaints the screen on every change; the
    widgets that gain and lose focus repaint themselves, and a ``:focus-within`` rule refreshes
    the containers whose style it changes, so that repaint only redraws the same cells again. At
    200×60 on a 1M-op run it was a 20-30 ms frame behind `/`, behind a filter's Enter (while its
    worker computes, on the same GIL) and behind every pane switch.
    """

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)


class HtpApp(AskMixin, App[int]):
    """Explore one Hexagon NPU optrace run."""

    CSS_PATH = "app.tcss"
    TITLE = "htptui"
    COMMANDS: ClassVar = App.COMMANDS | {HtpCommands}
    HORIZONTAL_BREAKPOINTS: ClassVar = [(0, "-narrow"), (120, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        _bind("q", "quit", "Quit", "app.quit", "Quit htptui"),
        _bind("question_mark,f1", "help", "Help", "app.help", "Every key, explained"),
        _bind(
            "o",
            "switch_graph",
            "Graph",
            "app.switch_graph",
            "Switch to another graph of this directory",
            show=False,
        ),
        _bind(
            "tab",
            "next_pane",
            "Next pane",
            "app.next_pane",
            "Focus the next pane",
            show=False,
            priority=True,
        ),  # fmt: skip
        _bind(
            "shift+tab",
            "prev_pane",
            "Prev pane",
            "app.prev_pane",
            "Focus the previous pane",
            show=False,
            priority=True,
        ),  # fmt: skip
        # priority: handled by the app before it forwards the next key, so text typed right after
        # `/` in the same terminal read (fast typing, a paste) lands in the filter input
        _bind(
            "slash",
            "filter",
            "Filter",
            "app.filter",
            "Regex over kernel, QNN op and unit",
            priority=True,
        ),
        _bind(
            "n",
            "next_match(1)",
            "Next match",
            "app.next_match",
            "Next op matching the filter",
            show=False,
        ),  # fmt: skip
        _bind(
            "N",
            "next_match(-1)",
            "Prev match",
            "app.prev_match",
            "Previous matching op",
            show=False,
        ),  # fmt: skip
        _bind(
            "escape",
            "escape",
            "Back",
            "app.back",
            "Back out of a drill-down, else clear filter",
            show=False,
        ),  # fmt: skip
        _bind(
            "r",
            "cycle_level",
            "Level",
            "app.level",
            "Ranking level: QNN op / kernel / structure / instance",
        ),
        _bind(
            "l", "dag_level", "DAG level", "app.dag_level", "DAG: HTP node / QNN op", show=False
        ),  # fmt: skip
        _bind("e", "export('csv')", "Export", "app.export_csv", "Export focused table to CSV"),
        _bind(
            "E",
            "export('json')",
            "JSON",
            "app.export_json",
            "Export focused table to JSON",
            show=False,
        ),  # fmt: skip
        _bind("y", "copy", "Copy", "app.copy", "Copy the selection as text (OSC 52)"),
        _bind(
            "1",
            "focus_region('timeline')",
            "Timeline",
            "app.go_timeline",
            "Focus the timeline",
            show=False,
        ),  # fmt: skip
        _bind(
            "2",
            "focus_region('ranking')",
            "Ranking",
            "app.go_ranking",
            "Focus the ranking",
            show=False,
        ),  # fmt: skip
        _bind(
            "3", "focus_region('qhas')", "QHAS", "app.go_qhas", "Focus the QHAS units", show=False
        ),  # fmt: skip
        _bind("4", "focus_region('dag')", "DAG", "app.go_dag", "Focus the op DAG", show=False),
        _bind(
            "5",
            "focus_region('details')",
            "Details",
            "app.go_details",
            "Focus the details",
            show=False,
        ),  # fmt: skip
        _bind(
            "right_square_bracket",
            "cycle_tab(1)",
            "Next tab",
            "app.next_tab",
            "Next tab of the DAG region",
            show=False,
        ),  # fmt: skip
        _bind(
            "left_square_bracket",
            "cycle_tab(-1)",
            "Prev tab",
            "app.prev_tab",
            "Previous tab of the DAG region",
            show=False,
        ),  # fmt: skip
        *ASK_BINDINGS,
    ]

    def __init__(
        self,
        path: str,
        *,
        artifacts: Artifacts | None = None,
        theme: str | None = None,
        extra_panes: list[PaneSpec] | None = None,
        graphs: list[Graph] | None = None,
        export_dir: str | Path | None = None,
        structure_rules: StructureRules | None = None,
    ) -> None:
        super().__init__()
        self.structure_rules = structure_rules  # the structure level's grouping rules (--group)
        self.path = str(path)
        self.export_dir_setting = export_dir
        self.artifacts = artifacts
        # several graphs in one directory: the picker (tui/graph_picker.py) chooses; o switches
        self.graphs: list[Graph] = list(graphs or [])
        self.current_graph: str | None = artifacts.graph if artifacts is not None else None
        self.switch_graph: str | None = None  # set when the user asks for another graph
        if self.current_graph and len(self.graphs) > 1:
            self.sub_title = self.current_graph
        if theme:
            self.theme = theme
        self.extra_specs = discover_panes() if extra_panes is None else extra_panes
        self.opt: Run | None = None
        self.analysis: RunAnalysis | None = None
        self.ready = False
        self.load_error: str | None = None
        self.selection: tuple[OpSelection, int | None] = (OpSelection(), None)
        self.filter_pattern: str | None = None
        self._pending_filter: str | None = None
        self._preview_timer: Timer | None = None
        self._previewed: list[str] = []  # patterns computed ahead of Enter, oldest first
        self.current_region = "ranking"
        self.grid_region = "ranking"
        self._extra_widgets: dict[str, Widget] = {}
        self._before_filter: Widget | None = None
        self._first_frame = threading.Event()  # set once the loaded panes have been drawn
        self._exiting = False
        self._partial_ops = 0
        self.ask_init()

    # ------------------------------------------------------------ layout

    def get_default_screen(self) -> Screen[Any]:
        """The main screen: :class:`ExplorerScreen`."""
        return ExplorerScreen(id="_default")

    def compose(self) -> ComposeResult:
        """Header line, timeline, the 2×2 pane grid, the filter input and the footer."""
        yield Static("htptui", id="header-line", markup=False)
        yield Static("", id="panebar")
        with Vertical(id="timeline-region", classes="region"):
            yield Timeline(id="timeline")
        with Grid(id="main-grid"):
            with Vertical(id="ranking-region", classes="region -current"):
                yield RankingPane(id="ranking")
            with Vertical(id="qhas-region", classes="region"):
                yield QhasPane(id="qhas")
            with TabbedContent(id="dag-region", classes="region"):
                with TabPane("Op DAG", id="tab-dag"):
                    yield DagPane(id="dag")
                for spec in self.extra_specs:
                    with TabPane(spec.title, id=f"tab-{spec.id}"):
                        widget = spec.factory()
                        self._extra_widgets[spec.id] = widget
                        yield widget
                        yield Static(
                            "", id=f"missing-{spec.id}", classes="missing-sentence", markup=False
                        )
            with Vertical(id="details-region", classes="region"):
                yield DetailsPane(id="details")
        yield Input(placeholder="filter regex over kernel, QNN op, unit (Enter applies, Esc cancels)",
                    id="filter-input")  # fmt: skip
        yield LightFooter()

    @property
    def timeline(self) -> Timeline:
        """The timeline widget."""
        return self.query_one("#timeline", Timeline)

    @property
    def ranking(self) -> RankingPane:
        """The DPC ranking pane."""
        return self.query_one("#ranking", RankingPane)

    @property
    def dag(self) -> DagPane:
        """The op DAG pane."""
        return self.query_one("#dag", DagPane)

    @property
    def details(self) -> DetailsPane:
        """The details pane."""
        return self.query_one("#details", DetailsPane)

    @property
    def qhas_pane(self) -> QhasPane:
        """The QHAS units pane."""
        return self.query_one("#qhas", QhasPane)

    def linked_panes(self) -> list[tuple[str, Any]]:
        """(id, widget) of every pane that takes selections and filters, extras included."""
        out: list[tuple[str, Any]] = [
            ("ranking", self.ranking),
            ("qhas", self.qhas_pane),
            ("dag", self.dag),
            ("details", self.details),
        ]
        if self.opt is not None:
            for spec in self.extra_specs:
                if self._extra_available(spec):
                    out.append((spec.id, self._extra_widgets[spec.id]))
        return out

    # ------------------------------------------------------------ loading

    def on_mount(self) -> None:
        """Show the loading screen and start the load worker (or first the graph picker)."""
        from htptui.tui.graph_picker import pick_at_start

        self.update_panebar()
        if not pick_at_start(self):
            self.start_loading()

    def start_loading(self) -> None:
        """Show the loading screen and start the load worker."""
        self.push_screen(LoadingScreen(self.path))
        self.load_worker()

    def action_switch_graph(self) -> None:
        """Pick another graph of the directory (opened afresh; the others' files stay unread)."""
        from htptui.tui.graph_picker import open_switcher

        open_switcher(self)

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def load_worker(self) -> None:
        """Load every artifact off the UI thread, posting progress and the result."""
        from htptui.model.run import load_run

        worker = get_current_worker()

        def progress(fraction: float, text: str) -> None:
            if worker.is_cancelled:
                raise _Cancelled()
            self.post_message(LoadProgress(fraction, text))

        def partial(part: Run, fraction: float) -> None:
            if worker.is_cancelled:
                raise _Cancelled()
            from htptui.analysis.buckets import CoverageIndex

            assert part.trace is not None
            self.post_message(PartialLoaded(part, CoverageIndex(part.trace), fraction))

        try:
            opt = load_run(self.path, progress=progress, artifacts=self.artifacts, partial=partial)
            analysis = analysis_of(opt)
            if self.structure_rules is not None:
                analysis.set_structure_rules(self.structure_rules)
            analysis.warm_first(progress=progress)  # what the visible panes show, off the UI thread
        except _Cancelled:
            return
        except InputError as exc:
            self.post_message(LoadFailed(str(exc)))
            return
        except MemoryError:
            self.post_message(LoadFailed(f"{self.path}: out of memory while loading"))
            return
        except Exception as exc:  # noqa: BLE001 - shown as one line, never a traceback
            self.post_message(LoadFailed(f"{self.path}: {type(exc).__name__}: {exc}"))
            return
        if worker.is_cancelled:
            return
        _freeze_heap()
        self.post_message(Loaded(analysis))
        # let the first frame of the filled panes go out before competing for the interpreter
        self._first_frame.wait(timeout=5.0)
        if worker.is_cancelled or self._exiting:
            return
        # then the rest (other ranking levels, findings) while the user reads the panes; a failure
        # here is not reported twice: the pane that needs the figure computes it and says why
        with contextlib.suppress(Exception):
            analysis.warm_rest()
        # last, every chunk's line index, so Details reads a selected op's args at once
        with contextlib.suppress(Exception):
            analysis.warm_args(should_stop=lambda: worker.is_cancelled or self._exiting)
        _freeze_heap()

    def on_unmount(self) -> None:
        """Release a load worker still waiting for the first frame."""
        self._exiting = True
        self._first_frame.set()

    def on_load_progress(self, message: LoadProgress) -> None:
        """Advance the loading screen's bar (or the progressive-load bar under the header)."""
        if not self.screen_stack:  # shutting down
            return
        if isinstance(self.screen, LoadingScreen):
            self.screen.set_progress(message.fraction, message.text)
        elif not self.ready:
            self._set_partial_progress(message.fraction)

    def on_partial_loaded(self, message: PartialLoaded) -> None:
        """Show the ops decoded so far: header, lanes at the whole trace's time scale, progress."""
        if self.ready or message.opt.trace is None or not len(message.opt.trace):
            return
        if not self.screen_stack:
            return
        first = isinstance(self.screen, LoadingScreen)
        if first:
            self.pop_screen()
        tl = self.timeline
        view = None if first or not tl.index_ready else (tl.view_lo, tl.view_hi)
        tl.load(message.opt, index=message.index)
        hint = message.opt.trace.extent_hint
        tl.stretch_to(hint[1] if hint is not None else tl.t1, view)
        self._partial_ops = len(message.opt.trace)
        self._set_partial_progress(message.fraction)
        if first:  # the timeline is the pane with something in it: keys go there
            self._set_current("timeline")
            tl.focus()

    def _set_partial_progress(self, fraction: float) -> None:
        from textual.widgets import ProgressBar

        try:
            bar = self.query_one("#partial-bar", ProgressBar)
        except NoMatches:
            if not getattr(self, "_partial_ops", 0):
                return
            bar = ProgressBar(total=1.0, show_eta=False, id="partial-bar")
            self.mount(bar, after=self.query_one("#header-line"))
        bar.update(progress=max(0.0, min(1.0, fraction)))
        name = Path(self.path).name or self.path
        self.query_one("#header-line", Static).update(
            f"{name} · loading {fraction * 100:.0f} % · {self._partial_ops:,} ops so far"
            " (the panes fill in when the whole trace is read)"
        )

    def on_load_failed(self, message: LoadFailed) -> None:
        """Turn the loading screen into a one-line error."""
        self.load_error = message.reason
        if isinstance(self.screen, LoadingScreen):
            self.screen.show_error(message.reason)

    def action_cancel_load(self) -> None:
        """Esc on the loading screen: cancel the worker and quit (or just quit after an error)."""
        for worker in self.workers:
            if worker.group == "load":
                worker.cancel()
        self.exit(1, message="htptui: loading cancelled" if self.load_error is None else None)

    def notify(  # type: ignore[override]
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Toasts show text from files (names, paths, errors): always plain text, escapes visible."""
        super().notify(
            clean_text(str(message), max_chars=2000),
            title=clean_text(str(title)),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def on_loaded(self, message: Loaded) -> None:
        """Hand the run to every pane and select the top ranking row."""
        an = message.analysis
        opt = an.run
        self.opt = opt
        self.analysis = an
        if isinstance(self.screen, LoadingScreen):
            self.pop_screen()
        for bar in self.query("#partial-bar"):
            bar.remove()
        self.update_header()
        if opt.trace is not None:
            index = an.coverage() if an.has_ops else None
            self.timeline.load(opt, index=index, clock_ghz=an.trace_clock_ghz())
        else:
            self.query_one("#timeline-region").add_class("-missing")
            self.query_one("#header-line", Static).update(Text(opt.missing_sentence("op_trace")))
        for _pid, pane in self.linked_panes()[:4]:
            pane.show_run(an)
        if opt.qhas is None:
            self.query_one("#qhas-region").add_class("-missing")
        if opt.graph is None:
            self.query_one("#tab-dag").add_class("-missing")
        for spec in self.extra_specs:
            self._show_extra(spec, opt)
        self.ready = True
        for warning in opt.warnings[:3]:
            self.notify(warning, severity="warning", timeout=6)
        for kind, problem in opt.errors.items():
            self.notify(f"{kind}: {problem}", severity="warning", timeout=8)
        self.ask_loaded()
        members = self.ranking.members_of_display_row(0)
        if members.size and opt.trace is not None:
            primary = int(members[np.argmax(opt.trace.dpc[members])])
            self.select_ops(tuple(int(i) for i in members), primary, origin="")
        # after a progressive load the user may be working in the timeline: leave them there
        keep_timeline = self._partial_ops and self.focused is self.timeline
        self.action_focus_region("timeline" if keep_timeline else "ranking")
        self.call_after_refresh(self._first_frame.set)

    def _extra_available(self, spec: PaneSpec) -> bool:
        return self.opt is not None and all(self.opt.has(kind) for kind in spec.requires)

    def _show_extra(self, spec: PaneSpec, opt: Run) -> None:
        widget = self._extra_widgets[spec.id]
        sentence = self.query_one(f"#missing-{spec.id}", Static)
        missing = [kind for kind in spec.requires if not opt.has(kind)]
        if missing:
            widget.display = False
            sentence.update(" ".join(opt.missing_sentence(kind) for kind in missing))
            self.query_one(f"#tab-{spec.id}").add_class("-missing")
            return
        sentence.display = False
        try:
            assert self.analysis is not None
            widget.show_run(self.analysis)  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - one broken plug-in must not take the app down
            widget.display = False
            sentence.display = True
            sentence.update(f"{spec.title} failed: {type(exc).__name__}: {exc}")

    def update_header(self) -> None:
        """Graph name, wall cycles (µs when known), domain unit and idle %."""
        an = self.analysis
        if an is None:
            return
        parts = header_parts(an)
        mask = self.filter_mask
        if self.filter_pattern is not None:
            count = int(mask.sum()) if mask is not None else 0
            parts.append(f"filter /{self.filter_pattern}/ ({fmt_int(count)} ops)")
        # one line high: no layout pass; plain Text, since names come from files
        self.query_one("#header-line", Static).update(Text(" · ".join(parts)), layout=False)

    @property
    def filter_mask(self) -> np.ndarray | None:
        """The applied `/` filter as an op mask (None = no filter)."""
        if self.analysis is None or self.filter_pattern is None or not self.analysis.has_ops:
            return None
        return self.analysis.filter_mask(self.filter_pattern)

    def update_panebar(self) -> None:
        """At narrow widths, a line naming the panes with the current one marked."""
        items = []
        for pos, region in enumerate(REGIONS, 1):
            title = f"{pos} {REGION_TITLES[region]}"
            items.append(
                f"[reverse] {title} [/]" if region == self.current_region else f" {title} "
            )
        # unchanged when focus comes back to the same pane (the filter closing): no extra frame
        update_static(self.query_one("#panebar", Static), "│".join(items), layout=False)

    # ------------------------------------------------------------ linking

    def on_select_ops(self, message: SelectOps) -> None:
        """A pane asked to select ops: broadcast to every pane."""
        message.stop()
        self.select_ops(message.op_indices, message.primary, origin=message.origin)

    def select_ops(
        self, ops: Sequence[int] | OpSelection, primary: int | None, origin: str = ""
    ) -> None:
        """Select ``ops`` everywhere (``origin`` is not told again); panes receive them as one
        :class:`~htptui.tui.selection.OpSelection` (a sorted array with a tuple's interface)."""
        if not self.ready and origin:
            return
        if not isinstance(ops, OpSelection):
            ops = OpSelection(ops)
        if (ops, primary) == self.selection:
            return
        self.selection = (ops, primary)
        with self.batch_update():  # every linked pane repaints in one frame
            self.timeline.select(ops, primary=primary, scroll=origin != "timeline")
            self.ask_selected(primary)
            for pane_id, pane in self.linked_panes():
                if pane_id == origin:
                    continue
                try:
                    pane.on_ops_selected(ops, primary)
                except Exception as exc:  # noqa: BLE001 - a broken plug-in pane must not crash
                    self.notify(f"{pane_id}: {type(exc).__name__}: {exc}", severity="error")

    def group_of(self, op_index: int) -> OpSelection:
        """All ops of the ranking row (instance / QNN op / kernel) holding ``op_index``."""
        rk = self.ranking.ranking
        if rk is not None:
            row = rk.row_of_op(op_index)
            if row is not None:
                return OpSelection(rk.members(row))
        return OpSelection((op_index,))

    def select_op(self, op_index: int, origin: str = "") -> None:
        """Select one op and its siblings at the current ranking level."""
        self.select_ops(self.group_of(op_index), op_index, origin=origin)

    @on(Timeline.OpSelected)
    def _timeline_selected(self, event: Timeline.OpSelected) -> None:
        event.stop()
        if event.op_index == self.selection[1]:
            return
        self.select_op(int(event.op_index), origin="timeline")

    # ------------------------------------------------------------ panes and focus

    def region_of(self, widget: Widget | None) -> str | None:
        """Which region a widget lives in."""
        node: Any = widget
        while node is not None:
            node_id = getattr(node, "id", None)
            if node_id and node_id.endswith("-region") and node_id[: -len("-region")] in REGIONS:
                return node_id[: -len("-region")]
            node = node.parent
        return None

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        """Track the current pane when focus moves (keys or mouse)."""
        region = self.region_of(event.widget)
        if region is not None:
            self._set_current(region)

    def _set_current(self, region: str) -> None:
        self.current_region = region
        if region != "timeline":
            self.grid_region = region
        for name in REGIONS:
            try:
                node = self.query_one(f"#{name}-region")
            except NoMatches:
                continue
            node.set_class(name == region, "-focused")
            if name != "timeline":
                node.set_class(name == self.grid_region, "-current")
        self.update_panebar()

    def focus_target(self, region: str) -> Widget | None:
        """The widget that takes focus for a region."""
        if region == "timeline":
            return self.timeline
        if region == "ranking":
            return self.ranking.grid
        if region == "qhas":
            return self.qhas_pane
        if region == "details":
            return self.details
        tabs = self.query_one("#dag-region", TabbedContent)
        active = tabs.active
        if active == "tab-dag":
            return self.dag
        pane = self.query_one(f"#{active}", TabPane)
        for child in pane.query("*"):
            if child.focusable:
                return child
        return self.dag

    def action_focus_region(self, region: str) -> None:
        """Show and focus a region (1-5)."""
        if not self.ready or self.screen.is_modal or isinstance(self.screen, LoadingScreen):
            return
        self._set_current(region)
        target = self.focus_target(region)
        if target is not None:
            self.call_after_refresh(target.focus)

    def _step_region(self, delta: int) -> None:
        if isinstance(self.screen, HelpScreen | LoadingScreen) or self.screen.is_modal:
            if delta > 0:
                self.screen.focus_next()
            else:
                self.screen.focus_previous()
            return
        if self.focused is not None and self.focused.id == "filter-input":
            return
        pos = REGIONS.index(self.current_region)
        self.action_focus_region(REGIONS[(pos + delta) % len(REGIONS)])

    def action_next_pane(self) -> None:
        """Tab: the next pane."""
        self._step_region(1)

    def action_prev_pane(self) -> None:
        """Shift+Tab: the previous pane."""
        self._step_region(-1)

    def action_cycle_tab(self, delta: int) -> None:
        """`[`/`]`: previous/next tab of the DAG region (Op DAG and extra panes)."""
        tabs = self.query_one("#dag-region", TabbedContent)
        ids = [pane.id for pane in tabs.query(TabPane) if pane.id]
        if not ids:
            return
        pos = ids.index(tabs.active) if tabs.active in ids else 0
        tabs.active = ids[(pos + delta) % len(ids)]
        self.action_focus_region("dag")

    def action_help(self) -> None:
        """`?`: the key reference."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    # ------------------------------------------------------------ ranking and DAG

    def action_cycle_level(self) -> None:
        """`r`: cycle the ranking level and re-select on the new grouping."""
        if not self.ready:
            return
        self.ranking.cycle_level()
        primary = self.selection[1]
        if primary is not None:
            self.selection = (OpSelection(), None)
            self.select_op(primary)

    def action_dag_level(self) -> None:
        """`l`: HTP node ↔ QNN op level in the DAG."""
        if self.ready:
            self.dag.toggle_level()

    def action_escape(self) -> None:
        """Esc: close the filter input, else back out of a drill-down, else clear the filter."""
        filt = self.query_one("#filter-input", Input)
        if filt.has_class("-visible"):
            self._pending_filter = None  # Esc cancels a filter still being computed too
            self._close_filter_input()
            return
        if self.ranking.back_out():
            return
        if self.filter_pattern is not None:
            self.apply_filter(None)

    # ------------------------------------------------------------ filter

    def action_filter(self) -> None:
        """`/`: open the filter input (in any text field, `/` is just text)."""
        if isinstance(self.focused, Input):  # the filter itself, the palette: part of what is typed
            # queue it behind the keys the input has not handled yet, so the text keeps its order
            self.focused.post_message(events.Key("slash", "/"))
            return
        if not self.ready:
            return
        inputs = self.screen.query("#filter-input")
        if not inputs:  # a modal screen (help) is on top
            return
        filt = inputs.first(Input)
        self._before_filter = self.focused
        filt.add_class("-visible")
        filt.value = self.filter_pattern or ""
        # focus now, not via call_later: keys typed right after `/` (fast typing, a paste) arrive in
        # the same read and must reach the input, not the pane that had focus
        self.screen.set_focus(filt)

    def _close_filter_input(self) -> None:
        filt = self.query_one("#filter-input", Input)
        filt.border_subtitle = ""
        if not filt.has_class("-visible"):
            return
        filt.remove_class("-visible")
        self._refocus_after_filter()

    def _refocus_after_filter(self) -> None:
        """Give focus back to the pane that had it before `/` (else the current region's)."""
        target = self._before_filter or self.focus_target(self.current_region)
        if target is not None and target is not self.focused:
            target.focus()

    @on(Input.Changed, "#filter-input")
    def _filter_typed(self, event: Input.Changed) -> None:
        """On a big trace, compute what the typed pattern needs once typing pauses, so Enter only
        installs cached figures (one frame) instead of waiting for the worker."""
        event.stop()
        if self._preview_timer is not None:
            self._preview_timer.stop()
            self._preview_timer = None
        pattern = event.value.strip()
        if not pattern or not self._filter_needs_worker(pattern):
            return  # small trace, half-typed regex (Enter reports it) or already computed
        level = self.ranking.level
        self._preview_timer = self.set_timer(
            FILTER_PREVIEW_DELAY_S, lambda: self._filter_preview(pattern, level)
        )

    def _filter_preview(self, pattern: str, level: str) -> None:
        self._preview_timer = None
        an = self.analysis
        if an is None:
            return
        if pattern not in self._previewed:
            self._previewed.append(pattern)
        # forget the oldest previews nobody applied (each holds a mask, a ranking and a coverage)
        while len(self._previewed) > FILTER_PREVIEWS_KEPT:
            old = self._previewed.pop(0)
            if old != self.filter_pattern and old != self._pending_filter:
                an.forget_pattern(old)
        self._filter_preview_worker(pattern, level)

    @work(thread=True, exclusive=True, exit_on_error=False, group="filter-preview")
    def _filter_preview_worker(self, pattern: str, level: str) -> None:
        """The filter worker's figures for a pattern still being typed; posts nothing (Enter finds
        them cached, or its own worker waits on the same figure's lock)."""
        me = get_current_worker()
        with contextlib.suppress(re.error):
            self._compute_filter(pattern, level, lambda: me.is_cancelled)  # a newer pattern

    def _compute_filter(
        self, pattern: str, level: str, cancelled: Callable[[], bool] = lambda: False
    ) -> None:
        """Every figure installing ``pattern`` reads, cached on the analysis (raises re.error);
        stops between figures once ``cancelled()``."""
        an = self.analysis
        assert an is not None
        steps = (lambda: an.filter_mask(pattern), lambda: an.ranking(level, Scope(pattern)),
                 lambda: an.coverage(pattern), lambda: an.ops_in_time_order(pattern))  # fmt: skip
        for step in steps:
            if cancelled():
                return
            step()

    @on(Input.Submitted, "#filter-input")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._preview_timer is not None:
            self._preview_timer.stop()
            self._preview_timer = None
        value = event.value.strip()
        if value and self._filter_needs_worker(value):
            # the input stays up (saying so) while the worker computes: closing it now would
            # repaint every pane it covered, competing with the worker, only to repaint again
            # when the figures land; FilterReady closes it and installs the filter in one frame
            filt = self.query_one("#filter-input", Input)
            filt.border_subtitle = "filtering… (Esc cancels)"
            # the pane gets its focus back now, while the worker runs (keys reach it): its focus
            # styles and repaint are done before the figures land, not in frames after them
            self._refocus_after_filter()
            self.apply_filter(value)
            return
        self._close_filter_input()
        self.apply_filter(value or None)

    def _filter_needs_worker(self, pattern: str) -> bool:
        """Whether applying ``pattern`` waits for the filter worker (a big trace, a valid regex,
        figures not computed yet)."""
        an = self.analysis
        if an is None or an.trace is None or len(an.trace) <= FILTER_WORKER_ABOVE_OPS:
            return False
        try:
            re.compile(pattern)
        except re.error:
            return False
        return not self._filter_cached(pattern)

    def apply_filter(self, pattern: str | None) -> None:
        """Rescope every pane to the ops matching ``pattern`` (None clears).

        On big traces the mask, the ranking at the current level and the filtered coverage are
        computed by a worker first; panes then only read cached figures.
        """
        an = self.analysis
        if an is None or an.trace is None:
            return
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                self.notify(f"bad regex /{pattern}/: {exc}", severity="error")
                return
            if len(an.trace) > FILTER_WORKER_ABOVE_OPS and not self._filter_cached(pattern):
                self._pending_filter = pattern
                self._filter_worker(pattern, self.ranking.level)
                return
        self._install_filter(pattern)

    def _filter_cached(self, pattern: str) -> bool:
        an = self.analysis
        assert an is not None
        return an.cached(("ranking", self.ranking.level, Scope(pattern))) and an.cached(
            ("coverage", pattern)
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="filter")
    def _filter_worker(self, pattern: str, level: str) -> None:
        """Compute a filter's mask, ranking, coverage and match order off the UI thread."""
        try:
            self._compute_filter(pattern, level)
        except re.error as exc:
            self.post_message(FilterReady(pattern, str(exc)))
            return
        self.post_message(FilterReady(pattern))

    def on_filter_ready(self, message: FilterReady) -> None:
        """The worker finished: apply the filter unless a newer one was asked for meanwhile."""
        if message.pattern != self._pending_filter:
            return
        self._pending_filter = None
        filt = self.query_one("#filter-input", Input)
        if self.focused is not filt:  # not reopened meanwhile: it closes in the filter's frame
            self._close_filter_input()
        if message.error is not None:
            self.notify(f"bad regex /{message.pattern}/: {message.error}", severity="error")
            return
        self._install_filter(message.pattern)
        # every pane's repaint and the input's layout handed to the screen now: one frame
        flush_refreshes(self.screen)

    def _install_filter(self, pattern: str | None) -> None:
        an = self.analysis
        assert an is not None
        self._pending_filter = None
        self.filter_pattern = pattern
        mask = self.filter_mask
        index = an.coverage(pattern) if pattern is not None and an.has_ops else None
        self.timeline.set_filter(mask, index=index)
        for pane_id, pane in self.linked_panes():
            try:
                pane.on_filter(pattern)
            except Exception as exc:  # noqa: BLE001 - a broken plug-in pane must not crash
                self.notify(f"{pane_id}: {type(exc).__name__}: {exc}", severity="error")
        self.update_header()
        if mask is not None:
            count = int(mask.sum())
            if count == 0:
                self.notify(f"no op matches /{pattern}/", severity="warning")
            else:
                self.notify(f"/{pattern}/ matches {fmt_int(count)} ops · n/N step · Esc clears")
                primary = self.selection[1]
                if primary is None or not mask[primary]:
                    self.action_next_match(1)

    def action_next_match(self, delta: int) -> None:
        """`n`/`N`: the next/previous op (in time order) matching the filter."""
        an = self.analysis
        if an is None or an.trace is None:
            return
        t = an.trace
        matches = an.ops_in_time_order(self.filter_pattern)
        if not matches.size:
            return
        primary = self.selection[1]
        if primary is None:
            nxt = matches[0] if delta > 0 else matches[-1]
        else:
            # matches are sorted by (ts, index): find the current op's place by that key
            ts = t.ts[matches]
            cur_ts = int(t.ts[primary])
            lo = int(np.searchsorted(ts, cur_ts, side="left"))
            hi = int(np.searchsorted(ts, cur_ts, side="right"))
            same = matches[lo:hi]
            if delta > 0:
                pos = lo + int(np.searchsorted(same, primary, side="right"))
            else:
                pos = lo + int(np.searchsorted(same, primary, side="left")) - 1
            nxt = matches[pos % matches.size]
        self.select_op(int(nxt))

    # ------------------------------------------------------------ palette helpers

    def op_names(self) -> list[tuple[str, str]]:
        """(kind, name) of every QNN op and HTP kernel, for the palette."""
        if self.opt is None or self.opt.trace is None:
            return []
        t = self.opt.trace
        out: list[tuple[str, str]] = []
        for kind, col in (("QNN op", t.qnn_op), ("HTP kernel", t.kernel)):
            for sid in np.unique(col):
                name = t.strings[int(sid)]
                if name:
                    out.append((kind, name))
        return out

    def go_to_op(self, kind: str, name: str) -> None:
        """Select every instance of a QNN op or kernel, centring on the one with most DPC."""
        if self.opt is None or self.opt.trace is None:
            return
        t = self.opt.trace
        col = t.qnn_op if kind == "QNN op" else t.kernel
        ids = [i for i, s in enumerate(t.strings.names) if s == name]
        ops = np.flatnonzero(np.isin(col, ids))
        if not ops.size:
            return
        primary = int(ops[np.argmax(t.dpc[ops])])
        self.select_ops(tuple(int(i) for i in ops), primary)

    # ------------------------------------------------------------ export and copy

    def focused_pane(self) -> tuple[str, Any]:
        """(name, widget) of the pane whose table `e` exports."""
        region = self.current_region
        if region == "dag":
            active = self.query_one("#dag-region", TabbedContent).active
            if active != "tab-dag":
                spec_id = active[len("tab-") :]
                widget = self._extra_widgets.get(spec_id)
                if widget is not None and hasattr(widget, "export_table"):
                    return spec_id, widget
            return "dag", self.dag
        if region == "qhas":
            return "qhas", self.qhas_pane
        if region == "details":
            return "details", self.details
        if region == "timeline":
            return "timeline", self.timeline
        return "ranking", self.ranking

    def export_dir(self) -> Path:
        """Where `e`/`E` write: ``--export-dir`` or ``$HTPTUI_EXPORT_DIR`` when that is a directory
        outside the trace directory, else the current directory unless it lies inside the trace
        directory (then the temp dir). Raises OSError when the current directory no longer exists.
        """
        from htptui.model.paths import inside_trace_dir

        chosen = self.export_dir_setting or os.environ.get(EXPORT_DIR_ENV) or None
        if chosen:
            d = Path(chosen).expanduser()
            if d.is_dir() and not inside_trace_dir(d / "export", [self.path]):
                return d.resolve()
            self.notify(
                f"{d}: not a directory outside the trace directory; exporting elsewhere",
                severity="warning",
            )
        cwd = Path.cwd()  # FileNotFoundError when the working directory was deleted
        if not cwd.is_dir():
            raise FileNotFoundError(2, "the working directory no longer exists")
        if self.opt is not None and inside_trace_dir(cwd / "export", [self.path]):
            import tempfile

            return Path(tempfile.gettempdir())
        return cwd

    def action_export(self, fmt: str = "csv") -> Path | None:
        """`e`/`E`: write what the focused pane shows, raw numbers with units, to CSV/JSON."""
        if not self.ready:
            return None

        name, pane = self.focused_pane()
        headers, rows = pane.export_table()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        try:
            base = self.export_dir() / f"htptui-export-{name}-{stamp}"
        except OSError:
            self.notify(
                "cannot export: the working directory no longer exists (cd elsewhere and retry)",
                severity="error",
                markup=False,
            )
            return None
        dest = base.with_suffix(f".{fmt}")
        n = 1
        while dest.exists():
            dest = Path(f"{base}-{n}.{fmt}")
            n += 1
        try:
            with dest.open("x", encoding="utf-8", newline="") as fh:
                if fmt == "csv":
                    writer = csv.writer(fh)
                    writer.writerow(headers)
                    writer.writerows(rows)
                else:
                    records = [dict(zip(headers, row, strict=False)) for row in rows]
                    json.dump({"pane": name, "source": self.opt.source if self.opt else "",
                               "columns": headers, "rows": records}, fh, indent=1,
                              default=str)  # fmt: skip
        except OSError as exc:
            self.notify(
                clean_text(f"cannot write {dest}: {exc.strerror or exc}"),
                severity="error",
                markup=False,
            )
            return None
        self.notify(clean_text(f"exported {len(rows)} rows of {name} to {dest}"), markup=False)
        return dest

    def action_copy(self) -> None:
        """`y`: copy the selection's details as text through OSC 52."""
        text = self.details.copy_text()
        if not text:
            self.notify("nothing selected", severity="warning")
            return
        self.copy_to_clipboard(text)
        self.notify(f"copied {text.count(chr(10)) + 1} lines (OSC 52)")
