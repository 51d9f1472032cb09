"""The graph picker: choose one graph of a directory holding several (keyboard first).

Shown before loading when ``htptui DIR`` finds several graphs and no ``--graph``, and again on
``o`` (or the palette's "switch graph…") to switch.  Listing a graph reads nothing but its file
sizes; the X-event counts come from a background scan of each op trace (bytes only, no parsing),
so the other graphs' files are never decoded.
"""

from __future__ import annotations

import contextlib
import gzip
import re
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static
from textual.widgets.data_table import CellDoesNotExist
from textual.worker import get_current_worker

from htptui.model._io import clean_text
from htptui.model.discover import KINDS, human_bytes

if TYPE_CHECKING:
    from htptui.model.discover import Graph
    from htptui.tui.app import HtpApp

_X_EVENT = re.compile(rb'"ph"\s*:\s*"X"')
_CHUNK = 8 << 20


def count_x_events(path: Path, cancelled: object = None) -> int | None:
    """Count ``"ph": "X"`` occurrences in an op trace (None when it cannot be read or is cancelled).

    Scans bytes in chunks (a small overlap keeps matches across chunk borders); ``.gz`` is
    decompressed on the fly.  Each executed op appears twice (spec §1.3), tensors once.
    """
    opener = gzip.open if path.name.endswith(".gz") else open
    total = 0
    tail = b""
    try:
        with opener(path, "rb") as fh:
            while True:
                if cancelled is not None and getattr(cancelled, "is_cancelled", False):
                    return None
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                buf = tail + chunk
                cut = max(0, len(buf) - 16)
                total += len(_X_EVENT.findall(buf, 0, cut))
                tail = buf[cut:]
        total += len(_X_EVENT.findall(tail))
    except (OSError, EOFError, gzip.BadGzipFile):
        return None
    return total


class GraphPickerScreen(ModalScreen[str | None]):
    """A table of the directory's graphs; Enter picks one, Esc closes (or quits at startup)."""

    DEFAULT_CSS = """
    GraphPickerScreen { align: center middle; }
    GraphPickerScreen > #picker-box {
        width: 90%; max-width: 140; height: auto; max-height: 80%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    GraphPickerScreen #picker-title { text-style: bold; padding-bottom: 1; }
    GraphPickerScreen #picker-table { height: auto; max-height: 30; }
    GraphPickerScreen #picker-hint { color: $text-muted; padding-top: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "pick", "Open graph", id="picker.pick", tooltip="Open the selected graph"),
        Binding("escape", "close", "Close", id="picker.close", tooltip="Close the picker"),
        Binding("q", "app.quit", "Quit", id="picker.quit", tooltip="Quit htptui"),
    ]

    def __init__(self, graphs: list[Graph], source: str, current: str | None = None) -> None:
        super().__init__()
        self.graphs = list(graphs)
        self.source = source
        self.current = current
        self.counts: dict[str, int | None] = {}

    def compose(self) -> ComposeResult:
        """Title, the table of graphs, and the key hint."""
        with Vertical(id="picker-box"):
            yield Static(id="picker-title", markup=False)
            yield DataTable(id="picker-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="picker-hint", markup=False)

    def on_mount(self) -> None:
        """Fill the table, put the cursor on the current graph and start counting events."""
        title = clean_text(f"{len(self.graphs)} graphs in {self.source}: choose one")
        self.query_one("#picker-title", Static).update(title)
        esc = "Esc closes" if self.current is not None else "Esc quits"
        self.query_one("#picker-hint", Static).update(
            f"↑/↓ move · Enter opens · {esc} · q quits"
            + (f" · current: {clean_text(self.current)}" if self.current else "")
        )
        table = self.query_one("#picker-table", DataTable)
        table.add_column("graph", key="graph")
        table.add_column("op trace", key="trace")
        table.add_column("trace size", key="size")
        table.add_column("X events", key="events")
        table.add_column("all files", key="total")
        table.add_column("other artifacts", key="others")
        for g in self.graphs:
            trace = g.artifacts.op_trace
            others = [k for k in KINDS if k != "op_trace" and g.artifacts.get(k) is not None]
            # file names are data: plain Text (never markup), control characters made visible
            table.add_row(
                Text(clean_text(g.name)),
                Text(clean_text(trace.name) if trace is not None else "— (no op trace)"),
                human_bytes(g.trace_bytes()),
                "counting…" if trace is not None else "—",
                human_bytes(g.size_bytes()),
                ", ".join(others) or "none",
                key=g.name,
            )
        if self.current is not None:
            names = [g.name for g in self.graphs]
            if self.current in names:
                table.move_cursor(row=names.index(self.current))
        table.focus()
        self.count_events()

    @work(thread=True, exclusive=True, exit_on_error=False, group="graph-picker")
    def count_events(self) -> None:
        """Count each op trace's X events off the UI thread (bytes only; never decodes JSON)."""
        worker = get_current_worker()
        for g in self.graphs:
            trace = g.artifacts.op_trace
            if trace is None:
                continue
            n = count_x_events(trace, worker)
            if worker.is_cancelled:
                return
            self.app.call_from_thread(self._set_count, g.name, n)

    def _set_count(self, name: str, n: int | None) -> None:
        self.counts[name] = n
        text = "?" if n is None else f"{n:,}"
        with contextlib.suppress(NoMatches, CellDoesNotExist):  # the screen may be closing
            self.query_one("#picker-table", DataTable).update_cell(name, "events", text)

    def selected(self) -> str | None:
        """Name of the graph under the cursor."""
        table = self.query_one("#picker-table", DataTable)
        if not self.graphs:
            return None
        return self.graphs[max(0, min(table.cursor_row, len(self.graphs) - 1))].name

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter (or a click) on a row picks that graph."""
        event.stop()
        self.action_pick()

    def action_pick(self) -> None:
        """Dismiss with the graph under the cursor."""
        self.dismiss(self.selected())

    def action_close(self) -> None:
        """Dismiss without a choice."""
        self.dismiss(None)


# --- hooks used by the explorer app (kept here so app.py only calls them) ----------------------


def graph_by_name(graphs: list[Graph], name: str) -> Graph | None:
    """The graph called ``name`` (None when absent)."""
    return next((g for g in graphs if g.name == name), None)


def pick_at_start(app: HtpApp) -> bool:
    """Push the picker instead of loading when the input holds several graphs and none was chosen.

    Returns True when the picker was shown (the app then loads the chosen graph, or quits on Esc).
    """
    if app.artifacts is not None or len(app.graphs) < 2:
        return False

    def picked(name: str | None) -> None:
        graph = graph_by_name(app.graphs, name) if name else None
        if graph is None:
            app.exit(0)
            return
        app.artifacts = graph.artifacts
        app.current_graph = graph.name
        app.sub_title = graph.name
        app.start_loading()

    app.push_screen(GraphPickerScreen(app.graphs, app.path), picked)
    return True


def open_switcher(app: HtpApp) -> None:
    """``o``: show the picker; choosing another graph exits with ``app.switch_graph`` set.

    The caller (commands/open.py) then opens that graph in a fresh explorer, reading only its files.
    """
    if len(app.graphs) < 2:
        app.notify("this input holds a single graph", title="switch graph")
        return

    def picked(name: str | None) -> None:
        if not name or name == app.current_graph:
            return
        app.switch_graph = name
        app.exit(0)

    app.push_screen(GraphPickerScreen(app.graphs, app.path, current=app.current_graph), picked)
