"""The op-trace loader on tiny hand-written traces covering every variant in the spec."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from htptui.errors import InputError
from htptui.model import chrometrace
from htptui.model.chrometrace import FLAG_DMA_WAIT, FLAG_HMX
from tests.conftest import meta_process, meta_thread, small_trace_events, write_trace, x_event


def test_dedup_keeps_core_overview_copy(tmp_path) -> None:
    t = chrometrace.load(write_trace(tmp_path / "t.json", small_trace_events()))
    assert len(t) == 4
    assert t.duplicate_events == 4
    assert int(t.dur.sum()) == 220  # not 440: each op counted once


def test_lanes_by_thread_name_and_sorted(tmp_path) -> None:
    t = chrometrace.load(write_trace(tmp_path / "t.json", small_trace_events()))
    assert [ln.label for ln in t.lanes] == ["HMX 256", "HVX 512", "HVX 513"]
    assert list(t.ts) == [0, 100, 120, 150]


def test_non_executed_tensors_kept_apart(tmp_path) -> None:
    t = chrometrace.load(write_trace(tmp_path / "t.json", small_trace_events()))
    assert t.non_executed.ts.tolist() == [90]
    assert "$Const" not in [t.kernel_name(i) for i in range(len(t))]


def test_counters_with_empty_key_and_flows(tmp_path) -> None:
    t = chrometrace.load(write_trace(tmp_path / "t.json", small_trace_events()))
    assert t.counters["VTCM alloc"].value.tolist() == [4096, 8192]
    assert t.flows.flow_id.tolist() == [1, 1]
    assert t.flows.is_start.tolist() == [True, False]


def test_bare_list_and_gzip_give_the_same_model(tmp_path) -> None:
    ev = small_trace_events()
    a = chrometrace.load(write_trace(tmp_path / "a.json", ev))
    b = chrometrace.load(write_trace(tmp_path / "b.json", ev, bare=True))
    gz = tmp_path / "c.json.gz"
    gz.write_bytes(gzip.compress((tmp_path / "a.json").read_bytes()))
    c = chrometrace.load(gz)
    assert b.shape == "bare-list" and c.gzipped
    for other in (b, c):
        assert other.ts.tolist() == a.ts.tolist()
        assert other.dur.tolist() == a.dur.tolist()
        assert [ln.label for ln in other.lanes] == [ln.label for ln in a.lanes]


def test_v247_layout_dma_on_256_hmx_on_768(tmp_path) -> None:
    ev = [
        x_event("q::*InputSlice", 256, 0, 50, flags=["dma"], op_id=0x1111_0000_0002, qnn="Input"),
        x_event("q::ConvLayer_s1.opt", 768, 50, 100, flags=["uses_hmx"]),
        *[
            x_event("q::Tanh", 512 + k, 60, 30, op_id=0x1200_0000_0016 + (k << 32), qnn="Tanh_0")
            for k in range(8)
        ],
        meta_process(0, "Core 0 Overview"),
        meta_thread(0, 256, "Type: DMA"),
        meta_thread(0, 768, "Type: HMX"),
        *[meta_thread(0, 512 + k, "Type: HVX") for k in range(8)],
    ]
    t = chrometrace.load(write_trace(tmp_path / "t.json", ev))
    units = {ln.tid: ln.unit for ln in t.lanes}
    assert units[256] == "DMA" and units[768] == "HMX"
    assert sum(1 for u in units.values() if u == "HVX") == 8
    assert [ln.unit for ln in t.lanes][:2] == ["HMX", "HVX"]


def test_two_cores(tmp_path) -> None:
    ev = [
        x_event("q::Conv", 256, 0, 100, flags=["uses_hmx"]),
        x_event("q::Conv", 256, 10, 80, flags=["uses_hmx"], pid=5, op_id=0x2000_0000_0012),
        meta_process(0, "Core 0 Overview"),
        meta_process(5, "Core 1 Overview"),
        meta_thread(0, 256, "Type: HMX"),
        meta_thread(5, 256, "Type: HMX"),
    ]
    t = chrometrace.load(write_trace(tmp_path / "t.json", ev))
    assert [(ln.core, ln.unit) for ln in t.lanes] == [(0, "HMX"), (1, "HMX")]
    assert len(t) == 2


def test_no_overview_process_dedups_by_key(tmp_path) -> None:
    ev = [
        x_event("q::Conv", 256, 0, 100, flags=["uses_hmx"]),
        x_event("q::Conv", 256, 0, 100, flags=["uses_hmx"], pid=3),
        meta_thread(0, 256, "Type: HMX"),
        meta_thread(3, 256, "Core:0 Type: HMX Tid: 256"),
    ]
    t = chrometrace.load(write_trace(tmp_path / "t.json", ev))
    assert len(t) == 1
    assert any("de-duplicated" in w for w in t.warnings)


def test_unknown_thread_name_is_not_guessed_from_tid(tmp_path) -> None:
    ev = [x_event("q::Conv", 256, 0, 100, flags=["uses_hmx"]), meta_process(0, "Core 0 Overview")]
    t = chrometrace.load(write_trace(tmp_path / "t.json", ev))
    assert t.lanes[0].unit == "?"
    assert any("thread_name" in w for w in t.warnings)


def test_missing_arg_keys_are_tolerated(tmp_path) -> None:
    ev = [
        {"name": "q::Mystery", "ph": "X", "tid": 512, "pid": 0, "ts": 5, "dur": 7, "args": {}},
        {"name": "q::NoArgs", "ph": "X", "tid": 512, "pid": 0, "ts": 20, "dur": 3},
        meta_process(0, "Core 0 Overview"),
        meta_thread(0, 512, "Type: HVX"),
    ]
    t = chrometrace.load(write_trace(tmp_path / "t.json", ev))
    assert len(t) == 2
    assert t.dpc.tolist() == [-1, -1]
    assert np.isnan(t.cpp).all()
    assert t.rebase is None


def test_flags_classified_and_waits_by_flag_not_name(tmp_path) -> None:
    ev = [
        x_event("q::*InputSlice", 256, 0, 10, flags=["dma_wait"], op_id=0x1, qnn="Input"),
        x_event("q::Conv", 256, 10, 10, flags=["uses_hmx"]),
        meta_process(0, "Core 0 Overview"),
        meta_thread(0, 256, "Type: HMX"),
    ]
    t = chrometrace.load(write_trace(tmp_path / "t.json", ev))
    assert t.flags[0] & FLAG_DMA_WAIT and t.flags[1] & FLAG_HMX


def test_chunked_decode_equals_whole_decode(tmp_path, monkeypatch) -> None:
    ev = small_trace_events() * 1
    # many more events so the file spans several small chunks
    for k in range(300):
        ev.append(
            x_event(
                "q::Tanh", 513, 1000 + 10 * k, 5, op_id=0x3000_0000_0016 + (k << 32), qnn="Tanh_0"
            )
        )
    path = write_trace(tmp_path / "t.json", ev)
    whole = chrometrace.load(path)
    monkeypatch.setattr(chrometrace, "CHUNK_BYTES", 2048)
    chunked = chrometrace.load(path)
    assert chunked.ts.tolist() == whole.ts.tolist()
    assert chunked.kernel_name(len(chunked) - 1) == whole.kernel_name(len(whole) - 1)
    assert chunked.event_args(len(chunked) - 1)["HTP Op Type"] == "q::Tanh"


def test_event_args_decoded_lazily(tmp_path) -> None:
    t = chrometrace.load(write_trace(tmp_path / "t.json", small_trace_events()))
    args = t.event_args(0)
    assert args["QNN Op Name"] == "MatMul_0" and args["Flags"] == ["uses_hmx"]


@pytest.mark.parametrize("cut", [1, 10, 100, 500, -2])
def test_truncated_file_gives_one_line_error(tmp_path, cut) -> None:
    full = write_trace(tmp_path / "full.json", small_trace_events()).read_bytes()
    bad = tmp_path / "cut.json"
    bad.write_bytes(full[:cut] if cut > 0 else full[:cut])
    with pytest.raises(InputError) as err:
        chrometrace.load(bad)
    msg = str(err.value)
    assert "cut.json" in msg and "\n" not in msg


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary\xff", "not a JSON"),
        (b'{"traceEvents": 5}', "traceEvents"),
        (b'[{"ph": "X", "ts": "soon"}]', "ts"),
        (b'"just a string"', "expected"),
        (b'{"header": {"artifact_type": "QHAS"}, "data": {}}', "QHAS"),
    ],
)
def test_hostile_inputs(tmp_path, content, fragment) -> None:
    p = tmp_path / "bad.json"
    p.write_bytes(content)
    with pytest.raises(InputError) as err:
        chrometrace.load(p)
    assert fragment in str(err.value)
    assert str(p) in str(err.value)


def test_markup_and_ansi_in_names_are_kept_verbatim(tmp_path) -> None:
    evil = "q::[bold]Evil[/]\x1b[31mRed"
    ev = [
        x_event(evil, 512, 0, 10, qnn="[/]Op"),
        meta_process(0, "Core 0 Overview"),
        meta_thread(0, 512, "Type: HVX"),
    ]
    t = chrometrace.load(write_trace(tmp_path / "t.json", ev))
    # markup is kept verbatim; the ESC control character becomes a visible escape, never raw bytes
    assert t.kernel_name(0) == "q::[bold]Evil[/]\\x1b[31mRed"
    assert t.qnn_op_name(0) == "[/]Op"


def test_unsorted_events_are_sorted(tmp_path) -> None:
    ev = list(reversed(small_trace_events()))
    t = chrometrace.load(write_trace(tmp_path / "t.json", ev))
    assert t.ts.tolist() == sorted(t.ts.tolist())


def test_stdin_bytes(tmp_path) -> None:
    data = json.dumps({"traceEvents": small_trace_events()}).encode()
    t = chrometrace.load(data=data, label="<stdin>")
    assert len(t) == 4 and t.source == "<stdin>"


def test_parallel_path_equals_in_memory_decode(tmp_path, monkeypatch) -> None:
    """The big-file path (pid pre-scan, raw-args decode, worker subprocesses) gives the same model."""
    ev = small_trace_events()
    for k in range(400):
        ev.append(
            x_event(
                "q::Tanh", 513, 1000 + 10 * k, 5, op_id=0x3000_0000_0016 + (k << 32), qnn="Tanh_0"
            )
        )
        ev.append(
            x_event(
                "q::Tanh",
                513,
                1000 + 10 * k,
                5,
                op_id=0x3000_0000_0016 + (k << 32),
                qnn="Tanh_0",
                pid=3,
            )
        )
    path = write_trace(tmp_path / "t.json", ev)
    reference = chrometrace.load(path)
    monkeypatch.setattr(chrometrace, "PARALLEL_ABOVE", 0)
    monkeypatch.setattr(chrometrace, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(chrometrace, "MAX_WORKERS", 2)
    assert chrometrace._scan_overview_pids(str(path)) == frozenset({0})
    parallel = chrometrace.load(path)
    assert len(parallel._chunks) > 4  # really went through the chunked worker path
    for col in ("ts", "dur", "lane", "op_id", "flags", "dpc", "start_cycle", "ordinal"):
        assert getattr(parallel, col).tolist() == getattr(reference, col).tolist(), col
    assert [parallel.kernel_name(i) for i in range(len(parallel))] == [
        reference.kernel_name(i) for i in range(len(reference))
    ]
    assert parallel.duplicate_events == reference.duplicate_events == 404
    assert (
        parallel.counters["VTCM alloc"].value.tolist()
        == reference.counters["VTCM alloc"].value.tolist()
    )
    assert parallel.event_args(len(parallel) - 1)["QNN Op Name"] == "Tanh_0"
