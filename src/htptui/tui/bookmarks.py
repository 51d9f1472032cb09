"""The bookmarks list (`'`): every bookmarked op and window of this trace; Enter jumps, d deletes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from htptui.present.format import fmt_int

if TYPE_CHECKING:
    from htptui.model.bookmarks import Bookmark, BookmarkStore


def bookmark_line(bm: Bookmark) -> str:
    """One line describing a bookmark (plain text: names come from the trace)."""
    if bm.kind == "window":
        return f"window [{fmt_int(bm.lo)}, {fmt_int(bm.hi)}) cycles · {bm.label}"
    return f"op {bm.label} · ts {fmt_int(bm.ts)}" if bm.ts is not None else f"op {bm.label}"


class BookmarksScreen(ModalScreen[int | None]):
    """Pick a bookmark to jump to (its index in the store), or delete some."""

    DEFAULT_CSS = """
    BookmarksScreen { align: center middle; }
    BookmarksScreen > Vertical { width: 90%; max-width: 120; height: 80%; border: round $primary;
                                 background: $surface; padding: 0 1; }
    BookmarksScreen OptionList { height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="bookmarks.close", tooltip="Back to the explorer"),
        Binding(
            "d,delete",
            "delete",
            "Delete",
            id="bookmarks.delete",
            tooltip="Delete the highlighted bookmark",
        ),  # fmt: skip
    ]

    def __init__(self, store: BookmarkStore, title: str | None = None) -> None:
        super().__init__()
        self.store = store
        self.title_text = title

    def compose(self) -> ComposeResult:
        """A title, the list and a hint."""
        with Vertical():
            path = Path(self.store.trace_path)
            title = self.title_text or f"Bookmarks of {path.parent.name}/{path.name}"
            yield Static(Text(title), id="bookmarks-title")
            yield OptionList(id="bookmarks-list")
            yield Static("Enter jumps · d deletes · Esc closes · B (in the explorer) adds",
                         id="bookmarks-hint")  # fmt: skip

    def on_mount(self) -> None:
        """Fill the list and focus it."""
        self._fill()
        self.query_one(OptionList).focus()

    def _fill(self) -> None:
        ol = self.query_one(OptionList)
        ol.clear_options()
        if not self.store.items:
            ol.add_option(Option(Text("no bookmarks yet: B bookmarks the selected op or the "
                                      "marked window"), disabled=True))  # fmt: skip
            return
        ol.add_options([Option(Text(bookmark_line(b))) for b in self.store.items])
        ol.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Jump to the chosen bookmark."""
        event.stop()
        if self.store.items:
            self.dismiss(event.option_index)

    def action_delete(self) -> None:
        """Delete the highlighted bookmark."""
        ol = self.query_one(OptionList)
        k = ol.highlighted
        if k is None or not self.store.items:
            return
        self.store.remove(k)
        self._fill()
        if self.store.items:
            ol.highlighted = min(k, len(self.store.items) - 1)

    def action_close(self) -> None:
        """Back without jumping."""
        self.dismiss(None)
