"""Reading artifact bytes (plain or gzip, sniffed by magic) and decoding JSON with one-line errors."""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from htptui.errors import InputError

GZIP_MAGIC = b"\x1f\x8b"
T = TypeVar("T")

_ARTIFACT_TYPE_RE = re.compile(rb'"artifact_type"\s*:\s*"([^"]+)"')


def is_gzip(head: bytes) -> bool:
    """Tell whether bytes start with the gzip magic number."""
    return head[:2] == GZIP_MAGIC


def read_bytes(path: str | Path) -> bytes:
    """Read a whole artifact, transparently decompressing gzip (sniffed by magic, not suffix)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(str(p), "no such file") from None
    except IsADirectoryError:
        raise InputError(str(p), "is a directory, expected a file") from None
    except OSError as exc:
        raise InputError(str(p), f"cannot read: {exc.strerror or exc}") from None
    return maybe_gunzip(data, str(p))


def maybe_gunzip(data: bytes, label: str) -> bytes:
    """Decompress gzip data if it is gzip; otherwise return it unchanged."""
    if not is_gzip(data):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(label, f"corrupt or truncated gzip data ({exc})") from None


def head_bytes(path: str | Path, size: int = 4096) -> bytes:
    """Return the first bytes of a (possibly gzipped) file, for sniffing."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            head = fh.read(size)
            if is_gzip(head):
                fh.seek(0)
                with gzip.GzipFile(fileobj=fh) as gz:
                    try:
                        return gz.read(size)
                    except (OSError, EOFError, zlib.error):
                        return b""
            return head
    except OSError:
        return b""


def sniff_artifact_type(head: bytes) -> str | None:
    """Find `header.artifact_type` in the first few KB of a JSON artifact, as the QAIRT visualizer does."""
    m = _ARTIFACT_TYPE_RE.search(head)
    return m.group(1).decode("ascii", "replace") if m else None


def describe_decode_error(exc: Exception, data: bytes) -> str:
    """Turn a msgspec decode/validation error into one human sentence (with a byte offset)."""
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if not data.strip():
        return "empty file (0 bytes of JSON)"
    if "truncated" in msg:
        return f"truncated JSON: the file ends at byte {len(data)} in the middle of a value"
    if isinstance(exc, msgspec.ValidationError):
        return f"unexpected JSON shape: {msg}"
    if "byte 0" in msg and data.lstrip()[:1] not in (b"{", b"["):
        return "not a JSON file (binary or text data at byte 0)"
    return f"invalid JSON: {msg}"


def decode_json(data: bytes, label: str, type: type[T] | Any = Any) -> T:  # noqa: A002
    """Decode JSON bytes into ``type``; raise InputError naming ``label`` on any problem."""
    try:
        return msgspec.json.decode(data, type=type)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InputError(label, describe_decode_error(exc, data)) from None


def check_artifact_type(obj: Any, expected: str, label: str) -> None:
    """Refuse a JSON object whose header names another artifact type (absent header is tolerated)."""
    if not isinstance(obj, dict):
        return
    header = obj.get("header")
    if isinstance(header, dict):
        found = header.get("artifact_type")
        if isinstance(found, str) and found != expected:
            raise InputError(label, f"artifact_type is {found!r}, expected {expected!r}")


def parse_id(value: Any) -> int | None:
    """Normalise an optrace ID (`0x0000111100000002`, `0x111100000002`, or an int) to an int."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        s = value.strip()
        try:
            return int(s, 16) if s.lower().startswith("0x") else int(s, 0)
        except ValueError:
            return None
    return None


def fmt_id(op_id: int) -> str:
    """Format an ID the way chrometrace and the HTP graph write it (16 hex digits)."""
    return f"0x{op_id:016x}"


_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def clean_text(text: str) -> str:
    """Make a name from a trace safe to print: control characters become visible ``\\xNN`` escapes.

    Names are shown in terminals; a raw ESC in an op name would otherwise be executed by the
    terminal (colours, titles, even OSC 52 clipboard writes). Every loader passes names through this
    one function, so names still join across files.
    """
    if text.isprintable():
        return text
    return _CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
