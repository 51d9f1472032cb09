"""Counter and flow events read straight from the bytes, for chunks made only of the SDK's lines.

``qnn-profile-viewer`` writes every counter event (``ph: "C"``, 85 % of a real trace's events)
and every flow event (``ph: "s"``/``"f"``) on one line of one fixed form::

    { "name": "VTCM alloc", "ph": "C", "tid":0, "pid":0, "ts":22, "args": {"": 65536}},
    { "cat": "input_output", "name": "InputOutputFlowEvents", "tid": 1, "pid": 0, "ts": 17, "ph": "s", "id": 1},
    { "cat": "input_output", "name": "InputOutputFlowEvents", "tid": 256, "pid": 0, "ts": 22, "ph": "f", "pb": "e", "id": 1},

A chunk whose every line has exactly one of those forms (all counters, or all flows; unsigned
integers, strings without escapes) is read here with numpy: one pass for the line ends, then a
few vector operations per field, never a Python object per event. Anything else (another phase,
other spacing, a float, a negative or huge number, an escape, a CR, a blank line, more than
:data:`MAX_STRINGS` distinct names) returns None and the chunk takes the JSON decoder, so the
columns are always the decoder's (a test compares them on drawn and hostile chunks).
"""  # noqa: E501 - the SDK's lines, verbatim

from __future__ import annotations

import numpy as np

_C_HEAD = b'{ "name": "'
_C_MID = b'", "ph": "C", "tid":'
_C_PID = b', "pid":'
_C_TS = b', "ts":'
_C_ARGS = b', "args": {"": '
_C_END = b"}}"

_F_HEAD = b'{ "cat": "'
_F_NAME = b'", "name": "'
_F_TID = b'", "tid": '
_F_PID = b', "pid": '
_F_TS = b', "ts": '
_F_PH = b', "ph": "'
_F_START_ID = b'", "id": '
_F_FINISH_ID = b'", "pb": "e", "id": '
_F_END = b"}"

#: more distinct strings than this in one field of one chunk: not the SDK's form (the decoder's)
MAX_STRINGS = 64

#: digits at most in a number (below 10**18 < 2**62, the loader's cycle limit; more: the decoder)
MAX_DIGITS = 18

#: pids from 2**31 on: the decoder's path (which words the problem)
MAX_PID = 1 << 31

_U = np.uint64
_ASCII_ZEROS = _U(0x3030303030303030)
_HIGH_NIBBLES = _U(0xF0F0F0F0F0F0F0F0)
_LOW_NIBBLES = _U(0x0F0F0F0F0F0F0F0F)
_SIXES = _U(0x0606060606060606)
_BYTE_STEPS = np.array([1 << (8 * k) for k in range(1, 8)], dtype=np.uint64)
_POW10 = np.array([10**k for k in range(9)], dtype=np.uint64)


def _digits8(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How many of the 8 characters loaded little-endian in each ``w`` are leading ASCII digits
    (0-8), and the number those digits write (SWAR: no loop over characters)."""
    bad = ((w & _HIGH_NIBBLES) ^ _ASCII_ZEROS) | (((w & _LOW_NIBBLES) + _SIXES) & _HIGH_NIBBLES)
    lowest = bad & (~bad + _U(1))  # the lowest set bit lies in the first non-digit byte
    count = np.searchsorted(_BYTE_STEPS, lowest, side="right")
    count[bad == 0] = 8
    # the digits moved to the high bytes (zeros below them: leading zeros), then combined in pairs
    shift = ((8 - np.maximum(count, 1)) * 8).astype(np.uint64)
    x = (w ^ _ASCII_ZEROS) << shift
    x = ((x & _LOW_NIBBLES) * _U(2561)) >> _U(8)
    x = ((x & _U(0x00FF00FF00FF00FF)) * _U(6553601)) >> _U(16)
    x = ((x & _U(0x0000FFFF0000FFFF)) * _U(42949672960001)) >> _U(32)
    x[count == 0] = 0  # no digit: nothing (the shift above kept one non-digit byte)
    return count, x


def _padded(view: memoryview, a: np.ndarray) -> np.ndarray:
    """Bytes whose first ``a.size`` are the view's, with at least 8 more after them: the view's
    own buffer when it has the room (``chunking.read_buffer``), else a padded copy."""
    base = view.obj
    if isinstance(base, bytearray) and len(base) >= a.size + 8:
        full = np.frombuffer(base, dtype=np.uint8)
        if full.ctypes.data == a.ctypes.data:  # the view is the head of that buffer
            return full
    out = np.zeros(a.size + 8, dtype=np.uint8)
    out[: a.size] = a
    return out


Series = dict[tuple[int, str], tuple[np.ndarray, np.ndarray]]
FlowColumns = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]


def _edge_lines(view: memoryview) -> tuple[bytes, bytes]:
    """The first and the last line of a chunk ``[<events>]`` (at most 512 bytes of each)."""
    n = len(view)
    head = bytes(view[1 : min(n, 512)])
    first = head[: head.find(b"\n")] if b"\n" in head else head
    tail = bytes(view[max(1, n - 512) :])
    return first, tail[tail.rfind(b"\n") + 1 :]


def form_of(view: memoryview) -> str | None:
    """Cheap guess from the first and last line: ``"C"`` (counter lines), ``"flow"`` or None."""
    if len(view) < 100:
        return None
    first, last = _edge_lines(view)
    if (
        first.startswith(_C_HEAD)
        and _C_MID in first
        and last.startswith(_C_HEAD)
        and _C_MID in last
    ):
        return "C"
    if first.startswith(_F_HEAD) and last.startswith(_F_HEAD) and _F_PH in first and _F_PH in last:
        return "flow"
    return None


class _Bytes:
    """The chunk's bytes, with reads that never leave the buffer (a read past the events is
    clipped, or lands in the slack after them: such a line fails a later check, since every
    accepted line's reads lie inside that line and the closing bracket ends every digit run)."""

    __slots__ = ("view", "a", "w8", "last")

    def __init__(self, view: memoryview) -> None:
        self.view = view
        a = np.frombuffer(view, dtype=np.uint8)
        self.a = a
        self.last = a.size - 1
        # the little-endian uint64 of the 8 bytes from every position (a strided view, no copy)
        padded = _padded(view, a)
        self.w8 = np.lib.stride_tricks.as_strided(
            padded, shape=(a.size, 8), strides=(1, 1), writeable=False
        ).view("<u8")[:, 0]

    def byte(self, pos: np.ndarray) -> np.ndarray:
        return self.a[np.minimum(pos, self.last)]

    def word(self, pos: np.ndarray, nbytes: int = 8) -> np.ndarray:
        """The first ``nbytes`` (1-8) bytes from every position, as little-endian integers."""
        w = self.w8[np.minimum(pos, self.last)]
        return w if nbytes == 8 else w & _U((1 << (8 * nbytes)) - 1)

    def match(self, pos: np.ndarray, lit: bytes) -> np.ndarray:
        """Which positions of ``pos`` have ``lit`` written there (8 bytes compared at a time)."""
        ok = np.ones(pos.size, dtype=bool)
        for k in range(0, len(lit), 8):
            piece = lit[k : k + 8]
            ok &= self.word(pos + k, len(piece)) == _U(int.from_bytes(piece, "little"))
        return ok

    def has(self, pos: np.ndarray, lit: bytes) -> bool:
        """Whether ``lit`` is written at every position of ``pos``."""
        return bool(self.match(pos, lit).all())

    def uint(self, pos: np.ndarray, stop: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The JSON unsigned integer at every position, each followed by the byte ``stop``: their
        values and the positions of those stop bytes; None when one is not such a number."""
        w = self.word(pos)
        count, value = _digits8(w)
        if not (count > 0).all():
            return None
        if (((w & _U(0xFF)) == _U(0x30)) & (count > 1)).any():
            return None  # a leading zero: not JSON
        end = pos + count
        total = count.copy()
        more = np.flatnonzero(count == 8)
        for _round in range(2):  # up to 24 digits read; more than MAX_DIGITS are refused below
            if not more.size:
                break
            c2, v2 = _digits8(self.word(end[more]))
            value[more] = value[more] * _POW10[c2] + v2
            end[more] += c2
            total[more] += c2
            more = more[c2 == 8]
        if more.size or (total > MAX_DIGITS).any():
            return None
        if not (self.byte(end) == stop).all():
            return None
        return value.astype(np.int64), end

    def strings(
        self, pos: np.ndarray, line_end: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
        """The plain JSON strings whose text starts at ``pos`` (one per line): each one's code,
        the position of its closing quote and the distinct texts in order of first appearance.

        The first line still uncoded gives a text (read up to its quote and checked: no escape, no
        control character, valid UTF-8); every line starting with that text and a quote takes its
        code, 8 bytes compared at a time. None past :data:`MAX_STRINGS` texts or on a bad one.
        """
        code = np.full(pos.size, -1, dtype=np.int64)
        close = np.empty(pos.size, dtype=np.int64)
        texts: list[str] = []
        rest = np.arange(pos.size)
        while rest.size:
            if len(texts) == MAX_STRINGS:
                return None
            r = int(rest[0])
            line = bytes(self.view[int(pos[r]) : int(line_end[r])])
            q = line.find(b'"')
            if q < 0:
                return None
            raw = line[:q]
            if b"\\" in raw or any(c < 0x20 for c in raw):
                return None  # an escape or a raw control character: the decoder decides
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                return None
            lit = raw + b'"'
            cand = rest
            for k in range(0, len(lit), 8):
                piece = lit[k : k + 8]
                want = _U(int.from_bytes(piece, "little"))
                cand = cand[self.word(pos[cand] + k, len(piece)) == want]
            code[cand] = len(texts)
            close[cand] = pos[cand] + len(raw)
            texts.append(text)
            rest = rest[code[rest] < 0]
        return code, close, texts


def _lines(b: _Bytes) -> tuple[np.ndarray, np.ndarray] | None:
    """Start of every line of ``[<events>]`` and the position of the comma (or the final ``]``)
    right after its event; None when a line does not end with a comma."""
    a = b.a
    n = a.size
    if n < 3 or a[0] != 0x5B or a[-1] != 0x5D:
        return None
    nl = np.flatnonzero(a == 10)
    if nl.size and not (a[nl - 1] == 0x2C).all():
        return None
    starts = np.empty(nl.size + 1, dtype=np.int64)
    starts[0] = 1
    starts[1:] = nl + 1
    ends = np.empty(nl.size + 1, dtype=np.int64)
    ends[:-1] = nl - 1
    ends[-1] = n - 1
    return starts, ends


def read_counter_chunk(view: memoryview) -> tuple[int, Series] | None:
    """(event count, counter series) of a chunk ``[<events>]`` made only of SDK counter lines,
    exactly as the decoder's path groups them: by (pid, name) in order of first appearance, each
    series in event order, values as float64; None when the chunk is anything else."""
    b = _Bytes(view)
    got = _lines(b)
    if got is None:
        return None
    starts, ends = got
    if not b.has(starts, _C_HEAD):
        return None
    names = b.strings(starts + len(_C_HEAD), ends)
    if names is None:
        return None
    code, close, texts = names
    if not b.has(close, _C_MID):
        return None
    tid = b.uint(close + len(_C_MID), 0x2C)
    if tid is None or not b.has(tid[1], _C_PID):
        return None
    pid = b.uint(tid[1] + len(_C_PID), 0x2C)
    if pid is None or not b.has(pid[1], _C_TS) or int(pid[0].max()) >= MAX_PID:
        return None
    ts = b.uint(pid[1] + len(_C_TS), 0x2C)
    if ts is None or not b.has(ts[1], _C_ARGS):
        return None
    val = b.uint(ts[1] + len(_C_ARGS), 0x7D)
    if val is None or not b.has(val[1], _C_END) or not (val[1] + len(_C_END) == ends).all():
        return None
    return starts.size, _series(texts, code, pid[0], ts[0], val[0].astype(np.float64))


def read_flow_chunk(view: memoryview) -> tuple[int, FlowColumns] | None:
    """(event count, flow columns) of a chunk made only of SDK flow lines: ids, is-start, ts,
    tid and categories in event order, as the decoder's path gives them; None otherwise."""
    b = _Bytes(view)
    got = _lines(b)
    if got is None:
        return None
    starts, ends = got
    if not b.has(starts, _F_HEAD):
        return None
    cats = b.strings(starts + len(_F_HEAD), ends)
    if cats is None or not b.has(cats[1], _F_NAME):
        return None
    names = b.strings(cats[1] + len(_F_NAME), ends)  # read only to check it is a plain string
    if names is None or not b.has(names[1], _F_TID):
        return None
    tid = b.uint(names[1] + len(_F_TID), 0x2C)
    if tid is None or not b.has(tid[1], _F_PID):
        return None
    pid = b.uint(tid[1] + len(_F_PID), 0x2C)
    if pid is None or not b.has(pid[1], _F_TS):
        return None
    ts = b.uint(pid[1] + len(_F_TS), 0x2C)
    if ts is None or not b.has(ts[1], _F_PH):
        return None
    ph_at = ts[1] + len(_F_PH)
    ph = b.byte(ph_at)
    is_start = ph == 0x73  # s
    if not (is_start | (ph == 0x66)).all():  # s or f
        return None
    id_at = np.where(is_start, ph_at + 1 + len(_F_START_ID), ph_at + 1 + len(_F_FINISH_ID))
    starts_ok = b.match(ph_at + 1, _F_START_ID)
    finish_ok = b.match(ph_at + 1, _F_FINISH_ID)
    if not np.where(is_start, starts_ok, finish_ok).all():
        return None
    fid = b.uint(id_at, 0x7D)
    if fid is None or not (fid[1] + len(_F_END) == ends).all():
        return None
    code, _close, texts = cats
    category = [texts[0]] * code.size if len(texts) == 1 else [texts[c] for c in code.tolist()]
    return starts.size, (fid[0], is_start, ts[0], tid[0], category)


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
        key = pid * len(names) + code  # pid < 2**31, code < MAX_STRINGS: no overflow
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
