"""Tests of ``htptui dag`` and the ``graph_diff`` report section."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from htptui.cli import main

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
CHAIN8 = str(ROOT / "sample_data" / "chain8_matmul")
EXPECTED8 = str(DATA / "chain8_expected.dag")
SHARED = str(DATA / "gdn_shared_const")


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_dag_chain8_text() -> None:
    r = run("dag", CHAIN8, "--expected", EXPECTED8)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].startswith("QNN-op DAG of")
    rows = [ln for ln in lines if ln.startswith("*")]
    assert len(rows) == 10 and "MatMul_1  <- MatMul_0 [ok]" in rows[2]
    assert "matches: edges 9 matched, 0 missing, 0 unexpected" in r.stdout
    assert "MISSING" not in r.stdout and "UNEXPECTED" not in r.stdout
    assert "compiler-added" in r.stdout and "compiler-inserted HTP ops (not errors)" in r.stdout


def test_dag_htp_level_and_formats() -> None:
    r = run("dag", CHAIN8, "--expected", EXPECTED8, "--level", "htp")
    assert r.exit_code == 0
    assert sum(1 for ln in r.stdout.splitlines() if ln.lstrip("| ").startswith("*")) == 29
    md = run("dag", CHAIN8, "--expected", EXPECTED8, "--format", "md")
    assert md.exit_code == 0 and md.stdout.startswith("# QNN-op DAG") and "```" in md.stdout
    js = run("dag", CHAIN8, "--expected", EXPECTED8, "--format", "json")
    doc = json.loads(js.stdout)
    assert doc["diff"]["ok"] is True and doc["diff"]["counts"]["matched"] == 9
    assert len(doc["dag_ascii"]) == 10


def test_dag_gdn_shared_lanes_and_finding() -> None:
    r = run("dag", SHARED)  # expected.dag discovered
    assert r.exit_code == 0
    assert "| \\" in r.stdout and "| /" in r.stdout  # fork and merge lanes
    assert "dedup-induced false dependency suspected: STATIC tensor 0x0000104400000011" in r.stdout
    assert "overlap 0 %" in r.stdout


def test_bad_inputs_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.dag"
    bad.write_text("A -> B\nA => B\n")
    r = run("dag", CHAIN8, "--expected", str(bad))
    assert r.exit_code == 1
    assert r.stderr.strip().count("\n") == 0 and "line 2:" in r.stderr and str(bad) in r.stderr
    r = run("dag", CHAIN8, "--expected", str(tmp_path / "none.dag"))
    assert r.exit_code == 1 and "no such file" in r.stderr
    r = run("dag", str(tmp_path / "missing_dir"))
    assert r.exit_code == 1
    r = run("dag", CHAIN8, "--level", "kernel")
    assert r.exit_code == 2


def test_report_section() -> None:
    from htptui.model.run import load_run
    from htptui.output import document as report
    from htptui.output.json import to_json_bytes
    from htptui.output.report import render

    opt = load_run(SHARED)
    doc = report.build_report(opt, options={"expected": None})
    sec = doc["graph_diff"]
    assert sec["ok"] is False and sec["findings"][0]["text"].startswith("dedup-induced")
    for fmt in ("text", "md"):
        out = render(doc, fmt)
        assert "dedup-induced false dependency suspected" in out
        assert "Timeline overlap of ops expected independent" in out
    json.loads(to_json_bytes(doc))
    opt8 = load_run(CHAIN8)
    doc8 = report.build_report(opt8, options={"expected": EXPECTED8})
    assert doc8["graph_diff"]["ok"] is True
    assert "Op graph vs expected" in render(doc8, "text")
