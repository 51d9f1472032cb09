"""Runs as report documents: a saved ``htptui report --format json`` or any optrace input alike.

``diff``, ``check`` and compare mode load both sides through :func:`load_document`, so a saved
baseline and a freshly loaded directory go through one code path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from htptui.analysis.compare import BASIS_KEY, BASIS_VERSION
from htptui.errors import InputError
from htptui.model.run import Run
from htptui.output.document import SCHEMA_NAME, SCHEMA_VERSION, build_report

_REQUIRED = ("schema", "schema_version", "cores", "ranking", "timing")
_REPORT_HEAD = re.compile(rb'^\s*\{\s*"schema"\s*:')


def document_of(opt: Run, top: int = 15) -> dict[str, Any]:
    """The report document of a loaded run (always with the compare_basis section)."""
    return build_report(opt, top=top, options={})


def validate_document(obj: Any, label: str) -> dict[str, Any]:
    """Check that decoded JSON is a report document this htptui understands (else InputError)."""
    if not isinstance(obj, dict):
        raise InputError(label, "not an htptui report: the JSON is not an object")
    if "schema" not in obj:
        raise InputError(label, "not an htptui report: no 'schema' key")
    if obj["schema"] != SCHEMA_NAME:
        raise InputError(label, f"unknown schema {obj['schema']!r} (expected {SCHEMA_NAME!r})")
    version = obj.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InputError(label, f"bad schema_version {version!r} (expected an integer ≥ 1)")
    if version > SCHEMA_VERSION:
        raise InputError(
            label,
            f"schema_version {version} is newer than this htptui supports "
            f"({SCHEMA_VERSION}); upgrade htptui or regenerate the baseline",
        )
    missing = [k for k in _REQUIRED if k not in obj]
    if missing:
        raise InputError(label, f"htptui report is missing keys: {', '.join(missing)}")
    basis = obj.get(BASIS_KEY)
    if isinstance(basis, dict) and int(basis.get("version", 0) or 0) > BASIS_VERSION:
        raise InputError(
            label,
            f"{BASIS_KEY} version {basis.get('version')} is newer than this htptui supports "
            f"({BASIS_VERSION})",
        )
    return obj


def _load_report_file(path: Path) -> dict[str, Any]:
    from htptui.model._io import maybe_gunzip

    label = str(path)
    try:
        data = maybe_gunzip(path.read_bytes(), label)
    except OSError as exc:
        raise InputError(label, f"cannot read: {exc.strerror or exc}") from None
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        where = f" at byte {exc.pos}" if isinstance(exc, json.JSONDecodeError) else ""
        raise InputError(label, f"not valid JSON{where} (truncated or corrupt report?)") from None
    return validate_document(obj, label)


def _looks_like_report(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    if head[:2] == b"\x1f\x8b":
        import gzip

        try:
            with gzip.open(path, "rb") as fh:
                head = fh.read(4096)
        except (OSError, EOFError):
            return False
    return bool(_REPORT_HEAD.match(head))


def load_document(
    target: str,
    *,
    progress: Callable[[float, str], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    top: int = 15,
) -> dict[str, Any]:
    """Load a run as a report document: a saved ``htptui report --format json`` or any optrace input.

    Raises InputError with a one-line message for anything unreadable or of an unknown schema.
    """
    path = Path(target)
    if target != "-" and path.is_file():
        if _looks_like_report(path):
            return _load_report_file(path)
        if path.suffix == ".json" and path.stat().st_size < 64 << 20:
            # a small JSON that is no optrace artifact: give the report loader's clear message
            try:
                obj = json.loads(path.read_bytes())
            except (ValueError, UnicodeDecodeError, OSError):
                obj = None
            if isinstance(obj, dict) and (
                "schema" in obj or "schema_version" in obj or BASIS_KEY in obj
            ):
                return validate_document(obj, str(path))
    from htptui.model.run import load_run

    opt = load_run(target, progress=progress)
    if opt.trace is None:
        raise InputError(target, "no op trace (chrometrace) found: nothing to compare")
    if on_warning is not None:
        for kind, problem in opt.errors.items():
            where = opt.artifacts.get(kind) or target
            on_warning(f"warning: {where}: {problem} (continuing without it)")
    return document_of(opt, top=top)
