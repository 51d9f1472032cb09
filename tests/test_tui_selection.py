"""OpSelection: a selection's ops as one sorted array, with the tuple interface panes use."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from htptui.tui.selection import OpSelection, in_sorted, ops_array, sorted_unique

op_lists = st.lists(st.integers(0, 20_000), max_size=300)


@given(op_lists)
@settings(max_examples=200, deadline=None)
def test_a_selection_behaves_as_the_sorted_unique_tuple(ops) -> None:
    expected = tuple(sorted(set(ops)))
    for made in (OpSelection(ops), OpSelection(np.array(ops, dtype=np.int64)),
                 OpSelection(tuple(ops))):  # fmt: skip
        assert made == expected and expected == made
        assert len(made) == len(expected)
        assert tuple(made) == expected and list(made) == list(expected)
        assert hash(made) == hash(expected)
        if expected:
            assert made[0] == expected[0] and made[-1] == expected[-1]
            assert made[1:3] == expected[1:3]
        for v in (*expected[:5], -1, 20_001, 7):
            assert (v in made) == (v in expected)
        assert not made.array.flags.writeable
        assert made.array.dtype == np.int64


def test_big_selections_sort_by_a_mask_with_the_same_result() -> None:
    rng = np.random.default_rng(3)
    ops = rng.integers(0, 400_000, 300_000)
    np.testing.assert_array_equal(sorted_unique(ops), np.unique(ops))
    srt = np.arange(10, 300_000)
    assert sorted_unique(srt) is srt  # already sorted and unique: as is, no copy


def test_the_callers_array_is_not_made_read_only() -> None:
    a = np.arange(10, dtype=np.int64)
    sel = OpSelection(a)
    assert a.flags.writeable and not sel.array.flags.writeable
    assert ops_array(sel) is sel.array
    assert OpSelection(sel) == sel


@given(op_lists, op_lists)
@settings(max_examples=150, deadline=None)
def test_in_sorted_matches_isin(sel, probe) -> None:
    s = np.unique(np.array(sel, dtype=np.int64))
    p = np.array(probe, dtype=np.int64)
    np.testing.assert_array_equal(in_sorted(s, p), np.isin(p, s))


def test_equality_with_other_things() -> None:
    sel = OpSelection((3, 1, 2))
    assert sel == (1, 2, 3) and sel != (3, 1, 2) and sel != (1, 2)
    assert sel != "123" and sel != 3
    assert OpSelection() == () and not OpSelection()
    assert repr(sel) == "OpSelection([1, 2, 3])"
    assert ((sel, 1) == ((1, 2, 3), 1)) and ((sel, 1) != ((1, 2, 3), 2))
