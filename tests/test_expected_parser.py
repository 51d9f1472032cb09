"""Tests of the expected-graph parser: line format, DOT subset, globs, ||, errors, ONNX."""

from __future__ import annotations

from pathlib import Path

import pytest

from htptui.analysis.expected import (
    ExpectedEdge,
    Independence,
    find_expected,
    load_expected,
    match_name,
    parse_dot,
    parse_text,
    qnn_name_of,
    resolve,
)
from htptui.errors import InputError

DATA = Path(__file__).parent / "data"


def test_chain_comments_and_nodes() -> None:
    g = parse_text('# header\nA -> B -> C   # chain\n\nD\n"E F" -> A\n', "x.dag")
    assert g.nodes == ["A", "B", "C", "D", "E F"]
    assert g.edges == [
        ExpectedEdge("A", "B", 2),
        ExpectedEdge("B", "C", 2),
        ExpectedEdge("E F", "A", 5),
    ]


def test_independence_pairs_every_name() -> None:
    g = parse_text("A || B || C\n")
    assert [(i.a, i.b) for i in g.independent] == [("A", "B"), ("A", "C"), ("B", "C")]
    assert g.edges == []


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("A -> B\nA -> \n", 2, "missing op name"),
        ("A -> B\n\n\n\n\n\nA => B\n", 7, "cannot read"),
        ("A -> B || C\n", 1, "mixes"),
        ("A -> A\n", 1, "self-edge"),
        ("ok\nA B\n", 2, "bad op name"),
        ("A -> B!\n", 1, "bad op name"),
    ],
)
def test_malformed_lines_name_file_and_line(text: str, line: int, words: str) -> None:
    with pytest.raises(InputError) as err:
        parse_text(text, "exp.dag")
    assert err.value.path == "exp.dag"
    assert err.value.problem.startswith(f"line {line}: ")
    assert words in err.value.problem
    assert "\n" not in str(err.value)


def test_empty_file_is_an_error() -> None:
    with pytest.raises(InputError, match="empty"):
        parse_text("# nothing\n", "e.dag")


def test_dot_subset() -> None:
    text = """// comment
digraph G {
  rankdir=LR;
  node [shape=box];
  a -> b -> c [color=red];
  "x y" -> a; d;
  /* block
     comment */
}
"""
    g = parse_text(text, "g.dot")  # detected by the first word
    assert g.kind == "dot"
    assert g.nodes == ["a", "b", "c", "x y", "d"]
    assert [(e.src, e.dst, e.line) for e in g.edges] == [
        ("a", "b", 5),
        ("b", "c", 5),
        ("x y", "a", 6),
    ]


def test_dot_errors_have_line_numbers() -> None:
    with pytest.raises(InputError, match="line 2: use '->'"):
        parse_dot("digraph {\n a -- b;\n}\n", "g.dot")
    with pytest.raises(InputError, match="missing closing"):
        parse_dot("digraph {\n a -> b;\n", "g.dot")
    with pytest.raises(InputError, match="line 1: only 'digraph'"):
        parse_dot("graph { a -- b }\n", "g.dot")


def test_globs_pair_by_capture() -> None:
    g = parse_text("Input -> GdnSolveDiag_* -> GdnMergeHmx_* -> Concat_0\n")
    actual = [
        "Input",
        "GdnSolveDiag_0",
        "GdnSolveDiag_1",
        "GdnMergeHmx_0",
        "GdnMergeHmx_1",
        "Concat_0",
    ]
    r = resolve(g, actual)
    pairs = {(e.src, e.dst) for e in r.edges}
    assert ("GdnSolveDiag_0", "GdnMergeHmx_0") in pairs
    assert ("GdnSolveDiag_1", "GdnMergeHmx_1") in pairs
    assert ("GdnSolveDiag_0", "GdnMergeHmx_1") not in pairs
    assert ("Input", "GdnSolveDiag_1") in pairs and ("GdnMergeHmx_1", "Concat_0") in pairs
    assert len(pairs) == 6


def test_glob_independence_crosses_different_captures() -> None:
    r = resolve(parse_text("Chain_* || Chain_*\n"), ["Chain_0", "Chain_1", "Chain_2", "Other"])
    assert {frozenset((i.a, i.b)) for i in r.independent} == {
        frozenset(p)
        for p in [("Chain_0", "Chain_1"), ("Chain_0", "Chain_2"), ("Chain_1", "Chain_2")]
    }


def test_glob_matching_nothing_warns() -> None:
    r = resolve(parse_text("Foo_* -> Bar\n"), ["Bar"])
    assert r.edges == [] and any("matches no op" in w for w in r.warnings)


def test_matcher_tolerates_renaming() -> None:
    actual = ["model_layers_0_attn_MatMul", "Input"]
    assert match_name("/model/layers.0/attn/MatMul", actual) == "model_layers_0_attn_MatMul"
    assert match_name("Input", actual) == "Input"
    assert match_name("nothing", actual) is None
    assert qnn_name_of("/model/layers.0/MatMul") == "model_layers_0_MatMul"
    r = resolve(parse_text('"/model/layers.0/attn/MatMul" || Input\n'), actual)
    assert r.independent == [Independence("model_layers_0_attn_MatMul", "Input", 1)]


def test_load_and_discovery(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_expected(tmp_path / "nope.dag")
    (tmp_path / "run").mkdir()
    assert find_expected(tmp_path / "run") is None
    (tmp_path / "expected.dag").write_text("A -> B\n")
    assert find_expected(tmp_path / "run") == tmp_path / "expected.dag"
    (tmp_path / "run" / "expected.dag").write_text("A -> C\n")
    assert find_expected(tmp_path / "run") == tmp_path / "run" / "expected.dag"
    assert find_expected(tmp_path / "run", "other.dag") == Path("other.dag")
    assert load_expected(DATA / "chain8_expected.dag").nodes[0] == "Input"
    (tmp_path / "bin.dag").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputError, match="UTF-8"):
        load_expected(tmp_path / "bin.dag")


def test_onnx_model(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("Input", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("Output", TensorProto.FLOAT, [1, 4])
    w = helper.make_tensor("w", TensorProto.FLOAT, [4, 4], [0.0] * 16)
    nodes = [
        helper.make_node("MatMul", ["Input", "w"], ["a"], name="/layers.0/MatMul"),
        helper.make_node("Relu", ["a"], ["b"], name="/layers.0/Relu"),
        helper.make_node("Add", ["a", "b"], ["Output"], name="/Add"),
    ]
    model = helper.make_model(helper.make_graph(nodes, "g", [x], [y], [w]))
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    g = load_expected(path)
    assert g.kind == "onnx"
    assert g.nodes == ["Input", "layers_0_MatMul", "layers_0_Relu", "Add", "Output"]
    assert {(e.src, e.dst) for e in g.edges} == {
        ("Input", "layers_0_MatMul"),
        ("layers_0_MatMul", "layers_0_Relu"),
        ("layers_0_MatMul", "Add"),
        ("layers_0_Relu", "Add"),
        ("Add", "Output"),
    }
    # names as the QNN converter writes them still match
    r = resolve(g, ["Input", "_layers_0_MatMul", "layers_0_Relu", "Add", "Output"])
    assert ("Input", "_layers_0_MatMul") in {(e.src, e.dst) for e in r.edges}
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(InputError, match="not a readable ONNX model"):
        load_expected(bad)
