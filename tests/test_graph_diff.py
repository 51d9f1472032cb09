"""Tests of the actual DAGs, the diff, the shared STATIC tensor check and the overlap evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from htptui.analysis.dag import htp_digraph, is_compiler_op, qnn_dag
from htptui.analysis.expected import parse_text
from htptui.analysis.graph_diff import diff_graphs, diff_run, op_overlap, shared_static_tensors
from htptui.model.run import load_run

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
CHAIN8 = ROOT / "sample_data" / "chain8_matmul"
SHARED = DATA / "gdn_shared_const"
DISTINCT = DATA / "gdn_distinct_const"
SCRATCH = "0x0000104400000011"


@pytest.fixture(scope="module")
def chain8():
    return load_run(CHAIN8)


def test_actual_dags_of_chain8(chain8) -> None:
    dag = qnn_dag(chain8.graph)
    assert dag.ops[:3] == ["Input", "MatMul_0", "MatMul_1"]
    assert len(dag.ops) == 10
    chain = ["Input", *(f"MatMul_{i}" for i in range(8)), "Output"]
    assert set(dag.edges) == set(zip(chain, chain[1:], strict=False))
    g = htp_digraph(chain8.graph)
    assert g.number_of_nodes() == 29
    assert g.has_edge(0x000011ED00000012, 0x000011F000000016)


def test_chain8_matches_hand_written_chain(chain8) -> None:
    diff = diff_run(chain8, DATA / "chain8_expected.dag")
    assert diff is not None and diff.ok
    assert len(diff.edges_with("matched")) == 9
    assert diff.edges_with("missing") == [] and diff.edges_with("unexpected") == []
    added = {n.name: n.reason for n in diff.nodes_with("added")}
    assert set(added) == {"SystemService_0", "SystemService_ChunkPreload_1269"}
    assert all("compiler-added" in r for r in added.values())
    kernels = {k for _, _, k in diff.compiler_htp_ops}
    assert "q::ForceFormat_Crouton" in kernels and "q::ConvLayer.opt.weights_to_vtcm" in kernels
    assert not any(k.startswith("q::ConvLayer_s1") for k in kernels)
    # the two constants every MatMul shares are scalars, set apart from the signal
    assert diff.shared.significant == []
    assert {s.tensor.key for s in diff.shared.trivial} == {
        "0x0000100200000008",
        "0x0000123200000012",
    }
    assert diff.findings() == []


def test_chain8_errors_detected(chain8) -> None:
    exp = parse_text(
        "Input -> MatMul_0 -> MatMul_2\nMatMul_1 -> MatMul_0\nGone -> Output\nMatMul_0 || MatMul_7\n"
    )
    diff = diff_graphs(chain8.graph, exp, chain8.trace)
    assert {(e.src, e.dst) for e in diff.edges_with("missing")} == {
        ("MatMul_0", "MatMul_2"),
        ("MatMul_1", "MatMul_0"),
        ("Gone", "Output"),
    }
    unexpected = {(e.src, e.dst): e for e in diff.edges_with("unexpected")}
    assert ("MatMul_0", "MatMul_1") in unexpected
    t = unexpected[("MatMul_0", "MatMul_1")].tensors[0]
    assert t.key == "0x000011ed00000012" and t.type_name == "NATIVE"
    assert t.producer == "0x000011ed00000012" and t.producer_op == "MatMul_0"
    assert t.consumers == (("0x000011f000000016", "MatMul_1"),)
    assert [n.name for n in diff.nodes_with("missing")] == ["Gone"]
    (v,) = diff.violations
    assert (
        v.kind == "path"
        and v.path[0] == "MatMul_0"
        and v.path[-1] == "MatMul_7"
        and len(v.path) == 8
    )
    o = diff.overlap("MatMul_0", "MatMul_7")
    assert o is not None and o.pct == 0.0 and o.a_busy > 0
    assert not diff.ok


def test_matched_via_compiler_added_op() -> None:
    from htptui.model.htp_graph import parse_obj

    def node(grouping: str, ins: list[str]) -> dict:
        return {"type": "q::X", "grouping": grouping, "input_names": ins}

    obj = {
        "graph": {
            "tensors": {
                k: {"type": 3, "data_type": 1032, "dims": [1, 8]} for k in ("0x1", "0x2", "0x3")
            },
            "nodes": {
                "0x1": node("A", []),
                "0x2": node("B_pre_reshape", ["0x1"]),
                "0x3": node("B", ["0x2"]),
            },
        }
    }
    graph = parse_obj(obj, "mem")
    diff = diff_graphs(graph, parse_text("A -> B\n"))
    (m,) = diff.edges_with("matched")
    assert m.via == ("B_pre_reshape",)
    assert diff.ok and diff.edges_with("added") == []
    assert [n.reason for n in diff.nodes_with("added")] == ["compiler-added"]
    assert (
        is_compiler_op("SystemService_0")
        and is_compiler_op("X_post_reshape")
        and not is_compiler_op("X")
    )


def test_gdn_shared_const_is_flagged() -> None:
    opt = load_run(SHARED)
    diff = diff_run(opt)  # expected.dag is discovered next to the trace
    assert diff is not None and diff.expected_source.endswith("expected.dag")
    assert diff.edges_with("missing") == [] and diff.edges_with("unexpected") == []
    (s,) = diff.shared.suspected
    assert s.tensor.key == SCRATCH and s.tensor.type_name == "STATIC"
    assert (
        s.tensor.dims == (1, 8, 64, 64) and s.tensor.dtype == "uint8" and s.tensor.nbytes == 32768
    )
    assert s.ops == ("GdnMergeHmx_0", "GdnMergeHmx_1")
    assert {op for _, op in s.tensor.consumers} == {"GdnMergeHmx_0", "GdnMergeHmx_1"}
    assert not s.connected_in_actual
    sev, text = diff.findings()[0]
    assert sev == "error" and "dedup-induced false dependency suspected" in text
    assert (
        SCRATCH in text
        and "GdnMergeHmx_0" in text
        and "GdnMergeHmx_1" in text
        and "overlap 0 %" in text
    )
    o = diff.overlap("GdnMergeHmx_0", "GdnMergeHmx_1")
    assert o is not None and o.overlap == 0 and o.pct == 0.0
    assert [v.kind for v in diff.violations] == ["shared_tensor"]
    assert not diff.ok
    # the scalar every op shares is set apart
    assert [t.tensor.key for t in diff.shared.trivial] == ["0x0000100200000008"]


def test_gdn_distinct_const_is_clean() -> None:
    opt = load_run(DISTINCT)
    diff = diff_run(opt)
    assert diff is not None and diff.ok
    assert diff.shared.suspected == [] and diff.shared.significant == [] and diff.violations == []
    o = op_overlap(opt.trace, "GdnMergeHmx_0", "GdnMergeHmx_1")
    assert o.pct is not None and o.pct > 90


def test_shared_check_without_expected_graph() -> None:
    opt = load_run(SHARED)
    check = shared_static_tensors(opt.graph)
    assert [s.tensor.key for s in check.significant] == [SCRATCH]
    assert check.suspected == []  # nothing says they are independent
    assert check.significant[0].connected_in_actual is False
    check2 = shared_static_tensors(opt.graph, [("GdnMergeHmx_1", "GdnMergeHmx_0")])
    assert [s.tensor.key for s in check2.suspected] == [SCRATCH]
    no_exp = diff_graphs(opt.graph, None, opt.trace)
    assert no_exp.nodes == [] and [s.tensor.key for s in no_exp.shared.significant] == [SCRATCH]


def test_to_dict_is_json_able() -> None:
    import json

    diff = diff_run(load_run(SHARED))
    doc = json.loads(json.dumps(diff.to_dict()))
    assert doc["ok"] is False
    assert doc["shared_tensors"]["suspected"][0]["tensor"]["id"] == SCRATCH
    assert doc["overlaps"][0]["overlap_pct"] == 0.0
