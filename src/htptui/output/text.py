"""The plain-text renderer: blocks → aligned monospace lines."""

from __future__ import annotations

from collections.abc import Iterable

from htptui.output.blocks import Block, Code, Heading, Lines, Table


def table_lines(table: Table) -> list[str]:
    """A table as aligned lines: header, dashes, rows (first ``left`` columns left-aligned)."""
    cols = table.columns
    headers = [c.label for c in cols]
    cells = [[c.text(r) for c in cols] for r in table.records]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(row: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < table.left else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )

    return [line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in cells)]


def render_blocks(blocks: Iterable[Block]) -> str:
    """Every block as text, newline-terminated."""
    out: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            if b.level == 1:
                out += [b.text, "=" * len(b.text)]
            else:
                out += ["", b.text, ("=" if b.level == 2 else "-") * len(b.text)]
        elif isinstance(b, Table):
            out += table_lines(b)
        elif isinstance(b, Code):
            out += list(b.lines)
        elif isinstance(b, Lines):
            out += list(b.text)
    return "\n".join(out) + "\n"
