"""Tests for the qnn-profile-viewer text loader (detailed and linting formats)."""

from __future__ import annotations

import dataclasses
import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from htptui.errors import InputError
from htptui.model import profile_text, runtrace
from htptui.model.profile_text import LintOp, ProfileOpCycles

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "sample_data" / "chain8_matmul" / "profile.txt"
REAL_RUNTRACE = ROOT / "sample_data" / "chain8_matmul" / "chrometrace_runtrace.json"
# Synthetic: no real linting sample is known. The file is the QNN HTP profiling doc's example
# (showcase model 1) verbatim, plus one leading "# SYNTHETIC ..." comment line the parser skips.
LINTING = ROOT / "tests" / "data" / "profile_linting.txt"
HEAP = ROOT / "tests" / "data" / "heap_profile.txt"

REAL_TEXT = REAL.read_text()

STAT1_OPS = [
    ("Input", 2, 7818, True),
    ("MatMul_0_pre_reshape", 16, 0, False),
    ("MatMul_0", 18, 32707, False),
    ("MatMul_1", 22, 1504, False),
    ("MatMul_2", 26, 1473, False),
    ("MatMul_3", 30, 7235, False),
    ("MatMul_4", 34, 1606, False),
    ("MatMul_5", 38, 1614, False),
    ("MatMul_6", 42, 1608, False),
    ("MatMul_7", 46, 1592, False),
    ("MatMul_7_post_reshape", 49, 0, False),
    ("Output", 3, 11208, True),
]


@pytest.fixture(scope="module")
def real() -> profile_text.ProfileText:
    return profile_text.load(REAL)


# --- the real v2.45 detailed file --------------------------------------------------------------


def test_real_header(real: profile_text.ProfileText) -> None:
    assert real.path == str(REAL)
    assert real.format == "detailed"
    assert real.sdk_version == "2.45.0.260326154327"
    assert real.versions == {
        "qnn-profile-viewer": "2.45.0.260326154327",
        "qnn-net-run": "2.45.0.260326154327",
        "Backend": "2.45.0.260326154327",
    }
    assert real.log_path is not None and real.log_path.endswith(
        "device_out/qnn-profiling-data_0.log"
    )
    assert real.created == "Wed Jun  3 02:01:35 2026"
    assert real.time_scale == 1e-06
    assert real.epoch_timestamp == 1780423295833671
    assert real.steady_clock_timestamp == 1615942927823


def test_real_summary_sections(real: profile_text.ProfileText) -> None:
    assert real.init_stats["NetRun"] == (24900.0, "us")
    assert real.init_stats["Backend (RPC (load binary) time)"] == (11969.0, "us")
    assert real.compose_stats == {"NetRun": (0.0, "us")}
    assert real.deinit_stats["Backend (QNN (deinit) time)"] == (3441.0, "us")
    assert real.create_from_binary["QNN (load binary) time"] == (24883.0, "us")
    assert len(real.create_from_binary) == 4
    assert real.execute_summaries == ()
    assert real.lint_ops == ()
    assert real.average is None


def test_real_execute_stat_1(real: profile_text.ProfileText) -> None:
    assert len(real.executes) == 3
    assert [e.index for e in real.executes] == [1, 2, 3]
    e = real.first_execute
    assert e is real.executes[0]
    assert e.label == "Execute Stat 1"
    assert e.hvx_threads == 4
    assert e.rpc_execute_us == 3770
    assert e.qnn_accelerator_us == 1297
    assert e.yields == 0
    assert e.accelerator_cycles == 68365
    assert e.accelerator_us == 832  # not the "(cycles)" line, not "excluding wait"
    assert e.accelerator_excl_wait_us == 86
    assert e.qnn_execute_us == 3907
    assert e.vtcm_acquire_ticks == 964
    assert e.power_on_ticks == 11947
    assert e.vtcm_acquire_us_corrected == pytest.approx(50.2083, abs=1e-4)
    assert e.power_on_us_corrected == pytest.approx(622.24, abs=1e-2)
    assert e.get("Time for initial VTCM acquire") == (964.0, "us")  # printed unit kept raw
    assert e.critical_path_cycles is None
    assert e.lint_ops == ()
    assert not e.is_summary


def test_real_noise_is_dropped(real: profile_text.ProfileText) -> None:
    for e in real.executes:
        assert not any("Unknown event" in k for k in e.values)
        assert list(e.values) == [
            "Number of HVX threads used",
            "RPC (execute) time",
            "QNN accelerator (execute) time",
            "Num times yield occured",
            "Time for initial VTCM acquire",
            "Time for HVX + HMX power on and acquire",
            "Accelerator (execute) time (cycles)",
            "Accelerator (execute) time",
            "Accelerator (execute excluding wait) time",
            "QNN (execute) time",
        ]


def test_real_per_op_lines(real: profile_text.ProfileText) -> None:
    e = real.executes[0]
    assert [(o.name, o.op_id, o.cycles, o.graph_io) for o in e.ops] == STAT1_OPS
    assert e.op(18) == ProfileOpCycles("MatMul_0", 18, 32707)
    assert e.op(999) is None
    assert sum(o.cycles for o in e.ops) == 68365
    for stat in real.executes:  # the cycles line is the per-op sum without SystemService
        assert stat.ops_cycles_sum == stat.accelerator_cycles
    assert [x.accelerator_cycles for x in real.executes] == [68365, 47827, 32837]


def test_real_ticks_match_runtrace(real: profile_text.ProfileText) -> None:
    rt = runtrace.load(REAL_RUNTRACE)
    for stat, run in zip(real.executes, rt.executes, strict=True):
        assert stat.vtcm_acquire_ticks == run.vtcm_acquire.dur_ticks
        assert stat.power_on_ticks == run.power_on.dur_ticks
        assert stat.vtcm_acquire_us_corrected == pytest.approx(run.vtcm_acquire.time_us, abs=1e-3)


def test_results_are_frozen(real: profile_text.ProfileText) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        real.format = "linting"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        real.executes[0].ops[0].cycles = 1  # type: ignore[misc]


def test_crlf_tabs_and_extra_spaces_give_the_same_result(real: profile_text.ProfileText) -> None:
    mangled = (
        REAL_TEXT.replace(" : ", "   :   ")
        .replace("    ", "\t")
        .replace("Accelerator (execute) time", "Accelerator  (execute)  time")
        .replace("\n", "  \r\n")
    )
    other = profile_text.parse_text(mangled, "mangled.txt")
    assert other.path == "mangled.txt"
    assert [e.values for e in other.executes] == [e.values for e in real.executes]
    assert [e.ops for e in other.executes] == [e.ops for e in real.executes]
    assert other.init_stats == real.init_stats
    assert other.sdk_version == real.sdk_version


def test_gzipped_and_utf16_files_load(tmp_path: Path) -> None:
    gz = tmp_path / "profile.txt.gz"
    gz.write_bytes(gzip.compress(REAL.read_bytes()))
    assert profile_text.load(gz).first_execute.accelerator_cycles == 68365
    u16 = tmp_path / "profile_utf16.txt"
    u16.write_bytes(REAL_TEXT.replace("\n", "\r\n").encode("utf-16"))  # PowerShell redirect
    assert profile_text.load(u16).first_execute.accelerator_cycles == 68365


def test_missing_sections_and_unknown_lines() -> None:
    text = """something nobody documented
Execute Stat 7
Accelerator (execute) time (cycles) : 100  cycles
    SystemService_0:OpId_0 (cycles) : 40  cycles
    Conv:OpId_5 (cycles) : 60  cycles
    OpId_9 (cycles) : 0  cycles
Accelerator (execute) time : 1.5  us
a line : with text
"""
    p = profile_text.parse_text(text, "mini.txt")
    assert p.format == "detailed"
    assert p.sdk_version is None and p.log_path is None and p.init_stats == {}
    e = p.first_execute
    assert e.index == 7
    assert [o.name for o in e.ops] == ["SystemService_0", "Conv", "OpId_9"]
    assert e.ops_cycles_sum == 60  # SystemService excluded
    assert e.accelerator_us == 1.5
    assert e.hvx_threads is None and e.vtcm_acquire_us_corrected is None
    assert e.value("a line") is None


def test_summary_execute_blocks_are_not_executes() -> None:
    text = """qnn-profile-viewer: v2.40.0.1
Execute Stats (Overall):
------------------------
    NetRun: 1000 us
    Backend (QNN accelerator (execute) time): 300 us
Execute Stats (Average):
------------------------
Total Inference Time:
---------------------
    NetRun: 500 us
    Backend (QNN accelerator (execute) time): 150 us
    Backend (Accelerator (execute) time (cycles)): 90  cycles
Printing All Data Received From Back End
Create From Binary Stats:
RPC (load binary) time : 5  us
Execute Stats:
Execute Stat 1
QNN accelerator (execute) time : 140  us
"""
    p = profile_text.parse_text(text)
    assert p.sdk_version == "2.40.0.1"
    assert [s.label for s in p.execute_summaries] == ["Overall", "Average"]
    assert all(s.is_summary and s.index == 0 for s in p.execute_summaries)
    assert p.average.netrun_us == 500
    assert p.average.qnn_accelerator_us == 150  # the "Backend (...)" spelling is looked up too
    assert p.average.accelerator_cycles == 90
    assert p.create_from_binary == {"RPC (load binary) time": (5.0, "us")}
    assert len(p.executes) == 1 and p.first_execute.qnn_accelerator_us == 140


# --- linting format ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lint() -> profile_text.ProfileText:
    return profile_text.load(LINTING)


def test_linting_summary(lint: profile_text.ProfileText) -> None:
    assert lint.format == "linting"
    assert lint.executes == ()
    assert lint.first_execute is None
    avg = lint.average
    assert avg is not None and avg.label == "Average"
    assert avg.netrun_us == 16792
    assert avg.rpc_execute_us == 16242
    assert avg.qnn_accelerator_us == 15190
    assert avg.yields == 0
    assert avg.vtcm_acquire_ticks == 0
    assert avg.critical_path_cycles == 4327266
    assert avg.accelerator_cycles is None  # the critical-path line is a different stat
    assert avg.lint_ops == lint.lint_ops


def test_linting_ops(lint: profile_text.ProfileText) -> None:
    ops = lint.lint_ops
    assert len(ops) == 11
    assert [o.op_id for o in ops] == [2, 0, 21, 24, 34, 41, 48, 55, 57, 58, 3]
    assert ops[0] == LintOp("Input", 2, 0, 0, 0, (), 0, (), (), graph_io=True)
    assert ops[1].name == "OpId_0" and ops[1].cycles == 8036 and ops[1].wait_scheduler_cycles == 629
    conv = ops[2]
    assert conv == LintOp(
        name="model_convStart_Conv2D",
        op_id=21,
        cycles=147075,
        wait_scheduler_cycles=32,
        overlap_cycles=85292,
        overlap_ops=(
            "model_sub_sub:OpId_57",
            "Output OpId_3",
            "model_add_add:OpId_58",
            "model_tf_op_layer_stride_stride:OpId_24",
            "model_convStart_Conv2D:OpId_21",
        ),
        overlap_wait_cycles=32,
        overlap_wait_ops=("model_convStart_Conv2D:OpId_21",),
        resources=("HVX", "HMX", "DMA"),
    )
    sub = next(o for o in ops if o.op_id == 57)
    assert sub.name == "model_sub_sub" and sub.cycles == 2165162 and sub.overlap_cycles == 465046
    assert sub.overlap_wait_ops == () and sub.resources == ("HVX",)
    assert ops[-1].name == "Output" and ops[-1].graph_io and ops[-1].overlap_ops == ()
    # every lint op is also a plain per-op cycle line
    assert [(o.name, o.op_id, o.cycles) for o in lint.average.ops] == [
        (o.name, o.op_id, o.cycles) for o in ops
    ]


def test_linting_per_run_blocks_and_flat_indentation() -> None:
    text = """Execute Stat 1
Backend (Accelerator (critical path execute) time (cycles)): 10  cycles
a:OpId_5 (cycles): 7  cycles
Wait (Scheduler) time: 1  cycles
Overlap time: 2  cycles
b:OpId_6
Output OpId_3
Overlap (wait) time: 3  cycles
Resources:
b:OpId_6 (cycles): 3  cycles
Resources: HMX
"""
    p = profile_text.parse_text(text, "flat.txt")
    assert p.format == "linting"
    assert p.first_execute.critical_path_cycles == 10
    a, b = p.lint_ops
    assert a == LintOp("a", 5, 7, 1, 2, ("b:OpId_6", "Output OpId_3"), 3, (), ())
    assert b == LintOp("b", 6, 3, resources=("HMX",))


# --- sniffing -----------------------------------------------------------------------------------


def test_sniff() -> None:
    assert profile_text.sniff(REAL_TEXT[:2048])
    assert profile_text.sniff(LINTING.read_text()[:2048])
    assert profile_text.sniff("Execute Stat 1\nfoo\n")
    assert profile_text.sniff(REAL_TEXT[:300].encode("utf-16-le").decode("latin-1"))
    assert not profile_text.sniff(HEAP.read_text())
    assert not profile_text.sniff('{"traceEvents": []}')
    assert not profile_text.sniff("hello world\nkey: 3 us\n")
    assert not profile_text.sniff("")


# --- hostile input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "empty file"),
        (b"   \n\r\n\t", "empty file"),
        (bytes(range(256)) * 4, "not a text file"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "not a text file"),
        (b"hello: world\nnothing to see\n", "not a qnn-profile-viewer"),
        (b'{"traceEvents": []}', "not a qnn-profile-viewer"),
        (b"\x1f\x8b\x08\x00garbage", "gzip"),
    ],
)
def test_hostile_files(tmp_path: Path, content: bytes, problem: str) -> None:
    f = tmp_path / "bad_profile.txt"
    f.write_bytes(content)
    with pytest.raises(InputError) as info:
        profile_text.load(f)
    assert str(f) in str(info.value)
    assert problem in info.value.problem
    assert "\n" not in str(info.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        profile_text.load(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="directory"):
        profile_text.load(tmp_path)


def test_huge_numbers_do_not_crash() -> None:
    text = "Execute Stat 1\n    x:OpId_1 (cycles) : 1e999  cycles\nFoo : 1e999  us\n"
    text += "Execute Stat " + "9" * 5000 + "\n    y:OpId_" + "9" * 5000 + " (cycles) : 3  cycles\n"
    p = profile_text.parse_text(text)
    assert p.first_execute.ops == ()  # an infinite cycle count is not an op
    assert p.first_execute.value("Foo") == float("inf")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_arbitrary_text_only_raises_input_error(text: str) -> None:
    try:
        p = profile_text.parse_text(text, "fuzz.txt")
    except InputError as exc:
        assert exc.path == "fuzz.txt"
        return
    assert p.format in ("detailed", "linting")


_FRAGMENTS = (
    REAL_TEXT.splitlines()
    + LINTING.read_text().splitlines()
    + ["Execute Stats (Average):", "Resources: ", "   Overlap time: x", "OpId_ (cycles) : 1 cycles"]
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=40)),
        max_size=60,
    )
)
def test_shuffled_real_lines_only_raise_input_error(lines: list[str]) -> None:
    try:
        p = profile_text.parse_text("\n".join(lines), "fuzz.txt")
    except InputError:
        return
    for block in (*p.executes, *p.execute_summaries):
        assert all(isinstance(o.cycles, int) for o in block.ops)
        block.ops_cycles_sum  # noqa: B018 - must not raise
