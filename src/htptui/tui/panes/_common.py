"""Helpers shared by the pane widgets: the greyed missing sentence and rich tables from column specs."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from htptui.present.columns import Column, Record


def missing_text(sentence: str) -> Text:
    """The greyed sentence shown in place of a pane whose artifact is absent (plain text, no markup)."""
    return Text(sentence, style="italic")


def records_table(
    columns: Sequence[Column],
    records: Sequence[Record],
    styles: Sequence[str] | None = None,
    prefix: Sequence[str] | None = None,
) -> Table:
    """A borderless rich table of records through their column specs (numbers never shrink).

    Cells are plain :class:`~rich.text.Text`, so names from files are shown literally, never markup.
    ``prefix`` adds a marker before the first column of each row (``►`` for the selection).
    """
    table = Table(box=None, pad_edge=False, header_style="bold", collapse_padding=True)
    cells = [[c.text(r) for c in columns] for r in records]
    if prefix is not None:
        for row, mark in zip(cells, prefix, strict=True):
            row[0] = mark + row[0]
    for i, c in enumerate(columns):
        if c.align == "left":
            table.add_column(Text(c.label), no_wrap=True, overflow="ellipsis", max_width=24)
        else:
            width = max([len(c.label)] + [len(r[i]) for r in cells])
            table.add_column(Text(c.label), justify="right", no_wrap=True, min_width=width)
    for k, row in enumerate(cells):
        table.add_row(*(Text(x) for x in row), style=styles[k] if styles else None)
    return table
