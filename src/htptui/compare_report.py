"""The ``compare_basis`` report section, loading a run as a report document, and diff rendering.

Importing this module registers ``compare_basis`` with :mod:`htptui.report`, so every JSON report
(and hence every saved baseline) carries the full per-QNN-op, per-kernel and per-instance rows and
the QNN-op edge list that ``htptui diff`` and ``htptui check`` compare. The section is not shown in
text or Markdown reports.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from htptui import report
from htptui.analysis import compare as cmp_mod
from htptui.analysis.compare import BASIS_KEY, BASIS_VERSION, Comparison, Gate, Noise
from htptui.errors import InputError
from htptui.model.optrace import Optrace

# --- the section --------------------------------------------------------------------------------


def qnn_op_edges(graph: Any) -> list[list[str]]:
    """QNN-op edges A→B of a compiled graph: a node of B consumes a tensor a node of A produces."""
    edges: set[tuple[str, str]] = set()
    for node in graph.nodes.values():
        for t in node.inputs:
            p = graph.producer.get(t)
            if p is None or p not in graph.nodes:
                continue
            src = graph.nodes[p].grouping
            if src != node.grouping:
                edges.add((src, node.grouping))
    return [list(e) for e in sorted(edges)]


def build_basis(opt: Optrace, options: dict[str, Any]) -> dict[str, Any] | None:
    """Full per-QNN-op, per-kernel and per-instance rows plus graph structure, for comparisons."""
    from htptui.analysis import ranking

    t = opt.trace
    if t is None:
        return None
    out: dict[str, Any] = {"version": BASIS_VERSION}
    for level, key in (("qnn_op", "qnn_ops"), ("kernel", "kernels")):
        r = ranking.rank(t, level)
        out[key] = [
            {
                "name": r.names[i],
                "dpc": int(r.dpc[i]),
                "busy": int(r.busy[i]),
                "instances": int(r.instances[i]),
                "units": ranking.units_text(int(r.units[i])),
            }
            for i in range(len(r))
        ]
    seen: Counter[tuple[str, str]] = Counter()
    per_op: Counter[str] = Counter()
    instances = []
    for i in range(len(t)):  # trace order is (ts, -dur): order within an op is by start time
        qnn, kernel = t.qnn_op_name(i), t.kernel_name(i)
        instances.append(
            {
                "qnn_op": qnn,
                "kernel": kernel,
                "n": seen[(qnn, kernel)],
                "order": per_op[qnn],
                "lane": t.lane_of(i).label,
                "ts": int(t.ts[i]),
                "dur": int(t.dur[i]),
                "dpc": max(int(t.dpc[i]), 0),
                "op_id": t.op_id_str(i),
            }
        )
        seen[(qnn, kernel)] += 1
        per_op[qnn] += 1
    out["instances"] = instances
    g = opt.graph
    out["graph"] = (
        None
        if g is None
        else {
            "nodes": len(g.nodes),
            "nodes_by_kernel": dict(sorted(Counter(n.type for n in g.nodes.values()).items())),
            "qnn_ops": sorted({n.grouping for n in g.nodes.values()}),
            "qnn_op_edges": qnn_op_edges(g),
        }
    )
    return out


def render_basis(section: dict[str, Any], md: bool) -> list[str]:
    """The comparison basis is data for `diff`/`check`: nothing is shown in text reports."""
    return []


report.register_section(BASIS_KEY, build_basis, render_basis)

# --- loading a run as a document ------------------------------------------------------------------

_REQUIRED = ("schema", "schema_version", "cores", "ranking", "timing")
_REPORT_HEAD = re.compile(rb'^\s*\{\s*"schema"\s*:')


def document_of(opt: Optrace, top: int = 15) -> dict[str, Any]:
    """The report document of a loaded run (always with the compare_basis section)."""
    doc = report.build_report(opt, top=top, options={})
    if BASIS_KEY not in doc:  # report.py did not import this module before SECTION_BUILDERS ran
        basis = build_basis(opt, {})
        if basis is not None:
            doc[BASIS_KEY] = basis
    return doc


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
    if obj["schema"] != report.SCHEMA_NAME:
        raise InputError(
            label, f"unknown schema {obj['schema']!r} (expected {report.SCHEMA_NAME!r})"
        )
    version = obj.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InputError(label, f"bad schema_version {version!r} (expected an integer ≥ 1)")
    if version > report.SCHEMA_VERSION:
        raise InputError(
            label,
            f"schema_version {version} is newer than this htptui supports "
            f"({report.SCHEMA_VERSION}); upgrade htptui or regenerate the baseline",
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
) -> dict[str, Any]:
    """Load a run as a report document: a saved ``htptui report --format json`` or any optrace input.

    Raises InputError with a one-line message for anything unreadable or of an unknown schema.
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
    from htptui.model.optrace import load_optrace

    opt = load_optrace(target, progress=progress)
    if opt.trace is None:
        raise InputError(target, "no op trace (chrometrace) found: nothing to compare")
    if on_warning is not None:
        for kind, problem in opt.errors.items():
            where = opt.artifacts.get(kind) or target
            on_warning(f"warning: {where}: {problem} (continuing without it)")
    return document_of(opt, top=top)


# --- rendering a comparison ---------------------------------------------------------------------


def fmt_value(v: float | None, unit: str = "cycles") -> str:
    """A figure for display (``-`` when absent)."""
    if v is None:
        return "-"
    if unit == "us":
        return f"{v:,.2f}"
    if unit == "pct":
        return f"{v:.2f} %"
    if float(v).is_integer():
        return f"{int(v):,}"
    return f"{v:,.2f}"


def fmt_delta(d: float | None, unit: str = "cycles") -> str:
    """A signed delta for display."""
    if d is None:
        return "-"
    if d == 0:
        return "0"
    sign = "+" if d > 0 else "−"
    return sign + fmt_value(abs(d), unit)


def fmt_rel(r: float | None) -> str:
    """A signed relative change in percent."""
    if r is None:
        return "-"
    if r == 0:
        return "0 %"
    return f"{'+' if r > 0 else '−'}{abs(r) * 100:.2f} %"


def _change_cells(c: cmp_mod.Change) -> list[str]:
    if c.status == "n/a":
        a = f"n/a ({c.na_a})" if c.na_a else fmt_value(c.a, c.unit)
        b = f"n/a ({c.na_b})" if c.na_b else fmt_value(c.b, c.unit)
        return [a, b, "n/a", ""]
    if c.status == "added":
        return ["-", fmt_value(c.b, c.unit), "added", ""]
    if c.status == "removed":
        return [fmt_value(c.a, c.unit), "-", "removed", ""]
    return [
        fmt_value(c.a, c.unit),
        fmt_value(c.b, c.unit),
        fmt_delta(c.delta, c.unit),
        fmt_rel(c.rel),
    ]


def table(headers: list[str], rows: list[list[str]], md: bool, left: int = 1) -> list[str]:
    """A plain-text (the first ``left`` columns left-aligned, others right) or Markdown table."""
    if md:
        out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
        return out
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def _heading(text: str, md: bool) -> list[str]:
    return ["", f"## {text}", ""] if md else ["", text, "-" * len(text)]


def _hidden(n: int) -> list[str]:
    return [f"({n} more rows unchanged or below the noise threshold)"] if n else []


def render_diff(cmp: Comparison, fmt: str, noise: Noise, top: int | None) -> str:
    """Render a comparison as ``text`` or ``md``: significant rows only, sorted by |Δ|."""
    md = fmt == "md"
    out: list[str] = []
    title = f"htptui diff: {cmp.a.name} (A) → {cmp.b.name} (B)"
    out += [f"# {title}", ""] if md else [title, "=" * len(title)]
    out.append(f"A: {cmp.a.source}")
    out.append(f"B: {cmp.b.source}")
    out.append(
        f"noise threshold: |Δ| < {noise.rel * 100:g} % of A or < {noise.cycles:g} cycles is hidden"
    )
    if cmp.identical(noise):
        out.append("")
        out.append("no change above the noise threshold")

    def cut(rows: list[Any], pred: Callable[[Any], bool]) -> tuple[list[Any], int]:
        keep = [r for r in rows if pred(r)]
        shown = keep if top is None else keep[:top]
        return shown, len(rows) - len(shown)

    out += _heading("Summary (A → B)", md)
    out += table(
        ["figure", "A", "B", "Δ", "Δ %"],
        [[c.name, *_change_cells(c)] for c in cmp.summary],
        md,
    )
    lanes, hidden = cut(cmp.lanes, noise.significant)
    if lanes:
        out += _heading("Busy cycles per lane (work per unit thread; not wall)", md)
        out += table(
            ["lane", "A", "B", "Δ", "Δ %"], [[c.name, *_change_cells(c)] for c in lanes], md
        )
        out += _hidden(hidden)
    phases, hidden = cut(cmp.phases, noise.significant)
    if phases:
        out += _heading("Runtrace phases of the first execute (µs)", md)
        out += table(
            ["phase", "A", "B", "Δ", "Δ %"], [[c.name, *_change_cells(c)] for c in phases], md
        )
        out += _hidden(hidden)
    if cmp.ops_added or cmp.ops_removed:
        out += _heading("QNN ops added / removed", md)
        out += [f"+ {n}" for n in cmp.ops_added] + [f"- {n}" for n in cmp.ops_removed]
    for title_, rows_all in (("QNN ops", cmp.qnn_ops), ("HTP kernels", cmp.kernels)):
        rows, hidden = cut(rows_all, lambda r: r.significant(noise))
        if not rows:
            continue
        out += _heading(f"{title_} by |Δ| (DPC = Dominant Path Cycles)", md)
        body = []
        for r in rows:
            d, b = r.dpc, r.busy
            if r.status in ("added", "removed"):
                body.append(
                    [r.name, fmt_value(d.a), fmt_value(d.b), r.status, "",
                     fmt_value(b.a), fmt_value(b.b), r.status,
                     fmt_value(r.instances.a, "count") + "→" + fmt_value(r.instances.b, "count")]
                )  # fmt: skip
                continue
            inst = r.instances
            body.append(
                [r.name, fmt_value(d.a), fmt_value(d.b), fmt_delta(d.delta), fmt_rel(d.rel),
                 fmt_value(b.a), fmt_value(b.b), fmt_delta(b.delta),
                 fmt_value(inst.a, "count") if inst.status == "same"
                 else f"{fmt_value(inst.a, 'count')}→{fmt_value(inst.b, 'count')}"]
            )  # fmt: skip
        out += table(
            ["name", "A DPC", "B DPC", "Δ DPC", "Δ %", "A busy", "B busy", "Δ busy", "inst"],
            body,
            md,
        )
        out += _hidden(hidden)
    if cmp.instances is not None:
        rows, hidden = cut(cmp.instances, lambda r: r.significant(noise))
        if rows:
            out += _heading("Instances (matched by order of the kernel within its QNN op)", md)
            body = []
            for r in rows:
                lane = r.lane_a or r.lane_b or "-"
                if r.status == "moved":
                    lane = f"{r.lane_a or '-'}→{r.lane_b or '-'}"
                dd = r.dur
                status = r.status if r.status in ("added", "removed", "moved") else ""
                body.append(
                    [r.qnn_op, r.kernel, str(r.n), lane, fmt_value(dd.a), fmt_value(dd.b),
                     fmt_delta(dd.delta), fmt_value(r.dpc.a), fmt_value(r.dpc.b),
                     fmt_delta(r.dpc.delta), status]
                )  # fmt: skip
            out += table(
                ["QNN op", "kernel", "#", "lane", "A dur", "B dur", "Δ dur", "A DPC", "B DPC",
                 "Δ DPC", ""],
                body,
                md,
                left=4,
            )  # fmt: skip
            out += _hidden(hidden)
    g = cmp.graph
    if g is not None and g.changed:
        out += _heading("Compiled graph structure", md)
        out.append(f"nodes: {fmt_value(g.nodes.a)} → {fmt_value(g.nodes.b)}")
        if g.kernel_counts:
            out += table(
                ["kernel", "A nodes", "B nodes", "Δ", "Δ %"],
                [[c.name, *_change_cells(c)] for c in g.kernel_counts],
                md,
            )
        out += [f"QNN op added to the graph: {n}" for n in g.qnn_ops_added]
        out += [f"QNN op removed from the graph: {n}" for n in g.qnn_ops_removed]
        out += [f"edge added: {a} → {b}" for a, b in g.edges_added]
        out += [f"edge removed: {a} → {b}" for a, b in g.edges_removed]
    if cmp.notes:
        out += _heading("Notes", md)
        out += [f"- {n}" for n in cmp.notes]
    return "\n".join(out) + "\n"


def render_gates(gates: list[Gate], notes: list[str], fmt: str, only_regressed: bool) -> str:
    """The `check` table: what regressed (or every gate), as text or Markdown."""
    md = fmt == "md"
    rows = [g for g in gates if g.regressed or not only_regressed]
    body = [
        [g.what, fmt_value(g.a, g.unit), fmt_value(g.b, g.unit), fmt_delta(g.delta, g.unit),
         fmt_rel(g.rel) if g.unit != "pct" else "", g.limit, "REGRESSED" if g.regressed else "ok"]
        for g in rows
    ]  # fmt: skip
    out = table(["figure", "baseline", "current", "Δ", "Δ %", "limit", "verdict"], body, md)
    out += [f"note: {n}" for n in notes]
    return "\n".join(out) + "\n"
