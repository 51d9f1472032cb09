"""Loader for qnn-profile-viewer text output (`profile.txt`): detailed/basic and linting formats.

The detailed format (libQnnHtpProfilingReader, v2.45) prints a header, Init/Compose/De-Init
summary stats, "Create From Binary Stats" and one "Execute Stat N" block per inference, each with
``key : value  unit`` lines and indented per-op ``name:OpId_N (cycles) : V  cycles`` lines.
The linting format prints "Execute Stats (Average):" with ``Backend (key): value unit`` lines and
per-op blocks carrying wait, overlap and resource lines.  Unknown lines are skipped, never fatal.

Traps kept explicit here: "Time for initial VTCM acquire" and "Time for HVX + HMX power on and
acquire" are printed with unit ``us`` but hold 19.2 MHz ticks in v2.45; "Accelerator (execute)
time (cycles)" is a busy-cycle sum across lanes (not wall time) and equals the per-op lines
without SystemService.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from htptui.errors import InputError
from htptui.model._io import clean_text, read_bytes
from htptui.model.runtrace import TICKS_PER_US

Stat = tuple[float, str]
"""One ``key : value unit`` line: the value and its printed unit ("" when none)."""

_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"

_OP_RE = re.compile(
    rf"^(?P<label>.*)OpId_(?P<id>\d{{1,19}})\s*\(cycles\)\s*:\s*(?P<v>{_NUM})\s*(?:cycles)?$"
)
_BARE_OP_RE = re.compile(r"^(?:.*[:\s])?OpId_\d+$")
_STAT_RE = re.compile(rf"^(?P<key>.*?\S)\s*:\s*(?P<v>{_NUM})(?:\s+(?P<unit>[^\W\d][\w%/]*))?$")
_HEADER_ONLY_RE = re.compile(r"^(?P<name>[^:]*\S)\s*:$")
_EXEC_RE = re.compile(r"^Execute\s+Stat\s+(?P<n>\d{1,19})\s*:?$", re.IGNORECASE)
_EXEC_SUMMARY_RE = re.compile(r"^Execute\s+Stats\s*\((?P<label>[^)]*)\)\s*:?$", re.IGNORECASE)
_VERSION_RE = re.compile(r"^(?P<tool>[\w.+-]+(?: [\w.+-]+)?)\s*:\s*v(?P<ver>\d[\w.+-]*)$")
_WAIT_RE = re.compile(rf"^Wait\s*\(Scheduler\)\s*time\s*:\s*(?P<v>{_NUM})")
_OVERLAP_RE = re.compile(rf"^Overlap\s+time\s*:\s*(?P<v>{_NUM})")
_OVERLAP_WAIT_RE = re.compile(rf"^Overlap\s*\(wait\)\s*time\s*:\s*(?P<v>{_NUM})")
_RESOURCES_RE = re.compile(r"^Resources\s*:(?P<rest>.*)$")
_EPOCH_RE = re.compile(r"Epoch Timestamp\s*:\s*(\d{1,30})")
_STEADY_RE = re.compile(r"Steady Clock Timestamp\s*:\s*(\d{1,30})")
_SPACED_COLON_RE = re.compile(r"\s:\s")
_MAX_LINE = 4096  # longer lines are not viewer output; skipping them keeps the regexes linear
_WS_RE = re.compile(r"\s+")

_SNIFF_MARKERS = (
    "qnn-profile-viewer:",
    "Input Log File Location:",
    "Printing All Data Received From Back End",
    "Accelerator (execute) time",
    "QNN accelerator (execute) time",
    "Accelerator (critical path execute) time",
    "Execute Stats (",
    "Create From Binary Stats:",
)
_SNIFF_EXEC_RE = re.compile(r"^\s*Execute Stat \d+\s*$", re.MULTILINE)


def _num(text: str) -> float:
    """Parse a printed number."""
    return float(text)


def _int(value: float | None) -> int | None:
    """Round a parsed value to an int; None when absent or not finite."""
    if value is None or not math.isfinite(value):
        return None
    return round(value)


def _norm_key(key: str) -> str:
    """Collapse runs of whitespace in a stat key."""
    return _WS_RE.sub(" ", key.strip())


@dataclass(frozen=True, slots=True)
class ProfileOpCycles:
    """One per-op cycle line: ``<qnn name>:OpId_<n> (cycles) : <v>  cycles`` (or ``Input OpId_2 ...``)."""

    name: str
    op_id: int
    cycles: int
    graph_io: bool = False  # True for the colon-less graph I/O lines ("Input OpId_2")


@dataclass(frozen=True, slots=True)
class LintOp:
    """One op of the linting format: main-thread cycles plus wait, overlap and resources."""

    name: str
    op_id: int
    cycles: int
    wait_scheduler_cycles: int | None = None
    overlap_cycles: int | None = None
    overlap_ops: tuple[str, ...] = ()
    overlap_wait_cycles: int | None = None
    overlap_wait_ops: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    graph_io: bool = False


@dataclass(frozen=True, slots=True)
class ExecuteStat:
    """One "Execute Stat N" block (or an "Execute Stats (Average)" style summary block)."""

    index: int  # N as printed; 0 for summary blocks such as "Execute Stats (Average)"
    label: str  # "Execute Stat 1", "Average", ...
    values: Mapping[str, Stat] = field(default_factory=dict, hash=False)
    ops: tuple[ProfileOpCycles, ...] = ()
    lint_ops: tuple[LintOp, ...] = ()

    def get(self, key: str) -> Stat | None:
        """Look a stat up by key, also under its linting spelling ``Backend (<key>)``."""
        found = self.values.get(key)
        if found is None:
            found = self.values.get(f"Backend ({key})")
        return found

    def value(self, key: str) -> float | None:
        """The numeric value of a stat, or None when absent."""
        found = self.get(key)
        return None if found is None else found[0]

    @property
    def is_summary(self) -> bool:
        """Whether this is an aggregate block ("Execute Stats (Average)") rather than one run."""
        return self.index == 0

    @property
    def hvx_threads(self) -> int | None:
        """The "Number of HVX threads used" count."""
        return _int(self.value("Number of HVX threads used"))

    @property
    def netrun_us(self) -> float | None:
        """The "NetRun" µs (host-side total, linting/summary blocks only)."""
        return self.value("NetRun")

    @property
    def rpc_execute_us(self) -> float | None:
        """The "RPC (execute) time" in µs."""
        return self.value("RPC (execute) time")

    @property
    def qnn_accelerator_us(self) -> float | None:
        """The "QNN accelerator (execute) time": full-graph wall µs including per-op dispatch."""
        return self.value("QNN accelerator (execute) time")

    @property
    def accelerator_us(self) -> float | None:
        """The "Accelerator (execute) time" in µs: compute-busy time (not the cycles line)."""
        return self.value("Accelerator (execute) time")

    @property
    def accelerator_excl_wait_us(self) -> float | None:
        """The "Accelerator (execute excluding wait) time" in µs."""
        return self.value("Accelerator (execute excluding wait) time")

    @property
    def accelerator_cycles(self) -> int | None:
        """The "Accelerator (execute) time (cycles)": busy cycles summed across lanes, not wall."""
        return _int(self.value("Accelerator (execute) time (cycles)"))

    @property
    def critical_path_cycles(self) -> int | None:
        """The "Accelerator (critical path execute) time (cycles)" of the linting format."""
        return _int(self.value("Accelerator (critical path execute) time (cycles)"))

    @property
    def qnn_execute_us(self) -> float | None:
        """The "QNN (execute) time" in µs."""
        return self.value("QNN (execute) time")

    @property
    def yields(self) -> int | None:
        """The "Num times yield occured" (sic) count."""
        return _int(self.value("Num times yield occured"))

    @property
    def vtcm_acquire_ticks(self) -> int | None:
        """The raw "Time for initial VTCM acquire" number: printed as us, really 19.2 MHz ticks (v2.45)."""
        return _int(self.value("Time for initial VTCM acquire"))

    @property
    def power_on_ticks(self) -> int | None:
        """The raw "Time for HVX + HMX power on and acquire" number: printed as us, really ticks (v2.45)."""
        return _int(self.value("Time for HVX + HMX power on and acquire"))

    @property
    def vtcm_acquire_us_corrected(self) -> float | None:
        """VTCM acquire time in µs, reading the printed number as 19.2 MHz ticks."""
        ticks = self.vtcm_acquire_ticks
        return None if ticks is None else ticks / TICKS_PER_US

    @property
    def power_on_us_corrected(self) -> float | None:
        """HVX + HMX power-on time in µs, reading the printed number as 19.2 MHz ticks."""
        ticks = self.power_on_ticks
        return None if ticks is None else ticks / TICKS_PER_US

    @property
    def ops_cycles_sum(self) -> int:
        """Sum of the per-op cycle lines excluding SystemService ops (= accelerator_cycles)."""
        return sum(op.cycles for op in self.ops if not op.name.startswith("SystemService"))

    def op(self, op_id: int) -> ProfileOpCycles | None:
        """The first per-op line with this QNN op id, or None."""
        return next((op for op in self.ops if op.op_id == op_id), None)


@dataclass(frozen=True, slots=True)
class ProfileText:
    """A parsed qnn-profile-viewer text output."""

    path: str
    format: Literal["detailed", "linting"]
    sdk_version: str | None = None  # from "qnn-profile-viewer: vX" (without the "v")
    versions: Mapping[str, str] = field(default_factory=dict, hash=False)  # tool -> version
    log_path: str | None = None  # "Input Log File Location"
    created: str | None = None  # "Log File Created"
    time_scale: float | None = None
    epoch_timestamp: int | None = None
    steady_clock_timestamp: int | None = None
    summary_stats: Mapping[str, Mapping[str, Stat]] = field(default_factory=dict, hash=False)
    create_from_binary: Mapping[str, Stat] = field(default_factory=dict, hash=False)
    executes: tuple[ExecuteStat, ...] = ()  # "Execute Stat N" blocks, file order
    execute_summaries: tuple[ExecuteStat, ...] = ()  # "Execute Stats (Average)" style blocks
    lint_ops: tuple[LintOp, ...] = ()  # from the first block that has linting ops

    @property
    def first_execute(self) -> ExecuteStat | None:
        """The first "Execute Stat" block (the only one that matches the op trace), or None."""
        return self.executes[0] if self.executes else None

    @property
    def average(self) -> ExecuteStat | None:
        """The "Execute Stats (Average)" block, or None."""
        return next((s for s in self.execute_summaries if s.label.lower() == "average"), None)

    @property
    def init_stats(self) -> Mapping[str, Stat]:
        """The "Init Stats" section ("NetRun", "Backend (...)" keys), empty when absent."""
        return self.summary_stats.get("Init Stats", {})

    @property
    def compose_stats(self) -> Mapping[str, Stat]:
        """The "Compose Graphs Stats" section, empty when absent."""
        return self.summary_stats.get("Compose Graphs Stats", {})

    @property
    def deinit_stats(self) -> Mapping[str, Stat]:
        """The "De-Init Stats" section, empty when absent."""
        return self.summary_stats.get("De-Init Stats", {})


# --- decoding ----------------------------------------------------------------------------------


def decode_text(data: bytes, label: str) -> str:
    """Decode a text artifact (UTF-8, UTF-8/16 with BOM, else Latin-1) and refuse binary data."""
    if not data.strip():
        raise InputError(label, "empty file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(label, "not a text file (bad UTF-16 data)") from None
    elif b"\x00" in data:
        raise InputError(label, "not a text file (binary data)")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    if controls > max(2, len(text) // 100):
        raise InputError(label, "not a text file (binary data)")
    return text


def sniff(text_head: str) -> bool:
    """Tell whether the start of a text file looks like qnn-profile-viewer output."""
    text_head = text_head.replace("\x00", "")  # tolerate a UTF-16 head decoded as bytes
    if any(marker in text_head for marker in _SNIFF_MARKERS):
        return True
    return bool(_SNIFF_EXEC_RE.search(text_head))


# --- parsing -----------------------------------------------------------------------------------


class _OpBuilder:
    """Mutable state of the per-op line being read (plus its linting sub-lines)."""

    __slots__ = (
        "name",
        "op_id",
        "cycles",
        "graph_io",
        "lint",
        "wait",
        "overlap",
        "overlap_ops",
        "overlap_wait",
        "overlap_wait_ops",
        "resources",
        "target",
        "target_indent",
    )

    def __init__(self, name: str, op_id: int, cycles: int, graph_io: bool) -> None:
        self.name = name
        self.op_id = op_id
        self.cycles = cycles
        self.graph_io = graph_io
        self.lint = False
        self.wait: int | None = None
        self.overlap: int | None = None
        self.overlap_ops: list[str] = []
        self.overlap_wait: int | None = None
        self.overlap_wait_ops: list[str] = []
        self.resources: tuple[str, ...] = ()
        self.target: list[str] | None = None
        self.target_indent = 0


class _ExecBuilder:
    """Mutable state of the execute block being read."""

    __slots__ = ("index", "label", "values", "ops", "lint_ops")

    def __init__(self, index: int, label: str) -> None:
        self.index = index
        self.label = label
        self.values: dict[str, Stat] = {}
        self.ops: list[ProfileOpCycles] = []
        self.lint_ops: list[LintOp] = []

    def add_op(self, b: _OpBuilder) -> None:
        """Store a finished op (and its LintOp when it had linting sub-lines)."""
        self.ops.append(ProfileOpCycles(b.name, b.op_id, b.cycles, b.graph_io))
        if b.lint:
            self.lint_ops.append(
                LintOp(
                    name=b.name,
                    op_id=b.op_id,
                    cycles=b.cycles,
                    wait_scheduler_cycles=b.wait,
                    overlap_cycles=b.overlap,
                    overlap_ops=tuple(b.overlap_ops),
                    overlap_wait_cycles=b.overlap_wait,
                    overlap_wait_ops=tuple(b.overlap_wait_ops),
                    resources=b.resources,
                    graph_io=b.graph_io,
                )
            )

    def build(self) -> ExecuteStat:
        """Freeze the block."""
        return ExecuteStat(
            self.index, self.label, dict(self.values), tuple(self.ops), tuple(self.lint_ops)
        )


def _op_name(label: str, op_id: int) -> tuple[str, bool]:
    """Split the text before ``OpId_N`` into the op name and whether it is a graph I/O line."""
    label = clean_text(label.strip())
    if label.endswith(":"):
        return label[:-1].strip() or f"OpId_{op_id}", False
    if not label:
        return f"OpId_{op_id}", False
    return label, True


def parse_text(text: str, label: str = "<text>") -> ProfileText:
    """Parse qnn-profile-viewer text output; raise InputError naming ``label`` if it is not one."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise InputError(label, "empty file")

    versions: dict[str, str] = {}
    summary: dict[str, dict[str, Stat]] = {}
    create: dict[str, Stat] = {}
    executes: list[ExecuteStat] = []
    summaries: list[ExecuteStat] = []
    log_path: str | None = None
    created: str | None = None
    time_scale: float | None = None
    epoch: int | None = None
    steady: int | None = None
    section: str | None = None
    ex: _ExecBuilder | None = None
    op: _OpBuilder | None = None
    recognised = False

    def finish_op() -> None:
        nonlocal op
        if op is not None and ex is not None:
            ex.add_op(op)
        op = None

    def finish_exec() -> None:
        nonlocal ex
        finish_op()
        if ex is not None:
            (summaries if ex.index == 0 else executes).append(ex.build())
        ex = None

    for raw in text.splitlines():
        if len(raw) > _MAX_LINE:
            continue
        line = raw.expandtabs(4).rstrip()
        s = line.strip()
        if not s or set(s) <= {"-", "=", "*"}:
            continue
        indent = len(line) - len(line.lstrip())

        # ---- header ----
        if s.startswith("Input Log File Location:"):
            log_path = s.partition(":")[2].strip()
            recognised = True
            continue
        if s.startswith("Log File Created:"):
            created = s.partition(":")[2].strip()
            recognised = True
            continue
        if s.startswith("Time Scale:"):
            value = s.partition(":")[2].strip()
            if re.fullmatch(_NUM, value):
                time_scale = _num(value)
            continue
        if s.startswith(("Epoch Timestamp", "Steady Clock Timestamp")):
            if m := _EPOCH_RE.search(s):
                epoch = int(m.group(1))
            if m := _STEADY_RE.search(s):
                steady = int(m.group(1))
            continue
        if m := _VERSION_RE.match(s):
            versions[m.group("tool")] = m.group("ver")
            recognised = True
            continue

        # ---- execute blocks ----
        if m := _EXEC_RE.match(s):
            finish_exec()
            ex = _ExecBuilder(int(m.group("n")), f"Execute Stat {int(m.group('n'))}")
            section = "Execute Stats"
            recognised = True
            continue
        if m := _EXEC_SUMMARY_RE.match(s):
            finish_exec()
            ex = _ExecBuilder(0, m.group("label").strip())
            section = "Execute Stats"
            recognised = True
            continue

        # ---- linting sub-lines of the current op ----
        if op is not None:
            if m := _WAIT_RE.match(s):
                op.lint, op.wait, op.target = True, _int(_num(m.group("v"))), None
                continue
            if m := _OVERLAP_RE.match(s):
                op.lint, op.overlap = True, _int(_num(m.group("v")))
                op.target, op.target_indent = op.overlap_ops, indent
                continue
            if m := _OVERLAP_WAIT_RE.match(s):
                op.lint, op.overlap_wait = True, _int(_num(m.group("v")))
                op.target, op.target_indent = op.overlap_wait_ops, indent
                continue
            if m := _RESOURCES_RE.match(s):
                parts = (p.strip() for p in m.group("rest").split(","))
                op.lint, op.resources, op.target = True, tuple(p for p in parts if p), None
                continue
            if (
                op.target is not None
                and (indent > op.target_indent or _BARE_OP_RE.match(s))
                and not _SPACED_COLON_RE.search(s)
                and not _STAT_RE.match(s)
                and not _OP_RE.match(s)
            ):
                op.target.append(s)  # a contributing op name (no value)
                continue

        # ---- per-op cycle lines ----
        if m := _OP_RE.match(s):
            finish_op()
            cycles = _int(_num(m.group("v")))
            if ex is not None and cycles is not None:
                op_id = int(m.group("id"))
                name, graph_io = _op_name(m.group("label"), op_id)
                op = _OpBuilder(name, op_id, cycles, graph_io)
            continue

        # ---- section headers ("Init Stats:", "Total Inference Time:") ----
        if m := _HEADER_ONLY_RE.match(s):
            name = _norm_key(m.group("name"))
            if ex is not None and not name.endswith(("Stats", "Statistics")):
                finish_op()  # a sub-header inside an execute block
                continue
            finish_exec()
            section = name
            continue

        # ---- key : value unit ----
        if m := _STAT_RE.match(s):
            finish_op()
            stat = (_num(m.group("v")), m.group("unit") or "")
            key = _norm_key(m.group("key"))
            if ex is not None:
                ex.values[key] = stat
                recognised = True
            elif section == "Create From Binary Stats":
                create[key] = stat
                recognised = True
            elif section is not None and section.endswith("Stats") and section != "Execute Stats":
                summary.setdefault(section, {})[key] = stat
                recognised = True
            continue
        # anything else ("Unknown event type :   object", banners) is noise

    finish_exec()

    if not recognised:
        raise InputError(
            label, "not a qnn-profile-viewer text output (no header, stats or executes)"
        )

    blocks = (*summaries, *executes)
    lint_ops = next((b.lint_ops for b in blocks if b.lint_ops), ())
    is_linting = bool(lint_ops) or any(b.critical_path_cycles is not None for b in blocks)
    sdk = versions.get("qnn-profile-viewer") or versions.get("Backend")
    if sdk is None and versions:
        sdk = next(iter(versions.values()))

    return ProfileText(
        path=label,
        format="linting" if is_linting else "detailed",
        sdk_version=sdk,
        versions=versions,
        log_path=log_path,
        created=created,
        time_scale=time_scale,
        epoch_timestamp=epoch,
        steady_clock_timestamp=steady,
        summary_stats=summary,
        create_from_binary=create,
        executes=tuple(executes),
        execute_summaries=tuple(summaries),
        lint_ops=lint_ops,
    )


def parse_bytes(data: bytes, label: str = "<bytes>") -> ProfileText:
    """Decode already-decompressed bytes and parse them as qnn-profile-viewer text output."""
    return parse_text(decode_text(data, label), label)


def load(path: str | Path) -> ProfileText:
    """Read (gzip-aware) and parse a qnn-profile-viewer text file."""
    return parse_bytes(read_bytes(path, "profile"), str(path))
