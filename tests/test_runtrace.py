"""Tests for the runtrace loader (`<stem>_runtrace.json`, RUN_TRACE)."""

from __future__ import annotations

import copy
import dataclasses
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from htptui.errors import InputError
from htptui.model import runtrace
from htptui.model.runtrace import RunExecute, RunPhase

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "chain8_matmul"
REAL = SAMPLE / "chrometrace_runtrace.json"
REAL_OBJ: dict[str, Any] = json.loads(REAL.read_text())
PHASES = ["QNN DSP Execute", "VTCM Acquire", "Resource Power On", "Graph Execute"]


@pytest.fixture(scope="module")
def real() -> runtrace.Runtrace:
    return runtrace.load(REAL)


def _x(name: str, ts: float, dur: float, **args: Any) -> dict[str, Any]:
    return {"name": name, "ph": "X", "pid": 0, "tid": 0, "ts": ts, "dur": dur, "args": args}


# --- the real file ------------------------------------------------------------------------------


def test_real_structure(real: runtrace.Runtrace) -> None:
    assert real.path == str(REAL)
    assert real.graph_name == "model_encoded"
    assert real.yields == ()
    assert len(real.executes) == 3
    assert [e.index for e in real.executes] == [1, 2, 3]
    for e in real.executes:
        assert [p.name for p in e.phases] == PHASES
        assert all(p.graph_name == "model_encoded" for p in e.phases)
        for p in e.phases:
            assert p.dur_ticks == p.end_ticks - p.start_ticks
    assert real.first_execute is real.executes[0]


def test_real_first_execute(real: runtrace.Runtrace) -> None:
    first = real.executes[0]
    dsp = first.dsp_execute
    assert dsp is first.phases[0]
    assert dsp.time_us == 797.188
    assert dsp.freq_ghz == 0.845711
    assert dsp.ts_ticks == 0 and dsp.dur_ticks == 15306
    assert dsp.cycles == 7997466142406 - 7997465468216
    g = first.graph_execute
    assert g.time_us == 86.3021
    assert g.freq_ghz == 0.806365
    assert g.cycles == 69591
    assert g.start_ticks == 31091395385429
    assert g.end_ts_ticks == 13439 + 1657
    assert g.inf_per_s == pytest.approx(11587.2, rel=1e-4)
    assert first.vtcm_acquire.dur_ticks == 964
    assert first.power_on.dur_ticks == 11947
    assert first.phase("VTCM Acquire") is first.vtcm_acquire
    assert first.phase("nope") is None


def test_real_later_executes_are_warm(real: runtrace.Runtrace) -> None:
    for e in real.executes[1:]:
        for p in e.phases:
            assert 1.8 < p.freq_ghz < 2.1
    assert real.executes[1].graph_execute.time_us == 22.1354
    assert real.executes[2].graph_execute.freq_ghz == 1.89434


def test_derived_time_and_frequency_match_the_summary(real: runtrace.Runtrace) -> None:
    obj = copy.deepcopy(REAL_OBJ)
    for ev in obj["traceEvents"]:
        if ev["ph"] == "X":
            del ev["args"]["summary_time_us"], ev["args"]["summary_htp_frequency_ghz"]
    derived = runtrace.parse_obj(obj, "derived.json")
    for a, b in zip(real.executes, derived.executes, strict=True):
        for pa, pb in zip(a.phases, b.phases, strict=True):
            assert pb.time_us == pytest.approx(pa.time_us, rel=1e-5)
            assert pb.freq_ghz == pytest.approx(pa.freq_ghz, rel=1e-4)


def test_results_are_frozen(real: runtrace.Runtrace) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        real.executes[0].phases[0].time_us = 1.0  # type: ignore[misc]


# --- shapes and missing data --------------------------------------------------------------------


def test_bare_list_and_missing_args() -> None:
    events = [
        _x("QNN DSP Execute", 0, 192),
        {"name": "Graph Execute", "ph": "X", "ts": 10},  # no dur, no args, no pid
        _x("Custom Phase", 20, 19.2, graph_name="g", stat_start_cycles=100, stat_end_cycles=1100),
        _x("QNN DSP Execute", 500, 96, stat_start_ticks=10, stat_end_ticks=106),
        {"ph": "X", "name": "Graph Execute", "args": "junk", "dur": "48"},
        {"ph": "M", "name": "process_name", "pid": [1], "args": {"name": 5}},
        "not an event",
        7,
        None,
    ]
    rt = runtrace.parse_obj(events, "bare.json")
    assert rt.graph_name == "g"
    assert len(rt.executes) == 2
    e1, e2 = rt.executes
    assert [p.name for p in e1.phases] == ["QNN DSP Execute", "Graph Execute", "Custom Phase"]
    assert e1.dsp_execute.time_us == 10.0  # 192 ticks / 19.2
    assert e1.dsp_execute.freq_ghz is None and e1.dsp_execute.cycles is None
    assert e1.dsp_execute.graph_name is None
    g = e1.graph_execute
    assert g.dur_ticks == 0 and g.time_us is None and g.freq_ghz is None
    custom = e1.phase("Custom Phase")
    assert custom.time_us == pytest.approx(1.0)
    assert custom.cycles == 1000
    assert custom.freq_ghz == pytest.approx(1.0)
    assert e2.dsp_execute.start_ticks == 10 and e2.dsp_execute.end_ticks == 106
    assert e2.graph_execute.dur_ticks == 48 and e2.graph_execute.time_us == pytest.approx(2.5)


def test_grouping_without_dsp_execute_events() -> None:
    events = [_x("VTCM Acquire", 0, 1), _x("Graph Execute", 2, 3)] * 2
    rt = runtrace.parse_obj({"traceEvents": events}, "x.json")
    assert [len(e.phases) for e in rt.executes] == [2, 2]
    assert rt.executes[1].dsp_execute is None
    assert rt.graph_name is None


def test_yields_process() -> None:
    events = [
        _x("QNN DSP Execute", 0, 100, graph_name="m"),
        {"name": "VTCM Save", "ph": "X", "pid": 1, "tid": 0, "ts": 5, "dur": 10, "args": {}},
        _x("Graph Execute", 20, 50, graph_name="m"),
        {"ph": "M", "name": "process_name", "pid": 0, "args": {"name": "m Runtraces"}},
        {"ph": "M", "name": "process_name", "pid": 1, "args": {"name": "m Yields"}},
        {"name": "Other", "ph": "X", "pid": 9, "ts": 0, "dur": 1, "args": {}},  # foreign pid
    ]
    rt = runtrace.parse_obj({"header": {"artifact_type": "RUN_TRACE"}, "traceEvents": events})
    assert rt.graph_name == "m"
    assert [p.name for p in rt.executes[0].phases] == ["QNN DSP Execute", "Graph Execute"]
    assert rt.yields == (
        RunPhase("VTCM Save", 5, 10, None, None, None, None, None, 10 / 19.2, "m", 1, 0),
    )


def test_empty_trace_is_not_an_error() -> None:
    rt = runtrace.parse_obj({"traceEvents": []}, "empty.json")
    assert rt.executes == () and rt.first_execute is None and rt.graph_name is None
    assert RunExecute(1, ()).graph_execute is None


# --- hostile input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "empty"),
        (bytes(range(256)) * 4, "not a JSON file"),
        (REAL.read_bytes()[:1500], "truncated"),
        (b'{"traceEvents": 5}', "traceEvents is a number, expected a list"),
        (b'{"traceEvents": {"a": 1}}', "traceEvents is an object"),
        (b'"just a string"', "top level is a string"),
        (b"42", "top level is a number"),
        (b"null", "top level is null"),
        (b'{"header": {}}', "no traceEvents"),
        (b'{"header": {"artifact_type": "OP_TRACE"}, "traceEvents": []}', "'OP_TRACE'"),
        (b'[{"ph": "X", "name": "q::ConvLayer", "ts": 0, "dur": 1}]', "no runtrace phases"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip"),
    ],
)
def test_hostile_files(tmp_path: Path, content: bytes, problem: str) -> None:
    f = tmp_path / "bad_runtrace.json"
    f.write_bytes(content)
    with pytest.raises(InputError) as info:
        runtrace.load(f)
    assert str(f) in str(info.value)
    assert problem in info.value.problem
    assert "\n" not in str(info.value)


def test_op_trace_is_refused() -> None:
    with pytest.raises(InputError, match="OP_TRACE"):
        runtrace.load(SAMPLE / "chrometrace.json")


def test_gzipped_runtrace(tmp_path: Path, real: runtrace.Runtrace) -> None:
    f = tmp_path / "x_runtrace.json"  # gzip is sniffed by magic, not by suffix
    f.write_bytes(gzip.compress(REAL.read_bytes()))
    rt = runtrace.load(f)
    assert rt.executes == real.executes
    assert rt.path == str(f)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        runtrace.load(tmp_path / "none_runtrace.json")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)
_keys = st.sampled_from(
    ["name", "ph", "pid", "tid", "ts", "dur", "args", "stat_start_ticks", "stat_end_ticks",
     "stat_start_cycles", "stat_end_cycles", "summary_time_us", "summary_htp_frequency_ghz",
     "graph_name"]
)  # fmt: skip
_values = st.one_of(
    _json,
    st.sampled_from(["X", "M", "process_name", "QNN DSP Execute", "Graph Execute", "g Yields"]),
    st.dictionaries(_keys, _json, max_size=6),
)
_event = st.one_of(_json, st.dictionaries(_keys, _values, max_size=8))


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(_json, st.lists(_event, max_size=12), st.fixed_dictionaries({"traceEvents": _json}))
)
def test_arbitrary_json_only_raises_input_error(obj: Any) -> None:
    try:
        rt = runtrace.parse_obj(obj, "fuzz.json")
    except InputError as exc:
        assert exc.path == "fuzz.json"
        return
    for e in rt.executes:
        for p in e.phases:
            _ = (p.cycles, p.end_ts_ticks, p.inf_per_s)


def test_absurd_numbers_are_treated_as_missing() -> None:
    big = 10**400
    ev = _x(
        "Graph Execute",
        big,
        big,
        stat_start_cycles=0,
        stat_end_cycles=big,
        stat_start_ticks="9" * 5000,
        summary_time_us=1e-300,
        summary_htp_frequency_ghz="1e999",
    )
    (e,) = runtrace.parse_obj([ev], "big.json").executes
    p = e.graph_execute
    assert p.ts_ticks == 0 and p.dur_ticks == 0
    assert p.end_cycles is None and p.cycles is None and p.start_ticks is None
    assert p.freq_ghz is None and p.time_us == 1e-300
