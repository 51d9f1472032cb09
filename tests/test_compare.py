"""Comparing two runs: exact deltas on controlled edits of the real chain8 sample."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from htptui.analysis.compare import NO_NOISE_FILTER, Limits, Noise, check, compare
from htptui.errors import InputError
from htptui.model.run import load_run
from htptui.output.baseline import document_of, load_document, validate_document
from htptui.output.diff import render_diff
from htptui.output.json import to_json_bytes

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "chain8_matmul"
SLOWER = 5000  # cycles added to MatMul_3's q::ConvLayer_s1.opt


# --- controlled edits of the real sample (shared with test_diff_check_cli.py) ---------------------


def _copy(dst: Path, src: Path = SAMPLE) -> Path:
    shutil.copytree(src, dst)
    return dst


def _events(d: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    doc = json.loads((d / "chrometrace.json").read_text())
    return doc, doc["traceEvents"]


def _save(d: Path, doc: dict[str, Any]) -> None:
    (d / "chrometrace.json").write_text(json.dumps(doc))


def make_slower(dst: Path, src: Path = SAMPLE) -> Path:
    """MatMul_3's q::ConvLayer_s1.opt takes SLOWER more cycles; every later event shifts by it."""
    d = _copy(dst, src)
    doc, events = _events(d)
    targets = [
        e
        for e in events
        if e.get("ph") == "X"
        and (e.get("args") or {}).get("QNN Op Name") == "MatMul_3"
        and e["name"] == "q::ConvLayer_s1.opt"
    ]
    assert len(targets) == 2  # Core Overview copy and the QNN::MatMul_3 copy
    t0 = targets[0]["ts"]
    for e in events:
        if isinstance(e.get("ts"), int | float) and e["ts"] > t0:
            e["ts"] += SLOWER
            args = e.get("args") or {}
            if isinstance(args.get("Start Cycle"), int):
                args["Start Cycle"] += SLOWER
    for e in targets:
        e["dur"] += SLOWER
        e["args"]["Duration (cycles)"] += SLOWER
        e["args"]["Dominant Path Cycles"] += SLOWER
    _save(d, doc)
    return d


def make_without_matmul5(dst: Path, src: Path = SAMPLE) -> Path:
    """Drop every event of MatMul_5 (and its process) and cut it out of the compiled graph."""
    d = _copy(dst, src)
    doc, events = _events(d)
    pid = next(
        e["pid"]
        for e in events
        if e.get("name") == "process_name" and e["args"]["name"] == "QNN::MatMul_5"
    )
    doc["traceEvents"] = [
        e
        for e in events
        if e.get("pid") != pid and (e.get("args") or {}).get("QNN Op Name") != "MatMul_5"
    ]
    _save(d, doc)
    g = json.loads((d / "chrometrace_htp.json").read_text())
    nodes = g["graph"]["nodes"]
    gone = [k for k, n in nodes.items() if n["grouping"] == "MatMul_5"]
    conv5 = next(k for k in gone if nodes[k]["type"] == "q::ConvLayer_s1.opt")
    conv4 = next(
        k
        for k, n in nodes.items()
        if n["grouping"] == "MatMul_4" and n["type"] == "q::ConvLayer_s1.opt"
    )
    for k in gone:
        del nodes[k]
    for n in nodes.values():  # MatMul_6 now reads MatMul_4's output
        n["input_names"] = [conv4 if x == conv5 else x for x in n.get("input_names", [])]
    (d / "chrometrace_htp.json").write_text(json.dumps(g))
    return d


def make_lane_moved(dst: Path, src: Path = SAMPLE) -> Path:
    """Move the HVX 514 op (q::ForceFormat_Flat of Output) to HVX thread 513."""
    d = _copy(dst, src)
    doc, events = _events(d)
    for e in events:
        if e.get("tid") == 514:
            e["tid"] = 513
            if e.get("ph") == "M":
                e["args"]["name"] = e["args"]["name"].replace("Tid: 514", "Tid: 513")
    _save(d, doc)
    return d


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def doc_a() -> dict[str, Any]:
    return document_of(load_run(SAMPLE))


@pytest.fixture(scope="module")
def slower(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return document_of(load_run(make_slower(tmp_path_factory.mktemp("slow") / "b")))


@pytest.fixture(scope="module")
def without5(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return document_of(load_run(make_without_matmul5(tmp_path_factory.mktemp("rm") / "b")))


@pytest.fixture(scope="module")
def moved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return document_of(load_run(make_lane_moved(tmp_path_factory.mktemp("mv") / "b")))


def _sc(cmp: Any, name: str) -> tuple[Any, Any, Any]:
    c = cmp.summary_change(name)
    assert c is not None, name
    return c.a, c.b, c.delta


# --- tests ----------------------------------------------------------------------------------------


def test_a_vs_a_is_identical(doc_a: dict[str, Any]) -> None:
    cmp = compare(doc_a, doc_a)
    assert cmp.identical(NO_NOISE_FILTER)
    assert all(c.delta == 0 for c in cmp.summary)
    assert cmp.ops_added == [] and cmp.ops_removed == []
    assert cmp.graph is not None and not cmp.graph.changed
    gates, _ = check(cmp, Limits(idle_points=0.01))
    assert gates and not any(g.regressed for g in gates)


def test_basis_section_is_complete(doc_a: dict[str, Any]) -> None:
    basis = doc_a["compare_basis"]
    assert len(basis["instances"]) == 45
    assert {r["name"] for r in basis["qnn_ops"]} >= {f"MatMul_{i}" for i in range(8)}
    assert basis["graph"]["nodes"] == 29
    edges = {tuple(e) for e in basis["graph"]["qnn_op_edges"]}
    chain = ["Input", *[f"MatMul_{i}" for i in range(8)]]
    assert {(chain[i], chain[i + 1]) for i in range(8)} <= edges
    assert ("MatMul_7", "Output") in edges
    from htptui.analysis.dag import qnn_dag

    dag = qnn_dag(load_run(SAMPLE).graph)
    assert [list(e) for e in sorted(dag.edges)] == basis["graph"]["qnn_op_edges"]


def test_one_op_slower_exact_deltas(doc_a: dict[str, Any], slower: dict[str, Any]) -> None:
    cmp = compare(doc_a, slower)
    assert _sc(cmp, "graph wall (cycles)") == (64829, 64829 + SLOWER, SLOWER)
    assert _sc(cmp, "Σ DPC (cycles)") == (63056, 63056 + SLOWER, SLOWER)
    assert _sc(cmp, "domain: busiest unit (cycles)") == (38764, 38764 + SLOWER, SLOWER)
    assert _sc(cmp, "accumulated idle = wall − Σ DPC (cycles)") == (1773, 1773, 0)
    wall_us = cmp.summary_change("graph wall at the trace clock (µs)")
    assert wall_us is not None and wall_us.delta == pytest.approx(
        SLOWER / 0.806365 / 1000, abs=0.01
    )
    lane = cmp.lane("HMX 256")
    assert lane is not None and (lane.a, lane.b, lane.delta) == (38764, 43764, SLOWER)
    assert cmp.lane("HVX 512").delta == 0 and cmp.lane("HVX 514").delta == 0
    op = cmp.qnn_op("MatMul_3")
    assert (op.dpc.a, op.dpc.b, op.dpc.delta) == (1665, 1665 + SLOWER, SLOWER)
    assert (op.busy.a, op.busy.b, op.busy.delta) == (7235, 7235 + SLOWER, SLOWER)
    assert op.dpc.rel == pytest.approx(SLOWER / 1665)
    assert cmp.qnn_ops[0].name == "MatMul_3"  # sorted by |Δ|
    assert cmp.kernel("q::ConvLayer_s1.opt").dpc.delta == SLOWER
    assert all(r.dpc.delta == 0 and r.busy.delta == 0 for r in cmp.qnn_ops if r.name != "MatMul_3")
    changed = [r for r in cmp.instances if r.status != "same"]
    assert [(r.qnn_op, r.kernel, r.n, r.dur.a, r.dur.b) for r in changed] == [
        ("MatMul_3", "q::ConvLayer_s1.opt", 0, 1170, 1170 + SLOWER)
    ]
    assert cmp.ops_added == [] and cmp.ops_removed == []
    assert not cmp.graph.changed


def test_one_op_removed_exact_deltas(doc_a: dict[str, Any], without5: dict[str, Any]) -> None:
    cmp = compare(doc_a, without5)
    assert cmp.ops_removed == ["MatMul_5"] and cmp.ops_added == []
    op = cmp.qnn_op("MatMul_5")
    assert op.status == "removed"
    assert (op.dpc.a, op.busy.a, op.instances.a) == (1614, 1614, 5)
    assert _sc(cmp, "graph wall (cycles)") == (64829, 64829, 0)
    assert _sc(cmp, "Σ DPC (cycles)") == (63056, 61442, -1614)
    assert _sc(cmp, "accumulated idle = wall − Σ DPC (cycles)") == (1773, 3387, 1614)
    assert cmp.lane("HMX 256").delta == -1614
    assert cmp.kernel("q::ConvLayer_s1.opt").dpc.delta == -1179
    assert cmp.kernel("DmaCheckpointSet").busy.delta == -28
    removed = [r for r in cmp.instances if r.status == "removed"]
    assert len(removed) == 5 and {r.qnn_op for r in removed} == {"MatMul_5"}
    g = cmp.graph
    assert (g.nodes.a, g.nodes.b) == (29, 26)
    assert g.qnn_ops_removed == ("MatMul_5",)
    assert g.edges_removed == (("MatMul_4", "MatMul_5"), ("MatMul_5", "MatMul_6"))
    assert g.edges_added == (("MatMul_4", "MatMul_6"),)
    assert {c.name: (c.a, c.b) for c in g.kernel_counts} == {
        "q::ConvLayer.opt.bias_to_vtcm": (8, 7),
        "q::ConvLayer.opt.weights_to_vtcm": (8, 7),
        "q::ConvLayer_s1.opt": (8, 7),
    }


def test_lane_moved_exact_deltas(doc_a: dict[str, Any], moved: dict[str, Any]) -> None:
    cmp = compare(doc_a, moved)
    assert cmp.lanes_added == ["HVX 513"] and cmp.lanes_removed == ["HVX 514"]
    assert (cmp.lane("HVX 513").a, cmp.lane("HVX 513").b) == (None, 5801)
    assert (cmp.lane("HVX 514").a, cmp.lane("HVX 514").b) == (5801, None)
    assert _sc(cmp, "graph wall (cycles)")[2] == 0
    assert _sc(cmp, "HVX busiest lane busy (cycles)") == (24061, 24061, 0)
    assert all(r.status == "same" for r in cmp.qnn_ops)
    mv = [r for r in cmp.instances if r.status != "same"]
    assert [(r.qnn_op, r.kernel, r.lane_a, r.lane_b, r.dur.delta) for r in mv] == [
        ("Output", "q::ForceFormat_Flat", "HVX 514", "HVX 513", 0)
    ]


def test_noise_threshold_hides_small_deltas(doc_a: dict[str, Any]) -> None:
    b = json.loads(to_json_bytes(doc_a))
    for r in b["compare_basis"]["qnn_ops"]:
        if r["name"] == "MatMul_1":
            r["dpc"] += 40  # 2.7 % but < 50 cycles: noise
        if r["name"] == "MatMul_0":
            r["dpc"] += 300  # 0.9 %: noise
        if r["name"] == "MatMul_2":
            r["dpc"] += 60  # 4 % and ≥ 50 cycles: shown
    cmp = compare(doc_a, b)
    shown = [r.name for r in cmp.qnn_ops if r.significant(Noise())]
    assert shown == ["MatMul_2"]
    assert len([r for r in cmp.qnn_ops if r.significant(NO_NOISE_FILTER)]) == 3
    text = render_diff(cmp, "text", Noise(), top=20)
    assert "MatMul_2" in text and "MatMul_1 " not in text


def test_check_gates(doc_a: dict[str, Any], slower: dict[str, Any]) -> None:
    gates, _ = check(compare(doc_a, slower), Limits())
    bad = {g.what for g in gates if g.regressed}
    assert bad == {"graph wall", "domain (HMX)", "QNN op MatMul_3 DPC", "QNN op MatMul_3 busy"}
    gates, _ = check(compare(doc_a, slower), Limits(wall=0.08, domain=0.13, op=None))
    assert not any(g.regressed for g in gates)
    # an op under --op-min-cycles never trips the gate, however large its relative change
    gates, _ = check(compare(doc_a, slower), Limits(wall=None, domain=None, op_min_cycles=6000))
    assert not any(g.regressed for g in gates)


def test_json_baseline_round_trip(doc_a: dict[str, Any], tmp_path: Path) -> None:
    p = tmp_path / "base.json"
    p.write_bytes(to_json_bytes(doc_a))
    loaded = load_document(str(p))
    cmp = compare(loaded, doc_a)
    assert cmp.identical(NO_NOISE_FILTER)
    assert cmp.instances is not None and cmp.graph is not None


def test_old_document_without_basis_falls_back_to_ranking(doc_a: dict[str, Any]) -> None:
    old = {k: v for k, v in doc_a.items() if k != "compare_basis"}
    cmp = compare(old, doc_a)
    assert cmp.identical(NO_NOISE_FILTER)
    assert cmp.instances is None and cmp.graph is None
    assert any("compare_basis" in n for n in cmp.notes)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"schema": "something.else", "schema_version": 1}', "unknown schema 'something.else'"),
        ('{"schema": "htptui.report", "schema_version": 99}', "schema_version 99 is newer"),
        ('{"schema": "htptui.report", "schema_version": 1, "name": "x"}', "missing keys: cores"),
        ('{"schema": "htptui.report", "schema_ver', "not valid JSON"),
        ('{"name": "x", "schema_version": 1}', "no 'schema' key"),
    ],
)
def test_bad_baselines_are_refused(tmp_path: Path, content: str, message: str) -> None:
    p = tmp_path / "base.json"
    p.write_text(content)
    with pytest.raises(InputError) as err:
        load_document(str(p))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_validate_rejects_non_object() -> None:
    with pytest.raises(InputError, match="not an object"):
        validate_document([1, 2], "x.json")
