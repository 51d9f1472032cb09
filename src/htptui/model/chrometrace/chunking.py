"""Byte-level chunking of a trace file: the ``traceEvents`` array's region and cuts at event boundaries
(32 MB by default), so a chunk decodes alone and peak memory stays near one chunk.
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

CHUNK_BYTES = 32 * 1024 * 1024


KEEP_RAW_BELOW = 64 * 1024 * 1024


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
