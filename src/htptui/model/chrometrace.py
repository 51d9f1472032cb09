"""Loader for the optrace op timeline (`chrometrace.json`, artifact_type OP_TRACE) into columns.

The file is decoded with msgspec into structs that hold only the fields htptui needs; big files are
decoded in chunks cut at event boundaries so peak memory stays near one chunk plus the columns.
Every executed op appears twice (Core Overview pid and per-QNN-op pid): only the Core Overview copy
is kept. Lanes are classified by `thread_name` (``Type: HMX|HVX|DMA``), never by tid.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from htptui.errors import InputError
from htptui.model._io import (
    check_regular,
    clean_text,
    describe_decode_error,
    fmt_id,
    is_gzip,
    maybe_gunzip,
    open_regular,
    parse_id,
    read_limit,
)

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
_THREAD_CORE_RE = re.compile(r"Core:\s*(\d{1,6})(?!\d)")
_PROCESS_CORE_RE = re.compile(r"^Core (\d{1,6}) Overview$")  # more digits: not a core number
#: ts, dur, Start Cycle and DPC must stay below this (cycles; sums of two never overflow int64)
MAX_CYCLES = 1 << 62
#: pids and tids must fit in 32 bits (they are packed into one int64 key)
MAX_PID_TID = 1 << 31
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
            shown = clean_text(text)  # control characters never reach a terminal
            idx = self._index.get(shown)
            if idx is None:
                idx = len(self.names)
                self._index[shown] = idx
                self.names.append(shown)
            self._index[text] = idx
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
    lane: np.ndarray  # int32 index into lanes
    kernel: np.ndarray  # int32 string id (HTP Op Type / event name)
    qnn_op: np.ndarray  # int32 string id (QNN Op Name)
    qnn_type: np.ndarray  # int32 string id (QNN Op Type)
    op_id: np.ndarray  # uint64 (args.ID)
    flags: np.ndarray  # uint16 bitmask
    dpc_event: np.ndarray  # int64 the event's own Dominant Path Cycles arg (-1 when absent)
    cpp: np.ndarray  # float32 cycles per packet (nan when absent)
    start_cycle: np.ndarray  # int64 absolute PCYCLE (-1 when absent)
    ordinal: np.ndarray  # int64 position of the event in traceEvents
    non_executed: NonExecuted
    counters: dict[str, Counters]  # the first core's series (core 0 on single-core traces)
    core_counters: dict[int, dict[str, Counters]]
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
    # The true per-instance Dominant Path Cycles (int64, -1 when unknown) and where each value comes
    # from (uint8 ``htptui.model.dpc.DPC_*``); ``tiled`` marks ops whose ID repeats (spec §1.4b).
    # Set from the trace alone here, then again with the QHAS join by ``load_run``.
    dpc: np.ndarray = field(init=False, repr=False)
    dpc_source: np.ndarray = field(init=False, repr=False)
    tiled: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        from htptui.model import dpc as dpc_mod

        self.dpc, self.dpc_source, self.tiled = dpc_mod.trace_only(
            self.op_id, self.dur, self.dpc_event
        )

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
        if self._raw is None:
            fast = self._args_by_line(ordinal, i)
            if fast is not None:
                return fast
        raw_events = self._raw_events_around(ordinal)
        if raw_events is None:
            return {}
        events, first = raw_events
        try:
            event = msgspec.json.decode(events[ordinal - first])
        except (msgspec.DecodeError, IndexError, RecursionError):
            return {}
        args = event.get("args") if isinstance(event, dict) else None
        return args if isinstance(args, dict) else {}

    def event_args_ready(self, i: int) -> bool:
        """Whether :meth:`event_args` of op ``i`` is cheap now (its chunk was read before)."""
        if self._raw is not None:
            return getattr(self, "_raw_cache", None) is not None
        ordinal = int(self.ordinal[i])
        first = next((f for f, _s, _e in reversed(self._chunks) if f <= ordinal), None)
        return first is not None and first in (getattr(self, "_line_index", None) or {})

    def _args_by_line(self, ordinal: int, i: int) -> dict[str, Any] | None:
        """Args of op ``i`` when its chunk holds one event per line (SDK output does).

        The first visit of a chunk finds its line starts with numpy (the read and the scan release
        the GIL, so a worker doing this leaves the UI thread free); then only that one line is read
        and decoded. None when the layout differs (the caller decodes the whole chunk instead).
        """
        chosen = None
        for first, start, end in self._chunks:
            if ordinal < first:
                break
            chosen = (first, start, end)
        if chosen is None:
            return None
        first, start, end = chosen
        index = getattr(self, "_line_index", None)
        if index is None:
            index = {}
            object.__setattr__(self, "_line_index", index)
        try:
            if first not in index:
                with open(self.source, "rb") as fh:
                    fh.seek(start)
                    buf = np.frombuffer(fh.read(end - start), dtype=np.uint8)
                nl = np.flatnonzero(buf == 10)
                starts = np.r_[0, nl + 1]
                ends = np.r_[nl, buf.size]
                keep = (ends - starts) > 2  # lines holding more than a bracket or a comma
                index[first] = (starts[keep] + start, ends[keep] + start)
            starts, ends = index[first]
            k = ordinal - first
            if not 0 <= k < starts.size:
                return None
            with open(self.source, "rb") as fh:
                fh.seek(int(starts[k]))
                line = fh.read(int(ends[k] - starts[k]))
            event = msgspec.json.decode(line.strip().rstrip(b","))
        except (OSError, msgspec.DecodeError):
            return None
        if not isinstance(event, dict) or event.get("name") != self.kernel_name(i):
            return None
        if event.get("dur") != int(self.dur[i]):
            return None
        args = event.get("args")
        return args if isinstance(args, dict) else {}

    def _raw_events_around(self, ordinal: int) -> tuple[list[msgspec.Raw], int] | None:
        try:
            return self._raw_events_around_unsafe(ordinal)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            return None

    def _raw_events_around_unsafe(self, ordinal: int) -> tuple[list[msgspec.Raw], int] | None:
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

    def inputs_ops(self) -> tuple[np.ndarray, np.ndarray]:
        """Every op's ``args["Inputs Ops"]`` as CSR arrays ``(ptr, ids)``: op ``i``'s IDs are
        ``ids[ptr[i]:ptr[i + 1]]`` (uint64, repeats kept, unreadable entries dropped).

        One pass over the file (the loader keeps no such lists): each chunk is decoded once into
        just the ``Inputs Ops`` of its events; a chunk that does not fit that shape falls back to
        one event at a time. The caller caches the result (``RunAnalysis.deps``).
        """
        n = len(self)
        lists: list[list[int]] = [[] for _ in range(n)]
        if n:
            by_ord = np.argsort(self.ordinal, kind="stable")
            ords = self.ordinal[by_ord].tolist()
            ops = by_ord.tolist()
            k = 0
            for first, events in self._inputs_chunks():
                last = first + len(events)
                while k < n and ords[k] < first:
                    k += 1  # an ordinal outside every chunk: no args to read
                while k < n and ords[k] < last:
                    ev = events[ords[k] - first]
                    lists[ops[k]] = _inputs_of(ev) if isinstance(ev, msgspec.Raw) else _ids_of(ev)
                    k += 1
        ptr = np.zeros(n + 1, dtype=np.int64)
        if n:
            ptr[1:] = np.cumsum([len(v) for v in lists])
        ids = np.fromiter((x for v in lists for x in v), dtype=np.uint64, count=int(ptr[-1]))
        return ptr, ids

    def _inputs_chunks(self) -> Iterator[tuple[int, list[Any]]]:
        """(first ordinal, decoded events) per chunk: ``_InputsEvent`` structs, or raw events."""
        raw = self._raw
        if raw is None and not self._chunks:
            # a trace restored from the cache without its bytes or chunk map: read the file once
            from htptui.model._io import read_bytes

            try:
                raw = read_bytes(self.source)
            except Exception:  # noqa: BLE001 - no file (bytes input): no Inputs Ops to read
                return
        if raw is not None:
            blob = _array_bytes(raw)
            try:
                yield 0, _INPUTS_LIST_DECODER.decode(blob)
            except (msgspec.DecodeError, msgspec.ValidationError):
                yield 0, _RAW_LIST_DECODER.decode(blob)
            return
        for first, start, end in self._chunks:
            try:
                with open(self.source, "rb") as fh:
                    fh.seek(start)
                    blob = b"[" + _strip_chunk(fh.read(end - start)) + b"]"
            except OSError:
                continue
            try:
                yield first, _INPUTS_LIST_DECODER.decode(blob)
            except (msgspec.DecodeError, msgspec.ValidationError):
                try:
                    yield first, _RAW_LIST_DECODER.decode(blob)
                except msgspec.DecodeError:
                    continue


class _InputsArgs(msgspec.Struct, gc=False):
    inputs: list[Any] | None = msgspec.field(name="Inputs Ops", default=None)


class _InputsEvent(msgspec.Struct, gc=False):
    args: _InputsArgs | None = None


_INPUTS_DECODER = msgspec.json.Decoder(_InputsEvent)
_INPUTS_LIST_DECODER = msgspec.json.Decoder(list[_InputsEvent])


def _inputs_of(raw: msgspec.Raw) -> list[int]:
    """The readable IDs of one raw event's ``Inputs Ops`` (any ID form; bad entries dropped)."""
    try:
        ev = _INPUTS_DECODER.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return []
    return _ids_of(ev)


def _ids_of(ev: _InputsEvent) -> list[int]:
    """The readable IDs of a decoded event's ``Inputs Ops``."""
    if ev.args is None or not ev.args.inputs:
        return []
    out = []
    for v in ev.args.inputs:
        i = parse_id(v) if isinstance(v, str | int) and not isinstance(v, bool) else None
        if i is not None and 0 < i < 1 << 64:
            out.append(i)
    return out


# --- loading -----------------------------------------------------------------------------------

CHUNK_BYTES = 32 * 1024 * 1024
KEEP_RAW_BELOW = 64 * 1024 * 1024
PARALLEL_ABOVE = 96 * 1024 * 1024  # plain files larger than this are decoded by worker processes
MAX_WORKERS = min(8, os.cpu_count() or 1)  # one decode worker per core (2 on the dev VM), capped

ProgressFn = Callable[[float, str], None]


class _FastArgs(msgspec.Struct, gc=False):
    """Strictly typed args: the fast path (real SDK output always fits it)."""

    ID: str | None = None
    htp_op_type: str | None = msgspec.field(name="HTP Op Type", default=None)
    flags: tuple[str, ...] | None = msgspec.field(name="Flags", default=None)
    cpp: float | None = msgspec.field(name="Cycles per Packet", default=None)
    qnn_op_type: str | None = msgspec.field(name="QNN Op Type", default=None)
    qnn_op_name: str | None = msgspec.field(name="QNN Op Name", default=None)
    start_cycle: int | None = msgspec.field(name="Start Cycle", default=None)
    dpc: int | None = msgspec.field(name="Dominant Path Cycles", default=None)
    name: str | None = None
    opid: str | None = None
    counter: float | None = msgspec.field(name="", default=None)


class _StrictEvent(msgspec.Struct, gc=False):
    """The strictly typed event fields shared by the two fast decoders."""

    ph: str = ""
    name: str = ""
    pid: int = 0
    tid: int = 0
    ts: int = 0
    dur: int = 0
    id: int | None = None
    cat: str = ""


class _FastEvent(_StrictEvent, gc=False):
    args: _FastArgs | None = None


_FAST_DECODER = msgspec.json.Decoder(list[_FastEvent])


class _RawArgsEvent(_StrictEvent, gc=False):
    """Like _FastEvent, but args stay raw bytes: only the kept events' args are decoded."""

    args: msgspec.Raw = msgspec.field(default_factory=lambda: msgspec.Raw(b"{}"))


_RAW_ARGS_DECODER = msgspec.json.Decoder(list[_RawArgsEvent])
_FAST_ARGS_DECODER = msgspec.json.Decoder(_FastArgs)
_EMPTY_FAST_ARGS = _FastArgs()
_EMPTY_ARGS = _Args()
_FLAGS_DECODER = msgspec.json.Decoder(list[str] | str | None)


def _strip_chunk(blob: bytes) -> bytes:
    blob = blob.strip()
    if blob.endswith(b","):
        blob = blob[:-1]
    return blob


def _first_byte(data: bytes, start: int = 0) -> tuple[int, bytes]:
    """Position and value of the first non-whitespace byte at or after ``start`` (no copy)."""
    n = len(data)
    i = start
    while i < n and data[i] in b" \t\r\n":
        i += 1
    return i, data[i : i + 1]


def _last_byte(data: bytes, end: int | None = None) -> tuple[int, bytes]:
    """Position and value of the last non-whitespace byte before ``end`` (no copy)."""
    i = (len(data) if end is None else end) - 1
    while i >= 0 and data[i] in b" \t\r\n":
        i -= 1
    return i, data[i : i + 1] if i >= 0 else b""


def _array_bytes(data: bytes) -> bytes:
    """Return the bytes of the traceEvents array (the whole text for a bare list)."""
    if _first_byte(data)[1] == b"[":
        return data
    obj = msgspec.json.decode(data, type=dict[str, msgspec.Raw])
    raw = obj.get("traceEvents")
    return bytes(raw) if raw is not None else b"[]"


def _region_from(head: bytes, tail: bytes, tail_offset: int) -> tuple[int, int] | None:
    """Locate [start, end) of the traceEvents array contents from the file's head and tail bytes."""
    pos, first = _first_byte(head)
    if first == b"[":
        start = pos + 1
        last_pos, last = _last_byte(tail)
        if last != b"]":
            return None
        return start, tail_offset + last_pos
    if first != b"{":
        return None
    key = head.find(b'"traceEvents"')
    if key < 0:
        return None
    bracket = head.find(b"[", key)
    if bracket < 0:
        return None
    last_pos, last = _last_byte(tail)
    if last != b"}":
        return None
    inner_pos, inner = _last_byte(tail, last_pos)
    if inner != b"]":
        return None  # another key follows traceEvents: decode the whole file instead
    return bracket + 1, tail_offset + inner_pos


def _array_region(data: bytes) -> tuple[int, int] | None:
    """Find [start, end) of the traceEvents array contents when it is the last key; else None."""
    return _region_from(data[: 1 << 20], data, 0)


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


def _file_chunks(path: str, size: int) -> list[tuple[int, int]] | None:
    """Chunk byte ranges of a big plain file, found by reading small windows (never the whole file)."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
        tail_offset = max(0, size - (1 << 16))
        fh.seek(tail_offset)
        tail = fh.read()
        region = _region_from(head, tail, tail_offset)
        if region is None:
            return None
        start, end = region
        ranges = []
        pos = start
        while pos < end:
            target = pos + CHUNK_BYTES
            if target >= end:
                ranges.append((pos, end))
                break
            fh.seek(target)
            cut = -1
            offset = target
            while cut < 0 and offset < end:
                window = fh.read(1 << 20)
                if not window:
                    break
                cut = window.find(b"\n{")
                if cut >= 0:
                    cut += offset
                else:
                    offset += len(window) - 1
                    fh.seek(offset)
            if cut < 0 or cut >= end:
                ranges.append((pos, end))
                break
            ranges.append((pos, cut + 1))
            pos = cut + 1
        return ranges


class _ChunkError(Exception):
    """A chunk did not decode on its own (a boundary inside an event, or bad JSON)."""


@dataclass(eq=False)
class _Chunk:
    """Columns extracted from one batch of events, with chunk-local string ids."""

    n_events: int
    strings: list[str]
    x: dict[str, np.ndarray]
    counters: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]]
    flows: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]
    thread_names: dict[tuple[int, int], str]
    process_names: dict[int, str]
    process_opids: dict[int, int]
    other_ph: int
    bad_ids: int
    skipped: int = 0  # per-op duplicate X events dropped before extraction


def _flag_bits_of(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, msgspec.Raw):
        try:
            value = _FLAGS_DECODER.decode(value)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return FLAG_OTHER
    if isinstance(value, str):
        value = [value]
    bits = 0
    for f in value or ():
        bits |= FLAG_BITS.get(f, FLAG_OTHER) if isinstance(f, str) else FLAG_OTHER
    return bits


def _hex_ids(raw_ids: list[Any]) -> tuple[list[int], int]:
    try:
        return [int(v, 16) if v else 0 for v in raw_ids], 0
    except (ValueError, TypeError):
        out, bad = [], 0
        for v in raw_ids:
            i = parse_id(v)
            if i is None or i < 0 or i >= 1 << 64:
                bad += v is not None
                i = 0
            out.append(i)
        return out, bad


def _extract(
    events: list[Any], fast: bool, keep_pids: frozenset[int] | None = None, raw_args: bool = False
) -> _Chunk:
    """Turn decoded events into columns (list comprehensions; no per-event Python loop body).

    With ``keep_pids`` (the Core Overview pids, found up front), X events of other pids — the
    per-QNN-op duplicates — are dropped before any per-field work. With ``raw_args`` the events'
    args are still undecoded bytes and only the kept events' args are parsed.
    """
    decode_args = _FAST_ARGS_DECODER.decode

    def args_of(e: Any) -> Any:
        return decode_args(e.args) if raw_args else e.args

    if keep_pids is not None and fast:
        x_index = [k for k, e in enumerate(events) if e.ph == "X" and e.pid in keep_pids]
        skipped = sum(1 for e in events if e.ph == "X") - len(x_index)
    else:
        x_index = [k for k, e in enumerate(events) if e.ph == "X"]
        skipped = 0
    xs = [events[k] for k in x_index]
    n = len(xs)
    empty = _EMPTY_FAST_ARGS if fast else _EMPTY_ARGS
    ar = [decode_args(e.args) for e in xs] if raw_args else [e.args or empty for e in xs]
    local: dict[str, int] = {"": 0}
    kernel = [
        local.setdefault(a.htp_op_type or e.name, len(local)) for e, a in zip(xs, ar, strict=True)
    ]
    qnn = [local.setdefault(a.qnn_op_name or "", len(local)) for a in ar]
    qtype = [local.setdefault(a.qnn_op_type or "", len(local)) for a in ar]
    ids, bad = _hex_ids([a.ID for a in ar])
    if fast:
        cache: dict[Any, int] = {}
        flags = [
            cache[f] if f in cache else cache.setdefault(f, _flag_bits_of(f))
            for f in (a.flags for a in ar)
        ]
    else:
        flags = [_flag_bits_of(a.flags) for a in ar]
    if fast:
        pid = np.fromiter((e.pid for e in xs), np.int64, n)
        tid = np.fromiter((e.tid for e in xs), np.int64, n)
        ts = np.fromiter((e.ts for e in xs), np.int64, n)
        dur = np.fromiter((e.dur for e in xs), np.int64, n)
    else:
        pid = np.array([_as_int(e.pid) for e in xs], dtype=np.int64)
        tid = np.array([_as_int(e.tid) for e in xs], dtype=np.int64)
        ts = np.array([int(e.ts) for e in xs], dtype=np.int64)
        dur = np.array([int(e.dur) for e in xs], dtype=np.int64)
    x = {
        "pid": pid,
        "tid": tid,
        "ts": ts,
        "dur": dur,
        "kernel": np.array(kernel, dtype=np.int32),
        "qnn": np.array(qnn, dtype=np.int32),
        "qtype": np.array(qtype, dtype=np.int32),
        "op_id": np.array(ids, dtype=np.uint64),
        "flags": np.array(flags, dtype=np.uint16),
        "dpc": np.array([int(a.dpc) if a.dpc is not None else -1 for a in ar], dtype=np.int64),
        "cpp": np.array([a.cpp if a.cpp is not None else np.nan for a in ar], dtype=np.float32),
        "start": np.array(
            [int(a.start_cycle) if a.start_cycle is not None else -1 for a in ar], dtype=np.int64
        ),
        "ordinal": np.array(x_index, dtype=np.int64),
    }
    counters: dict[tuple[int, str], tuple[list[int], list[float]]] = {}
    for e in events:
        if e.ph != "C":
            continue
        a = args_of(e)
        if a is not None and a.counter is not None:
            series = counters.setdefault((_as_int(e.pid), e.name), ([], []))
            series[0].append(int(e.ts))
            series[1].append(float(a.counter))
    fl = [e for e in events if e.ph in ("s", "f")]
    fids = []
    for e in fl:
        fid = parse_id(e.id) if e.id is not None else None
        fids.append(fid if fid is not None else -1)
    flows = (
        np.array(fids, dtype=np.int64),
        np.array([e.ph == "s" for e in fl], dtype=bool),
        np.array([int(e.ts) for e in fl], dtype=np.int64),
        np.array([_as_int(e.tid) for e in fl], dtype=np.int64),
        [e.cat for e in fl],
    )
    thread_names: dict[tuple[int, int], str] = {}
    process_names: dict[int, str] = {}
    process_opids: dict[int, int] = {}
    for e in events:
        if e.ph != "M":
            continue
        a = args_of(e)
        if a is None or a.name is None:
            continue
        p = _as_int(e.pid)
        if e.name == "thread_name":
            thread_names[(p, _as_int(e.tid))] = clean_text(a.name)
        elif e.name == "process_name":
            process_names[p] = clean_text(a.name)
            opid = parse_id(a.opid) if a.opid is not None else None
            if opid is not None:
                process_opids[p] = opid
    known = {"X", "C", "M", "s", "f"}
    return _Chunk(
        n_events=len(events),
        strings=list(local),
        x=x,
        counters={
            k: (np.array(v[0], dtype=np.int64), np.array(v[1], dtype=np.float64))
            for k, v in counters.items()
        },
        flows=flows,
        thread_names=thread_names,
        process_names=process_names,
        process_opids=process_opids,
        other_ph=sum(1 for e in events if e.ph not in known),
        bad_ids=bad,
        skipped=skipped,
    )


def _process_blob(blob: bytes, keep_pids: frozenset[int] | None = None) -> _Chunk:
    """Decode one chunk of events (fast typed decoder, tolerant one as fallback) into columns."""
    body = b"[" + blob + b"]"
    if keep_pids is not None:
        try:  # fastest: args decoded only for the kept (Core Overview) copies
            return _extract(
                _RAW_ARGS_DECODER.decode(body), fast=True, keep_pids=keep_pids, raw_args=True
            )
        except (msgspec.ValidationError, RecursionError, OverflowError, ValueError, TypeError):
            pass
        except msgspec.DecodeError as exc:
            raise _ChunkError(str(exc)) from None
    try:
        return _extract(_FAST_DECODER.decode(body), fast=True, keep_pids=keep_pids)
    except (msgspec.ValidationError, RecursionError, OverflowError, ValueError, TypeError):
        pass
    except msgspec.DecodeError as exc:
        raise _ChunkError(str(exc)) from None
    try:
        return _extract(_LIST_DECODER.decode(body), fast=False)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise _ChunkError(str(exc)) from None
    except RecursionError:
        raise _ChunkError("JSON nested too deeply") from None
    except (TypeError, ValueError, OverflowError) as exc:
        raise _ChunkError(f"unexpected value in an event ({exc})") from None


def _process_range(
    path: str, start: int, end: int, keep_pids: frozenset[int] | None = None
) -> _Chunk:
    """Worker entry: read one byte range of the file and decode it."""
    import gc

    gc.disable()
    with open(path, "rb") as fh:
        fh.seek(start)
        blob = fh.read(end - start)
    return _process_blob(_strip_chunk(blob), keep_pids)


def _scan_overview_pids(path: str) -> frozenset[int] | None:
    """Find the "Core N Overview" pids by scanning the file for process_name metadata lines.

    Reads the file in blocks (C-speed ``find``), so it costs a fraction of a decode and keeps no
    pages mapped. Returns None when the layout is unusual (then every X event is kept and the
    duplicates are dropped after decoding).
    """
    needle = b'"process_name"'
    block = 16 * 1024 * 1024
    pids: set[int] = set()
    with open(path, "rb") as fh:
        carry = b""
        while True:
            data = fh.read(block)
            buf = carry + data
            if not data:  # end of file: the last partial line is a line too
                body, carry = buf + b"\n", b""
            else:
                last_nl = buf.rfind(b"\n")
                if last_nl < 0:
                    carry = buf
                    continue
                body, carry = buf[: last_nl + 1], buf[last_nl + 1 :]
            pos = body.find(needle)
            while pos != -1:
                start = body.rfind(b"\n", 0, pos) + 1
                end = body.find(b"\n", pos)
                try:
                    ev = msgspec.json.decode(_strip_chunk(body[start:end]), type=_Event)
                except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
                    return None  # not one event per line: keep everything, de-duplicate later
                name = ev.args.name if ev.args is not None else None
                if name and _PROCESS_CORE_RE.match(name.strip()):
                    pids.add(_as_int(ev.pid))
                pos = body.find(needle, end)
            if not data:
                break
    return frozenset(pids) or None


_WORKER_CODE = "from htptui.model.chrometrace import _worker_main; _worker_main()"


def _worker_main() -> None:
    """Decode worker (a ``python -c`` subprocess): read (path, ranges, keep) from stdin, stream results."""
    import gc
    import pickle

    gc.disable()
    path, ranges, keep = pickle.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    for a, b in ranges:
        try:
            result: Any = _process_range(path, a, b, keep)
        except _ChunkError as exc:
            result = ("chunk-error", str(exc))
        pickle.dump(result, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()


class _Builder:
    """Merges chunk columns in order, re-interning chunk-local strings into one table."""

    def __init__(self) -> None:
        self.strings = StringTable()
        self.parts: dict[str, list[np.ndarray]] = {}
        self.counter_parts: dict[tuple[int, str], tuple[list[np.ndarray], list[np.ndarray]]] = {}
        self.flow_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]] = []
        self.thread_names: dict[tuple[int, int], str] = {}
        self.process_names: dict[int, str] = {}
        self.process_opids: dict[int, int] = {}
        self.other_ph = 0
        self.total = 0
        self.bad_ids = 0
        self.skipped = 0

    def add_chunk(self, chunk: _Chunk) -> None:
        remap = np.array([self.strings.intern(s) for s in chunk.strings], dtype=np.int32)
        for key, col in chunk.x.items():
            if key in ("kernel", "qnn", "qtype"):
                col = remap[col] if col.size else col
            elif key == "ordinal":
                col = col + self.total
            self.parts.setdefault(key, []).append(col)
        for name, (tsv, val) in chunk.counters.items():
            series = self.counter_parts.setdefault(name, ([], []))
            series[0].append(tsv)
            series[1].append(val)
        self.flow_parts.append(chunk.flows)
        self.thread_names.update(chunk.thread_names)
        self.process_names.update(chunk.process_names)
        self.process_opids.update(chunk.process_opids)
        self.other_ph += chunk.other_ph
        self.bad_ids += chunk.bad_ids
        self.skipped += chunk.skipped
        self.total += chunk.n_events

    def column(self, key: str, dtype: Any) -> np.ndarray:
        parts = self.parts.get(key)
        if not parts:
            return np.zeros(0, dtype=dtype)
        return np.concatenate(parts).astype(dtype, copy=False)

    @property
    def counters(self) -> dict[tuple[int, str], tuple[np.ndarray, np.ndarray]]:
        return {
            k: (np.concatenate(v[0]), np.concatenate(v[1])) for k, v in self.counter_parts.items()
        }

    def flow_column(self, k: int, dtype: Any) -> np.ndarray:
        cols = [p[k] for p in self.flow_parts]
        return np.concatenate(cols).astype(dtype, copy=False) if cols else np.zeros(0, dtype=dtype)

    @property
    def flow_cat(self) -> list[str]:
        return [c for p in self.flow_parts for c in p[4]]


def _as_int(value: int | str) -> int:
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return hash(value) & 0x7FFFFFFF


def _decode_whole(data: bytes, label: str) -> list[Any]:
    """Decode a whole document with the tolerant decoder (or raise a one-line InputError)."""
    _, head = _first_byte(data)
    try:
        if head == b"[":
            return _LIST_DECODER.decode(data)
        if head == b"{":
            return _OBJECT_DECODER.decode(data).traceEvents
        msgspec.json.decode(data)  # not JSON at all: let msgspec produce the error text
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
        raise InputError(label, describe_decode_error(exc, data)) from None
    raise InputError(label, "expected a JSON object with traceEvents or a JSON array of events")


def _chunks_in_memory(
    data: bytes, label: str, progress: ProgressFn | None
) -> tuple[list[_Chunk], list[tuple[int, int, int]]]:
    region = _array_region(data) if len(data) > CHUNK_BYTES else None
    ranges = list(_iter_chunks(data, *region)) if region is not None else []
    if len(ranges) > 1:
        try:
            out: list[_Chunk] = []
            spans = []
            first = 0
            for k, (a, b) in enumerate(ranges):
                out.append(_process_blob(_strip_chunk(data[a:b])))
                spans.append((first, a, b))
                first += out[-1].n_events
                if progress:
                    progress((k + 1) / len(ranges) * 0.85, "decoding events")
            return out, spans
        except _ChunkError:
            pass  # a boundary fell inside an event (unusual layout): decode the whole document
    events = _decode_whole(data, label)
    try:
        return [_extract(events, fast=False)], [(0, 0, len(data))]
    except (TypeError, ValueError, OverflowError) as exc:
        raise InputError(label, f"unexpected value in an event ({clean_text(str(exc))})") from None


def _chunks_serial(
    path: str,
    ranges: list[tuple[int, int]],
    progress: ProgressFn | None,
    keep_pids: frozenset[int] | None,
    done: int = 0,
) -> list[_Chunk]:
    out = []
    for a, b in ranges:
        out.append(_process_range(path, a, b, keep_pids))
        done += 1
        if progress:
            progress(done / (done + len(ranges) - len(out)) * 0.85, "decoding events")
    return out


def _chunks_parallel(
    path: str,
    ranges: list[tuple[int, int]],
    progress: ProgressFn | None,
    keep_pids: frozenset[int] | None = None,
    scan: bool = False,
) -> list[_Chunk]:
    """Decode chunks in worker subprocesses (chunk k on worker k mod n), results read back in order.

    Plain ``python -c`` subprocesses rather than multiprocessing: they never re-import the caller's
    ``__main__`` and work from threads. If a worker fails, the rest is decoded in this process.
    """
    import pickle
    import subprocess

    workers = max(1, min(MAX_WORKERS, os.cpu_count() or 1, len(ranges)))
    if workers == 1:
        if scan:
            keep_pids = _scan_overview_pids(path)
        return _chunks_serial(path, ranges, progress, keep_pids)
    import htptui

    env = dict(os.environ)
    src_root = str(Path(htptui.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = src_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    procs: list[subprocess.Popen[bytes]] = []
    out: list[_Chunk] = []
    try:
        for _ in range(workers):
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-c", _WORKER_CODE],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=env,
                )
            )
        if scan:  # while the workers import numpy and msgspec
            keep_pids = _scan_overview_pids(path)
        for w, proc in enumerate(procs):
            assert proc.stdin is not None
            pickle.dump((path, ranges[w::workers], keep_pids), proc.stdin)
            proc.stdin.close()
        for k in range(len(ranges)):
            proc = procs[k % workers]
            try:
                result = pickle.load(proc.stdout)  # type: ignore[arg-type]
            except (EOFError, pickle.UnpicklingError, OSError):
                # a worker died (no memory, killed, broken environment): finish here, serially
                return out + _chunks_serial(path, ranges[k:], progress, keep_pids, done=k)
            if isinstance(result, tuple):
                raise _ChunkError(str(result[1]))
            out.append(result)
            if progress:
                progress((k + 1) / len(ranges) * 0.85, "decoding events")
        return out
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def load(
    path: str | Path | None = None,
    *,
    data: bytes | None = None,
    label: str | None = None,
    progress: ProgressFn | None = None,
) -> OpTrace:
    """Load an op trace from a path (plain or gzip) or from bytes, into an :class:`OpTrace`."""
    import gc

    from htptui.model import cache

    label = label or (str(path) if path is not None else "<stdin>")
    size = 0
    if data is None and path is not None:
        try:
            size = os.path.getsize(path)
        except OSError:
            size = 0
    if size > cache.CACHE_ABOVE:
        cached = cache.load(path)  # memory-mapped columns of an earlier decode of this exact file
        if cached is not None:
            cached.source = label
            if progress:
                progress(1.0, "loaded from the column cache")
            return cached
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of short-lived objects: the cyclic GC only costs time here
    try:
        trace = _load(path, data, label, progress)
    finally:
        if gc_was_enabled:
            gc.enable()
    if size > cache.CACHE_ABOVE:
        if progress:
            progress(1.0, "saving the column cache")
        cache.save(path, trace)
    return trace


def _load(
    path: str | Path | None, data: bytes | None, label: str, progress: ProgressFn | None
) -> OpTrace:
    chunks: list[_Chunk] | None = None
    spans: list[tuple[int, int, int]] = []
    gzipped = False
    keep_raw: bytes | None = None
    if data is None:
        if path is None:
            raise ValueError("load() needs a path or data")
        size = check_regular(path, label).st_size
        limit = read_limit("op_trace")
        if size > limit:
            raise InputError(
                label,
                f"{size:,} bytes is larger than the {limit:,}-byte op trace read limit "
                "(raise it with HTPTUI_MAX_OP_TRACE_BYTES)",
            )
        with open_regular(path, label) as fh:
            try:
                magic = fh.read(2)
            except OSError as exc:
                raise InputError(label, f"cannot read: {exc.strerror or exc}") from None
        if size > PARALLEL_ABOVE and not is_gzip(magic):
            ranges = _file_chunks(str(path), size)
            if ranges is not None and len(ranges) > 1:
                with open(path, "rb") as fh:
                    head = fh.read(4096)
                _check_header(head, label)
                try:
                    chunks = _chunks_parallel(str(path), ranges, progress, scan=True)
                    first = 0
                    for (a, b), ch in zip(ranges, chunks, strict=True):
                        spans.append((first, a, b))
                        first += ch.n_events
                    shape = "bare-list" if _first_byte(head)[1] == b"[" else "object"
                except _ChunkError:
                    chunks = None
                    spans = []
        if chunks is None:
            try:
                with open_regular(path, label) as fh:
                    data = fh.read()
            except OSError as exc:
                raise InputError(label, f"cannot read: {exc.strerror or exc}") from None
    if chunks is None:
        assert data is not None
        gzipped = is_gzip(data)
        if gzipped:
            data = maybe_gunzip(data, label, "op_trace")
        pos, first_byte = _first_byte(data)
        if not first_byte:
            raise InputError(label, "empty file (0 bytes of JSON)")
        shape = "bare-list" if first_byte == b"[" else "object"
        if shape == "object":
            _check_header(data[:4096], label)
        chunks, spans = _chunks_in_memory(data, label, progress)
        if len(data) < KEEP_RAW_BELOW:
            keep_raw = data
    builder = _Builder()
    for ch in chunks:
        builder.add_chunk(ch)
    del chunks
    if progress:
        progress(0.9, "building columns")
    trace = _finish(builder, label, shape, gzipped)
    if keep_raw is not None:
        trace._raw = keep_raw  # small: keep the bytes for on-demand args decoding
    elif path is not None and not gzipped:
        trace._chunks = spans  # big plain file: re-read one chunk on demand
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


_RANGE_WHAT = {
    "ts": "a ts",
    "dur": "a dur",
    "start": "a Start Cycle",
    "dpc": "a Dominant Path Cycles",
}


def _check_ranges(label: str, **cols: np.ndarray) -> None:
    """Refuse cycle values (and pids/tids) too large for the int64 arithmetic done on them."""
    for name, col in cols.items():
        if not col.size:
            continue
        limit = MAX_PID_TID if name in ("pid", "tid") else MAX_CYCLES
        lo, hi = int(col.min()), int(col.max())
        bad = hi if hi >= limit else lo if lo <= -limit else None
        if bad is not None:
            what = f"a {name}" if name in ("pid", "tid") else _RANGE_WHAT[name]
            raise InputError(
                label,
                f"{what} value of {bad} is out of range (must be below 2**{limit.bit_length() - 1})",
            )


def _drop_exact_duplicates(
    keep: np.ndarray,
    pid: np.ndarray,
    op_id: np.ndarray,
    tid: np.ndarray,
    ts: np.ndarray,
    dur: np.ndarray,
) -> int:
    """Clear ``keep`` on every repeat of a kept event with the same (pid, ID, tid, ts, dur).

    A doubled event inside one Core Overview process would count its op twice (a lane above 100 %
    utilisation). A 1-D hash sort finds candidates fast; candidates are confirmed on the exact key.
    Events without an ID are left alone. Returns how many were dropped.
    """
    idx = np.flatnonzero(keep & (op_id != 0))
    if idx.size < 2:
        return 0
    with np.errstate(over="ignore"):
        h = op_id[idx].astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        h ^= ts[idx].astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
        h ^= dur[idx].astype(np.uint64) * np.uint64(0x165667B19E3779F9)
        h ^= (tid[idx].astype(np.uint64) << np.uint64(20)) ^ pid[idx].astype(np.uint64)
    hs = np.sort(h)
    if not (hs[1:] == hs[:-1]).any():
        return 0  # the common case: one sort, no repeats
    order = np.argsort(h, kind="stable")
    hs = h[order]
    same = np.flatnonzero(hs[1:] == hs[:-1])
    dropped = 0
    seen: set[tuple[int, int, int, int, int]] = set()
    cand = np.unique(np.concatenate([order[same], order[same + 1]]))
    for j in np.sort(cand).tolist():  # original order: the first copy is kept
        i = int(idx[j])
        key = (int(pid[i]), int(op_id[i]), int(tid[i]), int(ts[i]), int(dur[i]))
        if key in seen:
            keep[i] = False
            dropped += 1
        else:
            seen.add(key)
    return dropped


def _finish(b: _Builder, label: str, shape: str, gzipped: bool) -> OpTrace:
    warnings: list[str] = []
    pid = b.column("pid", np.int64)
    tid = b.column("tid", np.int64)
    ts = b.column("ts", np.int64)
    dur = b.column("dur", np.int64)
    kernel = b.column("kernel", np.int32)
    qnn = b.column("qnn", np.int32)
    qtype = b.column("qtype", np.int32)
    op_id = b.column("op_id", np.uint64)
    flags = b.column("flags", np.uint16)
    dpc = b.column("dpc", np.int64)
    cpp = b.column("cpp", np.float32)
    start = b.column("start", np.int64)
    ordinal = b.column("ordinal", np.int64)
    b.parts.clear()
    _check_ranges(label, pid=pid, tid=tid, ts=ts, dur=dur, start=start, dpc=dpc)

    overview_core: dict[int, int] = {}
    for p, name in b.process_names.items():
        m = _PROCESS_CORE_RE.match(name.strip())
        if m:
            overview_core[p] = int(m.group(1))

    # which X events are the canonical copy of an executed op
    if overview_core:
        keep = np.isin(pid, np.fromiter(overview_core, dtype=np.int64))
        doubled = _drop_exact_duplicates(keep, pid, op_id, tid, ts, dur)
        if doubled:
            warnings.append(
                f"{doubled} exact duplicate events inside a Core Overview process (same ID, lane, "
                "ts, dur) dropped: each op counts once"
            )
        duplicates = int(pid.size - keep.sum()) + b.skipped
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
    lane_col = np.full(pid.size, -1, dtype=np.int32)
    kept_idx = np.flatnonzero(keep)
    # one int64 key per (pid, tid) pair: a 1-D unique is far faster than np.unique(axis=0)
    pair_key = (pid[kept_idx] << 32) | (tid[kept_idx] & 0xFFFFFFFF)
    uniq_keys, pair_inverse = np.unique(pair_key, return_inverse=True)
    pairs = [(int(k) >> 32, int(k) & 0xFFFFFFFF) for k in uniq_keys.tolist()]
    pairs = [(pp, tt - (1 << 32) if tt >= 1 << 31 else tt) for pp, tt in pairs]
    pair_lane: dict[tuple[int, int], int] = {}
    for p, t in pairs:
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
    pair_pos = {pair: k for k, pair in enumerate(pairs)}
    for (p, t), v in pair_lane.items():
        sel = kept_idx[pair_inverse == pair_pos[(p, t)]]
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

    # counters belong to the core whose Overview process carries them (core 0 otherwise)
    merged: dict[tuple[int, str], tuple[list[np.ndarray], list[np.ndarray]]] = {}
    for (cpid, name), (tsv, val) in b.counters.items():
        entry = merged.setdefault((overview_core.get(cpid, 0), name), ([], []))
        entry[0].append(tsv)
        entry[1].append(val)
    core_counters: dict[int, dict[str, Counters]] = {}
    for (core, name), (tsl, vall) in sorted(merged.items()):
        tsv = np.concatenate(tsl).astype(np.int64)
        val = np.concatenate(vall).astype(np.float64)
        o = np.argsort(tsv, kind="stable")
        core_counters.setdefault(core, {})[name] = Counters(name=name, ts=tsv[o], value=val[o])
    counters = core_counters[min(core_counters)] if core_counters else {}
    flows = Flows(
        flow_id=b.flow_column(0, np.int64),
        is_start=b.flow_column(1, bool),
        ts=b.flow_column(2, np.int64),
        tid=b.flow_column(3, np.int64),
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
        dpc_event=dpc[order],
        cpp=cpp[order],
        start_cycle=start[order],
        ordinal=ordinal[order],
        non_executed=non_executed,
        counters=counters,
        core_counters=core_counters,
        flows=flows,
        process_names=dict(b.process_names),
        qnn_op_ids=qnn_op_ids,
        shape=shape,
        gzipped=gzipped,
        total_events=b.total,
        duplicate_events=duplicates,
        warnings=warnings,
    )


if __name__ == "__main__":  # pragma: no cover - manual check
    t = load(sys.argv[1])
    print(len(t), "executed ops;", [ln.label for ln in t.lanes])
