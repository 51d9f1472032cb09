"""``htptui dag PATH``: the compiled op DAG as ASCII lanes, diffed against an expected graph."""

from __future__ import annotations

import click

from htptui.commands._common import (
    fail,
    format_option,
    graph_option,
    load_or_exit,
    output_option,
    write_output,
)


@click.command("dag")
@click.argument("path")
@graph_option
@click.option(
    "--expected",
    type=click.Path(dir_okay=False),
    default=None,
    help="Expected op graph (.dag text, .dot or .onnx); default: expected.dag beside PATH.",
)
@click.option(
    "--level",
    type=click.Choice(("qnn", "htp")),
    default="qnn",
    show_default=True,
    help="QNN ops (HTP nodes collapsed by grouping) or every HTP node.",
)
@format_option
@output_option
@click.option(
    "--fail-on-false-dependency",
    is_flag=True,
    help=(
        "Exit 1 (after printing the DAG) when a STATIC tensor shared by ops the expected graph "
        "keeps independent suggests a dedup-induced false dependency."
    ),
)
def command(
    path: str,
    graph: str | None,
    expected: str | None,
    level: str,
    fmt: str,
    output: str | None,
    fail_on_false_dependency: bool,
) -> None:
    """Print the actual op DAG of PATH, one node per row, with the diff against the expected graph.

    Edges are marked [ok] (expected and present), [MISSING], [UNEXPECTED] or [added] (to or from an
    op the compiler added); STATIC tensors shared across QNN ops are listed after the DAG.
    With --fail-on-false-dependency the exit status is 1 when a dedup-induced false dependency
    is suspected (the reason goes to stderr).
    """
    from htptui.analysis.run import analysis_of
    from htptui.errors import InputError
    from htptui.output import markdown, text
    from htptui.output.blocks import Code, Heading, Lines
    from htptui.output.sections import graph_diff as gd_section
    from htptui.present import ascii_dag

    opt = load_or_exit(path, quiet=True, graph=graph)
    if opt.graph is None:
        fail(opt.missing_sentence("htp_graph"))
    an = analysis_of(opt)
    try:
        diff = an.graph_diff(expected)
    except InputError as exc:
        if expected:
            fail(str(exc))  # asked for explicitly: an error
        # found beside the trace (or in its parent): degrade to a warning
        from htptui.analysis.graph_diff import diff_graphs
        from htptui.commands._common import warn

        warn(f"warning: {exc} (expected graph ignored)")
        diff = diff_graphs(opt.graph, None, opt.trace)
    assert diff is not None
    has_exp = diff.expected_source is not None
    shown = diff if has_exp else None
    rows = (
        ascii_dag.qnn_dag_lines(opt.graph, shown, an.qnn_dag())
        if level == "qnn"
        else ascii_dag.htp_dag_lines(opt.graph, shown)
    )
    lines = ascii_dag.format_rows(rows)
    if fmt == "json":
        import json

        doc = {"schema": "htptui.dag", "level": level, "source": opt.source, "dag_ascii": lines}
        doc |= {"diff": diff.to_dict()}
        write_output(json.dumps(doc, indent=2) + "\n", output, [path])
        _exit_on_false_dependency(diff, fail_on_false_dependency)
        return
    dag = an.qnn_dag()
    n_nodes = len(opt.graph.nodes) if level == "htp" else len(dag.ops) if dag else 0
    title = f"{'QNN-op' if level == 'qnn' else 'HTP-node'} DAG of {opt.name} ({n_nodes} nodes)"
    head = [f"expected: {diff.expected_source}"] if has_exp else []
    sec = gd_section.section_of(diff, opt.graph, an)
    sec["dag_ascii"] = []  # already printed above
    blocks = [Heading(title, 1), Lines([*head, ""]), Code(lines), *gd_section.blocks(sec)]
    renderer = markdown if fmt == "md" else text
    write_output(renderer.render_blocks(blocks), output, [path])
    _exit_on_false_dependency(diff, fail_on_false_dependency)


def _exit_on_false_dependency(diff: object, enabled: bool) -> None:
    """Exit 1 with the reason when asked to and a false dependency is suspected."""
    suspected = diff.shared.suspected if enabled else []  # type: ignore[attr-defined]
    if suspected:
        fail(false_dependency_reason(suspected))


def false_dependency_reason(suspected: list) -> str:  # type: ignore[type-arg]
    """One line naming the shared tensors that suggest a dedup-induced false dependency."""
    parts = [f"{s.tensor.key} shared by {', '.join(s.ops)}" for s in suspected[:3]]
    more = f" (+{len(suspected) - 3} more)" if len(suspected) > 3 else ""
    return (
        f"suspected dedup-induced false dependency: {'; '.join(parts)}{more}, "
        "which the expected graph keeps independent"
    )
