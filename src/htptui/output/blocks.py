"""Format-neutral layout blocks: what a report says, before a renderer decides how it looks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from htptui.present.columns import Column, Record


@dataclass(frozen=True)
class Heading:
    """A section heading (level 1 = the document title, 2 = a section, 3 = a sub-section)."""

    text: str
    level: int = 2


@dataclass(frozen=True)
class Table:
    """Records shown through column specs; the first ``left`` columns are left-aligned in text."""

    columns: Sequence[Column]
    records: Sequence[Record]
    left: int = 1


@dataclass(frozen=True)
class Lines:
    """Plain lines; ``md`` gives the Markdown variant when it differs."""

    text: Sequence[str]
    md: Sequence[str] | None = None


@dataclass(frozen=True)
class Code:
    """Preformatted lines (ASCII timelines and DAGs): fenced in Markdown."""

    lines: Sequence[str] = field(default_factory=list)


Block = Heading | Table | Lines | Code


def table_of(headers: Sequence[str], rows: Sequence[Sequence[object]], left: int = 1) -> Table:
    """A table of already-chosen cells (ad-hoc headers; values formatted as report figures)."""
    from htptui.present.columns import FIGURE_COLUMNS

    fmt = FIGURE_COLUMNS[1].fmt
    cols = [Column(f"c{i}", h, fmt=str if i < left else fmt) for i, h in enumerate(headers)]
    recs = [{f"c{i}": v for i, v in enumerate(r)} for r in rows]
    return Table(cols, recs, left)
