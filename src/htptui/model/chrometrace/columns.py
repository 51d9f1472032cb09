"""The loaded op trace as columns: :class:`OpTrace`, its string table, lanes, counters and flows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec
import numpy as np

from htptui.model._io import MAX_NAME_CHARS, clean_text, fmt_id
from htptui.model.chrometrace import inputs
from htptui.model.chrometrace.chunking import _array_bytes, _strip_chunk
from htptui.model.chrometrace.wire import _RAW_LIST_DECODER

T = TypeVar("T")

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

    @classmethod
    def from_shown(cls, names: list[str]) -> StringTable | None:
        """The table of ``names`` as :meth:`intern` left them (``names[0] == ""``, every name
        already made safe by clean_text, no repeats); None when they are not (a damaged cache)."""
        if not names or names[0] != "":
            return None
        table = cls()
        table.names = list(names)
        table._index = {text: k for k, text in enumerate(table.names)}
        if len(table._index) != len(table.names):
            return None
        fast = max(map(len, table.names)) <= MAX_NAME_CHARS and all(
            map(str.isprintable, table.names)
        )  # then clean_text leaves every name as it is
        if not fast and any(clean_text(t) != t for t in table.names):  # rarely needed
            return None
        return table

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
    extent_hint: tuple[int, int] | None = None  # a partial trace: the whole trace's time range
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
        # what dpc.resolve starts from, with the columns it was computed from (reused, not redone)
        self._trace_only_dpc = (
            (self.op_id, self.dur, self.dpc_event), (self.dpc, self.dpc_source, self.tiled)
        )  # fmt: skip

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def derived(self, name: str, inputs: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """A figure computed from some of this trace's columns, once per identity of ``inputs``.

        Panes and analyses ask per key for whole-trace per-op columns (ends, clamped DPC, unit
        bits); this keeps one copy per (name, input arrays) and recomputes when a column is
        replaced (``load_run`` swaps ``dpc`` after the QHAS join). Arrays returned are read-only.
        """
        cache = self.__dict__.setdefault("_derived", {})
        hit = cache.get(name)
        if (
            hit is not None
            and len(hit[0]) == len(inputs)
            and all(a is b for a, b in zip(hit[0], inputs, strict=True))
        ):
            return hit[1]  # type: ignore[no-any-return]
        value = compute()
        for v in value if isinstance(value, tuple) else (value,):
            if isinstance(v, np.ndarray):
                v.flags.writeable = False
        cache[name] = (inputs, value)
        return value

    @property
    def end(self) -> np.ndarray:
        """End cycle of every op (ts + dur), computed once per (ts, dur) pair of arrays and
        read-only: panes index it per key (``t.end[i]``), which must not add N cycles each time."""
        return self.derived("end", (self.ts, self.dur), lambda: self.ts + self.dur)

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

    def _chunk_of(self, ordinal: int) -> tuple[int, int, int] | None:
        """The (first ordinal, start, end) of the chunk holding event ``ordinal``, if any."""
        chosen = None
        for first, start, end in self._chunks:
            if ordinal < first:
                break
            chosen = (first, start, end)
        return chosen

    def _args_by_line(self, ordinal: int, i: int) -> dict[str, Any] | None:
        """Args of op ``i`` when its chunk holds one event per line (SDK output does).

        The first visit of a chunk finds its line starts with numpy (the read and the scan release
        the GIL, so a worker doing this leaves the UI thread free); then only that one line is read
        and decoded. None when the layout differs (the caller decodes the whole chunk instead).
        """
        chosen = self._chunk_of(ordinal)
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
        chosen = self._chunk_of(ordinal)
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
        return inputs.inputs_csr(self.ordinal, self._inputs_chunks())

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
                yield 0, inputs.INPUTS_LIST_DECODER.decode(blob)
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
                yield first, inputs.INPUTS_LIST_DECODER.decode(blob)
            except (msgspec.DecodeError, msgspec.ValidationError):
                try:
                    yield first, _RAW_LIST_DECODER.decode(blob)
                except msgspec.DecodeError:
                    continue


ProgressFn = Callable[[float, str], None]
PartialFn = Callable[[OpTrace, float], None]
