"""Window statistics: the whole-graph figures by the same code, equal to them on the whole graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from htptui.analysis.ranking import LEVELS
from htptui.analysis.run import analysis_of
from htptui.analysis.window import clip_trace, parse_bound
from htptui.model.run import load_run
from tests.conftest import REAL_SAMPLE, sample_dirs

SAMPLES = sample_dirs()


def _rank_tuple(rk):  # type: ignore[no-untyped-def]
    return (rk.names, rk.dpc.tolist(), rk.busy.tolist(), rk.instances.tolist(), rk.span.tolist(),
            rk.concurrency.tolist(), rk.dpc_total)  # fmt: skip


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_whole_graph_window_equals_whole_graph(sample: Path) -> None:
    an = analysis_of(load_run(sample))
    cs0 = an.first_core_summary()
    assert cs0 is not None
    lo = min(cs.start for cs in an.core_summaries())
    hi = max(cs.end for cs in an.core_summaries())
    assert an.scoped().findings_left_out() == frozenset()
    for w in (an.scoped(), an.scoped(lo, hi), an.scoped(lo - 1000, hi + 1000)):
        assert w.core_summaries() == an.core_summaries()
        for lv in LEVELS:
            assert _rank_tuple(w.ranking(lv)) == _rank_tuple(an.ranking(lv))
        skip = w.findings_left_out()
        assert [(f.title, f.ops) for f in w.findings()] == [
            (f.title, f.ops) for f in an.findings() if f.rule not in skip
        ]
        assert w.op_map is not None and w.op_map.tolist() == list(range(len(an.trace)))


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_two_halves_add_up(sample: Path) -> None:
    an = analysis_of(load_run(sample))
    for whole in an.core_summaries():
        mid = (whole.start + whole.end) // 2
        a = an.scoped(whole.start, mid).core_summary(whole.core)
        b = an.scoped(mid, whole.end).core_summary(whole.core)
        assert a.wall + b.wall == whole.wall
        assert a.busy_sum + b.busy_sum == whole.busy_sum
        assert a.hvx_hmx_overlap + b.hvx_hmx_overlap == whole.hvx_hmx_overlap
        assert a.boundary.total_busy + b.boundary.total_busy == whole.boundary.total_busy
        # DPC is split, never invented: within one cycle per op cut by the edge
        cut = int(((an.trace.ts < mid) & (an.trace.end > mid)).sum())
        assert whole.dpc_sum - cut <= a.dpc_sum + b.dpc_sum <= whole.dpc_sum
        for ls in a.lanes:
            assert ls.utilization == pytest.approx(100.0 * ls.busy / a.wall)


def test_window_idle_equals_qhas_idle_rows_clipped() -> None:
    """On the real sample the window's idle is the QHAS Accumulated Idle rows inside the window."""
    opt = load_run(REAL_SAMPLE)
    an = analysis_of(opt)
    t = opt.trace
    assert t is not None and opt.qhas is not None and t.rebase is not None
    rows = [r for r in opt.qhas.path_sorted(0) if r.is_idle]
    whole = an.first_core_summary()
    assert whole is not None
    for k in (3, 5, 7):
        lo = whole.start + whole.wall * 1 // k
        hi = whole.start + whole.wall * (k - 1) // k
        w = an.scoped(lo, hi).first_core_summary()
        assert w is not None
        clipped = sum(
            max(0, min(r.end_cycle - t.rebase, hi) - max(r.start_cycle - t.rebase, lo))
            for r in rows
        )
        assert w.idle == clipped


def test_clip_keeps_ops_in_window_and_maps_back() -> None:
    opt = load_run(REAL_SAMPLE)
    t = opt.trace
    assert t is not None
    lo, hi = 10_000, 20_000
    sub, ops = clip_trace(t, lo, hi)
    assert len(sub) == ops.size > 0
    assert (sub.ts >= lo).all() and (sub.end <= hi).all()
    assert ((t.end[ops] > lo) & (t.ts[ops] < hi)).all()
    outside = np.setdiff1d(np.arange(len(t)), ops)
    assert not ((t.end[outside] > lo) & (t.ts[outside] < hi)).any()
    assert [sub.kernel_name(k) for k in range(len(sub))] == [t.kernel_name(i) for i in ops]


def test_filter_rescopes_every_figure() -> None:
    an = analysis_of(load_run(REAL_SAMPLE))
    f = an.scoped(pattern="HVX")
    assert f.trace is not None and len(f.trace) == int(an.filter_mask("HVX").sum())
    assert set(f.ranking("kernel").names) <= set(an.ranking("kernel").names)
    assert f.first_core_summary().wall == an.first_core_summary().wall  # type: ignore[union-attr]


def test_parse_bound() -> None:
    assert parse_bound("12000", None) == 12000
    assert parse_bound("12000cyc", None) == 12000
    assert parse_bound("2us", 1.5) == 3000
    assert parse_bound("2.5 µs", 2.0) == 5000
    with pytest.raises(ValueError, match="trace clock"):
        parse_bound("2us", None)
    with pytest.raises(ValueError, match="not a number"):
        parse_bound("soon", 1.0)
