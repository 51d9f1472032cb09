"""A virtual Line-API list: a cursor over any number of rows, formatting only the visible page.

The owner supplies a :class:`RowSource`: a row count, which rows the cursor may rest on, and
``render(start, stop, width)`` giving each visible row as ``(text, style)`` parts, where style is
one of :data:`STYLES` (a component class of this widget) or ``""``. A page is formatted in one
call, so the owner can shorten the names of the rows on screen together (``elide_names``) and
``rows_built`` counts every row ever formatted (tests assert a key costs at most one screen).
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from htptui.present.format import cell_width, elide_middle
from htptui.tui.widgets._cached_lines import CachedLinesMixin, set_virtual_size

Part = tuple[str, str]
STYLES = ("head", "centre", "match", "dim", "tensor", "heat", "empty", "arrow")


class RowSource(Protocol):
    """What a :class:`NodeList` shows."""

    def count(self) -> int:
        """Number of rows."""
        ...

    def selectable(self, row: int) -> bool:
        """Whether the cursor may rest on ``row``."""
        ...

    def render(self, start: int, stop: int, width: int) -> list[list[Part]]:
        """Rows ``start..stop-1`` as (text, style) parts, each row at most ``width`` cells."""
        ...


class NodeList(CachedLinesMixin, ScrollView, can_focus=False):
    """A cursor over a :class:`RowSource`'s rows, drawing only the rows on screen."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"nodelist--{s}" for s in STYLES} | {
        "nodelist--cursor"
    }
    DEFAULT_CSS = """
    NodeList {
        height: 1fr;
        background: $surface;
        color: $foreground;
        & > .nodelist--head { color: $text-accent; text-style: bold; }
        & > .nodelist--centre { text-style: bold; }
        & > .nodelist--match { color: $text-warning; text-style: bold; }
        & > .nodelist--dim { color: $text-disabled; }
        & > .nodelist--tensor { color: $text-muted; }
        & > .nodelist--heat { color: $text-primary; }
        & > .nodelist--empty { color: $text-muted; }
        & > .nodelist--arrow { color: $text-secondary; }
        & > .nodelist--cursor { background: $primary-muted; }
    }
    """

    class Clicked(Message):
        """The user clicked ``row`` (the cursor moved there already)."""

        def __init__(self, row: int) -> None:
            super().__init__()
            self.row = row

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.source: RowSource | None = None
        self.n_rows = 0
        self.cursor = 0
        self.empty_text = ""
        self.rows_built = 0  # rows ever formatted (the work-counting tests read it)
        self._gen = 0
        self._init_line_cache(64)

    # ------------------------------------------------------------------ data in

    def set_source(self, source: RowSource | None, cursor: int = 0, empty_text: str = "") -> None:
        """Show ``source``'s rows with the cursor on ``cursor`` (moved to a selectable row)."""
        self.source = source
        self.n_rows = source.count() if source is not None else 0
        self.empty_text = empty_text
        self._gen += 1
        self._cache.clear()
        set_virtual_size(self, Size(0, max(self.n_rows, 1)))  # no layout pass for a new list
        self.cursor = self._selectable_from(min(max(cursor, 0), max(self.n_rows - 1, 0)), 1)
        self.scroll_to_cursor(centre=True)
        # before the first layout (or a resize) the height is not known yet: centre again after it
        self.call_after_refresh(self.scroll_to_cursor, True)
        self.refresh()

    def redraw(self) -> None:
        """Format the visible rows again (their data changed: filter, search matches)."""
        self._gen += 1
        self._cache.clear()
        self.refresh()

    # ------------------------------------------------------------------ cursor

    @property
    def page_rows(self) -> int:
        """Rows on screen."""
        return max(self.scrollable_content_region.height, 1)

    def _selectable_from(self, row: int, step: int) -> int:
        """The nearest selectable row from ``row`` towards ``step`` (then the other way)."""
        src = self.source
        if src is None or not self.n_rows:
            return 0
        for direction in (step, -step):
            r = row
            while 0 <= r < self.n_rows:
                if src.selectable(r):
                    return r
                r += direction
        return min(max(row, 0), self.n_rows - 1)

    def move_cursor(self, row: int, step: int = 1, centre: bool = False) -> None:
        """Put the cursor on ``row`` (clamped; tensor lines skipped towards ``step``), in view
        (in the middle of the screen when ``centre`` and it was off screen: a jump)."""
        if not self.n_rows:
            return
        row = min(max(int(row), 0), self.n_rows - 1)
        self.cursor = self._selectable_from(row, 1 if step >= 0 else -1)
        self.scroll_to_cursor(centre=centre)
        self.refresh()

    def step(self, delta: int) -> None:
        """Move by ``delta`` selectable rows (a page when |delta| is the page height)."""
        if not self.n_rows or self.source is None:
            return
        direction = 1 if delta > 0 else -1
        if abs(delta) > 1:
            self.move_cursor(self.cursor + delta, direction)
            return
        r = self.cursor + direction
        while 0 <= r < self.n_rows and not self.source.selectable(r):
            r += direction
        if 0 <= r < self.n_rows:
            self.move_cursor(r, direction)

    def scroll_to_cursor(self, centre: bool = False) -> None:
        """Scroll so the cursor row is visible (in the middle when ``centre``)."""
        top = int(self.scroll_y)
        page = self.page_rows
        if centre and not top <= self.cursor < top + page:
            self.scroll_to(
                y=max(self.cursor - page // 2, 0), animate=False, immediate=True, force=True
            )
        elif self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True, force=True)
        elif self.cursor >= top + page:
            self.scroll_to(y=self.cursor - page + 1, animate=False, immediate=True, force=True)

    def on_resize(self, event: events.Resize) -> None:
        """Keep the cursor on screen when the list changes size."""
        self.scroll_to_cursor(centre=True)

    def on_click(self, event: events.Click) -> None:
        """Move the cursor to the clicked row and tell the owner."""
        row = int(self.scroll_y) + event.y
        if 0 <= row < self.n_rows and self.source is not None and self.source.selectable(row):
            self.move_cursor(row)
            self.post_message(self.Clicked(row))

    # ------------------------------------------------------------------ drawing

    def _page(self, top: int, height: int, width: int) -> list[Strip]:
        """The strips of rows ``top..top+height-1``, formatted together and cached."""
        key = (top, height, width, self._gen, self._style_gen)
        page = self._cache.get(key)
        if page is None:
            assert self.source is not None
            stop = min(top + height, self.n_rows)
            rows = self.source.render(top, stop, width) if stop > top else []
            self.rows_built += len(rows)
            base = self._base_style()
            page = [self._strip(parts, width, base) for parts in rows]
            self._cache[key] = page  # type: ignore[assignment]
        return page  # type: ignore[return-value]

    def _strip(self, parts: list[Part], width: int, base: Style) -> Strip:
        segments = []
        used = 0
        for text, style in parts:
            if used >= width:
                break
            w = cell_width(text)
            if used + w > width:
                text = elide_middle(text, width - used)
                w = cell_width(text)
            segments.append(
                Segment(text, base + self._style(f"nodelist--{style}") if style else base)
            )
            used += w
        return Strip(segments, used).extend_cell_length(width, base)

    def render_line(self, y: int) -> Strip:
        """One visible row (the cursor row highlighted), or the empty text."""
        width = self.scrollable_content_region.width
        base = self._base_style()
        if not self.n_rows or self.source is None:
            if y == 0 and self.empty_text:
                text = elide_middle(self.empty_text, width)
                return Strip(
                    [Segment(text, base + self._style("nodelist--empty"))]
                ).extend_cell_length(width, base)
            return Strip.blank(width, base)
        top = int(self.scroll_y)
        row = top + y
        if row >= self.n_rows:
            return Strip.blank(width, base)
        page = self._page(top, self.page_rows, width)
        strip = page[y] if y < len(page) else Strip.blank(width, base)
        if row == self.cursor:
            cursor = self._style("nodelist--cursor")
            strip = Strip(Segment.apply_style(list(strip), post_style=cursor), strip.cell_length)
        return strip
