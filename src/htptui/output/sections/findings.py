"""The ``findings`` section (shared by ``htptui report`` and ``htptui findings``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from htptui.analysis.findings import Finding, at_least
from htptui.output.blocks import Block, Heading, Lines
from htptui.present.format import fmt_value

if TYPE_CHECKING:
    from htptui.analysis.run import RunAnalysis

SECTION = "findings"


def findings_doc(findings: list[Finding]) -> dict[str, Any]:
    """A JSON-able section from findings (already sorted most severe first)."""
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    return {"count": len(findings), "by_severity": counts, "items": [f.to_dict() for f in findings]}


def build(an: RunAnalysis, options: dict[str, Any]) -> dict[str, Any] | None:
    """The findings section (None when there is no op trace and no companion data)."""
    opt = an.run
    if opt.trace is None and opt.qhas is None and opt.profile is None and opt.heap is None:
        return None
    found = an.findings(expected=options.get("expected_deps"))
    if options.get("min_severity"):
        found = at_least(found, options["min_severity"])
    return findings_doc(found)


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
        ops = ""
        if f["ops"]:
            ops = f"trace ops: {', '.join(str(i) for i in f['ops'][:20])}" + (
                " ..." if len(f["ops"]) > 20 else ""
            )
        md += [f"### {head}", "", f"*{f['rule']}* — {f['advice']}", ""]
        md += [f"- {key}: {fmt_value(v)}" for key, v in f["evidence"].items()]
        if ops:
            md.append(f"- {ops}")
        md.append("")
        text += ["", head, f"   rule: {f['rule']}", f"   advice: {f['advice']}"]
        width = max((len(key) for key in f["evidence"]), default=0)
        text += [f"   {key.ljust(width)}  {fmt_value(v)}" for key, v in f["evidence"].items()]
        if ops:
            text.append(f"   {ops}")
    out.append(Lines(text, md))
    return out


def findings_document(an: RunAnalysis, min_severity: str = "info") -> dict[str, Any]:
    """The document ``htptui findings`` writes (the section plus the run's name and source)."""
    doc = findings_doc(at_least(an.findings(), min_severity))
    return {"schema": "htptui.findings", "name": an.run.name, "source": an.run.source, **doc}


def findings_blocks(doc: dict[str, Any]) -> list[Block]:
    """``htptui findings`` as blocks: a title, the source, then the section."""
    return [
        Heading(f"htptui findings: {doc['name']}", 1),
        Lines([f"source: {doc['source']}"]),
        *blocks(doc),
    ]
