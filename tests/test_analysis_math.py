"""Interval, bucket-coverage and ranking maths checked against brute force."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from htptui.analysis import intervals, ranking, summary
from htptui.analysis.buckets import CoverageIndex, search_sorted
from htptui.model import chrometrace
from tests.conftest import small_trace_events, write_trace

ivals = st.lists(st.tuples(st.integers(0, 200), st.integers(0, 50)), max_size=25)


def _cover(pairs):
    s = set()
    for a, d in pairs:
        s.update(range(a, a + d))
    return s


@given(ivals, ivals)
@settings(max_examples=150, deadline=None)
def test_union_and_intersection_match_brute_force(a, b) -> None:
    as_, ae = (
        np.array([x for x, _ in a], dtype=np.int64),
        np.array([x + d for x, d in a], dtype=np.int64),
    )
    bs, be = (
        np.array([x for x, _ in b], dtype=np.int64),
        np.array([x + d for x, d in b], dtype=np.int64),
    )
    assert intervals.union_length(as_, ae) == len(_cover(a))
    assert intervals.intersection_length(as_, ae, bs, be) == len(_cover(a) & _cover(b))
    gs, ge = intervals.gaps(as_, ae, 0, 260)
    assert int((ge - gs).sum()) == 260 - len(_cover(a) & set(range(260)))


@given(ivals)
@settings(max_examples=100, deadline=None)
def test_max_concurrency(a) -> None:
    s = np.array([x for x, _ in a], dtype=np.int64)
    e = np.array([x + d for x, d in a], dtype=np.int64)
    brute = max((sum(1 for x, d in a if x <= t < x + d) for t in range(260)), default=0)
    assert intervals.max_concurrency(s, e) == brute or (brute == 0 and all(d == 0 for _, d in a))
    g = np.zeros(len(a), dtype=np.int64)
    if len(a) and brute:
        assert intervals.grouped_max_concurrency(g, s, e, 1)[0] == brute


@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 200), st.integers(0, 50)), max_size=30),
    st.booleans(),
)
@settings(max_examples=150, deadline=None)
def test_grouped_max_concurrency_matches_brute_force_per_group(rows, huge) -> None:
    """Both paths: the one-key sort, and the lexsort fallback when (group, time) overflows."""
    offset = (1 << 60) if huge else 0  # a time span so wide that n_groups * width overflows
    g = np.array([r[0] for r in rows], dtype=np.int64)
    s = np.array([r[1] for r in rows], dtype=np.int64)
    e = np.array([r[1] + r[2] for r in rows], dtype=np.int64)
    if huge and rows:
        s = np.append(s, offset)
        e = np.append(e, offset)
        g = np.append(g, 0)
        rows = [*rows, (0, offset, 0)]
    got = intervals.grouped_max_concurrency(g, s, e, 4)
    for grp in range(4):
        mine = [(a, d) for gg, a, d in rows if gg == grp]
        points = sorted({a for a, _ in mine})
        brute = max((sum(1 for a, d in mine if a <= t < a + d) for t in points), default=0)
        # half-open [a, a + d): an interval ending where another starts does not overlap it,
        # and an empty one counts for nothing
        assert got[grp] == brute, (grp, mine)


def _lane_trace(tmp_path, spans):
    from tests.conftest import meta_process, meta_thread, x_event

    ev = [x_event("q::K", 512, a, d, op_id=(k + 1) << 32 | 0x16) for k, (a, d) in enumerate(spans)]
    ev += [meta_process(0, "Core 0 Overview"), meta_thread(0, 512, "Type: HVX")]
    return chrometrace.load(write_trace(tmp_path / "t.json", ev))


@given(st.lists(st.integers(1, 30), min_size=1, max_size=12), st.integers(1, 40))
@settings(max_examples=60, deadline=None)
def test_bucket_coverage_matches_brute_force(tmp_path_factory, durs, width) -> None:
    tmp = tmp_path_factory.mktemp("cov")
    spans, t = [], 3
    for d in durs:
        spans.append((t, d))
        t += d + (d % 3)  # non-overlapping with some gaps
    trace = _lane_trace(tmp, spans)
    idx = CoverageIndex(trace)
    lo, hi = 0, t + 5
    cov = idx.coverage(0, lo, hi, width).sum(axis=0)
    edges = lo + (hi - lo) * np.arange(width + 1) / width
    covered = _cover(spans)
    for k in range(width):
        # integer cells fully inside the bucket, compared with a tolerance of one cell at each edge
        brute = sum(max(0.0, min(c + 1, edges[k + 1]) - max(c, edges[k])) for c in covered)
        assert abs(cov[k] - brute) < 1e-6
    assert abs(cov.sum() - sum(d for _, d in spans)) < 1e-6


def test_ranking_groups_small_trace(tmp_path) -> None:
    t = chrometrace.load(write_trace(tmp_path / "t.json", small_trace_events()))
    r = ranking.rank(t, "qnn_op")
    rows = {r.names[i]: i for i in range(len(r))}
    m, th = rows["MatMul_0"], rows["Tanh_0"]
    assert (r.dpc[m], r.busy[m], r.instances[m], r.span[m]) == (150, 150, 2, 150)
    assert (r.busy[th], r.instances[th], r.span[th], r.concurrency[th]) == (70, 2, 60, 2)
    assert sorted(r.members(th).tolist()) == [2, 3]
    assert r.row_of_op(2) == th
    inst = ranking.rank(t, "instance")
    assert inst.dpc.tolist() == sorted(inst.dpc.tolist(), reverse=True)
    k = ranking.rank(t, "kernel", mask=np.array([False, False, True, True]))
    # % path always has the graph's path as denominator; the filtered share is separate
    assert k.names == ["q::Tanh"] and k.dpc_total == 220 and k.dpc_filtered_total == 70
    assert round(k.dpc_pct(0), 2) == round(100 * 70 / 220, 2) and k.filtered_pct(0) == 100.0


def test_summary_small_trace(tmp_path) -> None:
    t = chrometrace.load(write_trace(tmp_path / "t.json", small_trace_events()))
    cs = summary.core_summary(t, 0)
    assert cs.wall == 180
    assert cs.unit_busy == {"HMX": 100, "HVX": 80}  # HVX = max lane (512: 50+30), not the sum 120
    assert cs.domain_unit == "HMX" and cs.domain_cycles == 100
    assert cs.busy_sum == 220 and cs.hvx_hmx_overlap == 0
    assert cs.boundary.by_category == {"ForceFormat": (1, 50, 50)}


def test_dpc_exceeding_wall_is_flagged_not_shown_as_negative_idle(tmp_path) -> None:
    from tests.conftest import meta_process, meta_thread, x_event

    ev = [
        x_event("q::K", 512, 0, 100, dpc=150),
        meta_process(0, "Core 0 Overview"),
        meta_thread(0, 512, "Type: HVX"),
    ]
    t = chrometrace.load(write_trace(tmp_path / "t.json", ev))
    cs = summary.core_summary(t, 0)
    assert cs.wall == 100 and cs.dpc_sum == 150 and not cs.dpc_consistent
    from tests.conftest import REAL_SAMPLE

    real = summary.core_summary(chrometrace.load(REAL_SAMPLE / "chrometrace.json"), 0)
    assert real.dpc_consistent  # SDK output: Σ DPC = wall − accumulated idle


def test_run_analysis_computes_each_figure_once() -> None:
    """One RunAnalysis per run; summaries, rankings per (level, scope), masks cached; a filter
    computes only its own ranking; the report reads the same cached objects."""
    from pathlib import Path

    from htptui.analysis import summary
    from htptui.analysis.run import Scope, analysis_of
    from htptui.model.run import load_run
    from htptui.output.document import build_report

    run = load_run(Path(__file__).resolve().parent.parent / "sample_data" / "chain8_matmul")
    an = analysis_of(run)
    assert analysis_of(run) is an
    calls: list[int] = []
    real = summary.core_summary

    def counting(trace, core=0):  # type: ignore[no-untyped-def]
        calls.append(core)
        return real(trace, core)

    summary.core_summary = counting  # type: ignore[assignment]
    try:
        build_report(run, top=5, options={})
        build_report(run, top=5, options={}, data_sections=False)
    finally:
        summary.core_summary = real  # type: ignore[assignment]
    assert calls == [0]  # one core, computed once for both reports (findings, timing, checks too)
    rk = an.ranking("qnn_op")
    assert an.ranking("qnn_op") is rk
    filt = an.ranking("qnn_op", Scope("MatMul_0"))
    assert filt is an.ranking("qnn_op", Scope("MatMul_0")) and filt is not rk
    assert filt.names == ["MatMul_0"] and filt.dpc_total == rk.dpc_total  # % path of the graph
    drilled = an.ranking("instance", Scope(None).into("qnn_op", "MatMul_0"))
    assert sorted(drilled.member_order.tolist()) == sorted(rk.members_of_name("MatMul_0").tolist())
    for r in range(len(rk)):
        for op in rk.members(r).tolist():
            assert rk.row_of_op(op) == r


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.integers(-(2**40), 2**40), max_size=60),
    queries=st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.integers(-(2**41), 2**41).map(float),  # whole-number floats: the tie cases
            st.floats(-(2**41), 2**41),
        ),
        min_size=1,
        max_size=20,
    ),
    dtype=st.sampled_from([np.int64, np.int32, np.uint64]),
    side=st.sampled_from(["left", "right"]),
)
def test_search_sorted_matches_a_float_search(
    values: list[int], queries: list[float], dtype: type, side: str
) -> None:
    """search_sorted answers exactly what numpy's float search of the same array answers, for
    arrays and scalars, ties, NaN, infinities and values outside the dtype's range."""
    info = np.iinfo(dtype)
    a = np.sort(np.clip(np.asarray(values, dtype=np.int64), max(info.min, -(2**40)), info.max))
    a = a.astype(dtype)
    ref_a = a.astype(np.float64)
    q = np.asarray(queries, dtype=np.float64)
    expect = np.searchsorted(ref_a, q, side=side)
    assert np.array_equal(search_sorted(a, q, side=side), expect)
    for x, want in zip(queries, expect.tolist(), strict=True):
        assert search_sorted(a, x, side=side) == want
        assert search_sorted(a, np.float64(x), side=side) == want


def _sample_traces() -> list[chrometrace.OpTrace]:
    from htptui.model.discover import discover_graphs
    from htptui.model.run import load_run
    from tests.conftest import multi_graph_dirs, sample_dirs

    out = []
    for d in sample_dirs() + multi_graph_dirs():
        for g in discover_graphs(d):
            run = load_run(d, artifacts=g.artifacts)
            if run.trace is not None and len(run.trace):
                out.append(run.trace)
    return out


_TRACES: list[chrometrace.OpTrace] = []


def _traces() -> list[chrometrace.OpTrace]:
    if not _TRACES:
        _TRACES.extend(_sample_traces())
    return _TRACES


def _track_state(idx: CoverageIndex) -> tuple:
    def arrays(tr):
        return tuple((a.dtype.str, a.tolist()) for a in (tr.starts, tr.durs, tr.prefix, tr.index))

    return (
        [(k, arrays(v)) for k, v in idx.lane_tracks.items()],
        [(k, arrays(v)) for k, v in idx.tracks.items()],
        idx.position.tolist(),
    )


@given(st.integers(0, 10_000), st.floats(0.0, 1.0))
@settings(max_examples=40, deadline=None)
def test_masked_coverage_index_is_the_index_built_from_the_mask(seed: int, share: float) -> None:
    """The filter's index, cut out of the full one, holds exactly what building it from the mask
    holds (tracks in the same order, same arrays and dtypes, same positions), on every sample."""
    rng = np.random.default_rng(seed)
    for trace in _traces():
        full = CoverageIndex(trace)
        mask = rng.random(len(trace)) < share
        assert _track_state(CoverageIndex.masked(full, mask)) == _track_state(
            CoverageIndex(trace, kinds=full.kinds, mask=mask)
        )


@given(st.integers(0, 10_000), st.floats(0.0, 1.0), st.sampled_from(["qnn_op", "kernel"]))
@settings(max_examples=40, deadline=None)
def test_filtered_ranking_groups_match_brute_force(seed: int, share: float, level: str) -> None:
    """A filtered ranking takes its groups from the whole trace's (no second sort): each row is
    one key of the filtered ops, with exactly its filtered ops, in time order, and their sums."""
    rng = np.random.default_rng(seed)
    for trace in _traces():
        mask = rng.random(len(trace)) < share
        rk = ranking.rank(trace, level, mask)
        key = trace.qnn_op if level == "qnn_op" else trace.kernel
        dpc = np.maximum(trace.dpc, 0)
        want: dict[int, list[int]] = {}
        for i in np.flatnonzero(mask).tolist():
            want.setdefault(int(key[i]), []).append(i)
        assert len(rk) == len(want)
        names = trace.strings.names
        got = {}
        for r in range(len(rk)):
            members = rk.members(r).tolist()
            k = int(key[members[0]])
            assert rk.names[r] == (names[k] or "(none)")
            got[k] = members
            assert members == sorted(want[k], key=lambda i: (int(trace.ts[i]), i))
            assert rk.dpc[r] == int(dpc[members].sum())
            assert rk.busy[r] == int(trace.dur[members].sum())
            assert rk.instances[r] == len(members)
            assert rk.first_ts[r] == int(trace.ts[members].min())
        assert got.keys() == want.keys()


_NAME_CHARS = "abkKsSiI_.:0123 " + "\u017f\u212a\u0130\u00df\u00e9"


@given(
    st.lists(st.text(_NAME_CHARS, max_size=12), max_size=30),
    st.text("abkKsSiI_.:0|" + "\u017f\u212a", min_size=1, max_size=6),
)
@settings(max_examples=300, deadline=None)
def test_filter_name_hits_are_the_regex_answers(names: list[str], pattern: str) -> None:
    """The literal fast path (substring on lower-cased ASCII names) answers exactly as one
    case-insensitive regex search per name, non-ASCII case folding (ſ, K, İ) included."""
    import re

    from htptui.analysis.run import folded, name_hits

    try:
        rx = re.compile(pattern, re.IGNORECASE)
    except re.error:
        return
    names = ["", *names]
    want = [rx.search(s) is not None for s in names]
    assert name_hits(names, rx, folded(names)).tolist() == want
