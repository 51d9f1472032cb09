"""The column cache: lives in the user cache dir, equals a fresh decode, never serves a stale file."""

from __future__ import annotations

import os

import numpy as np
import pytest

from htptui.model import cache
from tests.conftest import small_trace_events, write_trace, x_event


@pytest.fixture
def big_enough(monkeypatch):
    monkeypatch.setattr(cache, "CACHE_ABOVE", 0)


def _trace_file(tmp_path):
    ev = small_trace_events()
    for k in range(50):
        ev.append(
            x_event(
                "q::Tanh", 513, 1000 + 10 * k, 5, op_id=0x3000_0000_0016 + (k << 32), qnn="Tanh_0"
            )
        )
    d = tmp_path / "trace"
    d.mkdir()
    return write_trace(d / "chrometrace.json", ev)


def test_second_load_comes_from_cache_and_is_identical(tmp_path, big_enough) -> None:
    p = _trace_file(tmp_path)
    a = cache.load_op_trace(p)
    entry = cache.entry_dir(p)
    assert entry is not None and (entry / "meta.msgpack").is_file()
    assert str(entry).startswith(os.environ["XDG_CACHE_HOME"])  # the user cache dir, from conftest
    assert sorted(x.name for x in p.parent.iterdir()) == [
        "chrometrace.json"
    ]  # nothing in the trace dir
    b = cache.load_op_trace(p)
    for col in (
        "ts",
        "dur",
        "lane",
        "kernel",
        "qnn_op",
        "op_id",
        "flags",
        "dpc",
        "start_cycle",
        "ordinal",
    ):
        assert np.array_equal(getattr(a, col), getattr(b, col)), col
    assert np.allclose(a.cpp, b.cpp, equal_nan=True)
    assert a.strings.names == b.strings.names and a.lanes == b.lanes
    assert a.counters["VTCM alloc"].value.tolist() == b.counters["VTCM alloc"].value.tolist()
    assert b.duplicate_events == a.duplicate_events and b.qnn_op_ids == a.qnn_op_ids
    assert not isinstance(b.ts, np.memmap)  # plain arrays: no memmap indexing on the UI path
    assert not b.ts.flags.writeable  # read-only


def test_an_entry_whose_column_does_not_match_its_metadata_is_ignored(tmp_path, big_enough) -> None:
    p = _trace_file(tmp_path)
    a = cache.load_op_trace(p)
    entry = cache.entry_dir(p)
    np.save(entry / "dur.npy", np.zeros(len(a) - 1, dtype=np.int64))  # one row short
    assert cache.load(p) is None
    b = cache.load_op_trace(p)  # decoded again (and the entry rewritten)
    assert b.dur.tolist() == a.dur.tolist()
    assert cache.load(p) is not None


def test_modified_trace_is_not_served_stale(tmp_path, big_enough) -> None:
    p = _trace_file(tmp_path)
    cache.load_op_trace(p)
    text = p.read_text().replace('"dur": 100', '"dur": 111', 1)
    p.write_text(text)
    os.utime(p, ns=(p.stat().st_atime_ns, p.stat().st_mtime_ns + 10_000_000))
    assert 111 in cache.load_op_trace(p).dur.tolist()


def test_disabled_by_env(tmp_path, big_enough, monkeypatch) -> None:
    monkeypatch.setenv("HTPTUI_NO_CACHE", "1")
    p = _trace_file(tmp_path)
    cache.load_op_trace(p)
    assert not cache.entry_dir(p).exists()


def test_corrupt_entry_is_ignored(tmp_path, big_enough) -> None:
    p = _trace_file(tmp_path)
    first = cache.load_op_trace(p)
    (cache.entry_dir(p) / "meta.msgpack").write_bytes(b"\x00garbage")
    again = cache.load_op_trace(p)
    assert again.ts.tolist() == first.ts.tolist()
