"""Tests for the DSP heap profile loader."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from htptui.errors import InputError
from htptui.model import heap

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "data" / "heap_profile.txt"  # synthetic: no real sample is known
REAL_PROFILE = ROOT / "sample_data" / "chain8_matmul" / "profile.txt"


def test_fixture() -> None:
    h = heap.load(FIXTURE)
    assert h.path == str(FIXTURE)
    assert h.values == {"DSP:before_context_created": 1843200, "DSP:after_context_freed": 1851392}
    assert h.before_context_created == 1843200
    assert h.after_context_freed == 1851392
    assert h.delta == 8192
    assert h.value("DSP:unknown") is None


def test_delta_needs_both_values() -> None:
    h = heap.parse_text("DSP:before_context_created, 100\n", "one.txt")
    assert h.delta is None and h.after_context_freed is None
    h = heap.parse_text("DSP:after_context_freed, 100\n", "one.txt")
    assert h.delta is None


def test_separators_comments_and_line_endings() -> None:
    text = (
        "\ufeff# comment, 1\r\n"
        "// another, 2\r\n"
        "; third, 3\r\n"
        "\r\n"
        "  DSP:before_context_created ,  1000  \r\n"
        "DSP:after_context_freed: 900 bytes\r\n"
        "DSP:extra = 5\r\n"
        "DSP:spaced 6\r\n"
        "this line is not a value\r\n"
        "DSP:after_context_freed, 800\r\n"  # repeated: the last one wins
    )
    h = heap.parse_text(text, "mixed.txt")
    assert h.values == {
        "DSP:before_context_created": 1000,
        "DSP:after_context_freed": 800,
        "DSP:extra": 5,
        "DSP:spaced": 6,
    }
    assert h.delta == -200
    assert list(h.values)[0] == "DSP:before_context_created"


def test_gzipped_file(tmp_path: Path) -> None:
    f = tmp_path / "heap.txt.gz"
    f.write_bytes(gzip.compress(FIXTURE.read_bytes()))
    assert heap.load(f).delta == 8192


def test_sniff() -> None:
    assert heap.sniff(FIXTURE.read_text())
    assert heap.sniff("DSP:before_context_created, 5")
    assert heap.sniff("DSP:before_context_created, 5".encode("utf-16-le").decode("latin-1"))
    assert not heap.sniff(REAL_PROFILE.read_text()[:2048])
    assert not heap.sniff("name, value\nfoo, 3\n")
    assert not heap.sniff("")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "empty file"),
        (b"\n\n  \n", "empty file"),
        (bytes(range(256)) * 4, "not a text file"),
        (b"# only a comment, 5\n", "not a DSP heap profile"),
        (b"hello world\nfoo bar baz\n", "not a DSP heap profile"),
        (b'{"DSP:before_context_created": 5}', "not a DSP heap profile"),
    ],
)
def test_hostile_files(tmp_path: Path, content: bytes, problem: str) -> None:
    f = tmp_path / "heap.txt"
    f.write_bytes(content)
    with pytest.raises(InputError) as info:
        heap.load(f)
    assert str(f) in str(info.value)
    assert problem in info.value.problem


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        heap.load(tmp_path / "heap.txt")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_only_raises_input_error(text: str) -> None:
    try:
        h = heap.parse_text(text, "fuzz.txt")
    except InputError as exc:
        assert exc.path == "fuzz.txt"
        return
    assert h.values and all(isinstance(v, int) for v in h.values.values())
    _ = h.delta


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.from_regex(r"DSP:[a-z_]{1,20}", fullmatch=True), st.integers(0, 2**63)))
def test_round_trip(values: dict[str, int]) -> None:
    text = "\n".join(f"{k}, {v}" for k, v in values.items()) + "\n"
    if not values:
        with pytest.raises(InputError):
            heap.parse_text(text)
        return
    assert heap.parse_text(text).values == values
