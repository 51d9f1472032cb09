"""Reading artifact bytes (plain or gzip, sniffed by magic) and decoding JSON with one-line errors.

Every read of a file htptui was given goes through :func:`read_bytes` (or :func:`open_regular`):
non-regular files (FIFOs, devices, sockets, directories) are refused before they are opened for
reading, plain files are capped by size and gzip data is stream-decompressed with a cap on the
decompressed size and on the expansion ratio, so a decompression bomb is a one-line error instead
of gigabytes of memory. The caps are per artifact kind (:data:`READ_LIMITS`) and each can be raised
with an environment variable ``HTPTUI_MAX_<KIND>_BYTES`` (e.g. ``HTPTUI_MAX_OP_TRACE_BYTES=64G``).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import unicodedata
import zlib
from pathlib import Path
from typing import IO, Any, TypeVar

import msgspec

from htptui.errors import InputError

GZIP_MAGIC = b"\x1f\x8b"
T = TypeVar("T")

_ARTIFACT_TYPE_RE = re.compile(rb'"artifact_type"\s*:\s*"([^"]{1,64})"')

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30

#: largest (decompressed) size read per artifact kind; ``HTPTUI_MAX_<KIND>_BYTES`` overrides one
READ_LIMITS: dict[str, int] = {
    "op_trace": 64 * GiB,  # plain traces of several GB are real; gzip is also ratio-capped
    "htp_graph": 4 * GiB,
    "graph_before": 4 * GiB,
    "qhas": 4 * GiB,
    "runtrace": 1 * GiB,
    "profile": 1 * GiB,
    "heap": 256 * MiB,
    "report": 1 * GiB,  # a saved `htptui report --format json`
    "expected": 256 * MiB,  # expected.dag / .dot
    "json": 1 * GiB,
}
#: a gzip stream may expand at most this many times once it is past GZIP_RATIO_FROM bytes
#: (real optrace JSON compresses 10-40x; a bomb of one repeated byte compresses 1000x)
MAX_GZIP_RATIO = 200
GZIP_RATIO_FROM = 64 * MiB
#: longest name (op, kernel, lane, phase, ...) kept in full; longer ones are shortened with a hash
MAX_NAME_CHARS = 4096


def _env_bytes(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    units = {"K": KiB, "M": MiB, "G": GiB, "T": 1 << 40}
    try:
        if raw[-1].upper() in units:
            return int(float(raw[:-1]) * units[raw[-1].upper()])
        return int(raw)
    except ValueError:
        return default


def read_limit(kind: str) -> int:
    """The byte cap of one artifact kind (environment override ``HTPTUI_MAX_<KIND>_BYTES``)."""
    default = READ_LIMITS.get(kind, READ_LIMITS["json"])
    return _env_bytes(f"HTPTUI_MAX_{kind.upper()}_BYTES", default)


def gzip_ratio_limit() -> float:
    """Largest accepted gzip expansion ratio (``HTPTUI_MAX_GZIP_RATIO`` overrides; 0 disables)."""
    try:
        return float(os.environ.get("HTPTUI_MAX_GZIP_RATIO", "") or MAX_GZIP_RATIO)
    except ValueError:
        return float(MAX_GZIP_RATIO)


def _human(n: int) -> str:
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def _env_name(kind: str) -> str:
    return f"HTPTUI_MAX_{kind.upper()}_BYTES"


def is_gzip(head: bytes) -> bool:
    """Tell whether bytes start with the gzip magic number."""
    return head[:2] == GZIP_MAGIC


def file_kind(mode: int) -> str:
    """A word for a non-regular file type (for error messages)."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_regular(path: str | Path, label: str | None = None) -> os.stat_result:
    """Stat ``path`` (following symlinks) and refuse anything but a regular file, with one line."""
    label = label or str(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        try:
            os.lstat(path)
        except OSError:
            raise InputError(label, "no such file") from None
        raise InputError(label, "a dangling symlink (its target does not exist)") from None
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            raise InputError(label, "a symlink loop (too many levels of symbolic links)") from None
        raise InputError(label, f"cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(label, f"is {file_kind(st.st_mode)}, expected a regular file")
    return st


def open_regular(path: str | Path, label: str | None = None) -> IO[bytes]:
    """Open a regular file for reading (never blocks on a FIFO: non-regular files are refused)."""
    label = label or str(path)
    check_regular(path, label)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == 40:
            raise InputError(label, "a symlink loop (too many levels of symbolic links)") from None
        raise InputError(label, f"cannot read: {exc.strerror or exc}") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):  # swapped between stat and open
        os.close(fd)
        raise InputError(label, f"is {file_kind(st.st_mode)}, expected a regular file")
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def read_bytes(path: str | Path, kind: str = "json") -> bytes:
    """Read a whole artifact (regular files only), transparently and boundedly decompressing gzip."""
    label = str(path)
    limit = read_limit(kind)
    with open_regular(path, label) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limit:
            raise InputError(
                label,
                f"{_human(size)} is larger than the {_human(limit)} read limit for a {kind} "
                f"file (raise it with {_env_name(kind)})",
            )
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise InputError(label, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise InputError(label, f"larger than the {_human(limit)} read limit for a {kind} file")
    return maybe_gunzip(data, label, kind)


def maybe_gunzip(data: bytes, label: str, kind: str = "json") -> bytes:
    """Decompress gzip data if it is gzip (bounded: size and ratio caps); else return it unchanged."""
    if not is_gzip(data):
        return data
    return gunzip_bounded(data, label, read_limit(kind), kind)


def gunzip_bounded(data: bytes, label: str, limit: int, kind: str = "json") -> bytes:
    """Stream-decompress (all members of) a gzip blob, refusing more than ``limit`` bytes of output
    or an expansion ratio above :func:`gzip_ratio_limit` past :data:`GZIP_RATIO_FROM` bytes."""
    ratio = gzip_ratio_limit()
    out: list[bytes] = []
    total = 0
    pos = 0
    step = 1 << 20
    try:
        while pos < len(data):
            if data[pos : pos + 2] != GZIP_MAGIC:
                if not data[pos:].strip(b"\x00"):
                    break  # zero padding after the last member
                raise InputError(label, "trailing garbage after the gzip data")
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            chunk_in = pos
            while not d.eof:
                if chunk_in >= len(data) and not d.unconsumed_tail:
                    raise InputError(label, "truncated gzip data (the stream ends early)")
                src = d.unconsumed_tail or data[chunk_in : chunk_in + step]
                if not d.unconsumed_tail:
                    chunk_in += len(src)
                piece = d.decompress(src, step)
                total += len(piece)
                if total > limit:
                    raise InputError(
                        label,
                        f"gzip data expands beyond the {_human(limit)} limit for a {kind} file "
                        f"(decompression bomb? raise it with {_env_name(kind)})",
                    )
                consumed = chunk_in - len(d.unconsumed_tail) - len(d.unused_data)
                if ratio and total > GZIP_RATIO_FROM and total > ratio * max(consumed, 1):
                    raise InputError(
                        label,
                        f"gzip data expands more than {ratio:g}x ({_human(total)} from "
                        f"{_human(max(consumed, 1))}): refused as a decompression bomb "
                        "(HTPTUI_MAX_GZIP_RATIO=0 accepts it)",
                    )
                out.append(piece)
            pos = chunk_in - len(d.unused_data)
    except zlib.error as exc:
        raise InputError(label, f"corrupt gzip data ({exc})") from None
    return b"".join(out)


def head_bytes(path: str | Path, size: int = 4096) -> bytes:
    """Return the first bytes of a (possibly gzipped) regular file, for sniffing (b"" otherwise)."""
    try:
        with open_regular(path) as fh:
            head = fh.read(size)
            if is_gzip(head):
                d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                fh.seek(0)
                try:
                    return d.decompress(fh.read(size * 4 + 65536), size)
                except zlib.error:
                    return b""
            return head
    except (OSError, InputError):
        return b""


def content_digest(path: str | Path, block: int = 1 << 16) -> str:
    """A cheap fingerprint of a file's content: sha256 of its size, first and last blocks."""
    h = hashlib.sha256()
    with open_regular(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        h.update(str(size).encode())
        h.update(fh.read(block))
        if size > block:
            fh.seek(max(block, size - block))
            h.update(fh.read(block))
            if size > 4 * block:  # and one block from the middle
                fh.seek(size // 2)
                h.update(fh.read(block))
    return h.hexdigest()[:32]


def sniff_artifact_type(head: bytes) -> str | None:
    """Find `header.artifact_type` in the first few KB of a JSON artifact, as the QAIRT visualizer does."""
    m = _ARTIFACT_TYPE_RE.search(head)
    return clean_text(m.group(1).decode("utf-8", "replace")) if m else None


def describe_content(head: bytes) -> str | None:
    """Why bytes cannot be a UTF-8 JSON/text artifact (empty, UTF-16, binary), or None if they may."""
    if not head.strip():
        return "empty file" if not head else "blank file (only whitespace)"
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(head) > 3 and head[1:2] == b"\x00"):
        return "UTF-16 text (expected UTF-8)"
    if b"\x00" in head[:4096]:
        return "not a JSON file (binary data with NUL bytes)"
    return None


def describe_decode_error(exc: Exception, data: bytes) -> str:
    """Turn a msgspec decode/validation error into one human sentence (with a byte offset)."""
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, RecursionError):
        return "JSON nested too deeply (hostile or corrupt file)"
    bad = describe_content(data[:4096])
    if bad:
        return bad
    if "truncated" in msg:
        return f"truncated JSON: the file ends at byte {len(data)} in the middle of a value"
    if isinstance(exc, msgspec.ValidationError):
        return f"unexpected JSON shape: {clean_text(msg)}"
    if "byte 0" in msg and data.lstrip()[:1] not in (b"{", b"["):
        return "not a JSON file (binary or text data at byte 0)"
    return f"invalid JSON: {clean_text(msg)}"


def decode_json(data: bytes, label: str, type: type[T] | Any = Any) -> T:  # noqa: A002
    """Decode JSON bytes into ``type``; raise InputError naming ``label`` on any problem.

    Nesting deeper than msgspec's limit is an InputError too (never a RecursionError).
    """
    try:
        return msgspec.json.decode(data, type=type)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
        raise InputError(label, describe_decode_error(exc, data)) from None


def load_json(path: str | Path, type: type[T] | Any = Any, kind: str = "json") -> T:  # noqa: A002
    """Read (gzip-aware, bounded) and decode a JSON artifact with one-line errors."""
    return decode_json(read_bytes(path, kind), str(path), type)


def check_artifact_type(obj: Any, expected: str, label: str) -> None:
    """Refuse a JSON object whose header names another artifact type (absent header is tolerated)."""
    if not isinstance(obj, dict):
        return
    header = obj.get("header")
    if isinstance(header, dict):
        found = header.get("artifact_type")
        if isinstance(found, str) and found != expected:
            raise InputError(
                label, f"artifact_type is {clean_text(found)!r}, expected {expected!r}"
            )


def parse_id(value: Any) -> int | None:
    """Normalise an optrace ID (`0x0000111100000002`, `0x111100000002`, or an int) to an int."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if value[:2] == "0x" and len(value) <= 40:  # the usual form: one C call
            try:
                return int(value, 16)
            except ValueError:
                pass
        s = value.strip()
        if len(s) > 40:
            return None
        try:
            return int(s, 16) if s.lower().startswith("0x") else int(s, 0)
        except ValueError:
            return None
    return None


def fmt_id(op_id: int) -> str:
    """Format an ID the way chrometrace and the HTP graph write it (16 hex digits)."""
    return f"0x{op_id:016x}"


def _unsafe(ch: str) -> bool:
    o = ord(ch)
    if o < 0x20 or 0x7F <= o <= 0x9F:
        return True
    return unicodedata.category(ch) in ("Cf", "Zl", "Zp", "Cs", "Co", "Cn")


_SAFE_CACHE: dict[str, bool] = {}


def _escape(ch: str) -> str:
    o = ord(ch)
    return f"\\x{o:02x}" if o <= 0xFF else f"\\u{o:04x}" if o <= 0xFFFF else f"\\U{o:08x}"


def clean_text(
    text: str, max_chars: int | None = MAX_NAME_CHARS, keep_newlines: bool = False
) -> str:
    """Make text from a file safe to print: every control, format (bidi, zero-width, BOM) or
    unassigned character becomes a visible ``\\xNN``/``\\uNNNN`` escape, and a name longer than
    ``max_chars`` is shortened to its head plus a length and hash (deterministic, so names still
    join across files).

    Names are shown in terminals; a raw ESC in an op name would otherwise be executed by the
    terminal (colours, titles, even OSC 52 clipboard writes), and bidi controls reorder the line.
    Every loader passes names through this one function, so names still join across files.
    """
    if not isinstance(text, str):
        text = str(text)
    if max_chars is not None and len(text) > max_chars:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        text = f"{text[: max_chars // 2]}…[+{len(text) - max_chars // 2} chars #{digest}]"
    if keep_newlines and ("\n" in text or "\t" in text):
        lines = text.split("\n")
        if all(ln.replace("\t", " ").isprintable() for ln in lines):
            return text
        return "\n".join(
            "\t".join(clean_text(part, None) for part in ln.split("\t")) for ln in lines
        )
    if text.isprintable():  # C speed: no control, format, separator or unassigned character
        return text
    return _SUSPECT_RE.sub(_escape_unsafe, text)


_SUSPECT_RE = re.compile("[^\x20-\x7e]")


def _escape_unsafe(m: re.Match[str]) -> str:
    ch = m.group()
    safe = _SAFE_CACHE.get(ch)
    if safe is None:
        safe = not _unsafe(ch)
        if len(_SAFE_CACHE) < 65536:
            _SAFE_CACHE[ch] = safe
    return ch if safe else _escape(ch)


def clean_output(text: str) -> str:
    """Clean a whole rendered document for a terminal (newlines and tabs kept, no length cap)."""
    return clean_text(text, max_chars=None, keep_newlines=True)


_NON_ASCII_RE = re.compile("[^\x00-\x7f]")


def _json_escape(m: re.Match[str]) -> str:
    ch = m.group()
    if not _unsafe(ch):
        return ch
    o = ord(ch)
    if o > 0xFFFF:
        o -= 0x10000
        return f"\\u{0xD800 + (o >> 10):04x}\\u{0xDC00 + (o & 0x3FF):04x}"
    return f"\\u{o:04x}"


def clean_json_bytes(data: bytes) -> bytes:
    """Escape (as ``\\uNNNN``, so the JSON value is unchanged) every raw bidi/format/C1 character
    of encoded JSON, so a JSON document printed to a terminal cannot reorder or hide text."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    if text.isascii():
        return data
    return _NON_ASCII_RE.sub(_json_escape, text).encode("utf-8")
