"""Where an input's trace directory is, and whether a path lies inside one (htptui never writes there).

One function, :func:`inside_trace_dir`, decides it for every command and the TUI. Symlinks are
resolved first (an input given as a link to ``T/chrometrace.json`` protects ``T``, not the link's
folder), and a single file counts as a saved report (whose folder is no trace directory) only when
it really parses as one.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from htptui.errors import InputError

_REPORT_HEAD = re.compile(rb'^\s*\{\s*"schema"\s*:\s*"htptui\.report"')


def real_path(path: str | Path) -> Path:
    """The absolute path with every symlink resolved (missing tails kept as written)."""
    return Path(os.path.realpath(os.path.abspath(os.fspath(path))))


def is_saved_report(path: str | Path) -> bool:
    """Whether a file is a saved ``htptui report --format json`` (it must really parse as one)."""
    from htptui.model._io import decode_json, head_bytes, read_bytes

    if not _REPORT_HEAD.match(head_bytes(path, 4096)):
        return False
    try:
        obj = decode_json(read_bytes(path, "report"), str(path))
    except InputError:
        return False
    return (
        isinstance(obj, dict)
        and obj.get("schema") == "htptui.report"
        and isinstance(obj.get("schema_version"), int)
        and not isinstance(obj.get("schema_version"), bool)
    )


def trace_dir_of(path: str | Path) -> Path | None:
    """The (resolved) directory holding an optrace input; None for stdin and saved reports."""
    if str(path) == "-":
        return None
    real = real_path(path)
    if real.is_dir():
        return real
    if real.is_file() and is_saved_report(real):
        return None  # a saved report, not a trace: its folder is not a trace directory
    return real.parent


def inside_trace_dir(dest: str | Path, inputs: list[str] | tuple[str, ...]) -> Path | None:
    """The trace directory of ``inputs`` that ``dest`` (a file to write) would land in, or None."""
    target = real_path(dest)
    for src in inputs:
        d = trace_dir_of(src)
        if d is None:
            continue
        if target == d or d in target.parents:
            return d
    return None


__all__ = ["inside_trace_dir", "is_saved_report", "real_path", "trace_dir_of"]
