"""Number formatting: integers, floats, percentages, bytes, deltas, cycles with µs (one place)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

DASH = "-"


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value)))


def fmt_int(value: Any) -> str:
    """Thousands-separated integer (``24,061``), or ``-`` when absent."""
    if _absent(value):
        return DASH
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def fmt_float(value: Any, digits: int = 2) -> str:
    """Fixed-point float (``1,234.50``), or ``-`` for None/nan."""
    if _absent(value):
        return DASH
    return f"{float(value):,.{digits}f}"


def fmt_pct(value: Any, digits: int = 2) -> str:
    """A percentage with its sign: ``12.34 %`` (``-`` when absent)."""
    if _absent(value):
        return DASH
    return f"{float(value):.{digits}f} %"


def fmt_bytes(value: Any) -> str:
    """Compact byte count in powers of 1024 (``512``, ``1.5K``, ``24M``), or ``-`` when absent."""
    if _absent(value):
        return DASH
    v = float(value)
    for unit, scale in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if abs(v) >= scale:
            return f"{v / scale:.1f}{unit}".replace(".0" + unit, unit)
    return f"{int(v)}"


def fmt_value(value: Any) -> str:
    """Any figure of a report: ints with separators, floats with 2 decimals, text as is."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return DASH
        if value.is_integer() and abs(value) >= 1000:
            return f"{int(value):,}"
        return f"{value:,.2f}"
    return str(value)


def fmt_unit_value(value: float | None, unit: str = "cycles") -> str:
    """A figure of a comparison by its unit (``us`` 2 decimals, ``pct`` with %, counts as ints)."""
    if value is None:
        return DASH
    if unit == "us":
        return f"{value:,.2f}"
    if unit == "pct":
        return f"{value:.2f} %"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def fmt_delta(delta: float | None, unit: str = "cycles") -> str:
    """A signed delta (``+1,234``, ``−12``, ``0``)."""
    if delta is None:
        return DASH
    if delta == 0:
        return "0"
    sign = "+" if delta > 0 else "−"
    return sign + fmt_unit_value(abs(delta), unit)


def fmt_rel(rel: float | None) -> str:
    """A signed relative change given as a fraction (0.052 → ``+5.20 %``)."""
    if rel is None:
        return DASH
    if rel == 0:
        return "0 %"
    return f"{'+' if rel > 0 else '−'}{abs(rel) * 100:.2f} %"


def fmt_cycles_compact(value: float) -> str:
    """Compact cycle count for axes: 950, 12.5k, 3.2M, 1.1G."""
    a = abs(value)
    if a >= 1e9:
        return f"{value / 1e9:.3g}G"
    if a >= 1e6:
        return f"{value / 1e6:.3g}M"
    if a >= 1e4:
        return f"{value / 1e3:.3g}k"
    return f"{value:.0f}"


def fmt_us_compact(us: float) -> str:
    """Compact microseconds for axes: 0.52µs, 24.8µs, 1.2ms."""
    if us >= 1000:
        return f"{us / 1000:.3g}ms"
    return f"{us:.3g}µs"


def fmt_cycles_us(cycles: int | float | None, ghz: float | None, unit: str = "cyc") -> str:
    """Cycles with µs at a clock when it is known: ``24,061 cyc (30.1 µs)``."""
    if _absent(cycles):
        return DASH
    text = f"{int(cycles):,} {unit}".rstrip()  # type: ignore[arg-type]
    if ghz:
        text += f" ({float(cycles) / ghz / 1000.0:,.1f} µs)"  # type: ignore[arg-type]
    return text


def heat_bar(fraction: float, width: int = 8) -> str:
    """A block bar for a 0..1 fraction (``████▌   ``)."""
    fraction = max(0.0, min(1.0, fraction))
    cells = fraction * width
    full = int(cells)
    parts = " ▏▎▍▌▋▊▉"
    rest = parts[int((cells - full) * 8)] if full < width else ""
    return ("█" * full + rest).ljust(width)


def round_or_none(x: Any, digits: int = 4) -> float | None:
    """A float rounded for JSON, None for None/nan/inf."""
    if _absent(x):
        return None
    return round(float(x), digits)


# --- name elision (display width aware) -------------------------------------------------------------

import unicodedata  # noqa: E402

ELLIPSIS = "…"
_SEPARATORS = "._/"


def char_width(ch: str) -> int:
    """Terminal cells taken by one character: 2 for East Asian wide/fullwidth, 0 for combining marks."""
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


# the first character whose width is not one cell (U+0300, the first combining mark; the East
# Asian wide ranges start higher): a text below it is one cell per character (a test checks it)
_FIRST_NOT_ONE_CELL = "\u0300"


def _narrow(text: str) -> bool:
    """Whether every character of ``text`` is one cell wide (checked at C speed: ASCII, or
    ``·``, ``é``, ``µ`` and the rest of Latin-1 and Latin Extended)."""
    return text.isascii() or max(text) < _FIRST_NOT_ONE_CELL


def cell_width(text: str) -> int:
    """Display width of ``text`` in terminal cells."""
    if _narrow(text):
        return len(text)
    return sum(char_width(ch) for ch in text)


def max_cell_width(texts: Iterable[str], default: int = 0) -> int:
    """The widest of ``texts`` in terminal cells; a list of ASCII texts (the common case: op
    names) is measured at C speed, with no per-text Python call."""
    seq = texts if isinstance(texts, list | tuple) else list(texts)
    if all(map(_narrow, seq)):
        return max(map(len, seq), default=default)
    return max(map(cell_width, seq), default=default)


def _head(text: str, budget: int) -> str:
    """The longest start of ``text`` within ``budget`` cells (sliced when every character is one
    cell, else :func:`_head_walk`)."""
    if _narrow(text):
        return text[: max(budget, 0)]
    return _head_walk(text, budget)


def _head_walk(text: str, budget: int) -> str:
    used = 0
    for i, ch in enumerate(text):
        used += char_width(ch)
        if used > budget:
            return text[:i]
    return text


def _tail(text: str, budget: int) -> str:
    """The longest end of ``text`` within ``budget`` cells (sliced when every character is one
    cell, else :func:`_tail_walk`)."""
    if _narrow(text):
        if budget <= 0:
            return ""
        return text if budget >= len(text) else text[len(text) - budget :]
    return _tail_walk(text, budget)


def _tail_walk(text: str, budget: int) -> str:
    used = 0
    for i in range(len(text) - 1, -1, -1):
        used += char_width(text[i])
        if used > budget:
            return text[i + 1 :]
    return text


_WRAP_AFTER = " ,;._/-:|)]}"


def wrap_cells(text: str, width: int, first: int | None = None) -> list[str]:
    """``text`` cut into lines of at most ``width`` cells (``first``: the first line's budget,
    when it differs; a hanging indent is the caller's).

    A line ends after the last space or separator (``.``, ``_``, ``/``, ``,`` …) when that keeps
    at least half of it, else exactly at ``width`` cells; the space a line broke at is dropped.
    Nothing is lost: the lines joined (with those spaces) give ``text`` back.
    """
    if width <= 0:
        return [text]
    lines: list[str] = []
    rest = text
    budget = width if first is None else max(first, 1)
    while cell_width(rest) > budget:
        head = _head(rest, budget)
        if not head:  # a character wider than the line: take it alone
            head = rest[0]
        cut = len(head)
        brk = max(head.rfind(c) for c in _WRAP_AFTER)
        if brk >= 0 and cell_width(head[: brk + 1]) * 2 >= budget and brk + 1 < len(rest):
            cut = brk + 1
        piece = rest[:cut]
        rest = rest[cut:]
        if piece.endswith(" "):
            piece = piece[:-1]
        lines.append(piece)
        budget = width
    lines.append(rest)
    return lines


def elide_middle(text: str, width: int, tail_share: float = 0.5) -> str:
    """Shorten ``text`` to at most ``width`` cells, keeping head and tail around one "…".

    The tail is taken first (``tail_share`` of the budget; 1.0 keeps only the tail, 0.0 only the
    head) and starts at a separator (``.``, ``_``, ``/``) when that costs at most a third of it; the
    head gets every cell the tail left and ends at a separator on the same terms, unless that would
    drop a numeric token (``layers_17``: the index is what tells rows apart); a number is never
    cut in two.
    """
    if cell_width(text) <= width:
        return text
    if width <= 0:
        return ""
    budget = width - 1
    tail_budget = max(0, min(budget, round(budget * tail_share)))
    tail = _tail(text, tail_budget) if tail_budget else ""
    starts = [p for p in (tail.find(s) for s in _SEPARATORS) if p >= 0]
    if starts:
        p = min(starts)
        if len(tail) - p - 1 >= len(tail) * 2 / 3 and p + 1 < len(tail):
            tail = tail[p + 1 :]
    head = _head(text[: len(text) - len(tail)], budget - cell_width(tail))
    if head and head[-1].isdigit() and text[len(head)].isdigit():  # never half a number
        head = head.rstrip("0123456789") or head
    if tail and tail[0].isdigit() and text[-len(tail) - 1].isdigit():
        tail = tail.lstrip("0123456789") or tail
    cut = max(head.rfind(s) for s in _SEPARATORS)
    dropped = head[cut + 1 :]
    if cut >= 0 and cut + 1 >= len(head) * 2 / 3 and dropped and not dropped.isdigit():
        head = head[: cut + 1]
    return head + ELLIPSIS + tail


def elide_names(names: list[str], width: int) -> list[str]:
    """Shorten every name to ``width`` cells so that names that differ stay different where possible.

    Colliding short forms are redone with more of the budget given to the distinguishing tail,
    then (names that differ only near the start, ``model.layers.0.…`` vs ``model.layers.1.…``)
    to the head.
    """
    out = [elide_middle(n, width) for n in names]
    shares = (0.65, 0.8, 0.9, 1.0, 0.35, 0.2, 0.0)
    for share in shares:
        groups: dict[str, set[str]] = {}
        for name, short in zip(names, out, strict=True):
            groups.setdefault(short, set()).add(name)
        clashing = {s for s, originals in groups.items() if len(originals) > 1}
        if not clashing:
            break
        for i, short in enumerate(out):
            if short in clashing:
                out[i] = elide_middle(names[i], width, tail_share=share)
    return out
