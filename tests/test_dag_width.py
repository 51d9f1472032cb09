"""``htptui dag --width``: every line fits, long lists end with a right count, names stay distinct."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from htptui.analysis.dag import QnnDag
from htptui.cli import main
from htptui.present import ascii_dag
from htptui.present.format import ELLIPSIS, cell_width

ROOT = Path(__file__).resolve().parents[1]
CHAIN8 = str(ROOT / "sample_data" / "chain8_matmul")
EXPECTED8 = str(ROOT / "tests" / "data" / "chain8_expected.dag")
SHARED = str(ROOT / "tests" / "data" / "gdn_shared_const")

N_FAN = 200
MORE = re.compile(r"… \(\+(\d+) more\)$")


def fan_dag() -> QnnDag:
    """``model.embed_tokens`` feeds 200 long-named ops, all of which feed ``model.norm``."""
    mids = [f"model.layers.{i}.self_attn.q_proj.3" for i in range(N_FAN)]
    ops = ["model.embed_tokens", *mids, "model.norm"]
    edges: dict[tuple[str, str], list[int]] = {}
    for k, m in enumerate(mids):
        edges[("model.embed_tokens", m)] = [k]
        edges[(m, "model.norm")] = [N_FAN + k]
    return QnnDag(ops=ops, nodes_of={op: [i] for i, op in enumerate(ops)}, edges=edges)


def assert_elision_of(short: str, name: str) -> None:
    if ELLIPSIS not in short:
        assert short == name
    else:
        head, tail = short.split(ELLIPSIS)
        assert name.startswith(head) and name.endswith(tail) and len(short) < len(name)


@pytest.mark.parametrize("width", [60, 100, 200])
def test_fan_out_fits_counts_and_stays_distinct(width: int) -> None:
    rows = ascii_dag.qnn_dag_rows(None, None, fan_dag())  # type: ignore[arg-type]
    lines = ascii_dag.fit_rows(rows, width)
    assert len(lines) == len(rows)
    assert all(cell_width(ln) <= width for ln in lines), max(map(cell_width, lines))
    plain = ascii_dag.format_rows([r.triple() for r in rows])
    assert max(map(cell_width, plain)) > 200  # the unfitted DAG is wider than every width tried
    # the sink lists its 200 producers: those shown plus the count are all 200, in edge order
    sink = next(ln for ln, r in zip(lines, rows, strict=True) if r.label == "model.norm")
    m = MORE.search(sink)
    assert m is not None, sink
    body = sink[sink.index("<- ") + 3 : m.start()].rstrip(", ")
    shown = [b for b in body.split(", ") if b]
    assert len(shown) + int(m.group(1)) == N_FAN
    if width >= 100:
        assert len(shown) >= 1
    assert len(set(shown)) == len(shown)
    for i, item in enumerate(shown):  # in edge order, each a middle-elision of its own name
        assert_elision_of(item, f"model.layers.{i}.self_attn.q_proj.3")
    # every op row keeps a label of its own
    node_rows = [ln for ln, r in zip(lines, rows, strict=True) if r.label]
    keys = [re.split(r"\s{2,}", ln.split("*", 1)[1].strip())[0] for ln in node_rows]
    assert len(set(keys)) == N_FAN + 2
    assert all("*" in ln for ln in node_rows)  # the node mark survives the lane cut


def test_fit_list_counts_and_fits() -> None:
    items = [f"model.layers.{i}.mlp.down_proj.weight" for i in range(40)]
    for width in (20, 45, 80, 200, 2000):
        text = ascii_dag.fit_list("<- ", items, ", ", width)
        assert cell_width(text) <= width
        m = MORE.search(text)
        if width == 2000:
            assert m is None and text == "<- " + ", ".join(items)
        else:
            assert m is not None
            body = text[3 : m.start()].rstrip(", ")
            shown = [b for b in body.split(", ") if b]
            assert len(shown) + int(m.group(1)) == 40
            for i, item in enumerate(shown):
                assert_elision_of(item, items[i])


def test_fit_rows_unchanged_when_it_fits() -> None:
    rows = [ascii_dag.DagRow("*", "A"), ascii_dag.DagRow("*", "B", "<- ", ("A [ok]",))]
    assert ascii_dag.fit_rows(rows, 40) == ascii_dag.format_rows([r.triple() for r in rows])


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("width", [60, 100, 200])
@pytest.mark.parametrize("level", ["qnn", "htp"])
@pytest.mark.parametrize("fmt", ["text", "md"])
def test_cli_every_line_fits(width: int, level: str, fmt: str) -> None:
    for path, extra in ((CHAIN8, ["--expected", EXPECTED8]), (SHARED, [])):
        r = run("dag", path, *extra, "--level", level, "--format", fmt, "--width", str(width))
        assert r.exit_code == 0, r.output
        widths = [cell_width(ln) for ln in r.stdout.splitlines()]
        assert max(widths) <= width


def test_cli_htp_level_is_wider_than_60_unfitted_and_json_keeps_full_names() -> None:
    js = run("dag", CHAIN8, "--expected", EXPECTED8, "--level", "htp", "--format", "json")
    doc = json.loads(js.stdout)
    assert max(len(ln) for ln in doc["dag_ascii"]) > 100  # JSON is never cut
    assert any("q::ConvLayer.opt.weights_to_vtcm" in ln for ln in doc["dag_ascii"])
    narrow = run("dag", CHAIN8, "--expected", EXPECTED8, "--level", "htp", "--width", "60")
    assert ELLIPSIS in narrow.stdout
    js60 = run(
        "dag",
        CHAIN8,
        "--expected",
        EXPECTED8,
        "--level",
        "htp",
        "--format",
        "json",
        "--width",
        "60",
    )
    assert json.loads(js60.stdout)["dag_ascii"] == doc["dag_ascii"]


def test_cli_default_width_is_100_when_not_a_tty() -> None:
    a = run("dag", CHAIN8, "--expected", EXPECTED8, "--level", "htp")
    b = run("dag", CHAIN8, "--expected", EXPECTED8, "--level", "htp", "--width", "100")
    assert a.exit_code == 0 and a.stdout == b.stdout
    assert max(cell_width(ln) for ln in a.stdout.splitlines()) <= 100


@pytest.mark.parametrize("bad", ["0", "10", "abc", "-5", "100000"])
def test_cli_bad_width_is_a_usage_error(bad: str) -> None:
    r = run("dag", CHAIN8, "--width", bad)
    assert r.exit_code == 2
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1 and "--width" in errors[0]
    assert r.stdout == ""


def test_help_mentions_width() -> None:
    r = run("dag", "--help")
    assert "--width" in r.stdout and "(+N more)" in r.stdout


def test_default_width_follows_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import sys

    from htptui.commands import dag as dag_cmd

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(dag_cmd.shutil, "get_terminal_size", lambda fb: os.terminal_size((73, 20)))
    assert dag_cmd.default_width() == 73
    monkeypatch.setattr(dag_cmd.shutil, "get_terminal_size", lambda fb: os.terminal_size((12, 20)))
    assert dag_cmd.default_width() == dag_cmd.MIN_WIDTH
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False, raising=False)
    assert dag_cmd.default_width() == 100
