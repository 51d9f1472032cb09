"""present.columns.arrange: every column kept, the ones that fit first, a split kept whole."""

from __future__ import annotations

from htptui.present.columns import Column, arrange, fit


def _cols() -> list[Column]:
    return [
        Column("dpc", "DPC", width=8, priority=0),
        Column("busy", "busy", width=8, priority=1),
        Column("a", "A", width=8, priority=6),
        Column("b", "B", width=8, priority=6),
        Column("inst", "inst", width=5, priority=2),
        Column("unit", "unit", width=7, priority=1),
    ]


def test_arrange_keeps_every_column_with_the_fitting_ones_first() -> None:
    cols = _cols()
    ordered, n = arrange(cols, 30)
    assert [c.key for c in ordered[:n]] == [c.key for c in fit(cols, 30)] == ["dpc", "busy", "unit"]
    assert [c.key for c in ordered[n:]] == ["a", "b", "inst"]  # the rest, in table order
    ordered, n = arrange(cols, 200)
    assert n == len(cols) and [c.key for c in ordered] == [c.key for c in cols]


def test_arrange_shows_a_split_whole_or_after_the_first_columns() -> None:
    cols = _cols()
    ordered, n = arrange(cols, 43, together=("a", "b"))  # room for one of a/b, not both
    assert len({"a", "b"} & {c.key for c in fit(cols, 43)}) == 1
    first = [c.key for c in ordered[:n]]
    assert "a" not in first and "b" not in first
    assert [c.key for c in ordered[n:]][:2] == ["a", "b"]
    ordered, n = arrange(cols, 52, together=("a", "b"))
    assert {"a", "b"} <= {c.key for c in ordered[:n]}
