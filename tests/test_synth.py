"""Tests for the synthetic optrace generator: determinism and cross-file consistency."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from htptui.synth import SAMPLE_SPECS, SynthSpec, build_optrace, write_big_trace, write_optrace

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_data"
TICKS_PER_US = 19.2


def _load(files: dict[str, bytes], spec: SynthSpec) -> dict[str, Any]:
    """Decode every generated artifact of one spec."""
    if spec.gzip:
        raw = gzip.decompress(files[f"{spec.stem}.json.gz"])
    else:
        raw = files[f"{spec.stem}.json"]
    trace = json.loads(raw)
    events = trace if isinstance(trace, list) else trace["traceEvents"]
    return {
        "raw_trace": trace,
        "events": events,
        "htp": json.loads(files[f"{spec.stem}_htp.json"]),
        "qhas": json.loads(files[f"{spec.stem}_qnn_htp_analysis_summary.json"]),
        "run": json.loads(files[f"{spec.stem}_runtrace.json"]),
        "profile": files["profile.txt"].decode(),
    }


@pytest.fixture(scope="module")
def generated() -> dict[str, tuple[SynthSpec, dict[str, bytes], dict[str, Any]]]:
    """Build every bundled sample once in memory."""
    out = {}
    for name, spec in SAMPLE_SPECS.items():
        files = build_optrace(spec)
        out[name] = (spec, files, _load(files, spec))
    return out


def _core_pids(events: list[dict[str, Any]]) -> dict[int, int]:
    """Map Core-Overview pid -> core number from process_name metadata."""
    pids = {}
    for e in events:
        if e.get("ph") == "M" and e.get("name") == "process_name":
            m = re.fullmatch(r"Core (\d+) Overview", e["args"]["name"])
            if m:
                pids[e["pid"]] = int(m.group(1))
    return pids


def _executed(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the de-duplicated executed ops (Core-Overview pids, not tid 1)."""
    cores = _core_pids(events)
    return [e for e in events if e.get("ph") == "X" and e["pid"] in cores and e["tid"] != 1]


def _tiles(execd: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Executed events per ID (an ID on several events is a tiled op, spec §1.4b)."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in execd:
        out[e["args"]["ID"]].append(e)
    return out


def test_deterministic() -> None:
    """The same spec gives byte-identical files."""
    for spec in SAMPLE_SPECS.values():
        assert build_optrace(spec) == build_optrace(spec)
    a = build_optrace(SynthSpec(seed=1))
    b = build_optrace(SynthSpec(seed=2))
    assert a["chrometrace.json"] != b["chrometrace.json"]


def test_bundled_samples_up_to_date() -> None:
    """The committed sample_data/synthetic_* directories equal a fresh regeneration."""
    for name, spec in SAMPLE_SPECS.items():
        d = SAMPLE_DIR / name
        if not d.is_dir():
            pytest.skip(f"{d} not generated")
        files = build_optrace(spec)
        assert sorted(p.name for p in d.iterdir() if p.is_file()) == sorted(files)
        for fname, data in files.items():
            assert (d / fname).read_bytes() == data, f"{name}/{fname} is stale"
        assert sum(len(v) for v in files.values()) < 300 * 1024


def test_write_optrace(tmp_path: Path) -> None:
    """write_optrace writes every artifact and returns the op-trace path."""
    spec = SynthSpec(seed=3, stem="chromeTrace", write_profile_txt=False)
    path = write_optrace(tmp_path / "x", spec)
    assert path == tmp_path / "x" / "chromeTrace.json"
    names = sorted(p.name for p in (tmp_path / "x").iterdir())
    assert names == [
        "chromeTrace.json",
        "chromeTrace_htp.json",
        "chromeTrace_qnn_htp_analysis_summary.json",
        "chromeTrace_runtrace.json",
    ]


def test_headers_and_shapes(generated: dict) -> None:
    """Headers, top-level shape and artifact types match the real files."""
    for spec, files, d in generated.values():
        if spec.bare_list:
            assert isinstance(d["raw_trace"], list)
        else:
            assert d["raw_trace"]["header"]["artifact_type"] == "OP_TRACE"
            assert d["raw_trace"]["header"]["version"] == {"major": 1, "minor": 1, "patch": 0}
        assert d["htp"]["header"]["artifact_type"] == "HTP_GRAPH"
        assert d["htp"]["model.cpp"] == "htp_graph"
        assert d["qhas"]["header"]["artifact_type"] == "QHAS"
        assert d["run"]["header"]["artifact_type"] == "RUN_TRACE"
        if spec.gzip:
            assert files[f"{spec.stem}.json.gz"][:2] == b"\x1f\x8b"
        phs = Counter(e["ph"] for e in d["events"])
        assert set(phs) == {"X", "M", "C", "s", "f"}
        assert phs["s"] == phs["f"]


def test_each_op_twice_and_lanes(generated: dict) -> None:
    """Every executed op appears once on its core pid and once on its QNN pid; lanes never overlap."""
    for spec, _files, d in generated.values():
        events = d["events"]
        cores = _core_pids(events)
        assert sorted(cores.values()) == list(range(spec.cores))
        xs = [e for e in events if e["ph"] == "X" and e["tid"] != 1]
        keys = Counter((e["args"]["ID"], e["tid"], e["ts"], e["dur"]) for e in xs)
        assert set(keys.values()) == {2}
        for e in [e for e in events if e["ph"] == "X" and e["tid"] == 1]:
            assert e["dur"] == 5 and e["pid"] in cores and "Start Cycle" not in e["args"]
        execd = _executed(events)
        rebase = {e["args"]["Start Cycle"] - e["ts"] for e in execd}
        assert len(rebase) == 1
        opid = {
            m["pid"]: int(m["args"]["opid"], 16)
            for m in events
            if m["ph"] == "M" and m["name"] == "process_name" and "opid" in m["args"]
        }
        qpid = {e["args"]["ID"]: e["pid"] for e in xs if e["pid"] not in cores}
        tiles = _tiles(execd)
        for e in execd:
            if len(tiles[e["args"]["ID"]]) == 1:
                assert e["dur"] == e["args"]["Duration (cycles)"]
            else:  # a tiled op: the per-op Duration (cycles) is one tile's dur, copied (spec §1.4b)
                assert e["args"]["Duration (cycles)"] in {t["dur"] for t in tiles[e["args"]["ID"]]}
                assert {t["args"]["Duration (cycles)"] for t in tiles[e["args"]["ID"]]} == {
                    e["args"]["Duration (cycles)"]
                }
            assert e["name"] == e["args"]["HTP Op Type"]
            assert int(e["args"]["ID"], 16) & 0xFFFFFFFF == opid[qpid[e["args"]["ID"]]]
        lanes = defaultdict(list)
        for e in execd:
            lanes[(e["pid"], e["tid"])].append((e["ts"], e["ts"] + e["dur"]))
        for spans in lanes.values():
            spans.sort()
            assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
        hvx = {e["tid"] for e in execd if 512 <= e["tid"] < 768}
        assert hvx == set(range(512, 512 + spec.hvx_lanes))
        flows = defaultdict(list)
        for e in events:
            if e["ph"] in "sf":
                flows[e["id"]].append(e["ph"])
        assert all(sorted(v) == ["f", "s"] for v in flows.values())


def test_qhas_matches_trace(generated: dict) -> None:
    """QHAS figures are exactly what §3 of the spec derives from the trace."""
    for spec, _files, d in generated.values():
        events = d["events"]
        cores = _core_pids(events)
        execd = _executed(events)
        q = d["qhas"]["data"]
        # join on (ID, Start Cycle): tiles share one ID (spec §1.4b)
        by_key = {(int(e["args"]["ID"], 16), e["args"]["Start Cycle"]): e for e in execd}
        inst = {(int(r["op_id"], 16), r["start_cycle"]): r for r in q["htp_op_instances"]["data"]}
        assert set(inst) == set(by_key) and len(inst) == len(execd)
        tiles = _tiles(execd)
        path_rows = [
            r
            for c in range(spec.cores)
            for r in q[f"dominant_path_htp_{c}"]["data"]
            if r["op_id"] != "0x0"
        ]
        for (uid, start), r in inst.items():
            e = by_key[(uid, start)]
            assert r["op_id"] == hex(uid)
            assert r["cycles"] == e["dur"]
            if len(tiles[e["args"]["ID"]]) == 1:
                assert r["num_dominant_path_cycles"] == e["args"]["Dominant Path Cycles"]
            else:  # a tile's DPC = Σ path rows of its ID inside its interval
                inside = [
                    p["dp_cycles"]
                    for p in path_rows
                    if int(p["op_id"], 16) == uid
                    and start <= p["start_cycle"]
                    and p["end_cycle"] <= start + e["dur"]
                    and p["cycles"] == e["dur"]
                ]
                assert r["num_dominant_path_cycles"] == sum(inside)
            assert r["tid"] == e["tid"] and r["htp"] == cores[e["pid"]]
            assert r["htp_op"] == e["name"] and r["qnn_op"] == e["args"]["QNN Op Name"]
        overall = {row["htp"]: row for row in q["htp_overall_summary"]["data"]}
        assert sorted(overall) == list(range(spec.cores))
        for pid, core in cores.items():
            mine = [e for e in execd if e["pid"] == pid]
            row = overall[core]
            s0 = min(e["args"]["Start Cycle"] for e in mine)
            s1 = max(e["args"]["Start Cycle"] + e["dur"] for e in mine)
            tl = s1 - s0
            assert row["timeline_cycles"] == tl
            assert row["htp_nodes"] == len(mine)
            used = defaultdict(int)
            for e in mine:
                used[e["tid"]] += e["dur"]
            res = {r["tid"]: r for r in row["htp_resources"]["data"]}
            assert set(res) == set(used)
            for tid, r in res.items():
                assert r["cycles_used"] == used[tid]
                assert r["utilization"] == pytest.approx(used[tid] / tl * 100)
                assert r["timeline_cycles"] == r["end_cycle"] - r["start_cycle"]
            path = q[f"dominant_path_htp_{core}"]["data"]
            assert sum(r["dp_cycles"] for r in path) == tl
            kinds = [r["htp_op"] == "Accumulated Idle" for r in path]
            assert kinds == sorted(kinds)  # idle rows appended at the end
            rows = sorted(path, key=lambda r: r["start_cycle"])
            assert rows[0]["start_cycle"] == s0 and rows[-1]["end_cycle"] == s1
            assert all(
                a["end_cycle"] == b["start_cycle"] for a, b in zip(rows, rows[1:], strict=False)
            )
            idle = sum(r["dp_cycles"] for r in path if r["htp_op"] == "Accumulated Idle")
            for r in path:  # idle rows are true gaps: no lane of this core is busy
                if r["htp_op"] == "Accumulated Idle":
                    assert not any(
                        e["args"]["Start Cycle"] < r["end_cycle"]
                        and e["args"]["Start Cycle"] + e["dur"] > r["start_cycle"]
                        for e in mine
                    )
            assert row["percent_idle"] == pytest.approx(idle / tl * 100)
            dp = {int(r["op_id"], 16): r["dp_cycles"] for r in path if r["op_id"] != "0x0"}
            for e in mine:
                assert e["args"]["Dominant Path Cycles"] == dp.get(int(e["args"]["ID"], 16), 0)
            vtcm = [
                next(iter(e["args"].values()))
                for e in events
                if e["ph"] == "C" and e["pid"] == pid and e["name"] == "VTCM alloc"
            ]
            assert row["peak_vtcm_alloc"] == max(vtcm)
            for key in ("qnn_op_types", "qnn_op_instances_nodes", "htp_op_types"):
                for r in q[key]["data"]:
                    assert f"num_dominant_path_cycles_htp_{core}" in r
        total = sum(e["dur"] for e in execd)
        assert sum(r["cycles"] for r in q["qnn_op_types"]["data"]) == total
        assert sum(r["cycles"] for r in q["htp_op_types"]["data"]) == total


def test_htp_graph(generated: dict) -> None:
    """HTP graph nodes are keyed by output tensor, reference real tensors and match the trace."""
    for _spec, _files, d in generated.values():
        g = d["htp"]["graph"]
        # tiles share one ID: the node is written from the op's first tile
        execd = {}
        for e in sorted(_executed(d["events"]), key=lambda e: (-e["ts"], -e["tid"])):
            execd[e["args"]["ID"]] = e
        assert d["htp"]["op_types"] == sorted({n["type"] for n in g["nodes"].values()})
        assert {t["type"] for t in g["tensors"].values()} == {0, 1, 3, 4}
        for key, n in g["nodes"].items():
            assert n["output_names"] == [key] and key in g["tensors"]
            assert all(i in g["tensors"] for i in n["input_names"])
            sp = n["scalar_params"]
            assert sp["qnn_op_name"]["1544"] == n["grouping"]
            flag = sp["op_flags"]["1544"]
            assert flag not in ("dma_set", "dma_wait", "sync")
            if flag == "null_exec":
                assert "cycles_start" not in sp
                continue
            e = execd[key]
            assert sp["cycles_start"]["100"] == e["args"]["Start Cycle"]
            assert sp["cycles_duration"]["100"] == e["args"]["Duration (cycles)"]
            assert sp["cycles_dominant"]["100"] == e["args"]["Dominant Path Cycles"]


def test_profile_and_runtrace(generated: dict) -> None:
    """profile.txt Stat 1 and the runtrace agree with the trace and QHAS."""
    for spec, _files, d in generated.values():
        q = d["qhas"]["data"]
        run = [e for e in d["run"]["traceEvents"] if e["ph"] == "X"]
        assert len(run) == 4 * spec.n_executes
        assert [e["name"] for e in run[:4]] == [
            "QNN DSP Execute",
            "VTCM Acquire",
            "Resource Power On",
            "Graph Execute",
        ]
        for e in run:
            a = e["args"]
            assert e["dur"] == a["stat_end_ticks"] - a["stat_start_ticks"]
            assert a["summary_time_us"] == pytest.approx(e["dur"] / TICKS_PER_US, rel=1e-5)
            ghz = (a["stat_end_cycles"] - a["stat_start_cycles"]) / a["summary_time_us"] / 1000
            assert a["summary_htp_frequency_ghz"] == pytest.approx(ghz, rel=1e-4)
        assert 0.7 < run[3]["args"]["summary_htp_frequency_ghz"] < 0.9
        if spec.n_executes > 1:
            assert 1.8 < run[7]["args"]["summary_htp_frequency_ghz"] < 2.0
        ge = run[3]["args"]
        starts = [e["args"]["Start Cycle"] for e in _executed(d["events"])]
        assert ge["stat_start_cycles"] < min(starts) and max(starts) < ge["stat_end_cycles"]
        row = q["htp_overall_summary"]["data"][0]
        assert row["time_us"] == int(run[0]["args"]["summary_time_us"])
        assert row["graph_execute_us"] == int(ge["summary_time_us"])

        stat1 = d["profile"].split("Execute Stat 2")[0].split("Execute Stat 1")[1]
        total = int(re.search(r"Accelerator \(execute\) time \(cycles\) : (\d+)  cycles", stat1)[1])
        per_op = {
            m[1]: int(m[2])
            for m in re.finditer(
                r"^    (\S+?)(?::| )OpId_\d+ \(cycles\) : (\d+)  cycles$", stat1, re.M
            )
        }
        assert "Input" in per_op and "Output" in per_op
        assert total == sum(per_op.values())
        qhas_ops = {
            r["qnn_op"]: r["cycles"]
            for r in q["qnn_op_instances_nodes"]["data"]
            if not r["qnn_op_type"].startswith("SystemService")
        }
        assert total == sum(qhas_ops.values())
        for name, cyc in qhas_ops.items():
            assert per_op[name] == cyc
        vt = int(re.search(r"Time for initial VTCM acquire : (\d+)  us", stat1)[1])
        pw = int(re.search(r"Time for HVX \+ HMX power on and acquire : (\d+)  us", stat1)[1])
        assert vt == run[1]["dur"] and pw == run[2]["dur"]
        assert d["profile"].count("Execute Stat ") == spec.n_executes


def test_v247_thread_names(generated: dict) -> None:
    """The v2.47 layout has DMA on 256, HVX on 512-519 and HMX on 768."""
    _spec, _files, d = generated["synthetic_v247_layout"]
    names = {
        (e["pid"], e["tid"]): e["args"]["name"]
        for e in d["events"]
        if e["ph"] == "M" and e["name"] == "thread_name"
    }
    assert names[(0, 256)] == "Type: DMA"
    assert names[(0, 768)] == "Type: HMX"
    assert all(names[(0, t)] == "Type: HVX" for t in range(512, 520))
    qnn_names = {v for (pid, _t), v in names.items() if pid >= 2}
    assert "Core:0 Type: DMA Tid: 256" in qnn_names and "Core:0 Type: HMX Tid: 768" in qnn_names
    res = d["qhas"]["data"]["htp_overall_summary"]["data"][0]["htp_resources"]["data"]
    assert {r["tid"]: r["type"] for r in res}[256] == "DMA"
    assert {r["tid"]: r["type"] for r in res}[768] == "HMX"


def test_two_cores(generated: dict) -> None:
    """The two-core sample has both cores everywhere the spec says it should."""
    _spec, _files, d = generated["synthetic_two_cores"]
    procs = {
        e["args"]["name"] for e in d["events"] if e["ph"] == "M" and e["name"] == "process_name"
    }
    assert {"Core 0 Overview", "Core 1 Overview"} <= procs
    threads = {
        e["args"]["name"] for e in d["events"] if e["ph"] == "M" and e["name"] == "thread_name"
    }
    assert any(t.startswith("Core:1 ") for t in threads)
    q = d["qhas"]["data"]
    assert "dominant_path_htp_1" in q
    assert [r["htp"] for r in q["htp_overall_summary"]["data"]] == [0, 1]
    assert "percent_dominant_path_cycles_htp_1" in q["qnn_op_types"]["data"][0]
    assert {r["htp"] for r in q["htp_op_instances"]["data"]} == {0, 1}


def test_special_kernels(generated: dict) -> None:
    """Custom-op and boundary-op samples carry their kernels; waits carry the parent name."""
    names = {e["name"] for e in _executed(generated["synthetic_custom_op"][2]["events"])}
    assert "HmxMatMulPhase3Package::BbbKMajor" in names
    execd = _executed(generated["synthetic_boundary_ops"][2]["events"])
    names = {e["name"] for e in execd}
    for part in ("Spill", "Fill", "Concat", "q::ForceFormat_Crouton", "q::flat_from_vtcm"):
        assert any(part in n for n in names), part
    flags = Counter(e["args"]["Flags"][0] for e in execd)
    assert {"dma", "dma_set", "dma_wait", "uses_hmx", "uses_hvx", "sync"} <= set(flags)
    waits = {e["name"] for e in execd if e["args"]["Flags"] == ["dma_wait"]}
    assert "DmaCheckpointSet" not in waits and "q::*InputSlice" in waits


def test_spec_validation() -> None:
    """Unsupported knob values are rejected."""
    with pytest.raises(ValueError):
        build_optrace(replace(SynthSpec(), hvx_lanes=5))
    with pytest.raises(ValueError):
        build_optrace(replace(SynthSpec(), layout="v300"))


def test_big_trace(tmp_path: Path) -> None:
    """The streaming writer writes exactly the requested number of well-formed events."""
    path = tmp_path / "big" / "chrometrace.json"
    info = write_big_trace(path, 20_000, seed=1, hvx_lanes=8)
    assert info["events"] == 20_000 and info["bytes"] == path.stat().st_size
    doc = json.loads(path.read_text())
    events = doc["traceEvents"]
    assert len(events) == 20_000
    lines = path.read_text().splitlines()
    assert len(lines) == 20_000 + 16  # header block + one event per line + closing line
    xs = [e for e in events if e["ph"] == "X" and e["tid"] != 1]
    assert len(xs) == 2 * info["executed_ops"]
    assert len(xs) / len(events) > 0.6
    keys = Counter((e["args"]["ID"], e["tid"], e["ts"], e["dur"]) for e in xs)
    assert set(keys.values()) == {2}
    lanes = defaultdict(list)
    for e in xs:
        if e["pid"] == 0:
            lanes[e["tid"]].append((e["ts"], e["ts"] + e["dur"]))
            assert e["args"]["Start Cycle"] - e["ts"] == xs[0]["args"]["Start Cycle"] - xs[0]["ts"]
    assert len(lanes) == 9
    for spans in lanes.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert (
        write_big_trace(tmp_path / "again.json", 20_000, seed=1, hvx_lanes=8)["bytes"]
        == info["bytes"]
    )
