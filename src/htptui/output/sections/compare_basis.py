"""The ``compare_basis`` section: full rows and graph structure for ``diff``/``check`` (JSON only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from htptui.analysis.compare import BASIS_KEY

if TYPE_CHECKING:
    from htptui.analysis.run import RunAnalysis
    from htptui.output.blocks import Block

SECTION = BASIS_KEY


def build(an: RunAnalysis, options: dict[str, Any]) -> dict[str, Any] | None:
    """Every per-QNN-op, per-kernel and per-instance row plus the QNN-op edges (from the analysis)."""
    return an.compare_basis()


def blocks(section: dict[str, Any]) -> list[Block]:
    """Data for diff/check: nothing is shown in text or Markdown."""
    return []
