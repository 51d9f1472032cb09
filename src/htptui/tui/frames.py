"""Hand the screen every repaint a handler asked for before it returns, so they share one frame.

``Widget.refresh`` only marks a widget; the widget tells its screen later, from its own message
loop (a Prompt, then an Update or Layout message to the screen). When one handler refreshes many
widgets and one of them also asks for a layout (the filter input closing), the screen's frame timer
can fire between those messages: the layout frame draws every widget, then the Update messages that
were still on their way cause one more frame of the same content, about two timer periods later.
:func:`flush_refreshes` delivers them at once, as each widget's idle handler would.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widget import Widget


def flush_refreshes(screen: Screen[object]) -> int:
    """Post the pending Update/Layout message of every widget on ``screen`` now (the widgets'
    own idle handlers then find nothing left to post); the number of widgets flushed."""
    flushed = 0
    for widget in screen.walk_children(Widget):
        if widget._repaint_required or widget._layout_required:  # noqa: SLF001 - see module doc
            widget._check_refresh()  # noqa: SLF001 - what the widget's idle handler calls
            flushed += 1
    return flushed
