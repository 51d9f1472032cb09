"""Report sections beyond the core figures, in the order they render: an explicit list.

A section is a name (its key in the document), a builder (analysis, options) → dict | None that may
raise InputError but never exits, a layout (section dict) → blocks, and where it goes. Adding one is
adding it to ``SECTIONS``; no import-order registration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from htptui.output.sections import compare_basis, findings, graph_diff, structure

if TYPE_CHECKING:
    from htptui.analysis.run import RunAnalysis
    from htptui.output.blocks import Block


@dataclass(frozen=True)
class Section:
    """One optional part of the report document."""

    name: str
    build: Callable[[RunAnalysis, dict[str, Any]], dict[str, Any] | None]
    blocks: Callable[[dict[str, Any]], list[Block]]
    at_top: bool = False  # rendered right after the header, where an engineer looks first
    data_only: bool = False  # data for diff/check: built for JSON, never shown in text or md
    after_ranking: bool = False  # rendered right after the ranking tables


SECTIONS: tuple[Section, ...] = (
    Section(findings.SECTION, findings.build, findings.blocks, at_top=True),
    Section(structure.SECTION, structure.build, structure.blocks, after_ranking=True),
    Section(graph_diff.SECTION, graph_diff.build, graph_diff.blocks),
    Section(compare_basis.SECTION, compare_basis.build, compare_basis.blocks, data_only=True),
)
