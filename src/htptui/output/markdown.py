"""The Markdown renderer: blocks → headings, pipe tables and fenced code."""

from __future__ import annotations

from collections.abc import Iterable

from htptui.output.blocks import Block, Code, Heading, Lines, Table


def table_lines(table: Table) -> list[str]:
    """A pipe table (``|`` in cells escaped)."""
    cols = table.columns
    out = [
        "| " + " | ".join(c.label for c in cols) + " |",
        "|" + "|".join("---" for _ in cols) + "|",
    ]
    for r in table.records:
        out.append("| " + " | ".join(c.text(r).replace("|", "\\|") for c in cols) + " |")
    return out


def render_blocks(blocks: Iterable[Block]) -> str:
    """Every block as Markdown, newline-terminated."""
    out: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            out += [f"# {b.text}", ""] if b.level == 1 else ["", "#" * b.level + " " + b.text, ""]
        elif isinstance(b, Table):
            out += table_lines(b)
        elif isinstance(b, Code):
            out += ["```", *b.lines, "```"]
        elif isinstance(b, Lines):
            out += list(b.md if b.md is not None else b.text)
    return "\n".join(out) + "\n"
