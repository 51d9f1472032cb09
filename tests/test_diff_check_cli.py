"""`htptui diff` and `htptui check` end to end: outputs, JSON baselines and exit codes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from htptui.cli import main


def _fixtures() -> ModuleType:
    """The controlled-edit builders of test_compare.py, loaded by path (no package assumptions)."""
    spec = importlib.util.spec_from_file_location(
        "_compare_fixtures", Path(__file__).with_name("test_compare.py")
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


FX = _fixtures()
A = str(FX.SAMPLE)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("runs")
    slow = FX.make_slower(root / "slow")
    rm = FX.make_without_matmul5(root / "rm")
    mv = FX.make_lane_moved(root / "mv")
    combined = FX.make_lane_moved(
        root / "combined", FX.make_without_matmul5(root / "c2", FX.make_slower(root / "c1"))
    )
    return {"slow": str(slow), "rm": str(rm), "mv": str(mv), "combined": str(combined)}


@pytest.fixture(scope="module")
def baseline_json(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A baseline saved exactly as a user would: `htptui report A --format json`."""
    p = tmp_path_factory.mktemp("base") / "base.json"
    code, out, _ = run("report", A, "--format", "json")
    assert code == 0
    p.write_text(out)
    return str(p)


def test_diff_a_vs_a_reports_no_change() -> None:
    code, out, _ = run("diff", A, A)
    assert code == 0
    assert "no change above the noise threshold" in out
    code, out, _ = run("diff", A, A, "--format", "json")
    doc = json.loads(out)
    assert doc["identical"] is True
    assert doc["qnn_ops"] == [] and doc["ops_removed"] == [] and doc["lanes_added"] == []


def test_diff_text_shows_the_changes(dirs: dict[str, str]) -> None:
    code, out, err = run("diff", A, dirs["combined"], "--top", "5")
    assert code == 0, err
    assert "graph wall (cycles)                         64,829  69,829  +5,000   +7.71 %" in out
    assert "- MatMul_5" in out
    assert "HVX 513" in out and "added" in out and "removed" in out
    assert "edge added: MatMul_4 → MatMul_6" in out
    assert "edge removed: MatMul_5 → MatMul_6" in out
    assert "Traceback" not in out + err


def test_diff_json_exact_deltas(dirs: dict[str, str]) -> None:
    code, out, _ = run("diff", A, dirs["slow"], "--format", "json")
    assert code == 0
    doc = json.loads(out)
    summ = {r["name"]: r for r in doc["summary"]}
    assert summ["graph wall (cycles)"]["delta"] == 5000
    assert summ["graph wall (cycles)"]["rel_pct"] == pytest.approx(100 * 5000 / 64829, abs=1e-3)
    assert summ["Σ DPC (cycles)"]["delta"] == 5000
    assert [(r["name"], r["delta"]) for r in doc["lanes"]] == [("HMX 256", 5000)]
    assert [(r["name"], r["dpc"]["delta"], r["busy"]["delta"]) for r in doc["qnn_ops"]] == [
        ("MatMul_3", 5000, 5000)
    ]
    code, out, _ = run("diff", A, dirs["rm"], "--format", "json")
    doc = json.loads(out)
    assert doc["ops_removed"] == ["MatMul_5"]
    assert {r["name"]: r["delta"] for r in doc["summary"]}["graph wall (cycles)"] == 0
    assert doc["graph"]["edges_added"] == [["MatMul_4", "MatMul_6"]]
    code, out, _ = run("diff", A, dirs["mv"], "--format", "json")
    doc = json.loads(out)
    assert doc["lanes_added"] == ["HVX 513"] and doc["lanes_removed"] == ["HVX 514"]


def test_diff_md_and_min_delta(dirs: dict[str, str]) -> None:
    code, out, _ = run("diff", A, dirs["slow"], "--format", "md")
    assert code == 0 and "| MatMul_3 |" in out
    # a 10000 % threshold hides every changed row; percent parsing accepts a bare number
    code, out, _ = run("diff", A, dirs["slow"], "--min-delta", "10000", "--format", "json")
    assert code == 0 and json.loads(out)["qnn_ops"] == []
    code, _, err = run("diff", A, dirs["slow"], "--min-delta", "lots")
    assert code == 2 and "not a percentage" in err


def test_diff_bad_input_exits_1(tmp_path: Path) -> None:
    code, out, err = run("diff", A, str(tmp_path / "nope"))
    assert code == 1 and out == "" and err.startswith("htptui: error:")


def test_check_a_vs_a_passes() -> None:
    code, out, _ = run("check", A, "--baseline", A)
    assert code == 0 and out.startswith("ok:")


def test_check_against_saved_json_baseline(baseline_json: str) -> None:
    code, out, err = run("check", A, "--baseline", baseline_json)
    assert code == 0, out + err
    code, out, _ = run("diff", baseline_json, A, "--format", "json")
    assert code == 0 and json.loads(out)["identical"] is True


def test_check_regression_exits_1_with_table(dirs: dict[str, str], baseline_json: str) -> None:
    code, out, _ = run("check", dirs["slow"], "--baseline", baseline_json)
    assert code == 1
    assert out.startswith("REGRESSION: 4 figure(s)")
    assert "graph wall" in out and "+7.71 %" in out and "REGRESSED" in out
    assert "QNN op MatMul_3 DPC" in out
    code, out, _ = run("check", dirs["slow"], "--baseline", A, "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["ok"] is False
    assert {g["what"] for g in doc["regressions"]} == {
        "graph wall",
        "domain (HMX)",
        "QNN op MatMul_3 DPC",
        "QNN op MatMul_3 busy",
    }
    # looser limits (both spellings of a percentage) let it pass
    code, _, _ = run(
        "check", dirs["slow"], "-b", A, "--max-wall-regress", "8%", "--max-domain-regress", "13",
        "--max-op-regress", "off",
    )  # fmt: skip
    assert code == 0


def test_check_idle_gate(dirs: dict[str, str]) -> None:
    # removing MatMul_5 raises accumulated idle from 2.73 % to 5.22 % of wall (+2.49 points)
    code, out, _ = run("check", dirs["rm"], "-b", A, "--max-idle-regress", "2%")
    assert code == 1 and "accumulated idle" in out
    code, _, _ = run("check", dirs["rm"], "-b", A, "--max-idle-regress", "3")
    assert code == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"schema": "other.tool", "schema_version": 1}', "unknown schema"),
        ('{"schema": "htptui.report", "schema_version": 2}', "newer than this htptui supports"),
        ('{"schema": "htptui.report", "schema_version": 1, "cores": [', "not valid JSON"),
        ('{"schema": "htptui.report", "schema_version": 1}', "missing keys"),
        ("", "empty file"),
    ],
)
def test_check_bad_baseline_exits_2(tmp_path: Path, content: str, message: str) -> None:
    p = tmp_path / "base.json"
    p.write_text(content)
    code, out, err = run("check", A, "--baseline", str(p))
    assert code == 2
    assert out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_check_truncated_real_baseline_exits_2(tmp_path: Path, baseline_json: str) -> None:
    text = Path(baseline_json).read_text()
    p = tmp_path / "trunc.json"
    p.write_text(text[: len(text) // 2])
    code, _, err = run("check", A, "--baseline", str(p))
    assert code == 2 and "not valid JSON" in err


def test_check_usage_errors_exit_2(tmp_path: Path) -> None:
    code, _, _ = run("check", A)  # --baseline missing
    assert code == 2
    code, _, err = run("check", A, "-b", A, "--max-wall-regress", "five")
    assert code == 2 and "not a percentage" in err
    code, _, _ = run("check", str(tmp_path / "missing"), "-b", A)
    assert code == 2


def test_check_help_documents_exit_codes() -> None:
    code, out, _ = run("check", "--help")
    assert code == 0
    assert "1  a regression" in out and "2  usage error, or an input that cannot be read" in out
