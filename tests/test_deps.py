"""Why is this op waiting: `Inputs Ops` + flow edges, tiles as candidates, the last-finishing producer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from htptui.analysis.deps import VIA_FLOW, VIA_INPUTS, build_deps, wait_chain, waited_for
from htptui.analysis.run import analysis_of
from htptui.model import chrometrace
from htptui.model.run import load_run
from tests.conftest import REAL_SAMPLE, meta_process, meta_thread, write_trace, x_event

A, B, C, D = 0x1000_0000_0001, 0x1001_0000_0002, 0x1002_0000_0003, 0x1003_0000_0004


def _hex(i: int) -> str:
    return f"0x{i:016x}"


def _trace(tmp_path: Path) -> chrometrace.OpTrace:
    ev = [
        meta_process(0, "Core 0 Overview"),
        meta_thread(0, 256, "Core:0 Type: HMX"),
        meta_thread(0, 512, "Core:0 Type: HVX thread 0"),
        meta_thread(0, 513, "Core:0 Type: HVX thread 1"),
        # A on HMX; B tiled on two HVX threads (one ID); C reads A and B; D reads C via a flow only
        x_event("q::A", 256, 0, 100, op_id=A, flags=["uses_hmx"], qnn="A"),
        x_event("q::B", 512, 10, 50, op_id=B, qnn="B"),
        x_event("q::B", 513, 20, 150, op_id=B, qnn="B"),
        x_event(
            "q::C",
            512,
            200,
            30,
            op_id=C,
            qnn="C",
            **{"Inputs Ops": [_hex(A), _hex(B), _hex(B), "0x0000deadbeef0000", 7, None]},
        ),  # fmt: skip
        x_event("q::D", 256, 240, 10, op_id=D, qnn="D"),
        {"cat": "input_output", "name": "F", "ph": "s", "pid": 0, "tid": 512, "ts": 230, "id": 9},
        {
            "cat": "input_output",
            "name": "F",
            "ph": "f",
            "pb": "e",
            "pid": 0,
            "tid": 256,
            "ts": 240,
            "id": 9,
        },  # fmt: skip
        {"cat": "input_output", "name": "F", "ph": "s", "pid": 0, "tid": 1, "ts": 5, "id": 10},
        {
            "cat": "input_output",
            "name": "F",
            "ph": "f",
            "pb": "e",
            "pid": 0,
            "tid": 256,
            "ts": 0,
            "id": 10,
        },  # fmt: skip
    ]
    return chrometrace.load(write_trace(tmp_path / "chrometrace.json", ev))


def _op(t: chrometrace.OpTrace, name: str, tid: int | None = None) -> int:
    ks = [i for i in range(len(t)) if t.kernel_name(i) == name]
    if tid is not None:
        ks = [i for i in ks if t.lane_of(i).tid == tid]
    assert len(ks) == 1
    return ks[0]


def test_inputs_ops_csr_reads_every_list(tmp_path: Path) -> None:
    t = _trace(tmp_path)
    ptr, ids = t.inputs_ops()
    c = _op(t, "q::C")
    got = ids[ptr[c] : ptr[c + 1]].tolist()
    assert got == [A, B, B, 0x0000DEADBEEF0000, 7]  # None dropped, repeats kept
    assert ptr[-1] == len(got)


@pytest.mark.parametrize("raws", [[b""], [b"", b""], [], [b"[]", b""], [b"{}"]])
def test_raw_lists_with_no_id_at_all(raws: list[bytes]) -> None:
    """No op lists an input (a trace without `Inputs Ops`): no ID, no error (the explorer's
    dependencies worker used to fail with an IndexError on such a trace)."""
    from htptui.model.chrometrace.inputs import _raw_lists

    pos, ids, ok = _raw_lists(raws)
    assert pos.size == ids.size == ok.size == 0


def test_dependencies_of_a_trace_without_inputs_ops(tmp_path: Path) -> None:
    ev = [meta_process(0, "Core 0 Overview"), meta_thread(0, 256, "Type: HMX")]
    ev += [x_event("q::A", 256, 10 * k, 5, op_id=0x1000 + k) for k in range(3)]
    an = analysis_of(load_run(write_trace(tmp_path / "chrometrace.json", ev)))
    t = an.trace
    assert t is not None
    ptr, ids = t.inputs_ops()
    assert ptr.tolist() == [0, 0, 0, 0] and ids.size == 0
    deps = an.deps()  # the explorer's worker builds this after every load
    for op in range(len(t)):
        assert deps.producers(op)[0].size == 0
        assert waited_for(deps, t.ts, t.dur, op) is None


def test_producers_tiles_flows_and_wait(tmp_path: Path) -> None:
    t = _trace(tmp_path)
    d = build_deps(t, None, t.inputs_ops())
    a, b0, b1, c, dd = (_op(t, "q::A"), _op(t, "q::B", 512), _op(t, "q::B", 513),
                        _op(t, "q::C"), _op(t, "q::D"))  # fmt: skip
    prods, via = d.producers(c)
    assert sorted(prods.tolist()) == sorted([a, b0, b1])  # both tiles of B are candidates
    assert set(via.tolist()) == {VIA_INPUTS}
    cons, via = d.consumers(c)
    assert cons.tolist() == [dd] and via.tolist() == [VIA_FLOW]
    # C waited for the B tile that ended last (20 + 150 = 170 > A's 100)
    assert waited_for(d, t.ts, t.dur, c) == b1
    assert wait_chain(d, t.ts, t.dur, dd) == [dd, c, b1]
    assert d.flows_total == 2 and d.flows_resolved == 1
    assert any("tid 1" in n for n in d.notes)
    # tiles of one ID are never each other's producers
    assert d.producers(b0)[0].size == 0 and d.producers(b1)[0].size == 0


def test_real_sample_edges_are_consistent() -> None:
    opt = load_run(REAL_SAMPLE)
    an = analysis_of(opt)
    t = opt.trace
    assert t is not None and opt.graph is not None
    d = an.deps()
    ptr, ids = t.inputs_ops()
    ends = t.ts + t.dur
    assert d.flows_total == 51
    flow_edges = 0
    for e in range(len(d)):
        s, c, v = int(d.src[e]), int(d.dst[e]), int(d.via[e])
        if v & VIA_FLOW:
            flow_edges += 1
            fl = t.flows
            starts = fl.ts[fl.is_start]
            assert ends[s] in starts.tolist() and t.ts[c] in fl.ts[~fl.is_start].tolist()
        if v & VIA_INPUTS:
            listed = set(ids[ptr[c] : ptr[c + 1]].tolist())
            via_graph = {k for k in listed if opt.graph.producer.get(k) == int(t.op_id[s])}
            assert int(t.op_id[s]) in listed or via_graph
    assert 0 < flow_edges <= d.flows_resolved  # pairs may repeat one edge
    # every op that a flow says waited has a producer; the one waited for ends no later than it starts
    for c in range(len(t)):
        w = an.waited_for(c)
        if w is not None:
            assert ends[w] <= t.ts[c]
    # producer/consumer indexes are the two views of one edge list
    for i in range(len(t)):
        for p in d.producers(i)[0].tolist():
            assert i in d.consumers(p)[0].tolist()
    assert np.all(d.dst_ptr[1:] >= d.dst_ptr[:-1])


def test_inputs_ops_without_kept_bytes_reads_the_file(tmp_path: Path) -> None:
    """A trace restored from the cache keeps neither its bytes nor a chunk map: read the file."""
    t = _trace(tmp_path)
    want = t.inputs_ops()
    object.__setattr__(t, "_raw", None)
    t._chunks = []
    got = t.inputs_ops()
    assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()


def test_parse_ids_equals_parse_id_on_every_form() -> None:
    """The vectorised ID parse gives what `parse_id` of each entry gives (bad entries dropped)."""
    from htptui.model._io import parse_id
    from htptui.model.chrometrace.inputs import parse_ids

    values = [
        _hex(A), _hex(B).upper().replace("0X", "0x"), "0X" + _hex(C)[2:], "0x" + "f" * 16,
        "0x" + "0" * 16, "0x12", "0x00001111000000zz", " 0x0000111100000002", "0x0000_11100000002",
        "0x" + "é" * 16, "0x\ud800" + "0" * 15, 12, 0, -3, 1 << 64, True, None, 1.5, ["x"], {},
        "123", "", "0x" + "1" * 40,
    ]  # fmt: skip
    ids, ok = parse_ids(values)

    def want(v: object) -> int | None:
        i = parse_id(v) if isinstance(v, str | int) and not isinstance(v, bool) else None
        return i if i is not None and 0 < i < 1 << 64 else None

    assert [int(x) if k else None for x, k in zip(ids.tolist(), ok.tolist(), strict=True)] == [
        want(v) for v in values
    ]


def _reference_inputs(t: chrometrace.OpTrace) -> list[list[int]]:
    """Every op's readable `Inputs Ops`, one event at a time (the definition)."""
    from htptui.model.chrometrace.inputs import parse_ids

    out = []
    for i in range(len(t)):
        raw = t.event_args(i).get("Inputs Ops")
        ids, ok = parse_ids(raw if isinstance(raw, list) else [])
        out.append(ids[ok].tolist())
    return out


def test_inputs_csr_and_one_op_producers_equal_the_full_build() -> None:
    """On real and synthetic samples: the CSR equals reading each op alone, and the producers of
    one op from its own args (the answer before the full build) equal the full build's."""
    from htptui.analysis.deps import producers_of

    samples = Path(__file__).resolve().parents[1] / "sample_data"
    for path in [
        REAL_SAMPLE,
        samples / "chain8_matmul",
        samples / "synthetic_tiled_custom_op",
        samples / "synthetic_llm_decoder" / "qwen3-synth-s32-chrometrace.json",
    ]:
        an = analysis_of(load_run(path))
        t = an.trace
        assert t is not None
        ptr, ids = t.inputs_ops()
        ref = _reference_inputs(t)
        assert [ids[ptr[i] : ptr[i + 1]].tolist() for i in range(len(t))] == ref, path
        assert sum(map(len, ref)) > 0, path
        lazy = [an.producers(i) for i in range(len(t))]  # before the full build
        assert not an.cached("deps")
        d = an.deps()
        for i in range(len(t)):
            full = d.producers(i)
            assert lazy[i][0].tolist() == full[0].tolist(), (path, i)
            assert lazy[i][1].tolist() == full[1].tolist(), (path, i)
            alone = producers_of(t, an.run.graph, i, t.event_args(i).get("Inputs Ops"),
                                 an.flow_edges())  # fmt: skip
            assert alone[0].tolist() == full[0].tolist()
        assert len(d) > 0, path


def test_inputs_csr_reads_every_odd_form_like_one_op_at_a_time(tmp_path: Path) -> None:
    """Whitespace, escapes, upper-case hex, ints, nulls, non-lists: the vectorised raw path gives
    what decoding each op's args alone gives (the slow path takes whatever is not canonical)."""
    import json

    forms = [
        [_hex(A), _hex(B)], [], None, [_hex(A).upper().replace("0X", "0x")], "0x1", {"a": 1},
        [7, _hex(C), None, True, 1.5, [_hex(D)]], [_hex(A)] * 5, ["0x" + "0" * 16],
    ]  # fmt: skip
    ev = [meta_process(0, "Core 0 Overview"), meta_thread(0, 512, "Core:0 Type: HVX thread 0")]
    for k, form in enumerate(forms):
        ev.append(x_event(f"q::K{k}", 512, 10 * k, 5, op_id=0x2000_0000_0000 + k, qnn=f"K{k}",
                          **{"Inputs Ops": form}))  # fmt: skip
    path = write_trace(tmp_path / "chrometrace.json", ev)
    text = path.read_text()
    # hand-written spellings the writer would not produce: spaces, an escaped digit
    text = text.replace(json.dumps([_hex(A), _hex(B)]), f'[ "{_hex(A)}" ,  "{_hex(B)}" ]', 1)
    text = text.replace(
        json.dumps([_hex(A)] * 5), json.dumps([_hex(A)] * 5).replace("0x", "\\u0030x", 1), 1
    )
    path.write_text(text)
    t = chrometrace.load(path)
    ptr, ids = t.inputs_ops()
    got = [ids[ptr[i] : ptr[i + 1]].tolist() for i in range(len(t))]
    assert got == _reference_inputs(t)
    assert sum(map(len, got)) >= 9


def test_raw_lists_fast_and_slow_forms_agree_with_decoding_each() -> None:
    import json

    import msgspec

    from htptui.model.chrometrace.inputs import _raw_lists, parse_ids

    canon = json.dumps([_hex(A), _hex(B)], separators=(",", ":")).encode()
    raws = [
        canon, b"[]", b"", b"null", b"[ ]", canon.replace(b",", b", "), canon.upper(),
        canon.replace(b"0x", b"\\u0030x", 1), b'["0x00001000000000zz"]', b'"0x1"', b"{}",
        b'[7,"' + _hex(C).encode() + b'",null]', json.dumps([_hex(D)] * 4, separators=(",", ":")).encode(),
        b'["0x0000000000000000"]', b"[" + b",".join([b'"' + _hex(A).encode() + b'"'] * 3) + b"]",
        b'["' + _hex(A).encode() + b'"}', b"[1e400]",
    ]  # fmt: skip
    pos, ids, ok = _raw_lists([msgspec.Raw(r) if r else b"" for r in raws])
    got = [[int(x) for p, x, k in zip(pos.tolist(), ids.tolist(), ok.tolist(), strict=True)
            if p == e and k] for e in range(len(raws))]  # fmt: skip
    want = []
    for r in raws:
        try:
            v = msgspec.json.decode(r) if r else None
        except msgspec.DecodeError:
            v = None
        i, k = parse_ids(v if isinstance(v, list) else [])
        want.append(i[k].tolist())
    assert got == want
    assert got[0] == [A, B] and got[-3] == [A, A, A] and got[-4] == []


def test_flow_pairs_first_of_each_kind_by_id(tmp_path: Path) -> None:
    """Repeated, unpaired, negative and f-before-s flow ids pair as "the first s and the first f
    of an id" (the vectorised pairing checked against that definition)."""
    from htptui.analysis.deps import flow_edges

    ev = [
        meta_process(0, "Core 0 Overview"),
        meta_thread(0, 256, "Core:0 Type: HMX"),
        meta_thread(0, 512, "Core:0 Type: HVX thread 0"),
        x_event("q::P", 256, 0, 10, op_id=A, qnn="P"),
        x_event("q::Q", 512, 20, 10, op_id=B, qnn="Q"),
        x_event("q::R", 256, 40, 10, op_id=C, qnn="R"),
    ]

    def fl(ph: str, tid: int, ts: int, fid: int) -> dict[str, object]:
        return {"cat": "input_output", "name": "F", "ph": ph, "pid": 0, "tid": tid, "ts": ts,
                "id": fid, **({"pb": "e"} if ph == "f" else {})}  # fmt: skip

    ev += [
        fl("f", 512, 20, 1),
        fl("s", 256, 10, 1),  # f first in the file: still a pair P -> Q
        fl("s", 512, 30, 2),
        fl("f", 256, 40, 2),
        fl("s", 256, 10, 2),  # second s ignored
        fl("f", 256, 40, 2),  # second f ignored
        fl("s", 256, 10, 3),  # no f
        fl("s", 256, 10, -4),
        fl("f", 512, 20, -4),  # negative id: ignored
        fl("s", 1, 5, 5),
        fl("f", 512, 20, 5),  # from a tensor thread: counted, no edge
    ]
    t = chrometrace.load(write_trace(tmp_path / "chrometrace.json", ev))
    src, dst, total, from_tensor = flow_edges(t)
    p, q, r = _op(t, "q::P"), _op(t, "q::Q"), _op(t, "q::R")
    assert sorted(zip(src.tolist(), dst.tolist(), strict=True)) == sorted([(p, q), (q, r)])
    assert (total, from_tensor) == (3, 1)


def test_paced_build_equals_the_plain_build_and_sleeps_between_chunks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The build the explorer runs beside its UI (duty 0.5) gives exactly the plain build's edges,
    and really pauses after each chunk in proportion to the time the chunk took."""
    import time

    from htptui.analysis import deps as deps_mod

    samples = Path(__file__).resolve().parents[1] / "sample_data"
    for path in [
        REAL_SAMPLE,
        samples / "synthetic_llm_decoder" / "qwen3-synth-s1-chrometrace.json",
    ]:
        an = analysis_of(load_run(path))
        t = an.trace
        assert t is not None
        plain = build_deps(t, an.run.graph, t.inputs_ops(), an.flow_edges())
        paced = an.deps(duty=0.5)
        for name in ("src", "dst", "via", "by_dst", "dst_ptr", "by_src", "src_ptr"):
            assert getattr(paced, name).tolist() == getattr(plain, name).tolist(), (path, name)
        assert paced.notes == plain.notes and len(paced) == len(plain) > 0
    slept: list[float] = []
    monkeypatch.setattr(deps_mod.time, "sleep", slept.append)

    def chunks() -> Any:
        for k in range(3):
            busy = time.perf_counter() + 0.01
            while time.perf_counter() < busy:
                pass
            yield k

    assert list(deps_mod.paced_chunks(chunks(), 0.5)) == [0, 1, 2]
    assert len(slept) == 3 and all(0.009 <= s <= 0.05 for s in slept)
    slept.clear()
    assert list(deps_mod.paced_chunks(chunks(), 1.0)) == [0, 1, 2] and slept == []
