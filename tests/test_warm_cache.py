"""The warm-first figures stored beside the column cache equal freshly computed ones; a stale,
corrupt or inconsistent figures file is recomputed without an error, never trusted."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from htptui.analysis import warm_cache
from htptui.analysis.buckets import CoverageIndex
from htptui.analysis.run import ALL, RunAnalysis, analysis_of
from htptui.model import cache
from htptui.model.run import load_run
from tests.conftest import sample_dirs

REAL = Path("/work/shared/real_optrace/chain8_matmul")
KEYS = ("cores", "kinds", "coverage", ("ranking", "qnn_op", ALL), "op_id_index", "qnn_op_busy")


@pytest.fixture
def big_enough(monkeypatch):
    monkeypatch.setattr(cache, "CACHE_ABOVE", 0)  # every sample gets a column cache entry


def _dirs() -> list[Path]:
    return [*sample_dirs(), *([REAL] if REAL.is_dir() else [])]


def assert_same(a, b, where: str = "") -> None:
    """Two figures are equal: arrays (dtype and values), dataclasses field by field, the coverage
    index track by track, containers item by item."""
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape, where
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), where
    elif isinstance(a, CoverageIndex):
        assert isinstance(b, CoverageIndex) and a.trace is b.trace, where
        assert (a.n_kinds, list(a.tracks), list(a.lane_tracks)) == (
            b.n_kinds, list(b.tracks), list(b.lane_tracks)
        ), where  # fmt: skip
        assert_same(a.kinds, b.kinds, f"{where}.kinds")
        assert_same(a.position, b.position, f"{where}.position")
        for name in ("tracks", "lane_tracks"):
            for k, ta in getattr(a, name).items():
                assert_same(ta, getattr(b, name)[k], f"{where}.{name}[{k}]")
    elif dataclasses.is_dataclass(a):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, list | tuple):
        assert type(a) is type(b) and len(a) == len(b), where
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{k}]")
    else:
        assert type(a) is type(b) and a == b, where


def _open(path: Path) -> RunAnalysis:
    return analysis_of(load_run(path))


def _stored(path: Path) -> RunAnalysis:
    """Open, warm (stores the figures) and reopen from the column cache."""
    first = _open(path)
    first.warm_first()
    warm_cache.wait()
    entry = cache.entry_of(first.trace)
    assert entry is not None and (entry / warm_cache.FILE).is_file()
    return _open(path)


@pytest.mark.parametrize("path", _dirs(), ids=lambda p: p.name)
def test_restored_figures_equal_fresh_ones(path, big_enough) -> None:
    an = _stored(path)
    assert warm_cache.restore(an)
    fresh = RunAnalysis(an.run)  # the same run, every figure computed now
    cores = fresh.cores() or [0]
    for key in (*KEYS, *(("core_summary", c) for c in cores)):
        assert an.cached(key), key
        mine = an._cache[key]
        theirs = {
            "cores": fresh.cores, "kinds": fresh.kinds, "coverage": fresh.coverage,
            "op_id_index": fresh._op_id_index, "qnn_op_busy": fresh.qnn_op_busy,
        }.get(key) if isinstance(key, str) else None  # fmt: skip
        if key == ("ranking", "qnn_op", ALL):
            theirs = lambda: fresh.ranking("qnn_op")  # noqa: E731
        elif isinstance(key, tuple) and key[0] == "core_summary":
            theirs = lambda c=key[1]: fresh.core_summary(c)  # noqa: E731
        assert_same(mine, theirs(), str(key))
    for c in cores:  # the lanes of a restored summary are the trace's own objects
        for ls in an.core_summary(c).lanes:
            assert ls.lane is an.trace.lanes[ls.lane.index]
    assert_same(an.ranking("qnn_op").op_rows, fresh.ranking("qnn_op").op_rows, "op_rows")
    an.warm_first()  # the rest of the warm-up runs on the restored figures
    assert_same(an.timing(), fresh.timing(), "timing")


def test_a_warm_first_from_the_cache_computes_nothing_stored(tmp_path, big_enough, monkeypatch):
    path = Path(sample_dirs()[0])
    an = _stored(path)
    from htptui.analysis import buckets, ranking, summary

    def boom(*_a, **_k):
        raise AssertionError("computed although stored")

    monkeypatch.setattr(summary, "core_summary", boom)
    monkeypatch.setattr(ranking, "rank", boom)
    monkeypatch.setattr(buckets.CoverageIndex, "__init__", boom)
    an.warm_first()
    assert an.cached("coverage") and an.cached(("ranking", "qnn_op", ALL))


def _entry_file(path: Path) -> Path:
    an = _stored(path)
    entry = cache.entry_of(an.trace)
    assert entry is not None
    return entry / warm_cache.FILE


def _rewrite(npz: Path, change) -> None:
    """Rewrite one member set of a figures file (a consistent zip with wrong contents)."""
    arrays = cache.read_npz(npz)
    change(arrays)
    with open(npz, "wb") as fh:
        np.savez(fh, **arrays)


def _flip_bytes(npz: Path) -> None:
    data = bytearray(npz.read_bytes())
    mid = len(data) // 2
    data[mid : mid + 16] = bytes(b ^ 0x5A for b in data[mid : mid + 16])
    npz.write_bytes(bytes(data))


CORRUPTIONS = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 3]),
    "flipped bytes (CRC)": _flip_bytes,
    "not a zip": lambda p: p.write_bytes(b"garbage" * 100),
    "empty": lambda p: p.write_bytes(b""),
    "member order out of range": lambda p: _rewrite(
        p, lambda a: a.__setitem__("rk_member_order", a["rk_member_order"] + 10**6)
    ),
    "op-id order shuffled": lambda p: _rewrite(
        p, lambda a: a.__setitem__("op_id_order", a["op_id_order"][::-1].copy())
    ),
    "track lengths wrong": lambda p: _rewrite(
        p, lambda a: a.__setitem__("track_flat", a["track_flat"][:-1].copy())
    ),
    "kinds of another dtype": lambda p: _rewrite(
        p, lambda a: a.__setitem__("kinds", a["kinds"].astype(np.int64))
    ),
    "meta missing": lambda p: _rewrite(p, lambda a: a.pop("meta")),
    "meta garbage": lambda p: _rewrite(
        p, lambda a: a.__setitem__("meta", np.frombuffer(b"\x93\x01\x02\x03", np.uint8))
    ),
}


@pytest.mark.parametrize("how", list(CORRUPTIONS))
def test_a_corrupt_figures_file_is_recomputed_without_error(how, big_enough) -> None:
    path = next(p for p in sample_dirs() if p.name == "chain8_matmul")
    npz = _entry_file(path)
    CORRUPTIONS[how](npz)
    an = _open(path)
    assert not warm_cache.restore(an)
    assert not npz.exists()  # never trusted: deleted
    an.warm_first()  # computes the figures and stores them again
    warm_cache.wait()
    assert npz.is_file()
    again = _open(path)
    assert warm_cache.restore(again)
    assert_same(again._cache["coverage"], RunAnalysis(again.run).coverage(), "coverage")


def test_other_resolved_dpc_makes_the_figures_stale(big_enough, monkeypatch) -> None:
    """The figures depend on the QHAS join (OpTrace.dpc): other DPC, other key."""
    path = next(p for p in sample_dirs() if p.name == "chain8_matmul")
    _entry_file(path)
    an = _open(path)
    dpc = an.trace.dpc.copy()
    dpc[0] += 1
    an.trace.dpc = dpc
    assert not warm_cache.restore(an)
    an.warm_first()
    assert int(an.core_summary(an.cores()[0]).dpc_sum) == int(np.maximum(dpc, 0).sum())


def test_changed_analysis_code_makes_the_figures_stale(big_enough, monkeypatch) -> None:
    path = next(p for p in sample_dirs() if p.name == "chain8_matmul")
    _entry_file(path)
    assert warm_cache.restore(_open(path))
    monkeypatch.setattr(warm_cache, "_code_digest", "another version of the analysis code")
    assert not warm_cache.restore(_open(path))


def test_no_figures_without_a_column_cache_entry(tmp_path, monkeypatch) -> None:
    """Small traces (no column cache) and windows store nothing; the cache off stores nothing."""
    path = next(p for p in sample_dirs() if p.name == "chain8_matmul")
    an = _open(path)
    an.warm_first()
    warm_cache.wait()
    assert cache.entry_of(an.trace) is None and not warm_cache.restore(an)
    monkeypatch.setattr(cache, "CACHE_ABOVE", 0)
    monkeypatch.setenv("HTPTUI_NO_CACHE", "1")
    an = _open(path)
    an.warm_first()
    warm_cache.wait()
    assert cache.entry_of(an.trace) is None


def test_a_window_never_reads_the_whole_traces_figures(big_enough) -> None:
    path = next(p for p in sample_dirs() if p.name == "chain8_matmul")
    an = _stored(path)
    an.warm_first()
    t = an.trace
    child = an.scoped(int(t.ts[0]), int(t.ts[len(t) // 2]))
    assert not warm_cache.restore(child)
    assert cache.entry_of(child.trace) is None


def test_a_prefetched_entry_is_used_and_equal(big_enough) -> None:
    """chrometrace.prefetch of a cached trace reads its columns and figures ahead."""
    from htptui.model import chrometrace

    path = next(p for p in sample_dirs() if p.name == "chain8_matmul")
    _entry_file(path)
    op_trace = path / "chrometrace.json"
    assert not chrometrace.prefetch(op_trace)  # no decode started ...
    assert str(op_trace.resolve()) in cache._PREFETCH  # ... the entry is being read instead
    an = _open(path)
    assert str(op_trace.resolve()) not in cache._PREFETCH  # taken by the load
    assert warm_cache.FILE in cache._SIDE[an.trace]  # the figures were read ahead too
    assert warm_cache.restore(an)
    assert cache.side_arrays(an.trace, warm_cache.FILE) is None  # used once, then dropped
    fresh = RunAnalysis(load_run(path))
    assert_same(an.trace.ts, fresh.trace.ts, "ts")
    assert_same(an.coverage(), RunAnalysis(an.run).coverage(), "coverage")


def test_coverage_parts_round_trip(big_enough) -> None:
    for path in sample_dirs():
        an = _open(path)
        if not an.has_ops:
            continue
        cov = an.coverage()
        back = CoverageIndex.restore(an.trace, an.kinds(), *cov.parts())
        assert_same(back, cov, path.name)
        lane_keys, lane_flat, track_keys, track_flat = cov.parts()
        with pytest.raises(ValueError):
            CoverageIndex.restore(an.trace, an.kinds(), lane_keys, lane_flat[:-1], track_keys,
                                  track_flat)  # fmt: skip
