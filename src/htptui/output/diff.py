"""The diff renderer: a comparison of two runs (``htptui diff``) and the ``check`` gate table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from htptui.analysis import compare as cmp_mod
from htptui.analysis.compare import Comparison, Gate, Noise
from htptui.present.format import fmt_delta, fmt_rel
from htptui.present.format import fmt_unit_value as fmt_value


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


def check_document(
    cmp: Comparison, gates: list[Gate], notes: list[str], false_deps: list[dict[str, Any]]
) -> dict[str, Any]:
    """The JSON document ``htptui check --format json`` writes."""
    regressed = [g for g in gates if g.regressed]
    return {
        "schema": "htptui.check",
        "schema_version": 1,
        "ok": not regressed and not false_deps,
        "baseline": {"name": cmp.a.name, "source": cmp.a.source},
        "current": {"name": cmp.b.name, "source": cmp.b.source},
        "regressions": [g.to_dict() for g in regressed],
        "false_dependencies": [f["title"] for f in false_deps],
        "gates": [g.to_dict() for g in gates],
        "notes": [*notes, *cmp.notes],
    }
