"""Runs as report documents: a saved ``htptui report --format json`` or any optrace input alike.

``diff``, ``check`` and compare mode load both sides through :func:`load_document`, so a saved
baseline and a freshly loaded directory go through one code path. A saved document is validated
field by field against the shape every reader expects, and its strings are cleaned, before use.
"""

from __future__ import annotations

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


# The shape of every field `diff`, `check` and compare mode read from a document. A spec is a tuple
# of accepted leaf types, a {key: spec} dict (keys optional), or a one-element [spec] list. None is
# accepted wherever the readers write ``x or {}`` (every container below), never for leaves in tuples
# that lack NoneType.
_NUM = (int, float, type(None))
_ANY = (object,)
_KEY = (str, int, float, type(None))
_ROWS = [{"name": _KEY, "dpc": _NUM, "busy": _NUM, "instances": _NUM}]
_DOC_SPEC: dict[str, Any] = {
    "name": _KEY,
    "source": _KEY,
    "timing": {
        "graph_wall_cycles": _NUM,
        "graph_wall_us_at_trace_clock": _NUM,
        "dpc_sum": _NUM,
        "coarse": {"runtrace Graph Execute µs": _NUM},
        "executes": [{"phases": [{"name": _KEY, "us": _NUM}]}],
    },
    "cores": [
        {
            "core": (int,),
            "graph_wall_cycles": _NUM,
            "domain_unit": _KEY,
            "domain_cycles": _NUM,
            "accumulated_idle_cycles": _NUM,
            "accumulated_idle_pct": _NUM,
            "busy_sum_cycles": _NUM,
            "executed_ops": _NUM,
            "unit_busy": ("dict-of", _NUM),
            "boundary_tax": {"total_busy": _NUM, "total_dpc": _NUM},
            "lanes": [{"label": _KEY, "busy": _NUM}],
        }
    ],
    "ranking": {"qnn_op": _ROWS, "kernel": _ROWS},
    "findings": {"items": [{"rule": _KEY, "title": _KEY}]},
    BASIS_KEY: {
        "version": (int, type(None)),
        "qnn_ops": _ROWS,
        "kernels": _ROWS,
        "instances": [
            {
                "qnn_op": _KEY,
                "kernel": _KEY,
                "n": (int,),
                "lane": _KEY,
                "ts": (int,),
                "dur": (int, float),
                "dpc": _NUM,
            }
        ],
        "graph": {
            "nodes": _NUM,
            "nodes_by_kernel": ("dict-of", _NUM),
            "qnn_ops": [_KEY],
            "qnn_op_edges": [[_KEY]],
        },
    },
}
_TYPE_WORDS = {dict: "an object", list: "a list", str: "a string", int: "an integer",
               float: "a number", bool: "a boolean", type(None): "null"}  # fmt: skip
_MAX_REPORT_VALUE = 1 << 62


def _word(v: Any) -> str:
    return _TYPE_WORDS.get(type(v), type(v).__name__)


def _check_shape(value: Any, spec: Any, where: str, label: str) -> None:
    """Raise InputError naming the first field of ``value`` that does not fit ``spec``.

    Iterative over the data (a stack), so a huge document costs no recursion.
    """
    stack: list[tuple[Any, Any, str]] = [(value, spec, where)]
    while stack:
        v, sp, at = stack.pop()
        if isinstance(sp, dict):
            if v is None:
                continue
            if not isinstance(v, dict):
                raise InputError(label, f"{at} is {_word(v)}, expected an object")
            for key, sub in sp.items():
                if key in v:
                    stack.append((v[key], sub, f"{at}.{key}"))
        elif isinstance(sp, list):
            if v is None:
                continue
            if not isinstance(v, list):
                raise InputError(label, f"{at} is {_word(v)}, expected a list")
            stack.extend((item, sp[0], f"{at}[{k}]") for k, item in enumerate(v))
        elif isinstance(sp, tuple) and sp and sp[0] == "dict-of":
            if v is None:
                continue
            if not isinstance(v, dict):
                raise InputError(label, f"{at} is {_word(v)}, expected an object")
            stack.extend((item, sp[1], f"{at}.{k}") for k, item in v.items())
        else:
            if sp is _ANY:
                continue
            if isinstance(v, bool) or not isinstance(v, sp):
                raise InputError(label, f"{at} is {_word(v)}, expected {_word_of(sp)}")
            if isinstance(v, int | float) and not -_MAX_REPORT_VALUE < v < _MAX_REPORT_VALUE:
                raise InputError(label, f"{at} = {v!r} is out of range")


def _word_of(types: tuple[type, ...]) -> str:
    return " or ".join(_TYPE_WORDS.get(t, t.__name__) for t in types)


def _clean_strings(obj: Any) -> Any:
    """Every string (key or value) of a decoded document through clean_text (iteratively)."""
    from htptui.model._io import clean_text

    if isinstance(obj, str):
        return clean_text(obj)
    root: list[Any] = [obj]
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        container, key = stack.pop()
        v = container[key]
        if isinstance(v, str):
            container[key] = clean_text(v)
        elif isinstance(v, list):
            stack.extend((v, i) for i in range(len(v)))
        elif isinstance(v, dict):
            cleaned = {}
            for k, item in v.items():
                cleaned[clean_text(k) if isinstance(k, str) else k] = item
            container[key] = cleaned
            stack.extend((cleaned, k) for k in cleaned)
    return root[0]


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
    _check_shape(obj, _DOC_SPEC, "$", label)
    obj = _clean_strings(obj)
    basis = obj.get(BASIS_KEY)
    if isinstance(basis, dict) and (basis.get("version") or 0) > BASIS_VERSION:
        raise InputError(
            label,
            f"{BASIS_KEY} version {basis.get('version')} is newer than this htptui supports "
            f"({BASIS_VERSION})",
        )
    return obj


def _load_report_file(path: Path) -> dict[str, Any]:
    from htptui.model._io import clean_text, decode_json, read_bytes

    label = clean_text(str(path))
    # regular files only, size- and gzip-bomb-capped; deep nesting is a one-line error
    data = read_bytes(path, "report")
    try:
        obj = decode_json(data, label)
    except InputError as exc:
        raise InputError(
            label, f"not valid JSON: {exc.problem} (truncated or corrupt report?)"
        ) from None
    return validate_document(obj, label)


def _looks_like_report(path: Path) -> bool:
    from htptui.model._io import head_bytes

    return bool(_REPORT_HEAD.match(head_bytes(path, 4096)))


def load_document(
    target: str,
    *,
    progress: Callable[[float, str], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    top: int = 15,
    graph: str | None = None,
) -> dict[str, Any]:
    """Load a run as a report document: a saved ``htptui report --format json`` or any optrace input.

    ``graph`` names one graph of a directory holding several (model.discover.resolve_graph).
    Raises InputError with a one-line message for anything unreadable or of an unknown schema
    (GraphChoiceError, listing the graphs, when several exist and none or an unknown one is named).
    """
    from htptui.model._io import check_regular, clean_text, decode_json, read_bytes

    path = Path(target)
    if target != "-" and not path.is_dir():
        check_regular(path, clean_text(target))  # FIFO, device, loop, dangling: one clear line
    if target != "-" and path.is_file():
        if _looks_like_report(path):
            return _load_report_file(path)
        if path.suffix == ".json" and path.stat().st_size < 64 << 20:
            # a small JSON that is no optrace artifact: give the report loader's clear message
            try:
                obj = decode_json(read_bytes(path, "report"), str(path))
            except InputError:
                obj = None
            if isinstance(obj, dict) and (
                "schema" in obj or "schema_version" in obj or BASIS_KEY in obj
            ):
                return validate_document(obj, str(path))
    from htptui.model.discover import resolve_graph
    from htptui.model.run import load_run

    opt = load_run(target, progress=progress, artifacts=resolve_graph(target, graph))
    if opt.trace is None:
        raise InputError(target, "no op trace (chrometrace) found: nothing to compare")
    if on_warning is not None:
        for kind, problem in opt.errors.items():
            where = opt.artifacts.get(kind) or target
            on_warning(f"warning: {where}: {problem} (continuing without it)")
    return document_of(opt, top=top)
