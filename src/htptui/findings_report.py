"""The findings section of ``htptui report`` and the renderer shared with ``htptui findings``."""

from __future__ import annotations

from typing import Any

from htptui.analysis.findings import Finding, at_least, run_all
from htptui.model.optrace import Optrace
from htptui.report import register_section

SECTION = "findings"


OP_REFS_SHOWN = 20  # ops named per finding (ID, kernel, QNN op); "ops" keeps every index


def findings_doc(findings: list[Finding], trace: Any = None) -> dict[str, Any]:
    """A JSON-able section from findings (already sorted most severe first).

    ``op_refs`` names the first ops of each finding by ID, kernel and QNN op; ``ops`` are trace
    indices (for selecting them in the explorer), never shown as evidence.
    """
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    items = []
    for f in findings:
        d = f.to_dict()
        d["op_refs"] = f.op_refs(trace, OP_REFS_SHOWN)
        items.append(d)
    return {"count": len(findings), "by_severity": counts, "items": items}


def _op_ref_lines(f: dict[str, Any]) -> list[str]:
    refs = f.get("op_refs") or []
    out = [f"{r['id']} {r['kernel']} ({r['qnn_op']}, {r['lane']})" for r in refs]
    more = len(f.get("ops") or []) - len(refs)
    if refs and more > 0:
        out.append(f"... and {more:,} more")
    return out


def build(opt: Optrace, options: dict[str, Any]) -> dict[str, Any] | None:
    """Build the findings section (None when there is no op trace and no companion data)."""
    if opt.trace is None and opt.qhas is None and opt.profile is None and opt.heap is None:
        return None
    found = run_all(
        opt, expected=options.get("expected_deps"), expected_path=options.get("expected")
    )
    if options.get("min_severity"):
        found = at_least(found, options["min_severity"])
    return findings_doc(found, opt.trace)


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{int(v):,}" if v.is_integer() and abs(v) >= 1000 else f"{v:,.2f}"
    return str(v)


def render(section: dict[str, Any], md: bool) -> list[str]:
    """Render the findings section as text or Markdown lines."""
    items = section.get("items", [])
    title = f"Findings: {len(items)}"
    if section.get("by_severity"):
        title += " (" + ", ".join(f"{n} {s}" for s, n in section["by_severity"].items()) + ")"
    out = ["", f"## {title}", ""] if md else ["", title, "=" * len(title)]
    if not items:
        out.append("nothing to report: no rule fired")
        return out
    for k, f in enumerate(items, 1):
        head = f"{k}. [{f['severity'].upper()}] {f['title']}"
        if md:
            out += [f"### {head}", "", f"*{f['rule']}* — {f['advice']}", ""]
            out += [f"- {key}: {_fmt(v)}" for key, v in f["evidence"].items()]
            refs = _op_ref_lines(f)
            if refs:
                out.append("- ops (ID kernel (QNN op, lane)): " + "; ".join(refs))
            out.append("")
        else:
            out += ["", head, f"   rule: {f['rule']}", f"   advice: {f['advice']}"]
            width = max((len(key) for key in f["evidence"]), default=0)
            out += [f"   {key.ljust(width)}  {_fmt(v)}" for key, v in f["evidence"].items()]
            refs = _op_ref_lines(f)
            if refs:
                out.append("   ops:")
                out += [f"     {r}" for r in refs]
    return out


register_section(SECTION, build, render)
