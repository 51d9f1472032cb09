"""Loader for the optrace op timeline (`chrometrace.json`, artifact_type OP_TRACE) into columns.

The file is decoded with msgspec into structs that hold only the fields htptui needs; big files are
decoded in chunks cut at event boundaries so peak memory stays near one chunk plus the columns.
Every executed op appears twice (Core Overview pid and per-QNN-op pid): only the Core Overview copy
is kept. Lanes are classified by `thread_name` (``Type: HMX|HVX|DMA``), never by tid.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from htptui.errors import InputError
from htptui.model._io import describe_decode_error, fmt_id, is_gzip, maybe_gunzip, parse_id

# --- flags -------------------------------------------------------------------------------------

FLAG_DMA = 1 << 0
FLAG_DMA_SET = 1 << 1
FLAG_DMA_WAIT = 1 << 2
FLAG_HMX = 1 << 3
FLAG_HVX = 1 << 4
FLAG_SYNC = 1 << 5
FLAG_NULL_EXEC = 1 << 6
FLAG_OTHER = 1 << 7

FLAG_BITS: dict[str, int] = {
    "dma": FLAG_DMA,
    "dma_set": FLAG_DMA_SET,
    "dma_wait": FLAG_DMA_WAIT,
    "uses_hmx": FLAG_HMX,
    "uses_hvx": FLAG_HVX,
    "sync": FLAG_SYNC,
    "null_exec": FLAG_NULL_EXEC,
}


def flag_names(bits: int) -> list[str]:
    """Turn a flag bitmask back into the SDK's flag names."""
    names = [name for name, bit in FLAG_BITS.items() if bits & bit]
    if bits & FLAG_OTHER:
        names.append("other")
    return names


# --- decoding structs (only the fields we use; unknown keys are skipped by msgspec) ------------

Num = int | float


class _Args(msgspec.Struct, gc=False):
    ID: str | int | None = None
    htp_op_type: str | None = msgspec.field(name="HTP Op Type", default=None)
    flags: list[str] | str | None = msgspec.field(name="Flags", default=None)
    cpp: Num | None = msgspec.field(name="Cycles per Packet", default=None)
    qnn_op_type: str | None = msgspec.field(name="QNN Op Type", default=None)
    qnn_op_name: str | None = msgspec.field(name="QNN Op Name", default=None)
    start_cycle: Num | None = msgspec.field(name="Start Cycle", default=None)
    dpc: Num | None = msgspec.field(name="Dominant Path Cycles", default=None)
    # metadata events
    name: str | None = None
    opid: str | int | None = None
    sort_index: Num | None = None
    # counter events write their value under the empty key
    counter: Num | None = msgspec.field(name="", default=None)


class _Event(msgspec.Struct, gc=False):
    ph: str = ""
    name: str = ""
    pid: int | str = 0
    tid: int | str = 0
    ts: Num = 0
    dur: Num = 0
    id: int | str | None = None
    cat: str = ""
    args: _Args | None = None


class _TraceObject(msgspec.Struct, gc=False):
    traceEvents: list[_Event] = []  # noqa: N815 - the file's key
    displayTimeUnit: str | None = None  # noqa: N815


_LIST_DECODER = msgspec.json.Decoder(list[_Event])
_OBJECT_DECODER = msgspec.json.Decoder(_TraceObject)
_RAW_LIST_DECODER = msgspec.json.Decoder(list[msgspec.Raw])

# --- lanes -------------------------------------------------------------------------------------

_UNIT_RE = re.compile(r"Type:\s*(HMX|HVX|DMA)\b", re.IGNORECASE)
_THREAD_CORE_RE = re.compile(r"Core:\s*(\d+)")
_PROCESS_CORE_RE = re.compile(r"^Core (\d+) Overview$")
NON_EXECUTED_LANE = "Non Executed Tensors"

UNIT_ORDER = {"HMX": 0, "HVX": 1, "DMA": 2, "?": 3}


@dataclass(frozen=True, slots=True)
class Lane:
    """One hardware unit thread (a row of the timeline)."""

    index: int
    core: int
    tid: int
    unit: str  # "HMX" | "HVX" | "DMA" | "?" (thread_name gave no unit)
    thread_name: str

    @property
    def label(self) -> str:
        """Short label such as ``HMX``, ``HVX 512`` or ``c1 HVX 513``."""
        core = f"c{self.core} " if self.core else ""
        if self.unit in ("HMX", "DMA"):
            return f"{core}{self.unit} {self.tid}"
        return f"{core}{self.unit} {self.tid}"


class StringTable:
    """Interned strings: a list of names and the reverse mapping."""

    __slots__ = ("names", "_index")

    def __init__(self) -> None:
        self.names: list[str] = [""]
        self._index: dict[str, int] = {"": 0}

    def intern(self, text: str | None) -> int:
        """Return the id of ``text`` (adding it if new); None maps to the empty string."""
        if not text:
            return 0
        idx = self._index.get(text)
        if idx is None:
            idx = len(self.names)
            self._index[text] = idx
            self.names.append(text)
        return idx

    def lookup(self, text: str) -> int | None:
        """Return the id of ``text`` or None if it never occurred."""
        return self._index.get(text)

    def __getitem__(self, idx: int) -> str:
        return self.names[idx]

    def __len__(self) -> int:
        return len(self.names)


@dataclass(eq=False)
class Counters:
    """One counter series (``ph: "C"``): step values in bytes at cycle timestamps."""

    name: str
    ts: np.ndarray  # int64 cycles
    value: np.ndarray  # float64 bytes


@dataclass(eq=False)
class Flows:
    """Flow arrows (``s`` -> ``f`` pairs sharing an id)."""

    flow_id: np.ndarray  # int64
    is_start: np.ndarray  # bool
    ts: np.ndarray  # int64
    tid: np.ndarray  # int64
    category: list[str]


@dataclass(eq=False)
class NonExecuted:
    """Non-executed tensors (tid 1): their ``dur`` of 5 is a placeholder, never busy time."""

    ts: np.ndarray
    name: np.ndarray  # string ids
    op_id: np.ndarray  # uint64
    flags: np.ndarray  # uint16


@dataclass(eq=False)
class OpTrace:
    """The executed HTP ops of one op trace, as parallel numpy columns sorted by (ts, -dur)."""

    source: str
    strings: StringTable
    lanes: tuple[Lane, ...]
    ts: np.ndarray  # int64 cycles (rebased)
    dur: np.ndarray  # int64 cycles
    lane: np.ndarray  # int16 index into lanes
    kernel: np.ndarray  # int32 string id (HTP Op Type / event name)
    qnn_op: np.ndarray  # int32 string id (QNN Op Name)
    qnn_type: np.ndarray  # int32 string id (QNN Op Type)
    op_id: np.ndarray  # uint64 (args.ID)
    flags: np.ndarray  # uint16 bitmask
    dpc: np.ndarray  # int64 Dominant Path Cycles (-1 when absent)
    cpp: np.ndarray  # float32 cycles per packet (nan when absent)
    start_cycle: np.ndarray  # int64 absolute PCYCLE (-1 when absent)
    ordinal: np.ndarray  # int64 position of the event in traceEvents
    non_executed: NonExecuted
    counters: dict[str, Counters]
    flows: Flows
    process_names: dict[int, str]
    qnn_op_ids: dict[str, int]  # QNN op name -> QNN op id (from process metadata or args.ID)
    shape: str  # "object" | "bare-list"
    gzipped: bool
    total_events: int
    duplicate_events: int
    warnings: list[str] = field(default_factory=list)
    _raw: bytes | None = None  # kept only for small traces, for lazy args decoding
    _chunks: list[tuple[int, int, int]] = field(default_factory=list)  # (first ordinal, start, end)

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    @property
    def end(self) -> np.ndarray:
        """End cycle of every op (ts + dur)."""
        return self.ts + self.dur

    @property
    def rebase(self) -> int | None:
        """The per-file constant ``Start Cycle - ts`` (None when Start Cycle is absent)."""
        have = np.flatnonzero(self.start_cycle >= 0)
        if have.size == 0:
            return None
        i = int(have[0])
        return int(self.start_cycle[i] - self.ts[i])

    def kernel_name(self, i: int) -> str:
        """HTP kernel name of op ``i``."""
        return self.strings[int(self.kernel[i])]

    def qnn_op_name(self, i: int) -> str:
        """QNN op name of op ``i``."""
        return self.strings[int(self.qnn_op[i])]

    def lane_of(self, i: int) -> Lane:
        """Lane of op ``i``."""
        return self.lanes[int(self.lane[i])]

    def op_id_str(self, i: int) -> str:
        """``args.ID`` of op ``i`` as the file writes it."""
        return fmt_id(int(self.op_id[i]))

    def event_args(self, i: int) -> dict[str, Any]:
        """Decode the full ``args`` of op ``i`` on demand (re-reading its chunk from the file)."""
        ordinal = int(self.ordinal[i])
        raw_events = self._raw_events_around(ordinal)
        if raw_events is None:
            return {}
        events, first = raw_events
        try:
            event = msgspec.json.decode(events[ordinal - first])
        except (msgspec.DecodeError, IndexError):
            return {}
        args = event.get("args") if isinstance(event, dict) else None
        return args if isinstance(args, dict) else {}

    def _raw_events_around(self, ordinal: int) -> tuple[list[msgspec.Raw], int] | None:
        if self._raw is not None:
            data = self._raw
            cached = getattr(self, "_raw_cache", None)
            if cached is None:
                cached = (_RAW_LIST_DECODER.decode(_array_bytes(data)), 0)
                object.__setattr__(self, "_raw_cache", cached)
            return cached
        chosen = None
        for first, start, end in self._chunks:
            if ordinal < first:
                break
            chosen = (first, start, end)
        if chosen is None:
            return None
        first, start, end = chosen
        cache = getattr(self, "_chunk_cache", None)
        if cache is not None and cache[0] == first:
            return cache[1], first
        try:
            with open(self.source, "rb") as fh:
                fh.seek(start)
                blob = fh.read(end - start)
        except OSError:
            return None
        events = _RAW_LIST_DECODER.decode(b"[" + _strip_chunk(blob) + b"]")
        object.__setattr__(self, "_chunk_cache", (first, events))
        return events, first


# --- loading -----------------------------------------------------------------------------------

CHUNK_BYTES = 32 * 1024 * 1024
KEEP_RAW_BELOW = 64 * 1024 * 1024

ProgressFn = Callable[[float, str], None]


def _strip_chunk(blob: bytes) -> bytes:
    blob = blob.strip()
    if blob.endswith(b","):
        blob = blob[:-1]
    return blob


def _array_bytes(data: bytes) -> bytes:
    """Return the bytes of the traceEvents array (the whole text for a bare list)."""
    head = data.lstrip()[:1]
    if head == b"[":
        return data
    obj = msgspec.json.decode(data, type=dict[str, msgspec.Raw])
    raw = obj.get("traceEvents")
    return bytes(raw) if raw is not None else b"[]"


def _array_region(data: bytes) -> tuple[int, int] | None:
    """Find [start, end) of the traceEvents array contents when it is the last key; else None."""
    stripped_start = len(data) - len(data.lstrip())
    first = data[stripped_start : stripped_start + 1]
    if first == b"[":
        start = stripped_start + 1
        tail = data.rstrip()
        if not tail.endswith(b"]"):
            return None
        return start, len(tail) - 1
    if first != b"{":
        return None
    key = data.find(b'"traceEvents"', 0, 1 << 20)
    if key < 0:
        return None
    bracket = data.find(b"[", key)
    if bracket < 0:
        return None
    tail = data.rstrip()
    if not tail.endswith(b"}"):
        return None
    inner = tail[:-1].rstrip()
    if not inner.endswith(b"]"):
        return None
    return bracket + 1, len(inner) - 1


def _iter_chunks(data: bytes, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Cut [start, end) at line starts that open an event (``\\n{``), about CHUNK_BYTES each."""
    pos = start
    while pos < end:
        target = pos + CHUNK_BYTES
        if target >= end:
            yield pos, end
            return
        cut = data.find(b"\n{", target, end)
        if cut < 0:
            yield pos, end
            return
        yield pos, cut + 1
        pos = cut + 1


def decode_events(
    data: bytes, label: str, progress: ProgressFn | None = None
) -> Iterator[tuple[list[_Event], int, int]]:
    """Yield (events, byte start, byte end) batches; chunked for big inputs, whole otherwise."""
    region = _array_region(data) if len(data) > CHUNK_BYTES else None
    if region is not None:
        start, end = region
        chunks = list(_iter_chunks(data, start, end))
        decoded: list[tuple[list[_Event], int, int]] = []
        try:
            for k, (a, b) in enumerate(chunks):
                blob = _strip_chunk(data[a:b])
                events = _LIST_DECODER.decode(b"[" + blob + b"]") if blob else []
                if progress:
                    progress((k + 1) / len(chunks) * 0.8, "decoding events")
                yield events, a, b
                decoded.append((events, a, b))
            return
        except (msgspec.DecodeError, msgspec.ValidationError):
            if decoded:
                # a chunk boundary fell inside an event (unusual layout): start over, whole file
                raise _RestartWhole() from None
    yield _decode_whole(data, label), 0, len(data)


class _RestartWhole(Exception):
    pass


def _decode_whole(data: bytes, label: str) -> list[_Event]:
    head = data.lstrip()[:1]
    try:
        if head == b"[":
            return _LIST_DECODER.decode(data)
        if head == b"{":
            return _OBJECT_DECODER.decode(data).traceEvents
        # not JSON at all: let msgspec produce the error text
        msgspec.json.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InputError(label, describe_decode_error(exc, data)) from None
    raise InputError(label, "expected a JSON object with traceEvents or a JSON array of events")


class _Builder:
    """Accumulates decoded events into growable Python arrays, then numpy columns."""

    def __init__(self) -> None:
        self.strings = StringTable()
        self.x_pid: list[int] = []
        self.x_tid: list[int] = []
        self.x_ts: list[int] = []
        self.x_dur: list[int] = []
        self.x_kernel: list[int] = []
        self.x_qnn: list[int] = []
        self.x_qtype: list[int] = []
        self.x_id: list[int] = []
        self.x_flags: list[int] = []
        self.x_dpc: list[int] = []
        self.x_cpp: list[float] = []
        self.x_start: list[int] = []
        self.x_ord: list[int] = []
        self.counters: dict[str, tuple[list[int], list[float]]] = {}
        self.flow_id: list[int] = []
        self.flow_start: list[bool] = []
        self.flow_ts: list[int] = []
        self.flow_tid: list[int] = []
        self.flow_cat: list[str] = []
        self.thread_names: dict[tuple[int, int], str] = {}
        self.process_names: dict[int, str] = {}
        self.process_opids: dict[int, int] = {}
        self.other_ph = 0
        self.total = 0
        self.bad_ids = 0

    def add(self, events: list[_Event], first_ordinal: int) -> None:
        strings = self.strings
        intern = strings.intern
        flag_bits = FLAG_BITS
        for k, ev in enumerate(events):
            ph = ev.ph
            if ph == "X":
                args = ev.args
                pid = _as_int(ev.pid)
                tid = _as_int(ev.tid)
                self.x_pid.append(pid)
                self.x_tid.append(tid)
                self.x_ts.append(int(ev.ts))
                self.x_dur.append(int(ev.dur))
                self.x_ord.append(first_ordinal + k)
                if args is None:
                    self.x_kernel.append(intern(ev.name))
                    self.x_qnn.append(0)
                    self.x_qtype.append(0)
                    self.x_id.append(0)
                    self.x_flags.append(0)
                    self.x_dpc.append(-1)
                    self.x_cpp.append(float("nan"))
                    self.x_start.append(-1)
                    continue
                self.x_kernel.append(intern(args.htp_op_type or ev.name))
                self.x_qnn.append(intern(args.qnn_op_name))
                self.x_qtype.append(intern(args.qnn_op_type))
                op_id = parse_id(args.ID)
                if op_id is None or op_id < 0 or op_id >= 1 << 64:
                    if args.ID is not None:
                        self.bad_ids += 1
                    op_id = 0
                self.x_id.append(op_id)
                bits = 0
                flags = args.flags
                if flags:
                    if isinstance(flags, str):
                        flags = [flags]
                    for f in flags:
                        bits |= flag_bits.get(f, FLAG_OTHER)
                self.x_flags.append(bits)
                self.x_dpc.append(int(args.dpc) if args.dpc is not None else -1)
                self.x_cpp.append(float(args.cpp) if args.cpp is not None else float("nan"))
                self.x_start.append(int(args.start_cycle) if args.start_cycle is not None else -1)
            elif ph == "C":
                args = ev.args
                value = args.counter if args is not None else None
                if value is None:
                    continue
                series = self.counters.get(ev.name)
                if series is None:
                    series = self.counters[ev.name] = ([], [])
                series[0].append(int(ev.ts))
                series[1].append(float(value))
            elif ph in ("s", "f"):
                fid = parse_id(ev.id) if ev.id is not None else None
                self.flow_id.append(fid if fid is not None else -1)
                self.flow_start.append(ph == "s")
                self.flow_ts.append(int(ev.ts))
                self.flow_tid.append(_as_int(ev.tid))
                self.flow_cat.append(ev.cat)
            elif ph == "M":
                args = ev.args
                if args is None or args.name is None:
                    continue
                pid = _as_int(ev.pid)
                if ev.name == "thread_name":
                    self.thread_names[(pid, _as_int(ev.tid))] = args.name
                elif ev.name == "process_name":
                    self.process_names[pid] = args.name
                    opid = parse_id(args.opid) if args.opid is not None else None
                    if opid is not None:
                        self.process_opids[pid] = opid
            else:
                self.other_ph += 1
        self.total += len(events)


def _as_int(value: int | str) -> int:
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except ValueError:
        return hash(value) & 0x7FFFFFFF


def load(
    path: str | Path | None = None,
    *,
    data: bytes | None = None,
    label: str | None = None,
    progress: ProgressFn | None = None,
) -> OpTrace:
    """Load an op trace from a path (plain or gzip) or from bytes, into an :class:`OpTrace`."""
    if data is None:
        if path is None:
            raise ValueError("load() needs a path or data")
        label = label or str(path)
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            raise InputError(label, "no such file") from None
        except IsADirectoryError:
            raise InputError(label, "is a directory, expected a trace file") from None
        except OSError as exc:
            raise InputError(label, f"cannot read: {exc.strerror or exc}") from None
    label = label or (str(path) if path is not None else "<stdin>")
    gzipped = is_gzip(data)
    if gzipped:
        data = maybe_gunzip(data, label)
    if not data.strip():
        raise InputError(label, "empty file (0 bytes of JSON)")
    shape = "bare-list" if data.lstrip()[:1] == b"[" else "object"
    if shape == "object":
        _check_header(data, label)

    builder = _Builder()
    chunks: list[tuple[int, int, int]] = []
    try:
        ordinal = 0
        for events, start, end in decode_events(data, label, progress):
            chunks.append((ordinal, start, end))
            builder.add(events, ordinal)
            ordinal += len(events)
            del events
    except _RestartWhole:
        builder = _Builder()
        chunks = [(0, 0, len(data))]
        builder.add(_decode_whole(data, label), 0)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InputError(label, f"unexpected value in an event ({exc})") from None
    if progress:
        progress(0.85, "building columns")
    trace = _finish(builder, label, shape, gzipped)
    if len(data) < KEEP_RAW_BELOW:
        trace._raw = data  # small: keep the bytes for on-demand args decoding
    elif path is not None and not gzipped:
        trace._chunks = chunks  # big plain file: re-read one chunk on demand
    else:
        trace.warnings.append("large gzip/stdin trace: full op args are not kept for inspection")
    if progress:
        progress(1.0, "done")
    return trace


def _check_header(data: bytes, label: str) -> None:
    from htptui.model._io import sniff_artifact_type

    found = sniff_artifact_type(data[:4096])
    if found is not None and found != "OP_TRACE":
        raise InputError(label, f"artifact_type is {found!r}, expected 'OP_TRACE' (an op trace)")


def _finish(b: _Builder, label: str, shape: str, gzipped: bool) -> OpTrace:
    warnings: list[str] = []
    pid = np.asarray(b.x_pid, dtype=np.int64)
    tid = np.asarray(b.x_tid, dtype=np.int64)
    ts = np.asarray(b.x_ts, dtype=np.int64)
    dur = np.asarray(b.x_dur, dtype=np.int64)
    kernel = np.asarray(b.x_kernel, dtype=np.int32)
    qnn = np.asarray(b.x_qnn, dtype=np.int32)
    qtype = np.asarray(b.x_qtype, dtype=np.int32)
    op_id = np.asarray(b.x_id, dtype=np.uint64)
    flags = np.asarray(b.x_flags, dtype=np.uint16)
    dpc = np.asarray(b.x_dpc, dtype=np.int64)
    cpp = np.asarray(b.x_cpp, dtype=np.float32)
    start = np.asarray(b.x_start, dtype=np.int64)
    ordinal = np.asarray(b.x_ord, dtype=np.int64)
    for name in (
        "x_pid",
        "x_tid",
        "x_ts",
        "x_dur",
        "x_kernel",
        "x_qnn",
        "x_qtype",
        "x_id",
        "x_flags",
        "x_dpc",
        "x_cpp",
        "x_start",
        "x_ord",
    ):
        setattr(b, name, [])

    overview_core: dict[int, int] = {}
    for p, name in b.process_names.items():
        m = _PROCESS_CORE_RE.match(name.strip())
        if m:
            overview_core[p] = int(m.group(1))

    # which X events are the canonical copy of an executed op
    if overview_core:
        keep = np.isin(pid, np.fromiter(overview_core, dtype=np.int64))
        duplicates = int(pid.size - keep.sum())
    else:
        # no "Core N Overview" process: de-duplicate by (ID, tid, ts, dur)
        if pid.size:
            key = np.stack([op_id.astype(np.int64), tid, ts, dur], axis=1)
            _, first_idx = np.unique(key, axis=0, return_index=True)
            keep = np.zeros(pid.size, dtype=bool)
            keep[first_idx] = True
            # events without an ID are never duplicates of each other by key alone
            keep |= op_id == 0
        else:
            keep = np.zeros(0, dtype=bool)
        duplicates = int(pid.size - keep.sum())
        if pid.size:
            warnings.append("no 'Core N Overview' process: de-duplicated ops by (ID, tid, ts, dur)")

    # lanes
    def thread_name(p: int, t: int) -> str:
        return b.thread_names.get((p, t), "")

    lane_key_of: dict[tuple[int, int], int] = {}
    lanes: list[Lane] = []
    non_exec_mask = np.zeros(pid.size, dtype=bool)
    lane_col = np.full(pid.size, -1, dtype=np.int16)
    kept_idx = np.flatnonzero(keep)
    pairs = (
        np.unique(np.stack([pid[kept_idx], tid[kept_idx]], axis=1), axis=0)
        if kept_idx.size
        else np.zeros((0, 2), dtype=np.int64)
    )
    pair_lane: dict[tuple[int, int], int] = {}
    for p, t in pairs.tolist():
        tname = thread_name(p, t)
        if tname.strip() == NON_EXECUTED_LANE:
            pair_lane[(p, t)] = -2
            continue
        if not tname:
            # fall back to the same tid's name in a per-op process ("Core:0 Type: HVX Tid: 512")
            for (_pp, tt), nm in b.thread_names.items():
                if tt == t and _UNIT_RE.search(nm):
                    tname = nm
                    break
        m = _UNIT_RE.search(tname)
        unit = m.group(1).upper() if m else "?"
        cm = _THREAD_CORE_RE.search(tname)
        core = overview_core.get(p, int(cm.group(1)) if cm else 0)
        key = (core, t)
        if key not in lane_key_of:
            lane_key_of[key] = -1
            lanes.append(
                Lane(index=-1, core=core, tid=t, unit=unit, thread_name=tname or f"tid {t}")
            )
        pair_lane[(p, t)] = -3  # resolved after sorting lanes
    lanes.sort(key=lambda ln: (ln.core, UNIT_ORDER.get(ln.unit, 9), ln.tid))
    lanes = [
        Lane(index=i, core=ln.core, tid=ln.tid, unit=ln.unit, thread_name=ln.thread_name)
        for i, ln in enumerate(lanes)
    ]
    for ln in lanes:
        lane_key_of[(ln.core, ln.tid)] = ln.index
    unknown = [ln for ln in lanes if ln.unit == "?"]
    if unknown:
        warnings.append(
            "lanes without a 'Type: HMX|HVX|DMA' thread_name: "
            + ", ".join(f"tid {ln.tid}" for ln in unknown)
            + " (unit shown as '?')"
        )
    for (p, t), v in pair_lane.items():
        sel = kept_idx[(pid[kept_idx] == p) & (tid[kept_idx] == t)]
        if v == -2:
            non_exec_mask[sel] = True
        else:
            tname = thread_name(p, t)
            cm = _THREAD_CORE_RE.search(tname)
            core = overview_core.get(p, int(cm.group(1)) if cm else 0)
            lane_col[sel] = lane_key_of[(core, t)]
    # null_exec ops anywhere are non-executed too
    non_exec_mask |= keep & ((flags & FLAG_NULL_EXEC) != 0)
    executed = keep & ~non_exec_mask & (lane_col >= 0)

    ne = np.flatnonzero(non_exec_mask)
    ne_order = ne[np.argsort(ts[ne], kind="stable")]
    non_executed = NonExecuted(
        ts=ts[ne_order], name=kernel[ne_order], op_id=op_id[ne_order], flags=flags[ne_order]
    )

    ex = np.flatnonzero(executed)
    order = ex[np.lexsort((-dur[ex], ts[ex]))] if ex.size else ex
    negative = int((dur[order] < 0).sum()) if order.size else 0
    if negative:
        warnings.append(f"{negative} ops have a negative dur; treated as 0")

    qnn_op_ids: dict[str, int] = {}
    for p, name in b.process_names.items():
        if name.startswith("QNN::") and p in b.process_opids:
            qnn_op_ids[name[5:]] = b.process_opids[p]
    q_sel = qnn[order]
    if q_sel.size:
        uq, first = np.unique(q_sel, return_index=True)
        for sid, fi in zip(uq.tolist(), first.tolist(), strict=True):
            name = b.strings[sid]
            if name and name not in qnn_op_ids:
                qnn_op_ids[name] = int(op_id[order[fi]]) & 0xFFFFFFFF
    if b.bad_ids:
        warnings.append(f"{b.bad_ids} events have an unreadable args.ID")
    if b.other_ph:
        warnings.append(f"{b.other_ph} events of other phases (not X/C/M/s/f) ignored")

    counters = {
        name: Counters(
            name=name, ts=np.asarray(tsv, dtype=np.int64), value=np.asarray(val, dtype=np.float64)
        )
        for name, (tsv, val) in b.counters.items()
    }
    for c in counters.values():
        o = np.argsort(c.ts, kind="stable")
        c.ts, c.value = c.ts[o], c.value[o]
    flows = Flows(
        flow_id=np.asarray(b.flow_id, dtype=np.int64),
        is_start=np.asarray(b.flow_start, dtype=bool),
        ts=np.asarray(b.flow_ts, dtype=np.int64),
        tid=np.asarray(b.flow_tid, dtype=np.int64),
        category=b.flow_cat,
    )
    if not order.size:
        warnings.append("the trace has no executed ops")
    return OpTrace(
        source=label,
        strings=b.strings,
        lanes=tuple(lanes),
        ts=ts[order],
        dur=np.maximum(dur[order], 0),
        lane=lane_col[order],
        kernel=kernel[order],
        qnn_op=qnn[order],
        qnn_type=qtype[order],
        op_id=op_id[order],
        flags=flags[order],
        dpc=dpc[order],
        cpp=cpp[order],
        start_cycle=start[order],
        ordinal=ordinal[order],
        non_executed=non_executed,
        counters=counters,
        flows=flows,
        process_names=dict(b.process_names),
        qnn_op_ids=qnn_op_ids,
        shape=shape,
        gzipped=gzipped,
        total_events=b.total,
        duplicate_events=duplicates,
        warnings=warnings,
    )


def sniff(head: bytes) -> bool:
    """Tell whether the first bytes look like a Chrome trace (object with traceEvents or array)."""
    text = head.lstrip()
    if text[:1] == b"[":
        return True
    return b'"traceEvents"' in head or b'"artifact_type": "OP_TRACE"' in head


if __name__ == "__main__":  # pragma: no cover - manual check
    t = load(sys.argv[1])
    print(len(t), "executed ops;", [ln.label for ln in t.lanes])
