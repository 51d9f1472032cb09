"""A virtual Line-API table: a fixed header over millions of rows, formatting only the visible ones.

Scrolling sideways (h/l, ←/→: one column per key) keeps the first column at x=0; the header scrolls
with the body.

The caller owns the data and its order: ``set_data(n_rows, cell, row_key)`` takes a row count and a
``cell(row, column_key) -> str`` callback, with row index = display order. Sorting is requested with
:class:`DataGrid.SortRequested`; the caller re-sorts and calls ``set_data`` again.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from htptui.present.format import cell_width, elide_middle, elide_names
from htptui.tui.widgets._cached_lines import CachedLinesMixin

SEPARATOR = " "


@dataclass(frozen=True, slots=True)
class Column:
    """One column: key passed to the cell callback, header label, width in cells, alignment.

    ``elide`` says how a too-long cell is shortened: ``"middle"`` keeps head and tail (a name:
    ``model.layers.17…q_proj.3``), ``"end"`` keeps the head; ``"auto"`` is middle for a
    left-aligned column and end for the others.
    """

    key: str
    label: str
    width: int
    align: str = "right"  # "left" | "right" | "center"
    sortable: bool = True
    elide: str = "auto"  # "auto" | "middle" | "end"

    @property
    def middle(self) -> bool:
        """Whether a too-long cell loses its middle (a name) rather than its end."""
        return self.elide == "middle" or (self.elide == "auto" and self.align == "left")


ELIDE_BLOCK, ELIDE_MARGIN = 512, 128


def _fit(text: str, width: int, align: str, middle: bool | None = None) -> str:
    """Pad or shorten ``text`` to exactly ``width`` terminal cells.

    A name (``middle``; default: a left-aligned cell) is shortened in the middle so its
    distinguishing tail stays (``model.layers.17…q_proj.3``); other cells keep their head. Wide
    characters count as two cells.
    """
    w = cell_width(text)
    if w > width:
        if middle is None:
            middle = align == "left"
        text = elide_middle(text, width) if middle else elide_middle(text, width, 0.0)
        w = cell_width(text)
    pad = max(width - w, 0)
    if align == "left":
        return text + " " * pad
    if align == "center":
        return " " * (pad // 2) + text + " " * (pad - pad // 2)
    return " " * pad + text


class DataGrid(CachedLinesMixin, ScrollView, can_focus=True):
    """Virtual table with a fixed header, a row cursor, sort requests and row style hooks."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "datagrid--header",
        "datagrid--header-sorted",
        "datagrid--cursor",
        "datagrid--even",
        "datagrid--dim",
        "datagrid--match",
        "datagrid--empty",
    }

    DEFAULT_CSS = """
    DataGrid {
        height: 1fr;
        background: $surface;
        color: $foreground;
        & > .datagrid--header { color: $text; background: $panel; text-style: bold; }
        & > .datagrid--header-sorted { color: $text-accent; background: $panel; text-style: bold underline; }
        & > .datagrid--cursor { color: $text; background: $primary-muted; }
        &:focus > .datagrid--cursor { color: $text; background: $primary; text-style: bold; }
        & > .datagrid--even { background: $boost; }
        & > .datagrid--dim { color: $text-disabled; }
        & > .datagrid--match { color: $text-warning; text-style: bold; }
        & > .datagrid--empty { color: $text-muted; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "cursor_down", "Down", show=False, id="grid.down", tooltip="Next row"),
        Binding("j", "cursor_down", "Down", show=False, id="grid.down_vim", tooltip="Next row"),
        Binding("up", "cursor_up", "Up", show=False, id="grid.up", tooltip="Previous row"),
        Binding("k", "cursor_up", "Up", show=False, id="grid.up_vim", tooltip="Previous row"),
        Binding("g", "cursor_top", "Top", show=False, id="grid.top", tooltip="First row"),
        Binding("home", "cursor_top", "Top", show=False, id="grid.top_alt", tooltip="First row"),
        Binding("G", "cursor_bottom", "Bottom", show=False, id="grid.bottom", tooltip="Last row"),
        Binding(
            "end", "cursor_bottom", "Bottom", show=False, id="grid.bottom_alt", tooltip="Last row"
        ),
        Binding(
            "pagedown",
            "page_down",
            "Page down",
            show=False,
            id="grid.page_down",
            tooltip="One page down",
        ),
        Binding(
            "space",
            "page_down",
            "Page down",
            show=False,
            id="grid.page_down_alt",
            tooltip="One page down",
        ),
        Binding(
            "pageup", "page_up", "Page up", show=False, id="grid.page_up", tooltip="One page up"
        ),
        Binding(
            "b", "page_up", "Page up", show=False, id="grid.page_up_alt", tooltip="One page up"
        ),
        Binding(
            "left",
            "scroll_columns(-1)",
            "Left",
            show=False,
            id="grid.left",
            tooltip="Scroll columns left",
        ),
        Binding(
            "h",
            "scroll_columns(-1)",
            "Left",
            show=False,
            id="grid.left_vim",
            tooltip="Scroll columns left",
        ),
        Binding(
            "right",
            "scroll_columns(1)",
            "Right",
            show=False,
            id="grid.right",
            tooltip="Scroll columns right",
        ),
        Binding(
            "l",
            "scroll_columns(1)",
            "Right",
            show=False,
            id="grid.right_vim",
            tooltip="Scroll columns right",
        ),
        Binding(
            "enter",
            "select_row",
            "Select",
            id="grid.select",
            tooltip="Select the row under the cursor",
        ),
        Binding(
            "s", "cycle_sort", "Sort", id="grid.sort", tooltip="Sort by the next sortable column"
        ),
        Binding(
            "S", "reverse_sort", "Reverse", id="grid.reverse", tooltip="Reverse the sort order"
        ),
    ]

    class RowHighlighted(Message):
        """The cursor moved to ``row``."""

        def __init__(self, grid: DataGrid, row: int) -> None:
            self.grid = grid
            self.row = row
            super().__init__()

        @property
        def control(self) -> DataGrid:
            """The grid that posted this message."""
            return self.grid

        def can_replace(self, message: Message) -> bool:
            """Coalesce a flood of cursor moves from one grid."""
            return isinstance(message, DataGrid.RowHighlighted) and message.grid is self.grid

    class RowSelected(Message):
        """The user chose ``row`` (enter or a click on the cursor row)."""

        def __init__(self, grid: DataGrid, row: int) -> None:
            self.grid = grid
            self.row = row
            super().__init__()

        @property
        def control(self) -> DataGrid:
            """The grid that posted this message."""
            return self.grid

    class SortRequested(Message):
        """Ask the owner to re-sort by ``column_key`` and call ``set_data`` again."""

        def __init__(self, grid: DataGrid, column_key: str, descending: bool) -> None:
            self.grid = grid
            self.column_key = column_key
            self.descending = descending
            super().__init__()

        @property
        def control(self) -> DataGrid:
            """The grid that posted this message."""
            return self.grid

    def __init__(
        self,
        *,
        empty_text: str = "no rows",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns: list[Column] = []
        self.n_rows = 0
        self.cell: Callable[[int, str], str] = lambda row, key: ""
        self.row_key: Callable[[int], Hashable] | None = None
        self.row_style: Callable[[int], str | None] | None = None
        # set by an owner that links panes: called with the new row instead of posting
        # RowHighlighted, so what it repaints lands in the same frame as the cursor
        self.on_highlight: Callable[[int], None] | None = None
        # set by an owner that names the hidden columns (a title hint): called after a sideways
        # scroll or a resize
        self.on_columns_shown: Callable[[], None] | None = None
        self.cursor_row = 0
        self.sort_key: str | None = None
        self.sort_descending = True
        self.empty_text = empty_text
        self._data_gen = 0
        self._elided: dict[tuple[str, int], tuple[int, list[str]]] = {}
        self._init_line_cache(1024)
        self._total_width = 0

    # ------------------------------------------------------------------ data in

    def set_columns(self, columns: list[Column]) -> None:
        """Define the columns (clears nothing else; rows are re-drawn)."""
        self.columns = list(columns)
        self._total_width = sum(c.width for c in self.columns) + len(SEPARATOR) * max(
            len(self.columns) - 1, 0
        )
        self._invalidate()

    def set_data(
        self,
        n_rows: int,
        cell: Callable[[int, str], str],
        row_key: Callable[[int], Hashable] | None = None,
    ) -> None:
        """Show ``n_rows`` rows whose text comes from ``cell(row, column_key)`` in display order."""
        old_key = self.row_key(self.cursor_row) if self.row_key and self.n_rows else None
        self.n_rows = max(int(n_rows), 0)
        self.cell = cell
        self.row_key = row_key
        self._invalidate()
        target = 0
        if old_key is not None and row_key is not None and self.n_rows < 200_000:
            target = next((r for r in range(self.n_rows) if row_key(r) == old_key), 0)
        self.cursor_row = min(target, max(self.n_rows - 1, 0))
        self._scroll_cursor_into_view(animate=False)

    def set_sort(self, column_key: str | None, descending: bool = True) -> None:
        """Show which column the data is sorted by (the header marks it)."""
        self.sort_key = column_key
        self.sort_descending = descending
        self._invalidate()

    def set_row_style(self, row_style: Callable[[int], str | None] | None) -> None:
        """Install a hook returning ``"-dim"``, ``"-match"`` or None per row."""
        self.row_style = row_style
        self._invalidate()

    def refresh_rows(self) -> None:
        """Redraw every row (after the data behind ``cell`` or ``row_style`` changed in place)."""
        self._invalidate()

    def _invalidate(self) -> None:
        """Drop cached rows and recompute the scrollable size."""
        self._data_gen += 1
        self._cache.clear()
        self._elided.clear()
        self.virtual_size = Size(self._total_width, self.n_rows + 1)
        self.refresh()

    # ------------------------------------------------------------------ cursor

    @property
    def page_rows(self) -> int:
        """Rows visible under the header."""
        return max(self.scrollable_content_region.height - 1, 1)

    def move_cursor(self, row: int, scroll: bool = True) -> None:
        """Move the cursor to ``row`` (clamped), scroll it into view and announce the row: by calling
        ``on_highlight`` when the owner set one, else by posting RowHighlighted."""
        if self.n_rows == 0:
            return
        row = min(max(int(row), 0), self.n_rows - 1)
        changed = row != self.cursor_row
        self.cursor_row = row
        if scroll:
            self._scroll_cursor_into_view(animate=False)
        self.refresh()
        if changed:
            if self.on_highlight is not None:
                self.on_highlight(row)  # in this call: its repaints share the cursor's frame
            else:
                self.post_message(self.RowHighlighted(self, row))

    def _scroll_cursor_into_view(self, animate: bool = False) -> None:
        """Scroll vertically so the cursor row sits between the header and the bottom."""
        top = int(self.scroll_y)
        page = self.page_rows
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=animate, immediate=True)
        elif self.cursor_row >= top + page:
            self.scroll_to(y=self.cursor_row - page + 1, animate=animate, immediate=True)

    def action_cursor_down(self) -> None:
        """Next row."""
        self.move_cursor(self.cursor_row + 1)

    def action_cursor_up(self) -> None:
        """Previous row."""
        self.move_cursor(self.cursor_row - 1)

    def action_cursor_top(self) -> None:
        """First row."""
        self.move_cursor(0)

    def action_cursor_bottom(self) -> None:
        """Last row."""
        self.move_cursor(self.n_rows - 1)

    def action_page_down(self) -> None:
        """One page down."""
        self.move_cursor(self.cursor_row + self.page_rows)

    def action_page_up(self) -> None:
        """One page up."""
        self.move_cursor(self.cursor_row - self.page_rows)

    @property
    def frozen_width(self) -> int:
        """Cells of the fixed first column and its separator (0 when it does not fit beside others)."""
        if len(self.columns) < 2:
            return 0
        frozen = self.columns[0].width + len(SEPARATOR)
        return frozen if frozen < self.scrollable_content_region.width else 0

    def columns_out_of_view(self) -> tuple[int, int]:
        """(left, right): how many columns lie wholly or partly outside the view on each side
        (the fixed first column never counts); (0, 0) before the grid has a size."""
        width = self.scrollable_content_region.width
        if width <= 0 or not self.columns:
            return 0, 0
        x = int(self.scroll_x)
        frozen = self.frozen_width
        lo, hi = x + frozen, x + width  # the full-row cells on show right of the fixed column
        left = right = edge = 0
        for i, col in enumerate(self.columns):
            start, end = edge, edge + col.width
            edge = end + len(SEPARATOR)
            if i == 0 and frozen:
                continue
            if end > hi:
                right += 1
            elif start < lo:
                left += 1
        return left, right

    def watch_scroll_x(self, old_value: float, new_value: float) -> None:
        """Repaint, and tell the owner when the columns on show change."""
        super().watch_scroll_x(old_value, new_value)
        if round(old_value) != round(new_value) and self.on_columns_shown is not None:
            self.on_columns_shown()

    def on_resize(self) -> None:
        """A new width shows other columns: tell the owner."""
        if self.on_columns_shown is not None:
            self.on_columns_shown()

    def column_stops(self) -> list[int]:
        """``scroll_x`` values that put a scrolling column's left edge right after the fixed one."""
        stops = [0]
        for col in self.columns[1:-1] if self.frozen_width else self.columns[:-1]:
            stops.append(stops[-1] + col.width + len(SEPARATOR))
        return stops

    def action_scroll_columns(self, direction: int) -> None:
        """Scroll horizontally by one column; the first column stays put."""
        x = int(self.scroll_x)
        limit = int(self.max_scroll_x)
        stops = [s for s in self.column_stops() if s < limit] + [limit]
        if direction > 0:
            target = next((s for s in stops if s > x), x)
        else:
            target = next((s for s in reversed(stops) if s < x), 0)
        self.scroll_to(x=target, animate=False, immediate=True)

    def action_select_row(self) -> None:
        """Post RowSelected for the cursor row."""
        if self.n_rows:
            self.post_message(self.RowSelected(self, self.cursor_row))

    def action_cycle_sort(self) -> None:
        """Request a sort by the next sortable column (descending first)."""
        keys = [c.key for c in self.columns if c.sortable]
        if not keys:
            return
        pos = keys.index(self.sort_key) + 1 if self.sort_key in keys else 0
        self.set_sort(keys[pos % len(keys)], True)
        assert self.sort_key is not None
        self.post_message(self.SortRequested(self, self.sort_key, self.sort_descending))

    def action_reverse_sort(self) -> None:
        """Request the current sort in the opposite direction."""
        if self.sort_key is None:
            keys = [c.key for c in self.columns if c.sortable]
            if not keys:
                return
            self.sort_key = keys[0]
        self.set_sort(self.sort_key, not self.sort_descending)
        assert self.sort_key is not None
        self.post_message(self.SortRequested(self, self.sort_key, self.sort_descending))

    def on_click(self, event: events.Click) -> None:
        """Move the cursor to the clicked row; a click on the cursor row selects it."""
        if event.y < 1 or self.n_rows == 0:
            return
        row = int(self.scroll_y) + event.y - 1
        if row >= self.n_rows:
            return
        if row == self.cursor_row:
            self.action_select_row()
        else:
            self.move_cursor(row)

    # ------------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        """Draw the header (y = 0) or one data row, cropped to the horizontal scroll (first column fixed)."""
        width = self.scrollable_content_region.width
        scroll_x = int(self.scroll_x)
        if y == 0:
            full = self._header_strip()
        else:
            row = int(self.scroll_y) + y - 1
            if row >= self.n_rows:
                if self.n_rows == 0 and y == 1:
                    text = _fit(self.empty_text, width, "left")
                    return Strip([Segment(text, self._style("datagrid--empty"))], width)
                return Strip.blank(width, self._base_style())
            full = self._row_strip(row)
        return self._scrolled(full, scroll_x, width)

    def _scrolled(self, full: Strip, scroll_x: int, width: int) -> Strip:
        """``full`` cropped to the view: the first column fixed at x=0, the others shifted by scroll_x."""
        frozen = self.frozen_width
        base = self._base_style()
        if not frozen or not scroll_x:
            return full.crop_extend(scroll_x, scroll_x + width, base)
        head = full.crop_extend(0, frozen, base)
        tail = full.crop_extend(frozen + scroll_x, scroll_x + width, base)
        return Strip.join([head, tail])

    def _header_strip(self) -> Strip:
        """The header row, with an arrow on the sorted column."""
        key = ("header", self._data_gen, self._style_gen)
        strip = self._cache.get(key)
        if strip is None:
            segments: list[Segment] = []
            plain = self._style("datagrid--header")
            sorted_style = self._style("datagrid--header-sorted")
            for i, col in enumerate(self.columns):
                label = col.label
                style = plain
                if col.key == self.sort_key:
                    label = f"{label}{'▼' if self.sort_descending else '▲'}"
                    style = sorted_style
                if i:
                    segments.append(Segment(SEPARATOR, plain))
                segments.append(Segment(_fit(label, col.width, col.align, col.middle), style))
            strip = Strip(segments, self._total_width)
            self._cache[key] = strip
        return strip

    def _row_strip(self, row: int) -> Strip:
        """One data row, formatted on demand and cached."""
        is_cursor = row == self.cursor_row
        key = (row, is_cursor, self._data_gen, self._style_gen)
        strip = self._cache.get(key)
        if strip is None:
            base = self._base_style()
            if row % 2:
                base = base + self._style("datagrid--even")
            hook = self.row_style(row) if self.row_style is not None else None
            if hook == "-dim":
                base = base + self._style("datagrid--dim")
            elif hook == "-match":
                base = base + self._style("datagrid--match")
            if is_cursor:
                base = base + self._style("datagrid--cursor")
            cell = self.cell
            text = SEPARATOR.join(
                _fit(
                    self._name_cell(c, row) if c.middle else cell(row, c.key),
                    c.width,
                    c.align,
                    c.middle,
                )
                for c in self.columns
            )
            strip = Strip([Segment(text, base)], self._total_width)
            self._cache[key] = strip
        return strip

    def _name_cell(self, col: Column, row: int) -> str:
        """A middle-elided cell, shortened together with its neighbours (``elide_names``) so two
        names that differ (``layers.0…`` / ``layers.1…``) never read the same on one screen.

        Rows are shortened in blocks of ``ELIDE_BLOCK`` with ``ELIDE_MARGIN`` rows of context each
        side, so any two rows closer than the margin are told apart; only the blocks drawn are
        ever computed.
        """
        text = self.cell(row, col.key)
        if cell_width(text) <= col.width:
            return text
        block = row // ELIDE_BLOCK
        got = self._elided.get((col.key, block))
        if got is None:
            lo = max(block * ELIDE_BLOCK - ELIDE_MARGIN, 0)
            hi = min((block + 1) * ELIDE_BLOCK + ELIDE_MARGIN, self.n_rows)
            got = (lo, elide_names([self.cell(r, col.key) for r in range(lo, hi)], col.width))
            self._elided[(col.key, block)] = got
        lo, short = got
        return short[row - lo]


class TextGrid(DataGrid):
    """A DataGrid over a small table held in memory: rows of text, each with an optional key.

    For the tables that are built whole (QHAS tables, compare mode): ``set_rows`` takes the
    columns and the rows' cells in column order; the cursor stays on the row with the same key.
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rows: list[tuple[str, ...]] = []
        self.keys: list[Hashable] = []
        self._row_styles: list[str | None] = []

    def set_rows(
        self,
        columns: list[Column],
        rows: list[list[str]] | list[tuple[str, ...]],
        keys: list[Hashable] | None = None,
        styles: list[str | None] | None = None,
    ) -> None:
        """Show ``rows`` (cells in ``columns`` order); ``styles`` per row: ``"-dim"``, ``"-match"``."""
        if columns != self.columns:
            self.set_columns(columns)
        self.rows = cells = [tuple(r) for r in rows]
        self.keys = row_keys = list(keys) if keys is not None else []
        self._row_styles = row_styles = list(styles) if styles is not None else []
        index = {c.key: i for i, c in enumerate(columns)}

        def cell(row: int, key: str) -> str:
            i = index.get(key)
            return cells[row][i] if i is not None and i < len(cells[row]) else ""

        def key_of(row: int) -> Hashable:  # a closure: set_data asks the old one for the old key
            return row_keys[row] if row < len(row_keys) else None

        def style_of(row: int) -> str | None:
            return row_styles[row] if row < len(row_styles) else None

        self.row_style = style_of if row_styles else None
        self.set_data(len(cells), cell, key_of if row_keys else None)

    @property
    def row_count(self) -> int:
        """Rows in the table."""
        return self.n_rows

    def key_at(self, row: int) -> Hashable:
        """The key of ``row`` (None without keys or off the table)."""
        return self.keys[row] if 0 <= row < len(self.keys) else None

    @property
    def cursor_key(self) -> Hashable:
        """The key of the row under the cursor."""
        return self.key_at(self.cursor_row)
