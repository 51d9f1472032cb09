"""``htptui dag PATH``: the compiled op DAG as ASCII lanes, diffed against an expected graph."""

from __future__ import annotations

import click

from htptui.commands._common import (
    fail,
    format_option,
    load_or_exit,
    output_option,
    write_output,
)


@click.command("dag")
@click.argument("path")
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
    from htptui import graph_diff_report as gdr
    from htptui.analysis.graph_diff import diff_optrace
    from htptui.errors import InputError

    opt = load_or_exit(path, quiet=True)
    if opt.graph is None:
        fail(opt.missing_sentence("htp_graph"))
    try:
        diff = diff_optrace(opt, expected)
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
    rows = (gdr.qnn_dag_lines if level == "qnn" else gdr.htp_dag_lines)(
        opt.graph, diff if has_exp else None
    )
    lines = gdr.format_rows(rows)
    if fmt == "json":
        import json

        doc = {"schema": "htptui.dag", "level": level, "source": opt.source, "dag_ascii": lines}
        doc |= {"diff": diff.to_dict()}
        write_output(json.dumps(doc, indent=2) + "\n", output, [path])
        _exit_on_false_dependency(diff, fail_on_false_dependency)
        return
    md = fmt == "md"
    n_nodes = (
        len(opt.graph.nodes)
        if level == "htp"
        else len({n.grouping for n in opt.graph.nodes.values()})
    )
    title = f"{'QNN-op' if level == 'qnn' else 'HTP-node'} DAG of {opt.name} ({n_nodes} nodes)"
    out = [f"# {title}" if md else title]
    if has_exp:
        out.append(f"expected: {diff.expected_source}")
    out.append("")
    out += ["```", *lines, "```"] if md else lines
    sec = gdr.section_of(diff, opt.graph)
    sec["dag_ascii"] = []  # already printed above
    out += gdr.render(sec, md)
    write_output("\n".join(out) + "\n", output, [path])
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
