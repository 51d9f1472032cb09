"""Shared fixtures: sample locations and tiny hand-written traces."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# The suite is reproducible by default: hypothesis draws the same examples on every run, so CI
# never fails on a draw nobody can replay. ``HYPOTHESIS_PROFILE=explore`` draws fresh random
# examples (ten times as many) to hunt for new counterexamples; add each one found as an @example.
settings.register_profile("repro", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, max_examples=1000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repro"))

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_data"
REAL_SAMPLE = SAMPLES / "chain8_matmul"
SHARED_REAL = ROOT.parent / "shared" / "real_optrace"


def real_dirs() -> list[Path]:
    """Every real optrace directory available: the bundled copy plus ../shared/real_optrace/*."""
    dirs = [REAL_SAMPLE]
    if SHARED_REAL.is_dir():
        dirs += sorted(p for p in SHARED_REAL.iterdir() if p.is_dir())
    return dirs


def _graph_count(d: Path) -> int:
    from htptui.model.discover import discover_graphs

    return len(discover_graphs(d))


def sample_dirs() -> list[Path]:
    """Every bundled single-graph sample directory (real and synthetic)."""
    return sorted(p for p in SAMPLES.iterdir() if p.is_dir() and _graph_count(p) == 1)


def multi_graph_dirs() -> list[Path]:
    """Bundled sample directories holding several graphs (prefixed stems)."""
    return sorted(p for p in SAMPLES.iterdir() if p.is_dir() and _graph_count(p) > 1)


@pytest.fixture(autouse=True)
def _isolate_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep the developer's config and cache out of tests."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    os.environ.pop("NO_COLOR", None)


def x_event(
    name: str,
    tid: int,
    ts: int,
    dur: int,
    *,
    pid: int = 0,
    op_id: int = 0x1000_0000_0012,
    flags: list[str] | None = None,
    qnn: str = "Op_0",
    dpc: int | None = None,
    rebase: int = 1_000_000,
    **extra: Any,
) -> dict[str, Any]:
    """A chrometrace X event as the SDK writes it."""
    args: dict[str, Any] = {
        "ID": f"0x{op_id:016x}",
        "HTP Op Type": name,
        "Flags": flags if flags is not None else ["uses_hvx"],
        "Cycles per Packet": 4.5,
        "QNN Op Type": "Custom",
        "QNN Op Name": qnn,
        "Start Cycle": ts + rebase,
        "Duration (cycles)": dur,
        "Dominant Path Cycles": dur if dpc is None else dpc,
    }
    args.update(extra)
    return {"name": name, "ph": "X", "tid": tid, "pid": pid, "ts": ts, "dur": dur, "args": args}


def meta_thread(pid: int, tid: int, name: str) -> dict[str, Any]:
    """A thread_name metadata event."""
    return {
        "cat": "__metadata",
        "pid": pid,
        "tid": tid,
        "ph": "M",
        "name": "thread_name",
        "args": {"name": name},
    }


def meta_process(pid: int, name: str, opid: int | None = None) -> dict[str, Any]:
    """A process_name metadata event."""
    args: dict[str, Any] = {"name": name}
    if opid is not None:
        args["opid"] = f"0x{opid:016x}"
    return {"cat": "__metadata", "pid": pid, "ph": "M", "name": "process_name", "args": args}


def write_trace(path: Path, events: list[dict[str, Any]], *, bare: bool = False) -> Path:
    """Write events as an OP_TRACE file (object form, or bare list)."""
    doc: Any = (
        events
        if bare
        else {
            "header": {
                "header_version": {"major": 1, "minor": 0, "patch": 0},
                "version": {"major": 1, "minor": 1, "patch": 0},
                "artifact_type": "OP_TRACE",
            },
            "traceEvents": events,
        }
    )
    text = json.dumps(doc)
    if not bare:
        # one event per line, as the SDK writes it
        text = text.replace('}, {"name"', '},\n{"name"').replace('}, {"cat"', '},\n{"cat"')
    path.write_text(text)
    return path


def small_trace_events() -> list[dict[str, Any]]:
    """Two QNN ops on HMX + two HVX lanes, each op duplicated on its per-op pid, v2.45 layout."""
    ev = []
    ops = [
        ("q::ConvLayer_s1.opt", 256, 0, 100, ["uses_hmx"], "MatMul_0", 0x11ED_0000_0012),
        ("q::ForceFormat_Crouton", 512, 100, 50, ["uses_hvx"], "MatMul_0", 0x11EE_0000_0012),
        ("q::Tanh", 513, 120, 40, ["uses_hvx"], "Tanh_0", 0x1200_0000_0016),
        ("q::Tanh", 512, 150, 30, ["uses_hvx"], "Tanh_0", 0x1201_0000_0016),
    ]
    pids = {"MatMul_0": 2, "Tanh_0": 3}
    for name, tid, ts, dur, flags, qnn, op_id in ops:
        ev.append(x_event(name, tid, ts, dur, flags=flags, qnn=qnn, op_id=op_id))
        ev.append(x_event(name, tid, ts, dur, flags=flags, qnn=qnn, op_id=op_id, pid=pids[qnn]))
    ev.append(
        {
            "name": "$Const",
            "ph": "X",
            "tid": 1,
            "pid": 0,
            "ts": 90,
            "dur": 5,
            "args": {"ID": "0x0000100200000008", "HTP Op Type": "$Const"},
        }
    )
    ev.append({"name": "VTCM alloc", "ph": "C", "tid": 0, "pid": 0, "ts": 0, "args": {"": 4096}})
    ev.append({"name": "VTCM alloc", "ph": "C", "tid": 0, "pid": 0, "ts": 100, "args": {"": 8192}})
    ev.append(
        {
            "cat": "sequencer",
            "name": "SequencerFlowEvents",
            "tid": 256,
            "pid": 0,
            "ts": 100,
            "ph": "s",
            "id": 1,
        }
    )
    ev.append(
        {
            "cat": "sequencer",
            "name": "SequencerFlowEvents",
            "tid": 512,
            "pid": 0,
            "ts": 100,
            "ph": "f",
            "pb": "e",
            "id": 1,
        }
    )
    ev += [
        meta_thread(0, 256, "Type: HMX"),
        meta_thread(0, 512, "Type: HVX"),
        meta_thread(0, 513, "Type: HVX"),
        meta_thread(0, 1, "Non Executed Tensors"),
        meta_process(0, "Core 0 Overview"),
        meta_process(2, "QNN::MatMul_0", 0x12),
        meta_process(3, "QNN::Tanh_0", 0x16),
        meta_thread(2, 256, "Core:0 Type: HMX Tid: 256"),
        meta_thread(2, 512, "Core:0 Type: HVX Tid: 512"),
        meta_thread(3, 512, "Core:0 Type: HVX Tid: 512"),
        meta_thread(3, 513, "Core:0 Type: HVX Tid: 513"),
    ]
    return ev


SNAPSHOT_TEXTUAL = (
    "8.2.8"  # the exact Textual the SVG snapshots were made with (pinned in pyproject)
)


def _textual_version() -> str:
    from importlib.metadata import version

    return version("textual")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip SVG snapshot tests under another Textual (its rendering differs) and refuse to update them there."""
    installed = _textual_version()
    if installed == SNAPSHOT_TEXTUAL:
        return
    if config.getoption("--snapshot-update", default=False):
        raise pytest.UsageError(
            f"snapshots are made with textual=={SNAPSHOT_TEXTUAL}; installed is {installed}"
        )
    skip = pytest.mark.skip(
        reason=f"SVG snapshots need textual=={SNAPSHOT_TEXTUAL} (installed {installed})"
    )
    for item in items:
        if "snap_compare" in getattr(item, "fixturenames", ()):
            item.add_marker(skip)
