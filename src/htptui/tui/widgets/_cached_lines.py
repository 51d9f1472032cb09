"""Shared by the Line-API widgets: an LRU cache of rendered strips and per-theme cached styles."""

from __future__ import annotations

from collections.abc import Hashable
from typing import cast

from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget


def set_virtual_size(widget: Widget, size: Size) -> bool:
    """Set a scrolling widget's virtual size without a layout pass (True if it changed).

    ``widget.virtual_size = size`` is a layout reactive: every change reflows the whole screen and
    repaints every widget. The scrollable size only moves the scrollbar and clamps the scroll
    offset, so here it is set quietly; a layout happens only when a scrollbar appears or goes
    (``show_vertical_scrollbar`` is itself a layout reactive).
    """
    if size == widget.virtual_size:
        return False
    widget.set_reactive(Widget.virtual_size, size)
    if widget.is_mounted and widget.container_size:
        widget._scroll_update(size)  # noqa: SLF001 - scrollbars, scroll clamp; no reflow
    return True


class CachedLinesMixin:
    """Strip cache plus style cache, both invalidated when the theme or CSS changes.

    Mix in before ``ScrollView``; call :meth:`_init_line_cache` from ``__init__``. ``_style_gen``
    belongs in every strip cache key so a theme change never serves stale colours.
    """

    _styles: dict[str, Style]
    _style_gen: int
    _cache: LRUCache[Hashable, Strip]

    def _init_line_cache(self, size: int = 1024) -> None:
        self._style_gen = 0
        self._styles = {}
        self._cache = LRUCache(size)

    _scrolled_for: tuple[Size, Size, Size] | None = None

    def _scroll_update(self, virtual_size: Size) -> None:
        """Set the scrollbars for ``virtual_size``, remembering the geometry they were set for."""
        super()._scroll_update(virtual_size)  # type: ignore[misc]
        size: Size = self._size  # type: ignore[attr-defined]
        self._scrolled_for = (size, size - self.styles.gutter.totals, virtual_size)  # type: ignore[attr-defined]

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        """Skip the scrollbar update of a screen layout that moved nothing of this widget.

        For a ScrollView Textual passes the region's size as ``virtual_size``, which never equals
        the widget's own, so every layout of the screen re-ran ``_scroll_update`` and refreshed the
        scrollbars after the frame was composed: one more frame behind every layout (closing the
        filter input, a level switch). When the size, the content area and the virtual size are the
        ones the scrollbars were last set for, there is nothing to update.
        """
        me = cast("Widget", self)
        if size == me._size and self._scrolled_for == (  # noqa: SLF001
            size,
            size - me.styles.gutter.totals,
            me.virtual_size,
        ):
            return me._container_size != container_size  # noqa: SLF001 - as ScrollView answers
        return super()._size_updated(size, virtual_size, container_size, layout)  # type: ignore[misc]

    def notify_style_update(self) -> None:
        """Drop cached strips and styles when the theme or CSS changes."""
        super().notify_style_update()  # type: ignore[misc]
        self._styles = {}
        self._style_gen += 1
        self._cache.clear()

    def _base_style(self) -> Style:
        """The widget's own Rich style, cached per theme (``rich_style`` is costly per line)."""
        style = self._styles.get("")
        if style is None:
            style = self.rich_style  # type: ignore[attr-defined]
            self._styles[""] = style
        return style

    def _style(self, name: str) -> Style:
        """The Rich style of a component class, cached per theme."""
        style = self._styles.get(name)
        if style is None:
            style = self.get_component_rich_style(name)  # type: ignore[attr-defined]
            self._styles[name] = style
        return style
