"""The wire format: msgspec structs holding only the event fields htptui reads, their decoders, and the
SDK's flag names as bits.
"""

from __future__ import annotations

from typing import Any

import msgspec

from htptui.model._io import parse_id

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


def _as_int(value: int | str) -> int:
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return hash(value) & 0x7FFFFFFF
