"""The file's wire format: msgspec structs and decoders for trace events (only the fields used).

Three decoders, fastest first: a tagged union on ``ph`` (X args kept raw), strictly typed events,
and tolerant events; a chunk that does not fit one falls to the next.
"""

from __future__ import annotations

import re
from operator import attrgetter

import msgspec

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


_UNIT_RE = re.compile(r"Type:\s*(HMX|HVX|DMA)\b", re.IGNORECASE)


_THREAD_CORE_RE = re.compile(r"Core:\s*(\d{1,6})(?!\d)")


_PROCESS_CORE_RE = re.compile(r"^Core (\d{1,6}) Overview$")  # more digits: not a core number
#: ts, dur, Start Cycle and DPC must stay below this (cycles; sums of two never overflow int64)
MAX_CYCLES = 1 << 62
#: pids and tids must fit in 32 bits (they are packed into one int64 key)
MAX_PID_TID = 1 << 31


NON_EXECUTED_LANE = "Non Executed Tensors"


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


def _raw_empty() -> msgspec.Raw:
    return msgspec.Raw(b"{}")


class _TagEvent(msgspec.Struct, gc=False, tag_field="ph"):
    """The strict event fields of :class:`_StrictEvent`, with ``ph`` as the union's tag."""

    name: str = ""
    pid: int = 0
    tid: int = 0
    ts: int = 0
    dur: int = 0
    id: int | None = None
    cat: str = ""


class _XEv(_TagEvent, tag="X", gc=False):
    args: msgspec.Raw = msgspec.field(default_factory=_raw_empty)  # decoded for kept pids only


class _CounterArgs(msgspec.Struct, gc=False):
    """A counter's args: only the value under the empty key (a one-field struct is cheapest)."""

    counter: float | None = msgspec.field(name="", default=None)


class _CEv(_TagEvent, tag="C", gc=False):
    args: _CounterArgs = msgspec.field(default_factory=_CounterArgs)


class _MEv(_TagEvent, tag="M", gc=False):
    args: _FastArgs = msgspec.field(default_factory=_FastArgs)


class _SEv(_TagEvent, tag="s", gc=False):
    args: msgspec.Raw = msgspec.field(default_factory=_raw_empty)


class _FEv(_TagEvent, tag="f", gc=False):
    args: msgspec.Raw = msgspec.field(default_factory=_raw_empty)


# One decoder call sorts events by phase into typed structs; another phase (or a missing ph) is a
# ValidationError and the chunk takes the previous path.
_TAGGED_DECODER = msgspec.json.Decoder(list[_XEv | _CEv | _MEv | _SEv | _FEv])


_GET_PID = attrgetter("pid")


_GET_TID = attrgetter("tid")


_GET_TS = attrgetter("ts")


_GET_DUR = attrgetter("dur")


_GET_ARGS = attrgetter("args")


_GET_NAME = attrgetter("name")


_GET_COUNTER = attrgetter("args.counter")


_GET_HTP = attrgetter("htp_op_type")


_GET_QNN = attrgetter("qnn_op_name")


_GET_QTYPE = attrgetter("qnn_op_type")


_GET_ID = attrgetter("ID")


_GET_FLAGS = attrgetter("flags")


_GET_DPC = attrgetter("dpc")


_GET_CPP = attrgetter("cpp")


_GET_START = attrgetter("start_cycle")


def _as_int(value: int | str) -> int:
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return hash(value) & 0x7FFFFFFF


_TAIL_DECODER = msgspec.json.Decoder(_Event)
