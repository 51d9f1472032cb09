"""The lean big-file decoder gives exactly the previous loader's model, and its layout guess is checked.

The previous loader (full-file pid pre-scan, one args decode per kept op, four passes per chunk)
stays callable as ``chrometrace.LEGACY = True``; every sample, the real sample, a tiled real-form
fixture and synthetic traces are loaded both ways through the chunked worker path and compared
field by field.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from htptui.model import chrometrace
from htptui.synth import write_big_trace
from tests.conftest import meta_process, meta_thread, sample_dirs, write_trace, x_event

COLUMNS = ("ts", "dur", "lane", "kernel", "qnn_op", "qnn_type", "op_id", "flags", "dpc_event", "dpc", "dpc_source", "tiled", "cpp",
           "start_cycle", "ordinal")  # fmt: skip


def _load(path: Path, monkeypatch: pytest.MonkeyPatch, *, legacy: bool, chunk: int = 4096):
    with monkeypatch.context() as m:
        m.setenv("HTPTUI_NO_CACHE", "1")
        m.setattr(chrometrace, "PARALLEL_ABOVE", 0)
        m.setattr(chrometrace, "CHUNK_BYTES", chunk)
        m.setattr(chrometrace, "MAX_WORKERS", 2)
        m.setattr(chrometrace, "LEGACY", legacy)
        return chrometrace.load(path)


def assert_same_model(a: chrometrace.OpTrace, b: chrometrace.OpTrace) -> None:
    """Every column, table and count of two OpTraces is identical."""
    for col in COLUMNS:
        x, y = getattr(a, col), getattr(b, col)
        assert x.dtype == y.dtype, col
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), col
    assert a.strings.names == b.strings.names
    assert a.lanes == b.lanes
    for f in ("ts", "name", "op_id", "flags"):
        assert np.array_equal(getattr(a.non_executed, f), getattr(b.non_executed, f)), f
    assert a.core_counters.keys() == b.core_counters.keys()
    for core, series in a.core_counters.items():
        other = b.core_counters[core]
        assert list(series) == list(other)
        for name, c in series.items():
            assert np.array_equal(c.ts, other[name].ts) and np.array_equal(
                c.value, other[name].value
            )
    for f in ("flow_id", "is_start", "ts", "tid"):
        assert np.array_equal(getattr(a.flows, f), getattr(b.flows, f)), f
    assert a.flows.category == b.flows.category
    assert a.process_names == b.process_names
    assert a.qnn_op_ids == b.qnn_op_ids
    assert (a.shape, a.total_events, a.duplicate_events) == (
        b.shape,
        b.total_events,
        b.duplicate_events,
    )
    assert a.warnings == b.warnings
    assert a._chunks == b._chunks


def _op_traces() -> list[Path]:
    out = []
    for d in sample_dirs():
        for p in sorted(d.iterdir()):
            if p.suffix == ".json" and p.read_bytes()[:4096].find(b'"OP_TRACE"') >= 0:
                out.append(p)
    return out


@pytest.mark.parametrize("path", _op_traces(), ids=lambda p: p.parent.name)
def test_every_sample_same_model_through_the_lean_workers(path, monkeypatch) -> None:
    chrometrace.LAST_LOAD.clear()
    lean = _load(path, monkeypatch, legacy=False)
    assert chrometrace.LAST_LOAD.get("layout") in ("tail", "full scan")
    assert len(lean._chunks) > 2  # really chunked
    assert_same_model(lean, _load(path, monkeypatch, legacy=True))


def test_the_samples_cover_the_real_one() -> None:
    assert any(p.parent.name == "chain8_matmul" for p in _op_traces())


def _tiled_events() -> list[dict]:
    """Real form (spec §1.4b): 6 tiles of one op share one ID on 4 HVX tids, DPC copied on each."""
    ev = [meta_thread(0, 256, "Type: HMX")]
    ev.append(x_event("q::Conv", 256, 0, 400, flags=["uses_hmx"], op_id=0x10_0000_0012))
    ev.append(x_event("q::Conv", 256, 0, 400, flags=["uses_hmx"], op_id=0x10_0000_0012, pid=2))
    for t in range(6):
        tid = 512 + t % 4
        ts = 400 + 10 * t + (t // 4) * 300
        for pid in (0, 3):
            ev.append(x_event("Custom::Tile", tid, ts, 250, op_id=0x20_0000_0016, qnn="Tile_0",
                              dpc=900, pid=pid))  # fmt: skip
        if t < 4:
            ev.append(meta_thread(0, tid, "Type: HVX"))
            ev.append(meta_thread(3, tid, f"Core:0 Type: HVX Tid: {tid}"))
    ev.append(meta_process(2, "QNN::Conv_0", 0x12))
    ev.append(meta_process(3, "QNN::Tile_0", 0x16))
    for k in range(40):
        ev.append({"name": "VTCM read", "ph": "C", "tid": 0, "pid": 0, "ts": 20 * k,
                   "args": {"": 2048 * (k % 3)}})  # fmt: skip
    ev.append(meta_process(0, "Core 0 Overview"))
    return ev


def test_tiled_real_form_same_model(tmp_path, monkeypatch) -> None:
    path = write_trace(tmp_path / "t.json", _tiled_events())
    lean = _load(path, monkeypatch, legacy=False, chunk=512)
    assert int((lean.op_id == 0x20_0000_0016).sum()) == 6
    assert_same_model(lean, _load(path, monkeypatch, legacy=True, chunk=512))


def test_lane_names_from_the_per_op_processes(tmp_path, monkeypatch) -> None:
    """The Overview process names none of its threads: each lane takes the first unit-named thread
    with its tid from the per-op processes (the only use of their thread names, so the lean path
    keeps one per tid), in every chunking, exactly as the previous loader did."""
    ev = [meta_process(0, "Core 0 Overview")]
    for k in range(60):
        tid = (256, 512, 513)[k % 3]
        pid = 100 + k
        ev.append(meta_process(pid, f"QNN::Op_{k}", 0x10 + k))
        # runs of names without a unit (the fallback skips them, as before) before named ones,
        # each naming its op, so which one a lane takes shows
        unit = "HMX" if tid == 256 else "HVX"
        name = f"worker {tid}" if (k // 9) % 2 == 0 else f"Core:0 Type: {unit} Tid: {tid} op {k}"
        ev.append(meta_thread(pid, tid, name))
        ev.append(meta_thread(pid, 7, "Type: DMA"))  # a tid no kept op runs on
        for q in (0, pid):
            ev.append(x_event("q::Op", tid, 100 * k, 50, op_id=((0x10 + k) << 32) | 0x12, pid=q))
    path = write_trace(tmp_path / "t.json", ev)
    for chunk in (1024, 4096, 16384):
        lean = _load(path, monkeypatch, legacy=False, chunk=chunk)
        assert len(lean._chunks) > 2  # really chunked
        assert {(ln.tid, ln.unit, ln.thread_name) for ln in lean.lanes} == {
            (256, "HMX", "Core:0 Type: HMX Tid: 256 op 9"),
            (512, "HVX", "Core:0 Type: HVX Tid: 512 op 10"),
            (513, "HVX", "Core:0 Type: HVX Tid: 513 op 11"),
        }
        assert_same_model(lean, _load(path, monkeypatch, legacy=True, chunk=chunk))


@pytest.mark.parametrize("share", [None, 0.85], ids=["synthetic", "counter-heavy"])
def test_big_synthetic_same_model(tmp_path, monkeypatch, share) -> None:
    path = tmp_path / "big.json"
    write_big_trace(path, 60_000, seed=3, counter_share=share)
    lean = _load(path, monkeypatch, legacy=False, chunk=256 * 1024)
    assert len(lean._chunks) > 3 and chrometrace.LAST_LOAD["layout"] == "tail"
    assert_same_model(lean, _load(path, monkeypatch, legacy=True, chunk=256 * 1024))


def test_no_overview_in_the_tail_falls_back_to_the_full_scan(tmp_path, monkeypatch) -> None:
    """Core 0 Overview named at the head only: the tail finds nothing, so every line is scanned."""
    ev = _tiled_events()
    ev.remove(meta_process(0, "Core 0 Overview"))
    ev.insert(0, meta_process(0, "Core 0 Overview"))
    path = write_trace(tmp_path / "t.json", ev)
    monkeypatch.setattr(chrometrace, "TAIL_BYTES", 256)
    chrometrace.LAST_LOAD.clear()
    lean = _load(path, monkeypatch, legacy=False, chunk=512)
    assert chrometrace.LAST_LOAD["layout"].startswith("full scan")
    assert chrometrace.read_tail(str(path), path.stat().st_size) is None
    assert len(lean) == 7 and lean.duplicate_events == 7
    assert_same_model(lean, _load(path, monkeypatch, legacy=True, chunk=512))


def test_a_wrong_tail_hint_is_caught_and_decoded_again(tmp_path, monkeypatch) -> None:
    """Core 1 Overview is named only near the head: the tail's keep-set {0} would drop core 1's
    ops silently; the check against the full metadata catches it and the file is decoded again."""
    ev = _tiled_events()  # its first X event (kept, pid 0) stays in the first chunk
    ev.insert(3, meta_process(7, "Core 1 Overview"))
    ev.insert(4, meta_thread(7, 256, "Type: HMX"))
    for k in range(5):
        ev.insert(5, x_event("q::Core1Op", 256, 5000 + 100 * k, 50, flags=["uses_hmx"], pid=7,
                             op_id=0x30_0000_0012 + (k << 32)))  # fmt: skip
    path = write_trace(tmp_path / "t.json", ev)
    tail = chrometrace.read_tail(str(path), path.stat().st_size, nbytes=2048)
    assert tail is not None and tail.overview_pids == frozenset({0})
    monkeypatch.setattr(chrometrace, "TAIL_BYTES", 2048)
    chrometrace.LAST_LOAD.clear()
    lean = _load(path, monkeypatch, legacy=False, chunk=512)
    assert chrometrace.LAST_LOAD["layout"] == "tail disagreed with the metadata: decoded again"
    assert {ln.core for ln in lean.lanes} == {0, 1}
    assert int((lean.kernel == lean.strings.lookup("q::Core1Op")).sum()) == 5
    assert_same_model(lean, _load(path, monkeypatch, legacy=True, chunk=512))


def test_a_minified_file_finds_no_layout_and_still_loads(tmp_path, monkeypatch) -> None:
    """No line structure at all: the tail and the scan find nothing; nothing is dropped early."""
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"traceEvents": _tiled_events()}))
    chrometrace.LAST_LOAD.clear()
    lean = _load(path, monkeypatch, legacy=False)
    ref = _load(path, monkeypatch, legacy=True)
    assert len(lean) == len(ref) == 7
    assert_same_model(lean, ref)


def test_partial_traces_arrive_before_the_whole(tmp_path, monkeypatch) -> None:
    path = tmp_path / "big.json"
    write_big_trace(path, 40_000, seed=5)
    seen: list[tuple[int, float, tuple[int, int] | None]] = []
    with monkeypatch.context() as m:
        m.setenv("HTPTUI_NO_CACHE", "1")
        m.setattr(chrometrace, "PARALLEL_ABOVE", 0)
        m.setattr(chrometrace, "CHUNK_BYTES", 256 * 1024)
        m.setattr(chrometrace, "MAX_WORKERS", 2)
        whole = chrometrace.load(path, partial=lambda t, f: seen.append((len(t), f, t.extent_hint)))
    assert seen and 0 < seen[0][0] < len(whole) and 0 < seen[0][1] < 1
    lo, hi = seen[0][2]
    assert lo == int(whole.ts[0]) and hi <= int(whole.end.max())
    # the tail's last counters sit at the last ops: the hint spans (almost) the whole timeline
    assert hi - lo >= 0.99 * (int(whole.end.max()) - lo)


def test_a_tail_that_explains_no_op_of_the_first_chunk_triggers_the_full_scan(
    tmp_path, monkeypatch
) -> None:
    """The tail names only an empty Core 5 Overview; the real one is named at the head."""
    ev = _tiled_events()
    ev.remove(meta_process(0, "Core 0 Overview"))
    ev.insert(0, meta_process(0, "Core 0 Overview"))
    ev.append(meta_process(9, "Core 5 Overview"))
    path = write_trace(tmp_path / "t.json", ev)
    text = path.read_text().replace('"traceEvents": [', '"traceEvents": [\n', 1)
    path.write_text(text)  # every event on its own line, so the full scan can read them
    monkeypatch.setattr(chrometrace, "TAIL_BYTES", 300)
    tail = chrometrace.read_tail(str(path), path.stat().st_size)
    assert tail is not None and tail.overview_pids == frozenset({9})
    chrometrace.LAST_LOAD.clear()
    lean = _load(path, monkeypatch, legacy=False, chunk=2000)
    fallbacks = chrometrace.LAST_LOAD["fallbacks"]
    assert fallbacks[0] == "tail explained no op of the first chunk: full scan"
    assert len(lean) == 7
    assert_same_model(lean, _load(path, monkeypatch, legacy=True, chunk=2000))


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "q::X", "ph": "X", "tid": 512, "pid": 0, "ts": 2**70, "dur": 5, "args": {}},
        {"name": "q::X", "ph": "B", "tid": 512, "pid": 0, "ts": 10},
        {"name": "c", "ph": "C", "tid": 0, "pid": 0, "ts": 10, "args": {"": "many"}},
        {"name": "q::X", "ph": "X", "tid": 512, "pid": 0, "ts": 1, "dur": 5, "args": {"ID": 7}},
    ],
    ids=["huge-int", "other-phase", "string-counter", "int-id"],
)
def test_odd_chunks_take_the_previous_path_with_the_same_outcome(
    tmp_path, monkeypatch, bad
) -> None:
    ev = _tiled_events()
    ev.insert(2, bad)
    path = write_trace(tmp_path / "t.json", ev)

    def outcome(legacy: bool) -> object:
        try:
            return _load(path, monkeypatch, legacy=legacy, chunk=512)
        except Exception as exc:  # noqa: BLE001 - the error itself is compared
            return f"{type(exc).__name__}: {exc}"

    lean, ref = outcome(False), outcome(True)
    if isinstance(ref, str):
        assert lean == ref
    else:
        assert isinstance(lean, chrometrace.OpTrace)
        assert_same_model(lean, ref)
