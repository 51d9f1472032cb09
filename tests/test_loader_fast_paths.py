"""The loader's fast paths give exactly what the general code gives, and step aside on any doubt.

Each fast path is checked against the general computation it replaces, on drawn inputs (ties,
equal keys, odd lengths) and on the hostile variants that must take the general path.
"""

from __future__ import annotations

import msgspec
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from htptui.model.chrometrace.eventlines import form_of, read_counter_chunk, read_flow_chunk
from htptui.model.chrometrace.extract import (
    _ChunkError,
    _extract_lean,
    _hex_id_column,
    _hex_ids,
    _process_view,
)
from htptui.model.chrometrace.normalise import ts_dur_order
from htptui.model.chrometrace.wire import _TAGGED_DECODER

small_ints = st.lists(st.integers(0, 6), min_size=0, max_size=60)


@given(ts=small_ints, dur=small_ints)
@example(ts=[3, 3, 3, 1, 1], dur=[1, 2, 2, 5, 5])
@example(ts=[0, 0], dur=[-1, 0])
def test_ts_dur_order_is_the_stable_lexsort(ts: list[int], dur: list[int]) -> None:
    n = min(len(ts), len(dur))
    t = np.array(ts[:n], dtype=np.int64)
    d = np.array(dur[:n], dtype=np.int64) - 2  # negative durations too
    assert np.array_equal(ts_dur_order(t, d), np.lexsort((-d, t)))


def test_ts_dur_order_on_a_large_nearly_ordered_trace() -> None:
    rng = np.random.default_rng(7)
    n = 200_000
    ts = np.cumsum(rng.integers(0, 3, n))  # many ties, in order
    ts[rng.integers(0, n, 5000)] -= rng.integers(0, 50, 5000)  # and some out of order
    dur = rng.integers(0, 20, n)
    assert np.array_equal(ts_dur_order(ts, dur), np.lexsort((-dur, ts)))


def _general_ids(raw: list) -> tuple[np.ndarray, int]:
    ids, bad = _hex_ids(raw)
    return np.array(ids, dtype=np.uint64), bad


hex_ids = st.lists(
    st.integers(0, (1 << 64) - 1).map(lambda v: f"0x{v:016x}"), min_size=1, max_size=30
)


@given(ids=hex_ids)
@example(ids=["0xffffffffffffffff", "0x0000000000000000"])
def test_hex_id_column_of_sdk_ids_is_the_general_parse(ids: list[str]) -> None:
    fast, bad = _hex_id_column(ids)
    general, gbad = _general_ids(ids)
    assert fast.dtype == general.dtype == np.uint64
    assert np.array_equal(fast, general) and bad == gbad == 0


def test_hex_id_column_short_and_upper_case_digits() -> None:
    for ids in (["0x1", "0xF", "0xa"], ["0xABCDEF12", "0x00ff00ff"]):
        assert np.array_equal(_hex_id_column(ids)[0], _general_ids(ids)[0])


def test_hex_id_column_odd_ids_take_the_general_path(monkeypatch) -> None:
    odd = [
        ["0x01", None],  # a missing ID
        ["0x01", ""],  # an empty one
        ["0x01", "0x1"],  # lengths differ
        ["0x01", "12"],  # no 0x: read as hex by the general path
        ["0x01", "0X12"],  # upper-case X
        ["0x01", "0xg1"],  # not hex
        ["0x01", "0x\u0661\u0662"],  # non-ASCII digits
        ["0x01", " 0x1"],  # whitespace
        ["0x" + "1" * 17, "0x" + "2" * 17],  # too wide for 64 bits
    ]
    calls = []
    real = _hex_ids

    def spy(raw):
        calls.append(raw)
        return real(raw)

    monkeypatch.setattr("htptui.model.chrometrace.extract._hex_ids", spy)
    for ids in odd:
        calls.clear()
        try:
            expect = _general_ids(ids)
        except OverflowError:  # the general path fails on > 64 bits; so must the column
            with pytest.raises(OverflowError):
                _hex_id_column(ids)
            continue
        got = _hex_id_column(ids)
        assert calls == [ids], ids  # the column used the general path
        assert np.array_equal(got[0], expect[0]) and got[1] == expect[1], ids


# --- counter chunks read from their bytes ------------------------------------------------------


def _counter_line(name: str, pid: int, tid: int, ts: int, value: int) -> str:
    return (
        f'{{ "name": "{name}", "ph": "C", "tid":{tid}, "pid":{pid}, "ts":{ts}, '
        f'"args": {{"": {value}}}}}'
    )


def _view(lines: list[str] | list[bytes]) -> memoryview:
    body = b",\n".join(x.encode() if isinstance(x, str) else x for x in lines)
    return memoryview(bytearray(b"[" + body + b"]"))


def _decoder_chunk(view: memoryview):
    """What the decoder's lean path makes of the chunk (None when it refuses it)."""
    try:
        return _extract_lean(_TAGGED_DECODER.decode(view), frozenset({0}))
    except (msgspec.DecodeError, ValueError, TypeError, OverflowError):
        return None


def _assert_same_counters(fast, ref) -> None:
    n, series = fast
    assert n == ref.n_events
    assert list(series) == list(ref.counters)
    for key, (ts, val) in series.items():
        rts, rval = ref.counters[key]
        assert ts.dtype == rts.dtype == np.int64 and val.dtype == rval.dtype == np.float64
        assert np.array_equal(ts, rts) and np.array_equal(val, rval)


names = st.sampled_from(
    ["VTCM alloc", "DRAM read", "DRAM write", "VTCM read", "", "a,b", "é 名", "x" * 30]
)
counter_events = st.tuples(
    names,
    st.integers(0, 3),  # pid
    st.integers(0, 5000),  # tid
    st.integers(0, 10**18 - 1),  # ts
    st.integers(0, 10**18 - 1),  # value
)


@given(events=st.lists(counter_events, min_size=1, max_size=40))
@example(events=[("VTCM alloc", 0, 0, 22, 65536)] * 3)
def test_counter_chunk_is_what_the_decoder_gives(events) -> None:
    view = _view([_counter_line(*e) for e in events])
    assert form_of(view) == "C" or len(view) < 100
    fast = read_counter_chunk(view)
    assert fast is not None
    _assert_same_counters(fast, _decoder_chunk(view))


def _mutations(line: str) -> list[str | bytes]:
    out: list[str | bytes] = [
        line.replace('"ts":70', '"ts":-70'),  # negative
        line.replace('"ts":70', '"ts":7.5'),  # a float
        line.replace('"ts":70', '"ts":070'),  # a leading zero (not JSON)
        line.replace('"ts":70', '"ts":' + "9" * 19),  # too many digits
        line.replace('"ts":70', '"ts":' + "9" * 25),  # beyond int64
        line.replace('"pid":0', '"pid":4294967296'),  # pid beyond 32 bits
        line.replace('{"": 133120}', '{"": null}'),  # no value
        line.replace('{"": 133120}', '{"": 1.5e3}'),
        line.replace('{"": 133120}', '{"": 133120, "x": 1}'),
        line.replace('"ph": "C"', '"ph": "X"'),  # another phase
        line.replace('"ph": "C"', '"ph":"C"'),  # other spacing
        line.replace("VTCM alloc", 'VTCM \\" alloc'),  # an escape
        line.replace("VTCM alloc", "VTCM\x01alloc"),  # a raw control character (not JSON)
        line.replace("VTCM alloc", "VTCM\nalloc"),
        line.replace('"tid":0, ', ""),  # a field missing
        line + ", " + line,  # two events on one line
        line + " ",  # trailing space
        line.replace('"args": {"": 133120}}', '"args": {"": 133120} }'),
        line.encode().replace(b"VTCM", b"VT\xffCM"),  # not UTF-8
        line.encode().replace(b"VTCM", b"VT\xc3"),  # a cut UTF-8 sequence
        "",  # a blank line
        line + "\r",  # CRLF line ends
    ]
    return out


def test_hostile_counter_lines_take_the_decoder() -> None:
    good = _counter_line("VTCM alloc", 0, 0, 70, 133120)
    for bad in _mutations(good):
        for place in (0, 1, 2):
            lines: list[str | bytes] = [good, good, good]
            lines[place] = bad
            view = _view(lines)
            fast = read_counter_chunk(view)
            ref = _decoder_chunk(view)
            assert fast is None, (bad, place)
            try:  # the loader's entry: the decoder's outcome (its columns, or its error)
                chunk = _process_view(view, frozenset({0}))
            except _ChunkError:
                assert ref is None, (bad, place)
                continue
            if ref is not None:
                assert chunk.counters.keys() == ref.counters.keys()


@given(
    events=st.lists(counter_events, min_size=2, max_size=12),
    at=st.integers(0, 10_000),
    byte=st.integers(0, 255),
)
def test_a_changed_byte_never_makes_the_fast_reader_disagree(events, at, byte) -> None:
    raw = bytearray(_view([_counter_line(*e) for e in events]))
    raw[1 + at % (len(raw) - 2)] = byte
    view = memoryview(raw)
    fast = read_counter_chunk(view)
    if fast is not None:  # accepted: the decoder must read the same
        ref = _decoder_chunk(view)
        assert ref is not None
        _assert_same_counters(fast, ref)


def test_many_names_or_pids() -> None:
    lines = [_counter_line(f"c{k}", k % 3, 0, k, k) for k in range(200)]
    assert read_counter_chunk(_view(lines)) is None  # more than MAX_STRINGS names
    lines = [_counter_line(f"c{k % 5}", k % 7, 0, k, k) for k in range(200)]
    view = _view(lines)
    _assert_same_counters(read_counter_chunk(view), _decoder_chunk(view))


def test_a_chunk_of_counters_goes_through_the_fast_reader(monkeypatch) -> None:
    calls = []
    real = read_counter_chunk

    def spy(view):
        got = real(view)
        calls.append(got is not None)
        return got

    monkeypatch.setattr("htptui.model.chrometrace.eventlines.read_counter_chunk", spy)
    view = _view([_counter_line("VTCM alloc", 0, 0, k, 4 * k) for k in range(50)])
    chunk = _process_view(view, frozenset({0}))
    assert calls == [True]
    ref = _decoder_chunk(view)
    for f in ("n_events", "strings", "thread_names", "process_names", "process_opids",
              "other_ph", "bad_ids", "skipped"):  # fmt: skip
        assert getattr(chunk, f) == getattr(ref, f), f
    for key, col in ref.x.items():
        assert chunk.x[key].dtype == col.dtype and chunk.x[key].size == col.size == 0, key
    for a, b in zip(chunk.flows, ref.flows, strict=True):
        assert len(a) == len(b) == 0 and (isinstance(a, list) or a.dtype == b.dtype)


def _chunk_views(path, chunk_bytes: int, monkeypatch) -> list[memoryview]:
    from htptui.model import chrometrace
    from htptui.model.chrometrace.chunking import _file_chunks, _read_range_into

    monkeypatch.setattr(chrometrace, "CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(chrometrace, "MIN_CHUNK_BYTES", 1)
    ranges = _file_chunks(str(path), path.stat().st_size)
    views = []
    with open(path, "rb", buffering=0) as fh:
        for a, b in ranges:
            views.append(_read_range_into(fh, bytearray(b - a + 2), a, b))
    return views


def _check_chunks(views: list[memoryview]) -> int:
    fast = 0
    for view in views:
        got = read_counter_chunk(view) if form_of(view) == "C" else None
        if got is not None:
            fast += 1
            _assert_same_counters(got, _decoder_chunk(view))
    return fast


def test_the_real_samples_counter_block_is_read_fast_and_the_same(monkeypatch) -> None:
    from tests.conftest import REAL_SAMPLE

    views = _chunk_views(REAL_SAMPLE / "chrometrace.json", 4096, monkeypatch)
    assert _check_chunks(views) >= 3  # the 262 counter lines fill several 4 KiB chunks


def test_synthetic_counter_heavy_chunks_are_read_fast_and_the_same(tmp_path, monkeypatch) -> None:
    from htptui.synth import write_big_trace

    path = tmp_path / "big.json"
    write_big_trace(path, 40_000, seed=5, counter_share=0.85)
    views = _chunk_views(path, 64 * 1024, monkeypatch)
    assert _check_chunks(views) >= len(views) // 3


# --- flow chunks read from their bytes -----------------------------------------------------------


def _flow_line(cat: str, name: str, tid: int, pid: int, ts: int, start: bool, fid: int) -> str:
    ph = '"ph": "s"' if start else '"ph": "f", "pb": "e"'
    return (
        f'{{ "cat": "{cat}", "name": "{name}", "tid": {tid}, "pid": {pid}, "ts": {ts}, {ph}, '
        f'"id": {fid}}}'
    )


def _assert_same_flows(fast, ref) -> None:
    n, flows = fast
    assert n == ref.n_events
    for got, want in zip(flows[:4], ref.flows[:4], strict=True):
        assert got.dtype == want.dtype and np.array_equal(got, want)
    assert flows[4] == ref.flows[4]
    assert not ref.counters and not ref.x["ts"].size and not ref.thread_names


flow_events = st.tuples(
    st.sampled_from(["input_output", "", "a,b", "é"]),
    st.sampled_from(["InputOutputFlowEvents", "x"]),
    st.integers(0, 5000),  # tid
    st.integers(0, 3),  # pid
    st.integers(0, 10**18 - 1),  # ts
    st.booleans(),
    st.integers(0, 10**12),  # id
)


@given(events=st.lists(flow_events, min_size=1, max_size=40))
def test_flow_chunk_is_what_the_decoder_gives(events) -> None:
    view = _view([_flow_line(*e) for e in events])
    fast = read_flow_chunk(view)
    assert fast is not None
    _assert_same_flows(fast, _decoder_chunk(view))
    chunk = _process_view(view, frozenset({0}))
    assert chunk.flows[4] == fast[1][4] and np.array_equal(chunk.flows[0], fast[1][0])


def test_hostile_flow_lines_take_the_decoder() -> None:
    s = _flow_line("input_output", "InputOutputFlowEvents", 1, 0, 40052, True, 0)
    f = _flow_line("input_output", "InputOutputFlowEvents", 256, 0, 22, False, 1)
    bad_lines = [
        s.replace('"ph": "s"', '"ph": "t"'),  # another phase
        f.replace('"pb": "e"', '"pb": "x"'),
        f.replace('"pb": "e", ', ""),  # f without pb: not the SDK's form
        s.replace('"id": 0', '"id": -1'),
        s.replace('"id": 0', '"id": "0x1"'),
        s.replace('"id": 0}', '"id": 0, "bp": "e"}'),
        s.replace('"tid": 1', '"tid": 01'),
        s.replace('"ts": 40052', '"ts": 4.5'),
        s.replace("input_output", "in\\tput"),
        s.replace("InputOutputFlowEvents", "Input\x02Output"),
        s.replace('"cat": "input_output", ', ""),
        s + " ",
        "",
    ]
    for bad in bad_lines:
        for place in (0, 1, 2):
            lines = [s, f, s]
            lines[place] = bad
            view = _view(lines)
            assert read_flow_chunk(view) is None, (bad, place)
            ref = _decoder_chunk(view)
            try:
                chunk = _process_view(view, frozenset({0}))
            except _ChunkError:
                assert ref is None
                continue
            if ref is not None:
                assert chunk.flows[4] == ref.flows[4]


@given(
    events=st.lists(flow_events, min_size=2, max_size=12),
    at=st.integers(0, 10_000),
    byte=st.integers(0, 255),
)
def test_a_changed_byte_never_makes_the_flow_reader_disagree(events, at, byte) -> None:
    raw = bytearray(_view([_flow_line(*e) for e in events]))
    raw[1 + at % (len(raw) - 2)] = byte
    view = memoryview(raw)
    fast = read_flow_chunk(view)
    if fast is not None:
        ref = _decoder_chunk(view)
        assert ref is not None
        _assert_same_flows(fast, ref)


def test_the_real_samples_flow_block_is_read_fast_and_the_same(monkeypatch) -> None:
    from tests.conftest import REAL_SAMPLE

    views = _chunk_views(REAL_SAMPLE / "chrometrace.json", 512, monkeypatch)
    fast = 0
    for view in views:
        got = read_flow_chunk(view) if form_of(view) == "flow" else None
        if got is not None:
            fast += 1
            _assert_same_flows(got, _decoder_chunk(view))
    assert fast >= 4  # its runs of 18-20 flow lines fill several 512-byte chunks


def test_numbers_of_every_width_read_exactly() -> None:
    """Widths 1-18 (the 8-digit words' edges included) in every field; 19 digits take the decoder."""
    values = sorted({v for k in range(19) for v in (10**k, 10**k - 1, 10**k + 1) if v < 10**18})
    lines = [_counter_line("n", 0, v, v, v) for v in values]
    view = _view(lines)
    fast = read_counter_chunk(view)
    assert fast is not None
    _assert_same_counters(fast, _decoder_chunk(view))
    assert fast[1][(0, "n")][0].tolist() == values
    flows = [_flow_line("c", "n", v, 0, v, k % 2 == 0, v) for k, v in enumerate(values)]
    got = read_flow_chunk(_view(flows))
    assert got is not None and got[1][0].tolist() == values == got[1][2].tolist()
    assert read_counter_chunk(_view([_counter_line("n", 0, 0, 10**18, 1)])) is None
