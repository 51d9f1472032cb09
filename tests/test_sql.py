"""htptui sql / export: the tables, the DuckDB engine and its guard, many runs, Perfetto, docs/sql.md.

Every figure a query returns is compared with the report's (and QHAS's) on every bundled sample and
the real sample, so the SQL route cannot drift from the rest of htptui.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from htptui.analysis import tables as tbl
from htptui.analysis import timing
from htptui.cli import main
from htptui.model.run import load_run
from tests.conftest import (
    ROOT,
    meta_process,
    meta_thread,
    real_dirs,
    sample_dirs,
    write_trace,
    x_event,
)

duckdb = pytest.importorskip("duckdb")

from htptui import perfetto_trace, sqlengine  # noqa: E402
from htptui.output import document as report  # noqa: E402
from htptui.output.json import to_json_bytes  # noqa: E402

SAMPLES = sorted({*sample_dirs(), *real_dirs()})
IDS = [p.name if p.parent.name == "sample_data" else f"shared-{p.name}" for p in SAMPLES]
DOCS = ROOT / "docs" / "sql.md"


def _doc_queries() -> dict[str, str]:
    text = DOCS.read_text(encoding="utf-8")
    out = {}
    for block in re.findall(r"```sql\n(.*?)```", text, re.S):
        m = re.search(r"-- name: (\w+)", block)
        assert m, f"every sql block in docs/sql.md is named: {block[:60]!r}"
        out[m.group(1)] = block
    return out


DOC_QUERIES = _doc_queries()


@pytest.fixture(scope="module", params=SAMPLES, ids=IDS)
def run(request: pytest.FixtureRequest) -> tuple[Any, dict[str, Any], Any]:
    opt = load_run(request.param)
    doc = report.build_report(opt, top=10**6)
    con = sqlengine.connect([tbl.build_tables(opt)])
    return opt, doc, con


def q(con: Any, sql: str) -> list[tuple[Any, ...]]:
    return sqlengine.run(con, sql)[1]


def doc_q(con: Any, name: str) -> dict[str, list[Any]]:
    names, rows = sqlengine.run(con, DOC_QUERIES[name])
    return {n: [r[i] for r in rows] for i, n in enumerate(names)}


# --- figures equal the report's, on every sample ------------------------------------------------


def test_dpc_by_qnn_op_equals_report(run: tuple[Any, dict[str, Any], Any]) -> None:
    _, doc, con = run
    want = {r["name"]: r["dpc"] for r in doc["compare_basis"]["qnn_ops"]}
    got = doc_q(con, "dpc_by_qnn_op")
    assert dict(zip(got["qnn_op"], got["dpc"], strict=True)) == want
    ranked = {
        r["name"]: (r["dpc"], r["dpc_pct"], r["busy"], r["instances"])
        for r in doc["ranking"]["qnn_op"]
    }
    for name, dpc, pct, busy, n in zip(
        got["qnn_op"], got["dpc"], got["pct_path"], got["busy"], got["instances"], strict=True
    ):
        assert ranked[name][0] == dpc and ranked[name][2:] == (busy, n)
        assert pct == pytest.approx(ranked[name][1], abs=0.01)  # the report shows 2 decimals


def test_lane_busy_equals_report(run: tuple[Any, dict[str, Any], Any]) -> None:
    _, doc, con = run
    want = {
        (c["core"], ln["label"]): (ln["ops"], ln["busy"], ln["utilization_pct"])
        for c in doc["cores"]
        for ln in c["lanes"]
    }
    got = doc_q(con, "lane_busy")
    rows = zip(
        got["core"], got["lane"], got["ops"], got["busy"], got["utilization_pct"], strict=True
    )
    assert {(c, ln): (n, b) for c, ln, n, b, _ in rows} == {k: v[:2] for k, v in want.items()}
    for c, ln, _, _, u in zip(
        got["core"], got["lane"], got["ops"], got["busy"], got["utilization_pct"], strict=True
    ):
        assert u == pytest.approx(want[(c, ln)][2], abs=0.01)  # the report shows 2 decimals
    lanes = q(con, "SELECT core, lane, ops, busy, span FROM lanes")
    assert {(c, ln): (n, b) for c, ln, n, b, _ in lanes} == {k: v[:2] for k, v in want.items()}


def test_wall_idle_and_clock_equal_report(run: tuple[Any, dict[str, Any], Any]) -> None:
    opt, doc, con = run
    got = doc_q(con, "wall")
    want = {c["core"]: c for c in doc["cores"]}
    assert sorted(got["core"]) == sorted(want)
    for core, wall, dpc, idle in zip(
        got["core"], got["graph_wall_cycles"], got["dpc_sum"], got["accumulated_idle"],
        strict=True,
    ):  # fmt: skip
        assert wall == want[core]["graph_wall_cycles"]
        assert dpc == want[core]["dpc_sum"]
        assert idle == want[core]["accumulated_idle_cycles"]
    first = min(want)
    us = doc["timing"]["graph_wall_us_at_trace_clock"]
    if us is not None:
        assert got["graph_wall_us"][got["core"].index(first)] == pytest.approx(us, abs=2e-3)
    assert tbl.trace_clock_ghz(opt) == timing.timing(opt).trace_clock_ghz
    cores = q(con, "SELECT core, graph_wall, dpc_sum, busy_sum FROM cores ORDER BY core")
    assert [(c, w, d, b) for c, w, d, b in cores] == [
        (c["core"], c["graph_wall_cycles"], c["dpc_sum"], c["busy_sum_cycles"])
        for c in doc["cores"]
    ]


def test_figures_equal_qhas(run: tuple[Any, dict[str, Any], Any]) -> None:
    opt, _, con = run
    if opt.qhas is None:
        pytest.skip("no QHAS in this sample")
    diffs = doc_q(con, "dpc_vs_qhas")
    assert diffs["diff"] and all(d == 0 for d in diffs["diff"])
    lanes = doc_q(con, "lanes_vs_qhas")
    assert lanes["diff"] and all(d == 0 for d in lanes["diff"])
    walls = q(
        con,
        "SELECT o.core, max(o.end_ts) - min(o.ts), any_value(q.timeline_cycles) "
        "FROM ops o JOIN qhas_overall q USING (core) GROUP BY o.core",
    )
    assert walls and all(a == b for _, a, b in walls)
    for core in {o.core for o in opt.qhas.overall}:
        res = {
            r.tid: r.cycles_used for o in opt.qhas.overall if o.core == core for r in o.resources
        }
        got = dict(q(con, f"SELECT tid, sum(dur) FROM ops WHERE core = {core} GROUP BY tid"))
        assert {t: got.get(t) for t in res} == res
    o = opt.qhas.overall[0]
    bw = doc_q(con, "bandwidth")
    series = {
        n: b for c, n, b in zip(bw["core"], bw["name"], bw["bytes"], strict=True) if c == o.core
    }
    if opt.trace.core_counters:
        assert series.get("DRAM read") == o.total_dram_read
        assert series.get("VTCM write") == o.total_vtcm_write
        peak = doc_q(con, "peak_vtcm")
        assert (
            dict(zip(peak["core"], peak["peak_vtcm_alloc"], strict=True))[o.core]
            == o.peak_vtcm_alloc
        )


def test_guide_recipes(run: tuple[Any, dict[str, Any], Any]) -> None:
    opt, doc, con = run
    phases = doc_q(con, "wall_phases")
    want = [
        (e["index"], p["name"], p["cycles"]) for e in doc["timing"]["executes"] for p in e["phases"]
    ]
    got = list(zip(phases["execute"], phases["phase"], phases["cycles"], strict=True))
    assert sorted(got, key=str) == sorted(want, key=str)
    share = doc_q(con, "work_volume_share")
    if share["work_share_pct"]:
        assert sum(share["work_share_pct"]) == pytest.approx(100.0, abs=0.05)
    ops = q(con, "SELECT count(*), sum(dur) FROM ops")[0]
    assert ops[0] == len(opt.trace) and ops[1] == sum(c["busy_sum_cycles"] for c in doc["cores"])


@pytest.mark.parametrize("name", sorted(DOC_QUERIES))
def test_docs_queries_run(name: str) -> None:
    """Every example in docs/sql.md runs on every sample; the single-run ones return rows."""
    for path in SAMPLES:
        con = sqlengine.connect([tbl.build_tables(load_run(path))])
        names, rows = sqlengine.run(con, DOC_QUERIES[name])
        assert names
        if name not in ("tiled_ops",):
            assert rows, f"{name} returned nothing on {path.name}"


def test_tables_cover_schema_and_units() -> None:
    opt = load_run(ROOT / "sample_data" / "chain8_matmul")
    ts = tbl.build_tables(opt)
    assert list(ts.data) == list(tbl.SCHEMA)
    for name, spec in tbl.SCHEMA.items():
        assert list(ts.data[name]) == list(spec.names[1:])
        assert ts.rows(name) > 0, name
    units = {c.name: c.unit for c in tbl.SCHEMA["ops"].columns}
    assert units["ts"] == units["dur"] == units["dpc"] == "cycles" and units["ts_us"] == "µs"
    for col in ("ts", "dur", "end_ts", "lane", "unit", "kind", "kernel", "qnn_op", "op_id", "dpc",
                "cycles_per_packet", "ts_us", "dur_us", "core", "tid", "flags", "start_cycle",
                "dpc_per_tile"):  # fmt: skip
        assert col in units
    con = sqlengine.connect([ts])
    row = q(
        con, "SELECT op_id, flags, kind, ts_us, dur_us FROM ops WHERE op_id = '0x0000111100000002'"
    )
    assert row[0][1] == "dma" and row[0][2] == "DMA"
    assert row[0][4] == pytest.approx(3267 / 0.806365 / 1000, rel=1e-9)
    assert q(con, "SELECT count(*) FROM ops WHERE dram_read IS NULL") == [(0,)]


def test_only_named_tables_are_built() -> None:
    assert tbl.tables_named_in("SELECT * FROM ops JOIN lanes USING (lane)") == {"ops", "lanes"}
    assert tbl.tables_named_in("select count(*) from OPS") == {"ops"}
    assert tbl.tables_named_in("SHOW TABLES") == set(tbl.SCHEMA)
    assert "findings" not in tbl.tables_named_in("SELECT * FROM ops WHERE kernel = 'x_findings'")
    opt = load_run(ROOT / "sample_data" / "synthetic_hvx4")
    ts = tbl.build_tables(opt, only={"ops"})
    assert set(ts.data) == {"ops"}
    con = sqlengine.connect([ts])
    with pytest.raises(sqlengine.QueryError, match="findings"):
        sqlengine.run(con, "SELECT * FROM findings")


# --- tiled ops: the true per-tile DPC ------------------------------------------------------------

REBASE = 5_000_000
TILE_ID = 0x2000_0000_0021


def _tiled_dir(tmp: Path, with_qhas: bool) -> Path:
    """Real-form tiling: three tiles share one ID and carry the per-op DPC (200) copied on each."""
    d = tmp / ("tiled_qhas" if with_qhas else "tiled_plain")
    d.mkdir()
    tiles = [(512, 100, 10), (513, 110, 10), (514, 120, 200)]  # tid, ts, true per-tile DPC
    ev = []
    for pid in (0, 2):
        ev.append(x_event("q::Input", 256, 0, 100, pid=pid, op_id=0x1000_0000_0002,
                          flags=["dma"], qnn="Input", dpc=100, rebase=REBASE))  # fmt: skip
    for tid, ts, _ in tiles:
        for pid in (0, 3):
            ev.append(x_event("q::TileOp", tid, ts, 200, pid=pid, op_id=TILE_ID, qnn="Tile_0",
                              dpc=200, rebase=REBASE))  # fmt: skip
    ev += [meta_process(0, "Core 0 Overview"), meta_process(2, "QNN::Input", 2),
           meta_process(3, "QNN::Tile_0", 0x21), meta_thread(0, 256, "Type: HMX")]  # fmt: skip
    ev += [meta_thread(0, t, "Type: HVX") for t, _, _ in tiles]
    write_trace(d / "chrometrace.json", ev)
    if with_qhas:
        inst = [{"htp": 0, "tid": 256, "op_id": "0x100000000002", "htp_op": "q::Input",
                 "qnn_op": "Input", "start_cycle": REBASE, "cycles": 100,
                 "num_dominant_path_cycles": 100}]  # fmt: skip
        inst += [
            {
                "htp": 0,
                "tid": tid,
                "op_id": f"0x{TILE_ID:x}",
                "htp_op": "q::TileOp",
                "qnn_op": "Tile_0",
                "start_cycle": REBASE + ts,
                "cycles": 200,
                "num_dominant_path_cycles": dpc,
            }  # fmt: skip
            for tid, ts, dpc in tiles
        ]
        qhas = {
            "header": {"version": {"major": 1, "minor": 0, "patch": 0}, "artifact_type": "QHAS"},
            "model_id": "tiled",
            "data": {
                "htp_overall_summary": {"data": [{"htp": 0, "timeline_cycles": 320}]},
                "htp_op_instances": {"data": inst},
                "qnn_op_instances_nodes": {
                    "data": [
                        {"qnn_op": "Input", "cycles": 100, "num_dominant_path_cycles_htp_0": 100},
                        {"qnn_op": "Tile_0", "cycles": 600, "num_dominant_path_cycles_htp_0": 220},
                    ]
                },  # fmt: skip
            },
        }
        (d / "chrometrace_qnn_htp_analysis_summary.json").write_text(json.dumps(qhas))
    return d


def test_tiled_dpc_per_tile_from_qhas(tmp_path: Path) -> None:
    opt = load_run(_tiled_dir(tmp_path, with_qhas=True))
    con = sqlengine.connect([tbl.build_tables(opt)])
    rows = q(
        con,
        "SELECT lane, dpc, dpc_per_tile, dpc_source FROM ops WHERE qnn_op = 'Tile_0' ORDER BY ts",
    )
    assert rows == [
        ("HVX 512", 10, True, "QHAS"),
        ("HVX 513", 10, True, "QHAS"),
        ("HVX 514", 200, True, "QHAS"),
    ]
    diffs = doc_q(con, "dpc_vs_qhas")
    assert dict(zip(diffs["qnn_op"], diffs["htptui_dpc"], strict=True)) == {
        "Input": 100,
        "Tile_0": 220,
    }
    assert all(d == 0 for d in diffs["diff"])
    tiled = doc_q(con, "tiled_ops")
    assert tiled["tiles"] == [3] and tiled["lanes"] == [3] and tiled["dpc"] == [220]


def test_tiled_dpc_without_qhas_is_once_per_id(tmp_path: Path) -> None:
    opt = load_run(_tiled_dir(tmp_path, with_qhas=False))
    con = sqlengine.connect([tbl.build_tables(opt)])
    rows = q(
        con, "SELECT dpc, dpc_per_tile, dpc_source FROM ops WHERE qnn_op = 'Tile_0' ORDER BY ts"
    )
    assert [r[1:] for r in rows] == [(False, "op-level"), (False, "unknown"), (False, "unknown")]
    assert sum(r[0] for r in rows) == 200  # the op-level figure once, not 3 × 200
    assert q(con, "SELECT dpc, dpc_per_tile, dpc_source FROM ops WHERE qnn_op = 'Input'") == [
        (100, True, "trace")
    ]


def test_tiled_sample_dpc_equals_qhas() -> None:
    """The tiled sample (real form: tiles share one ID): Σ ops.dpc by QNN op = QHAS per-op DPC."""
    path = ROOT / "sample_data" / "synthetic_tiled_custom_op"
    opt = load_run(path)
    con = sqlengine.connect([tbl.build_tables(opt)])
    tiled = doc_q(con, "tiled_ops")
    assert tiled["tiles"] and max(tiled["tiles"]) > 1 and all(tiled["dpc_per_tile"])
    assert q(con, "SELECT count(*) FROM ops WHERE dpc_source IN ('QHAS', 'QHAS path')")[0][0] > 1
    want = {(core, r.name): int(v) for r in opt.qhas.qnn_op_nodes for core, v in r.dpc.items()}
    got = q(con, "SELECT core, qnn_op, sum(dpc) FROM ops GROUP BY ALL")
    assert {(c, n): d for c, n, d in got} == want
    event_sum = q(con, "SELECT sum(dpc) FROM ops")[0][0]
    assert event_sum <= q(con, "SELECT max(end_ts) - min(ts) FROM ops")[0][0]


# --- the guard ------------------------------------------------------------------------------------

WRITES = [
    "INSERT INTO ops SELECT * FROM ops",
    "UPDATE ops SET dur = 0",
    "DELETE FROM ops",
    "CREATE TABLE t AS SELECT 1",
    "DROP TABLE ops",
    "COPY ops TO 'x.csv'",
    "ATTACH 'x.db'",
    "INSTALL httpfs",
    "LOAD httpfs",
    "PRAGMA table_info('ops')",
    "SET threads = 1",
    "RESET threads",
    "EXPORT DATABASE 'x'",
    "CALL pragma_version()",
    "CHECKPOINT",
    "BEGIN TRANSACTION",
    "ALTER TABLE ops ADD COLUMN x INT",
    "SELECT 1; DROP TABLE ops",
    "PIVOT ops ON unit USING sum(dur)",
]


@pytest.fixture(scope="module")
def con() -> Any:
    return sqlengine.connect([tbl.build_tables(load_run(ROOT / "sample_data" / "chain8_matmul"))])


@pytest.mark.parametrize("sql", WRITES)
def test_write_statements_refused(con: Any, sql: str) -> None:
    with pytest.raises(sqlengine.QueryError) as exc:
        sqlengine.run(con, sql)
    assert "\n" not in str(exc.value)
    assert q(con, "SELECT count(*) FROM ops") == [(45,)]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM read_parquet('/tmp/x.parquet')",
        "SELECT * FROM query('COPY ops TO ''/tmp/x.csv''')",
    ],
)
def test_no_file_access(con: Any, sql: str) -> None:
    with pytest.raises(sqlengine.QueryError) as exc:
        sqlengine.run(con, sql)
    assert "\n" not in str(exc.value)


def test_configuration_locked(con: Any) -> None:
    with pytest.raises(Exception, match="locked|disabled"):
        con.execute("SET enable_external_access = true")


def test_read_only_forms_allowed(con: Any) -> None:
    for sql in ("DESCRIBE ops", "SHOW TABLES", "SUMMARIZE lanes", "EXPLAIN SELECT * FROM ops",
                "WITH x AS (SELECT * FROM ops) SELECT count(*) FROM x", "FROM lanes", "VALUES (1)"):  # fmt: skip
        names, _ = sqlengine.run(con, sql)
        assert names
    tables = {r[0] for r in q(con, "SHOW TABLES")}
    assert tables == set(tbl.SCHEMA)


# --- the CLI --------------------------------------------------------------------------------------

CHAIN8 = str(ROOT / "sample_data" / "chain8_matmul")


def cli(*args: str, input: str | None = None) -> Any:  # noqa: A002
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_cli_formats() -> None:
    sql = "SELECT lane, sum(dur) AS busy FROM ops GROUP BY lane ORDER BY lane"
    text = cli("sql", CHAIN8, sql)
    assert text.exit_code == 0 and "HMX 256" in text.stdout and "(3 rows)" in text.stdout
    js = json.loads(cli("sql", CHAIN8, sql, "--format", "json").stdout)
    assert js == [{"lane": "HMX 256", "busy": 38764}, {"lane": "HVX 512", "busy": 24061},
                  {"lane": "HVX 514", "busy": 5801}]  # fmt: skip
    csv_out = cli("sql", CHAIN8, sql, "--format", "csv").stdout.splitlines()
    assert csv_out == ["lane,busy", "HMX 256,38764", "HVX 512,24061", "HVX 514,5801"]
    nulls = json.loads(
        cli("sql", CHAIN8, "SELECT NULL AS x, 'nan'::DOUBLE AS y", "--format", "json").stdout
    )
    assert nulls == [{"x": None, "y": None}]


def test_cli_query_from_stdin_and_errors() -> None:
    r = cli("sql", CHAIN8, input="SELECT count(*) AS n FROM ops\n")
    assert r.exit_code == 0 and "45" in r.stdout
    bad = cli("sql", CHAIN8, "SELECT * FROM nope")
    assert bad.exit_code == 1 and bad.stdout == ""
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and "nope" in lines[0] and lines[0].startswith("htptui: error:")
    syntax = cli("sql", CHAIN8, "SELEC 1")
    assert syntax.exit_code == 1 and len(syntax.stderr.strip().splitlines()) == 1
    write = cli("sql", CHAIN8, "DELETE FROM ops")
    assert write.exit_code == 1 and "refused" in write.stderr
    missing = cli("sql", "/nonexistent/dir", "SELECT 1")
    assert missing.exit_code == 1 and len(missing.stderr.strip().splitlines()) == 1


def test_cli_schema() -> None:
    r = cli("sql", "--schema")
    assert r.exit_code == 0
    for name, spec in tbl.SCHEMA.items():
        assert f"\n{name}: " in "\n" + r.stdout
        for c in spec.columns:
            assert c.name in r.stdout
    assert "cycles" in r.stdout and "µs" in r.stdout and "bytes" in r.stdout
    js = json.loads(cli("sql", "--schema", "--format", "json").stdout)
    dur = next(c for c in js if c["table"] == "ops" and c["column"] == "dur")
    assert dur["unit"] == "cycles" and dur["type"] == "BIGINT"


def test_interactive_prompt(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from htptui.commands import sql as sql_cmd

    lines = iter(["SELECT count(*) AS n FROM ops", "", "DELETE FROM ops", ".schema lanes",
                  "SELECT 42 AS answer", ".quit", "SELECT 'never'"])  # fmt: skip
    monkeypatch.setattr("builtins.input", lambda prompt="": next(lines))
    con = sqlengine.connect([tbl.build_tables(load_run(CHAIN8))])
    sql_cmd._interactive(con, "text")
    out = capsys.readouterr()
    assert "45" in out.out and "42" in out.out and "never" not in out.out
    assert "lanes: " in out.out and "utilization_pct" in out.out
    assert "refused" in out.err


def test_no_duckdb_import_for_report_and_help() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from htptui.cli import main\n"
        f"r = CliRunner().invoke(main, ['report', {CHAIN8!r}, '--format', 'json'])\n"
        "assert r.exit_code == 0, r.output\n"
        "for args in (['--help'], ['sql', '--help'], ['export', '--help'], ['report', '--help']):\n"
        "    assert CliRunner().invoke(main, args).exit_code == 0\n"
        "print('duckdb' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- many runs ------------------------------------------------------------------------------------


def test_runs_over_saved_reports_and_exports(tmp_path: Path) -> None:
    runs = tmp_path / "ci"
    (runs / "nightly").mkdir(parents=True)
    docs = {}
    for path in SAMPLES[:4]:
        dest = runs / "nightly" / f"{path.name}.json"
        assert cli("report", str(path), "--format", "json", "-o", str(dest)).exit_code == 0
        docs[f"nightly/{path.name}"] = json.loads(dest.read_text())
    exp = tmp_path / "exports" / "chain8"
    assert cli("export", CHAIN8, "--format", "parquet", "-o", str(exp)).exit_code == 0
    res = cli("sql", "--runs", str(runs), "--runs", str(exp),
              "SELECT run, qnn_op, sum(dpc) AS dpc FROM ops GROUP BY ALL", "--format", "json")  # fmt: skip
    assert res.exit_code == 0, res.stderr
    got: dict[str, dict[str, int]] = {}
    for r in json.loads(res.stdout):
        got.setdefault(r["run"], {})[r["qnn_op"]] = r["dpc"]
    for label, doc in docs.items():
        assert got[label] == {r["name"]: r["dpc"] for r in doc["compare_basis"]["qnn_ops"]}
    assert got["chain8"] == got["nightly/chain8_matmul"]
    walls = json.loads(cli("sql", "--runs", str(runs / "nightly" / "*.json"),
                           "SELECT run, core, graph_wall, dpc_sum FROM cores", "--format", "json").stdout)  # fmt: skip
    want = {(f"nightly/{k}".split("/")[-1], c["core"]): (c["graph_wall_cycles"], c["dpc_sum"])
            for k, d in ((lb.split("/")[-1], d) for lb, d in docs.items()) for c in d["cores"]}  # fmt: skip
    assert {(r["run"], r["core"]): (r["graph_wall"], r["dpc_sum"]) for r in walls} == want
    busy = json.loads(cli("sql", "--runs", str(runs), "SELECT run, lane, sum(dur) AS b FROM ops GROUP BY ALL",
                          "--format", "json").stdout)  # fmt: skip
    for r in busy:
        lanes = {ln["label"]: ln["busy"] for c in docs[r["run"]]["cores"] for ln in c["lanes"]}
        assert lanes[r["lane"]] == r["b"]
    none = cli("sql", "--runs", str(tmp_path / "nothing*"), "SELECT 1")
    assert none.exit_code == 1


def test_export_roundtrip_parquet_and_csv(tmp_path: Path) -> None:
    opt = load_run(CHAIN8)
    direct = sqlengine.connect([tbl.build_tables(opt)])
    for fmt in ("parquet", "csv"):
        out = tmp_path / fmt
        r = cli("export", CHAIN8, "--format", fmt, "-o", str(out))
        assert r.exit_code == 0, r.stderr
        manifest = json.loads((out / sqlengine.EXPORT_MANIFEST).read_text())
        assert manifest["format"] == fmt and set(manifest["tables"]) == set(tbl.SCHEMA)
        back = sqlengine.connect([sqlengine.read_export(out, "x")])
        for name in tbl.SCHEMA:
            cols = ", ".join(f'"{c}"' for c in tbl.SCHEMA[name].names[1:])
            a = q(direct, f"SELECT {cols} FROM {name} ORDER BY ALL")
            b = q(back, f"SELECT {cols} FROM {name} ORDER BY ALL")
            assert a == b, (fmt, name)
        via_cli = cli("sql", str(out), "SELECT count(*) FROM ops")
        assert "45" in via_cli.stdout


# --- never into the trace directory ---------------------------------------------------------------


def test_export_refuses_trace_dir(tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    trace.mkdir()
    for f in Path(CHAIN8).iterdir():
        (trace / f.name).write_bytes(f.read_bytes())
    before = sorted(p.name for p in trace.iterdir())
    link = tmp_path / "link"
    link.symlink_to(trace)
    for fmt in ("parquet", "csv", "perfetto"):
        for out in (trace, trace / "sub", link / "x"):
            r = cli("export", str(trace), "--format", fmt, "-o", str(out))
            assert r.exit_code == 2 and "trace directory" in r.stderr
        r = cli("export", str(trace / "chrometrace.json"), "--format", fmt, "-o", str(trace / "o"))
        assert r.exit_code == 2
    assert sorted(p.name for p in trace.iterdir()) == before


def test_sql_writes_nothing_in_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trace = tmp_path / "trace"
    trace.mkdir()
    for f in Path(CHAIN8).iterdir():
        (trace / f.name).write_bytes(f.read_bytes())
    before = sorted(p.name for p in trace.iterdir())
    monkeypatch.chdir(trace)
    big = "SELECT a.op, b.op FROM ops a, ops b, ops c ORDER BY 1, 2 LIMIT 3"
    assert cli("sql", ".", big).exit_code == 0
    assert cli("sql", ".", "COPY ops TO 'out.csv'").exit_code == 1
    assert sorted(p.name for p in trace.iterdir()) == before


# --- Perfetto --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SAMPLES, ids=IDS)
def test_perfetto_trace(path: Path, tmp_path: Path) -> None:
    opt = load_run(path)
    ts = tbl.build_tables(opt)
    dest = tmp_path / "pf.json"
    n = perfetto_trace.write(ts, dest)
    doc = json.loads(dest.read_text())
    events = doc["traceEvents"]
    assert len(events) == n and doc["displayTimeUnit"] == "ns"
    ghz = ts.clock_ghz
    assert doc["htptui"]["clock_ghz"] == ghz and doc["htptui"]["deduplicated"] is True
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e["name"] == "thread_name"}
    procs = {e["pid"] for e in events if e["name"] == "process_name"}
    ops = [e for e in events if e["ph"] == "X" and e.get("cat") not in ("dominant_path", "idle")]
    assert len(ops) == len(opt.trace)  # once each: the SDK's duplicates are gone
    for ln in opt.trace.lanes:
        if (opt.trace.lane == ln.index).any():
            assert names[(ln.core, ln.tid)] == ln.label
    assert {ln.core for ln in opt.trace.lanes} <= procs
    scale = ghz * 1000.0 if ghz else 1000.0
    for e in ops:
        assert isinstance(e["ts"], float) and e["dur"] >= 0
        assert e["ts"] == pytest.approx(e["args"]["ts (cycles)"] / scale, abs=1e-3)
        assert e["dur"] == pytest.approx(e["args"]["cycles"] / scale, abs=2e-3)
    by_thread: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for e in ops:
        by_thread.setdefault((e["pid"], e["tid"]), []).append((e["ts"], e["ts"] + e["dur"]))
    for spans in by_thread.values():  # no overlap on one track (Perfetto nests slices by time)
        spans.sort()
        assert all(a[1] <= b[0] + 1e-9 for a, b in zip(spans, spans[1:], strict=False))
    path_ev = [e for e in events if e.get("cat") in ("dominant_path", "idle")]
    if opt.qhas is not None and opt.qhas.dominant_path and opt.trace.rebase is not None:
        assert doc["htptui"]["dominant_path_track"]
        assert {names[(e["pid"], e["tid"])] for e in path_ev} == {"Dominant path (QHAS)"}
        for core, rows in opt.qhas.dominant_path.items():
            total = sum(e["dur"] for e in path_ev if e["pid"] == core)
            assert total == pytest.approx(
                sum(r.dp_cycles for r in rows) / scale, abs=1e-3 * len(rows)
            )
    counters = [e for e in events if e["ph"] == "C"]
    assert len(counters) == sum(
        c.ts.size for s in opt.trace.core_counters.values() for c in s.values()
    )


def test_perfetto_cli_without_clock(tmp_path: Path) -> None:
    trace = tmp_path / "t"
    trace.mkdir()
    (trace / "chrometrace.json").write_bytes((Path(CHAIN8) / "chrometrace.json").read_bytes())
    r = cli("export", str(trace), "--format", "perfetto", "-o", str(tmp_path / "pf"))
    assert r.exit_code == 0 and "cycles" in r.stderr
    from htptui.commands.export import PERFETTO_FILE

    doc = json.loads((tmp_path / "pf" / PERFETTO_FILE).read_text())
    assert doc["htptui"]["clock_ghz"] is None and doc["htptui"]["time_unit"] == "cycles shown as ns"
    x = next(e for e in doc["traceEvents"] if e["ph"] == "X")
    assert x["dur"] == pytest.approx(x["args"]["cycles"] / 1000.0, abs=1e-3)


def test_runs_tolerate_odd_report_values(tmp_path: Path) -> None:
    """A saved report with wrong-typed values gives NULLs, never a traceback."""
    doc = json.loads(cli("report", CHAIN8, "--format", "json").stdout)
    doc["cores"][0]["graph_wall_cycles"] = "big"
    doc["cores"][0]["lanes"].append("not a lane")
    doc["compare_basis"]["instances"][0].update(ts="x", dur=None, dpc=[1], lane={"a": 1})
    doc["compare_basis"]["instances"].append(7)
    doc["qhas"]["dominant_path"]["zz"] = [1, 2]
    doc["timing"]["trace_execute_clock_ghz"] = "fast"
    doc["findings"]["items"][0]["ops"] = 5
    (tmp_path / "odd.json").write_text(json.dumps(doc))
    # the saved-report validator may refuse such a file: then one line naming it, exit 1
    r = cli("sql", "--runs", str(tmp_path), "SELECT count(*) FROM ops")
    assert r.exit_code in (0, 1) and "Traceback" not in r.stderr
    if r.exit_code == 1:
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "odd.json" in lines[0]
    # the table builder itself never fails on odd values: they are NULL
    con = sqlengine.connect([tbl.tables_from_document(doc, "odd")])
    assert q(con, "SELECT count(*), count(ts), count(dpc), count(ts_us) FROM ops") == [
        (45, 44, 44, 0)
    ]
    assert q(con, "SELECT graph_wall, clock_ghz FROM cores") == [(None, None)]
    assert q(con, "SELECT n_ops FROM findings WHERE rank = 0") == [(0,)]


def test_big_results_stream(con: Any) -> None:
    """csv/json/text results are written chunk by chunk, and agree with one another."""
    import io

    sql = "SELECT a.op AS a, b.op AS b FROM ops a, ops b ORDER BY 1, 2"
    outs = {}
    for fmt in ("csv", "json", "text"):
        names, cur = sqlengine.execute(con, sql)
        buf = io.StringIO()
        assert sqlengine.write_result(buf, fmt, names, sqlengine.chunks(cur, size=7)) == 45 * 45
        outs[fmt] = buf.getvalue()
    assert len(json.loads(outs["json"])) == 45 * 45
    assert outs["csv"].splitlines()[1:3] == ["0,0", "0,1"]
    assert outs["text"].rstrip().endswith("(2025 rows)")


def test_missing_duckdb_is_one_line() -> None:
    code = (
        "import sys\n"
        "sys.modules['duckdb'] = None\n"
        "from htptui.cli import main\n"
        f"sys.argv = ['htptui', 'sql', {CHAIN8!r}, 'SELECT 1']\n"
        "main()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [f"htptui: error: {sqlengine.INSTALL_HINT}"]


@pytest.mark.parametrize("path", SAMPLES, ids=IDS)
def test_document_tables_match_run_tables(path: Path) -> None:
    """A saved report gives the same rows as the loaded run on the columns a report carries."""
    opt = load_run(path)
    doc = json.loads(to_json_bytes(report.build_report(opt)))
    full = sqlengine.connect([tbl.build_tables(opt)])
    saved = sqlengine.connect([tbl.tables_from_document(doc, "x")])
    for sql in (
        "SELECT core, lane, unit, tid, ts, dur, end_ts, kernel, qnn_op, dpc FROM ops ORDER BY ALL",
        "SELECT core, seq, ts, end_ts, dp_cycles, partial, idle, htp_op, op_id FROM qhas_path ORDER BY ALL",
        "SELECT * EXCLUDE (run) FROM lanes ORDER BY ALL",
        "SELECT * EXCLUDE (run, graph_wall_us) FROM cores ORDER BY ALL",
        "SELECT execute, phase, us, ghz, cycles FROM runtrace_phases ORDER BY ALL",
        "SELECT * EXCLUDE (run, start_cycle, end_cycle) FROM qhas_resources ORDER BY ALL",
        "SELECT * EXCLUDE (run) FROM qhas_overall ORDER BY ALL",
        "SELECT rank, rule, severity, title, n_ops FROM findings ORDER BY ALL",
    ):
        a, b = q(full, sql), q(saved, sql)
        assert len(a) == len(b), sql
        for ra, rb in zip(a, b, strict=True):
            assert (
                ra == pytest.approx(rb, rel=1e-3)
                if any(isinstance(v, float) for v in ra)
                else ra == rb
            ), sql


def test_control_characters_are_visible_in_every_format() -> None:
    sql = "SELECT chr(27) || '[31mred' AS s"
    for fmt in ("text", "csv", "json"):
        out = cli("sql", CHAIN8, sql, "--format", fmt).stdout
        assert "\x1b" not in out and "\\x1b[31mred" in out.replace("\\\\", "\\"), (fmt, out)


def test_tiled_sample_without_qhas(tmp_path: Path) -> None:
    """Without QHAS a tiled op's split is unknown: DPC once per ID, idle NULL (as in the report)."""
    src = ROOT / "sample_data" / "synthetic_tiled_custom_op"
    for f in src.iterdir():
        if "qnn_htp_analysis_summary" not in f.name:
            (tmp_path / f.name).write_bytes(f.read_bytes())
    opt = load_run(tmp_path)
    doc = report.build_report(opt)
    con = sqlengine.connect([tbl.build_tables(opt)])
    assert q(con, "SELECT count(*) FROM ops WHERE dpc_source = 'op-level'")[0][0] > 0
    assert q(con, "SELECT count(*) FROM ops WHERE NOT dpc_per_tile")[0][0] > 1
    wall = doc_q(con, "wall")
    assert (
        wall["accumulated_idle"] == [None] == [c["accumulated_idle_cycles"] for c in doc["cores"]]
    )
    assert q(con, "SELECT accumulated_idle FROM cores") == [(None,)]
    want = {r["name"]: r["dpc"] for r in doc["compare_basis"]["qnn_ops"]}
    assert dict(q(con, "SELECT qnn_op, sum(dpc) FROM ops GROUP BY 1")) == want


def test_query_starting_with_a_comment() -> None:
    """A query copied from docs/sql.md starts with '-- name: …': it is the query, not an option."""
    r = cli("sql", CHAIN8, DOC_QUERIES["wall"], "--format", "csv")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[1].startswith("0,64829,")
    typo = cli("sql", CHAIN8, "SELECT 1", "--formt", "csv")
    assert typo.exit_code == 2 and "too many arguments" in typo.stderr
