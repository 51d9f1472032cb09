"""``htptui findings PATH``: what is wrong with a run, most severe first, with the evidence."""

from __future__ import annotations

import click

from htptui.commands._common import (
    format_option,
    graph_option,
    load_or_exit,
    output_option,
    write_output,
)

SEVERITY_CHOICES = ("high", "medium", "low", "info")


@click.command("findings")
@click.argument("path")
@graph_option
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
    path: str,
    graph: str | None,
    fmt: str,
    min_severity: str,
    expected: str | None,
    output: str | None,
) -> None:
    """List the problems found in PATH (serialisation, boundary tax, HVX-bound ops, ...).

    Findings are advice, not errors: the exit status is 0 whatever is found, 1 only for bad input.
    stdout carries only the findings.
    """
    from htptui.analysis.run import analysis_of
    from htptui.output import markdown, text
    from htptui.output.json import to_json_bytes
    from htptui.output.sections.findings import findings_blocks, findings_document

    opt = load_or_exit(path, graph=graph)
    doc = findings_document(analysis_of(opt), min_severity, expected_path=expected)
    if fmt == "json":
        write_output(to_json_bytes(doc), output, [path])
        return
    renderer = markdown if fmt == "md" else text
    write_output(renderer.render_blocks(findings_blocks(doc)), output, [path])
