"""The ``findings`` section (shared by ``htptui report`` and ``htptui findings``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from htptui.analysis.findings import Finding, at_least
from htptui.output.blocks import Block, Heading, Lines
from htptui.present.format import fmt_int, fmt_value

if TYPE_CHECKING:
    from htptui.analysis.run import RunAnalysis

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
        out.append(f"... and {fmt_int(more)} more")
    return out


def build(an: RunAnalysis, options: dict[str, Any]) -> dict[str, Any] | None:
    """The findings section (None when there is no op trace and no companion data)."""
    opt = an.run
    if opt.trace is None and opt.qhas is None and opt.profile is None and opt.heap is None:
        return None
    found = an.findings(
        expected=options.get("expected_deps"), expected_path=options.get("expected")
    )
    if options.get("min_severity"):
        found = at_least(found, options["min_severity"])
    return findings_doc(found, opt.trace)


def blocks(section: dict[str, Any]) -> list[Block]:
    """Findings, most severe first, each with its rule, advice, evidence and ops."""
    items = section.get("items", [])
    title = f"Findings: {len(items)}"
    if section.get("by_severity"):
        title += " (" + ", ".join(f"{n} {s}" for s, n in section["by_severity"].items()) + ")"
    out: list[Block] = [Heading(title)]
    if not items:
        out.append(Lines(["nothing to report: no rule fired"]))
        return out
    text: list[str] = []
    md: list[str] = []
    for k, f in enumerate(items, 1):
        head = f"{k}. [{f['severity'].upper()}] {f['title']}"
        refs = _op_ref_lines(f)
        md += [f"### {head}", "", f"*{f['rule']}* — {f['advice']}", ""]
        md += [f"- {key}: {fmt_value(v)}" for key, v in f["evidence"].items()]
        if refs:
            md.append("- ops (ID kernel (QNN op, lane)): " + "; ".join(refs))
        md.append("")
        text += ["", head, f"   rule: {f['rule']}", f"   advice: {f['advice']}"]
        width = max((len(key) for key in f["evidence"]), default=0)
        text += [f"   {key.ljust(width)}  {fmt_value(v)}" for key, v in f["evidence"].items()]
        if refs:
            text.append("   ops:")
            text += [f"     {r}" for r in refs]
    out.append(Lines(text, md))
    return out


def findings_document(
    an: RunAnalysis, min_severity: str = "info", expected_path: str | None = None
) -> dict[str, Any]:
    """The document ``htptui findings`` writes (the section plus the run's name and source)."""
    doc = findings_doc(at_least(an.findings(expected_path=expected_path), min_severity), an.trace)
    return {"schema": "htptui.findings", "name": an.run.name, "source": an.run.source, **doc}


def findings_blocks(doc: dict[str, Any]) -> list[Block]:
    """``htptui findings`` as blocks: a title, the source, then the section."""
    return [
        Heading(f"htptui findings: {doc['name']}", 1),
        Lines([f"source: {doc['source']}"]),
        *blocks(doc),
    ]
