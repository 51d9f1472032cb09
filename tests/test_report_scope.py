"""Headless window/filter: `report --from/--to` and `--filter` rescope every section."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from htptui.analysis.run import analysis_of
from htptui.cli import main
from htptui.model.run import load_run
from tests.conftest import REAL_SAMPLE


def _json(*args: str) -> dict:  # type: ignore[type-arg]
    r = CliRunner().invoke(main, ["report", str(REAL_SAMPLE), "--format", "json", *args])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_whole_graph_window_report_equals_plain_report() -> None:
    plain = _json()
    an = analysis_of(load_run(REAL_SAMPLE))
    cs = an.first_core_summary()
    assert cs is not None
    whole = _json("--from", str(cs.start), "--to", str(cs.end))
    assert whole["scope"]["ops"] == plain["trace"]["executed_ops"]
    assert whole["cores"] == plain["cores"]
    assert whole["ranking"] == plain["ranking"]
    kept = set(whole["scope"]["findings_left_out"])
    assert whole["findings"]["items"] == [
        f for f in plain["findings"]["items"] if f["rule"] not in kept
    ]


def test_window_report_is_the_window_analysis() -> None:
    an = analysis_of(load_run(REAL_SAMPLE))
    doc = _json("--from", "10000", "--to", "30000")
    w = an.scoped(10_000, 30_000).first_core_summary()
    assert w is not None
    core = doc["cores"][0]
    assert core["graph_wall_cycles"] == w.wall == 20_000
    assert core["dpc_sum"] == w.dpc_sum
    assert core["accumulated_idle_cycles"] == w.idle
    assert core["hvx_hmx_overlap_cycles"] == w.hvx_hmx_overlap
    assert doc["checks"] == [] and "checks_note" in doc
    # finding ops are full-trace indices of ops that overlap the window
    t = an.trace
    assert t is not None
    for f in doc["findings"]["items"]:
        for i in f["ops"]:
            assert t.end[i] > 10_000 and t.ts[i] < 30_000


def test_us_bounds_use_the_trace_clock() -> None:
    an = analysis_of(load_run(REAL_SAMPLE))
    clock = an.trace_clock_ghz()
    assert clock
    doc = _json("--from", "5us", "--to", "20us")
    assert doc["scope"]["from_cycles"] == round(5 * clock * 1000)
    assert doc["scope"]["to_cycles"] == round(20 * clock * 1000)


def test_filter_rescopes_ranking_lanes_and_findings() -> None:
    doc = _json("--filter", "ForceFormat")
    names = [r["name"] for r in doc["ranking"]["kernel"]]
    assert names and all(re.search("ForceFormat", n, re.I) for n in names)
    lanes = doc["cores"][0]["lanes"]
    assert all(ln["unit"] == "HVX" for ln in lanes)
    an = analysis_of(load_run(REAL_SAMPLE))
    t = an.trace
    assert t is not None
    for f in doc["findings"]["items"]:
        assert all("ForceFormat" in t.kernel_name(i) for i in f["ops"])
    text = CliRunner().invoke(main, ["report", str(REAL_SAMPLE), "--filter", "ForceFormat"])
    assert "filter /ForceFormat/" in text.output


def test_bad_scope_is_one_line_exit_2() -> None:
    an = analysis_of(load_run(REAL_SAMPLE))
    t = an.trace
    assert t is not None
    last = int((t.ts + t.dur).max())
    for args in (
        ["--from", "soon"],
        ["--from", "9", "--to", "3"],
        ["--filter", "("],
        ["--from", "1e99"],  # was an OverflowError traceback
        ["--from", "99999999999999999999999"],
        ["--to", "-3"],  # was a 0-op report
        ["--from", "-2us"],
        ["--from", str(last)],  # the window lies after every op
        ["--from", str(last + 1000), "--to", str(last + 2000)],
    ):
        r = CliRunner().invoke(main, ["report", str(REAL_SAMPLE), *args])
        assert r.exit_code == 2, (args, r.output)
        assert (
            "Traceback" not in r.output
            and r.exception is None
            or isinstance(r.exception, SystemExit)
        ), args
        lines = r.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("htptui: error: --"), (args, r.output)


def test_a_filter_matching_nothing_says_so() -> None:
    """A valid regex that matches no op is not an error, but it must not pass silently as an
    empty report: one warning line on stderr and in the document's warnings."""
    r = CliRunner().invoke(main, ["report", str(REAL_SAMPLE), "--filter", "NoSuchOpXyz"])
    assert r.exit_code == 0
    warn = [ln for ln in r.stderr.splitlines() if "warning" in ln]
    assert warn == [f"htptui: warning: {REAL_SAMPLE}: no executed op matches /NoSuchOpXyz/: "
                    "the op figures of this report are empty"]  # fmt: skip
    doc = _json("--filter", "NoSuchOpXyz")
    assert doc["scope"]["ops"] == 0 and any("NoSuchOpXyz" in w for w in doc["warnings"])
    assert (
        "warning"
        not in CliRunner()
        .invoke(main, ["report", str(REAL_SAMPLE), "--filter", "ForceFormat"])
        .stderr
    )
