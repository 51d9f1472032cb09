"""Cutting a trace file into event-aligned byte ranges, reading them into a reused buffer, and
reading the pid layout from the file's tail (a hint, verified after the decode) or a full scan.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import msgspec

import htptui.model.chrometrace as _pkg
from htptui.model._io import (
    clean_text,
    parse_id,
)
from htptui.model.chrometrace.wire import (
    _PROCESS_CORE_RE,
    _TAIL_DECODER,
    _as_int,
    _Event,
)


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
        target = pos + _pkg.CHUNK_BYTES
        if target >= end:
            yield pos, end
            return
        cut = data.find(b"\n{", target, end)
        if cut < 0:
            yield pos, end
            return
        yield pos, cut + 1
        pos = cut + 1


def _chunk_bytes(size: int) -> int:
    """Chunk size for a file of ``size`` bytes: CHUNK_BYTES, smaller for a smaller file so that each
    worker gets about CHUNKS_PER_WORKER chunks (a worker's memory is a few chunks' objects, and the
    last chunks balance better), never below MIN_CHUNK_BYTES (each chunk has a fixed cost)."""
    workers = max(1, min(_pkg.MAX_WORKERS, os.cpu_count() or 1))
    want = size // (workers * _pkg.CHUNKS_PER_WORKER)
    return min(_pkg.CHUNK_BYTES, max(_pkg.MIN_CHUNK_BYTES, want))


def _file_chunks(path: str, size: int) -> list[tuple[int, int]] | None:
    """Chunk byte ranges of a big plain file, found by reading small windows (never the whole file)."""
    chunk_bytes = _chunk_bytes(size)
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
            target = pos + chunk_bytes
            if target >= end:
                ranges.append((pos, end))
                break
            fh.seek(target)
            cut = -1
            offset = target
            while cut < 0 and offset < end:
                window = fh.read(1 << 16)  # an event line is far shorter; read on if not
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


_WS = b" \t\r\n"


#: spare bytes after a read buffer's events: the byte-level readers (``eventlines``) load 8 bytes
#: at a time and may read a few past the closing bracket
READ_SLACK = 16


def read_buffer(nbytes: int) -> bytearray:
    """A buffer for :func:`_read_range_into` of a range of up to ``nbytes`` bytes."""
    return bytearray(nbytes + 2 + READ_SLACK)


def _read_range_into(fh: Any, buf: bytearray, start: int, end: int) -> memoryview:
    """Read [start, end) of ``fh`` into the reused ``buf`` as ``[<events>]`` (no fresh copy).

    Mirrors :func:`_strip_chunk`: surrounding whitespace and one trailing comma are dropped.
    """
    n = end - start
    mv = memoryview(buf)
    fh.seek(start)
    got = 0
    while got < n:
        k = fh.readinto(mv[1 + got : 1 + n])
        if not k:
            break
        got += k
    e = got  # index of the last byte read (bytes sit at 1..got)
    while e >= 1 and buf[e] in _WS:
        e -= 1
    if e >= 1 and buf[e] == 0x2C:  # one trailing comma
        e -= 1
    buf[0] = 0x5B  # [
    buf[e + 1] = 0x5D  # ]
    return mv[: e + 2]


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


def _tail_events(tail: bytes, partial_first: bool) -> list[_Event]:
    """The events of the whole lines of ``tail`` (the first line dropped when ``partial_first``).

    One decode of all the lines as one array when they hold whole events (the SDK writes one per
    line); else line by line, skipping what does not decode on its own.
    """
    start = tail.find(b"\n") + 1 if partial_first else 0
    if partial_first and start == 0:
        return []
    body = tail[start:].strip()
    if body.endswith(b"]}"):  # the last event, closing the array and the object
        body = body[:-2].rstrip()
    elif body.endswith(b"]"):  # the last event of a bare list
        body = body[:-1].rstrip()
    if body.endswith(b","):
        body = body[:-1]
    if body[:1] == b"{":
        try:
            return _TAIL_LIST_DECODER.decode(b"[" + body + b"]")
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            pass
    events = []
    decode = _TAIL_DECODER.decode
    for line in tail[start:].split(b"\n"):
        line = line.strip()
        if line[:1] != b"{":
            continue
        if line.endswith(b","):
            line = line[:-1]
        elif line.endswith(b"]}"):  # the last event, closing the array and the object
            line = line[:-2].rstrip()
        elif line.endswith(b"]"):  # the last event of a bare list
            line = line[:-1].rstrip()
        try:
            events.append(decode(line))
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            continue
    return events


_TAIL_LIST_DECODER = msgspec.json.Decoder(list[_Event])


@dataclass
class TailLayout:
    """What the file's last bytes say: Core Overview pids, metadata, and the last event's time."""

    overview_pids: frozenset[int]
    process_names: dict[int, str]
    process_opids: dict[int, int]
    thread_names: dict[tuple[int, int], str]
    ts_max: int | None  # largest ts + dur among the tail's events (counters close the timeline)


def read_tail(path: str, size: int, nbytes: int | None = None) -> TailLayout | None:
    """Decode the whole lines of the file's last ``nbytes`` bytes (one event per line, SDK layout).

    Returns None when the tail names no ``Core N Overview`` process: the caller then scans the
    whole file. What it returns is a hint, checked against the full metadata after the decode.
    """
    if nbytes is None:
        nbytes = _pkg.TAIL_BYTES
    offset = max(0, size - nbytes)
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            tail = fh.read(nbytes)
    except OSError:
        return None
    events = _tail_events(tail, bool(offset))
    pids: set[int] = set()
    process_names: dict[int, str] = {}
    process_opids: dict[int, int] = {}
    thread_names: dict[tuple[int, int], str] = {}
    ts_max: int | None = None
    for ev in events:
        try:
            end = int(ev.ts) + int(ev.dur)
        except (TypeError, ValueError, OverflowError):
            end = None
        if end is not None and (ts_max is None or end > ts_max):
            ts_max = end
        if ev.ph != "M" or ev.args is None or ev.args.name is None:
            continue
        p = _as_int(ev.pid)
        if ev.name == "process_name":
            name = clean_text(ev.args.name)
            process_names[p] = name
            if _PROCESS_CORE_RE.match(name.strip()):
                pids.add(p)
            opid = parse_id(ev.args.opid) if ev.args.opid is not None else None
            if opid is not None:
                process_opids[p] = opid
        elif ev.name == "thread_name":
            thread_names[(p, _as_int(ev.tid))] = clean_text(ev.args.name)
    if not pids:
        return None
    return TailLayout(frozenset(pids), process_names, process_opids, thread_names, ts_max)


def _overview_pids_of(process_names: dict[int, str]) -> frozenset[int] | None:
    pids = frozenset(p for p, n in process_names.items() if _PROCESS_CORE_RE.match(n.strip()))
    return pids or None
