"""``htptui findings PATH``: what is wrong with a run, most severe first, with the evidence."""

from __future__ import annotations

import click

from htptui.commands._common import (
    format_option,
    load_or_exit,
    output_option,
    write_output,
)

SEVERITY_CHOICES = ("high", "medium", "low", "info")


@click.command("findings")
@click.argument("path")
@format_option
@click.option(
    "--min-severity",
    type=click.Choice(SEVERITY_CHOICES),
    default="info",
    show_default=True,
    help="Hide findings less severe than this.",
)
@click.option(
    "--expected",
    type=click.Path(dir_okay=False),
    default=None,
    help="Expected op graph (.dag, .dot or .onnx) for false dependencies; default: expected.dag beside PATH.",
)
@output_option
def command(
    path: str, fmt: str, min_severity: str, expected: str | None, output: str | None
) -> None:
    """List the problems found in PATH (serialisation, boundary tax, HVX-bound ops, ...).

    Findings are advice, not errors: the exit status is 0 whatever is found, 1 only for bad input.
    stdout carries only the findings.
    """
    import msgspec

    from htptui.analysis.findings import at_least, run_all
    from htptui.findings_report import findings_doc, render

    opt = load_or_exit(path)
    doc = findings_doc(at_least(run_all(opt, expected_path=expected), min_severity), opt.trace)
    if fmt == "json":
        doc = {"schema": "htptui.findings", "name": opt.name, "source": opt.source, **doc}
        write_output(
            msgspec.json.format(msgspec.json.encode(doc), indent=2) + b"\n", output, [path]
        )
        return
    md = fmt == "md"
    title = f"htptui findings: {opt.name}"
    lines = [f"# {title}" if md else title]
    if not md:
        lines.append("=" * len(title))
    lines.append(f"source: {opt.source}")
    lines += render(doc, md)
    write_output("\n".join(lines) + "\n", output, [path])
