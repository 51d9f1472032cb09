"""Counter events read straight from the bytes, for chunks made only of the SDK's counter lines.

``qnn-profile-viewer`` writes every counter event (``ph: "C"``, 85 % of a real trace's events) on
one line of one fixed form::

    { "name": "VTCM alloc", "ph": "C", "tid":0, "pid":0, "ts":22, "args": {"": 65536}},

A chunk whose every line has exactly that form (unsigned integers, a name without escapes) is read
here with numpy: one pass for the line ends, then a few vector operations per field, never a
Python object per event. Anything else (another phase, spacing, a float, a negative or huge
number, an escape, a CR, a blank line, more than :data:`MAX_NAMES` names) returns None and the
chunk takes the JSON decoder, so the columns are always the ones the decoder gives (a test
compares them on drawn and hostile chunks).
"""

from __future__ import annotations

import numpy as np

_HEAD = b'{ "name": "'
_MID = b'", "ph": "C", "tid":'
_PID = b', "pid":'
_TS = b', "ts":'
_ARGS = b', "args": {"": '
_END = b"}}"

#: more distinct counter names than this in one chunk: not the SDK's form, the decoder reads it
MAX_NAMES = 64

#: digits at most in a number (below 10**18 < 2**62, the loader's cycle limit; more: the decoder)
MAX_DIGITS = 18

#: pids from 2**31 on: the decoder's path (which words the problem)
MAX_PID = 1 << 31

_LOW7 = np.uint64((1 << 56) - 1)

Series = dict[tuple[int, str], tuple[np.ndarray, np.ndarray]]


def looks_like_counters(view: memoryview) -> bool:
    """Cheap test: the chunk ``[<events>]`` opens and closes with a counter line."""
    n = len(view)
    if n < 140 or view[1:12] != _HEAD:
        return False
    head = bytes(view[1:512])
    line = head[: head.find(b"\n")] if b"\n" in head else head
    if _MID not in line:
        return False
    tail = bytes(view[max(1, n - 512) :])
    last = tail[tail.rfind(b"\n") + 1 :]
    return last.startswith(_HEAD) and _MID in last


class _Bytes:
    """The chunk's bytes, with reads that never leave the buffer (a read past it is clipped: the
    line then fails a later check, since every accepted line's reads lie inside that line)."""

    __slots__ = ("a", "w8", "last", "last8")

    def __init__(self, view: memoryview) -> None:
        a = np.frombuffer(view, dtype=np.uint8)
        self.a = a
        self.last = a.size - 1
        # the little-endian uint64 of the 8 bytes at every position (a strided view, no copy)
        self.w8 = np.lib.stride_tricks.as_strided(a, shape=(a.size - 7, 8), strides=(1, 1)).view(
            "<u8"
        )[:, 0]
        self.last8 = a.size - 8

    def byte(self, pos: np.ndarray) -> np.ndarray:
        return self.a[np.minimum(pos, self.last)]

    def has(self, pos: np.ndarray, lit: bytes) -> bool:
        """Whether ``lit`` is written at every position of ``pos``."""
        k = 0
        while k + 8 <= len(lit):
            want = np.uint64(int.from_bytes(lit[k : k + 8], "little"))
            if not (self.w8[np.minimum(pos + k, self.last8)] == want).all():
                return False
            k += 8
        rest = lit[k:]
        if len(rest) == 7:
            want = np.uint64(int.from_bytes(rest, "little"))
            got = self.w8[np.minimum(pos + k, self.last8)] & _LOW7
            return bool((got == want).all())
        return all((self.byte(pos + k + j) == c).all() for j, c in enumerate(rest))

    def uint(self, pos: np.ndarray, stop: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The JSON unsigned integer at every position, each followed by the byte ``stop``: their
        values and the positions of those stop bytes; None when one is not such a number."""
        m = pos.size
        value = np.zeros(m, dtype=np.int64)
        end = pos.copy()
        first = self.byte(pos)
        if not ((first - 48) < 10).all():
            return None
        live = np.arange(m)
        for k in range(MAX_DIGITS + 1):
            digit = self.byte(end[live]) - np.uint8(48)
            more = digit < 10
            if not more.all():
                ended = live[~more]
                if not (self.byte(end[ended]) == stop).all():
                    return None
                live, digit = live[more], digit[more]
                if not live.size:
                    break
            if k == MAX_DIGITS:
                return None  # too many digits
            value[live] = value[live] * 10 + digit
            end[live] += 1
        if ((first == 48) & (end - pos > 1)).any():
            return None  # a leading zero: not JSON
        return value, end


def _name_at(view: memoryview, start: int, end: int) -> tuple[bytes, str] | None:
    """The name of the counter line [start, end): its bytes and text, when written plainly."""
    line = bytes(view[start:end])
    close = line.find(b'"', len(_HEAD))
    if close < 0:
        return None
    raw = line[len(_HEAD) : close]
    if b"\\" in raw or any(c < 0x20 for c in raw):
        return None  # an escape or a raw control character: the decoder decides
    try:
        return raw, raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_counter_chunk(view: memoryview) -> tuple[int, Series] | None:
    """(event count, counter series) of a chunk ``[<events>]`` made only of SDK counter lines,
    exactly as the decoder's path groups them: by (pid, name) in order of first appearance, each
    series in event order, values as float64; None when the chunk is anything else."""
    b = _Bytes(view)
    a = b.a
    n = a.size
    if n < 3 or a[0] != 0x5B or a[-1] != 0x5D:
        return None
    nl = np.flatnonzero(a == 10)
    if nl.size and not (a[nl - 1] == 0x2C).all():
        return None  # each line but the last ends with a comma
    starts = np.empty(nl.size + 1, dtype=np.int64)
    starts[0] = 1
    starts[1:] = nl + 1
    ends = np.empty(nl.size + 1, dtype=np.int64)  # the comma (or the final ']') after each event
    ends[:-1] = nl - 1
    ends[-1] = n - 1
    if not b.has(starts, _HEAD):
        return None
    # names: few per chunk; each is matched across the lines still unnamed, 8 bytes at a time
    name_pos = starts + len(_HEAD)
    code = np.full(starts.size, -1, dtype=np.int64)
    after_name = np.empty(starts.size, dtype=np.int64)
    names: list[str] = []
    rest = np.arange(starts.size)
    while rest.size:
        if len(names) == MAX_NAMES:
            return None
        r = int(rest[0])
        got = _name_at(view, int(starts[r]), int(ends[r]))
        if got is None:
            return None
        raw, text = got
        lit = raw + b'"'
        cand = rest
        k = 0
        while k < len(lit) and cand.size:
            piece = lit[k : k + 8]
            if len(piece) == 8:
                want = np.uint64(int.from_bytes(piece, "little"))
                cand = cand[b.w8[np.minimum(name_pos[cand] + k, b.last8)] == want]
                k += 8
            else:
                cand = cand[b.byte(name_pos[cand] + k) == piece[0]]
                k += 1
        code[cand] = len(names)
        after_name[cand] = name_pos[cand] + len(raw)
        names.append(text)
        rest = rest[code[rest] < 0]
    if not b.has(after_name, _MID):
        return None
    tid = b.uint(after_name + len(_MID), 0x2C)
    if tid is None or not b.has(tid[1], _PID):
        return None
    pid = b.uint(tid[1] + len(_PID), 0x2C)
    if pid is None or not b.has(pid[1], _TS) or int(pid[0].max()) >= MAX_PID:
        return None
    ts = b.uint(pid[1] + len(_TS), 0x2C)
    if ts is None or not b.has(ts[1], _ARGS):
        return None
    val = b.uint(ts[1] + len(_ARGS), 0x7D)
    if val is None or not b.has(val[1], _END) or not (val[1] + len(_END) == ends).all():
        return None
    return starts.size, _series(names, code, pid[0], ts[0], val[0].astype(np.float64))


def _series(
    names: list[str], code: np.ndarray, pid: np.ndarray, ts: np.ndarray, value: np.ndarray
) -> Series:
    """Group the events by (pid, name) in order of first appearance, each in event order."""
    if (pid == pid[0]).all():
        key = code
        p0 = int(pid[0])
        labels = [(p0, nm) for nm in names]  # names are numbered in order of first appearance
        order = list(range(len(names)))
    else:
        key = pid * len(names) + code  # pid < 2**31, code < MAX_NAMES: no overflow
        uniq, first = np.unique(key, return_index=True)
        by_first = np.argsort(first, kind="stable")
        order = uniq[by_first].tolist()
        labels = [(int(k) // len(names), names[int(k) % len(names)]) for k in order]
    if len(order) == 1:
        return {labels[0]: (ts, value)}
    out: Series = {}
    for k, label in zip(order, labels, strict=True):
        sel = np.flatnonzero(key == k)
        out[label] = (ts[sel], value[sel])
    return out
