"""``htptui check CURRENT --baseline BASE``: a CI regression gate (exit 0 ok, 1 regression, 2 error)."""

from __future__ import annotations

import sys

import click

from htptui.commands._common import format_option
from htptui.commands.diff import PERCENT
from htptui.errors import ExitCode

# `check` exits 2 on any usage *or input* error, so that CI can tell "regressed" (1) from "broken" (2)
CHECK_INPUT_ERROR = ExitCode.USAGE


class _OptionalPercent(click.ParamType):
    """A percentage (``5%`` or ``5``), or ``off`` to disable a gate."""

    name = "percent|off"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float | None:
        """Parse a percentage or ``off``."""
        if value is None or (isinstance(value, str) and value.strip().lower() in ("off", "none")):
            return None
        return PERCENT.convert(value, param, ctx)


OPT_PERCENT = _OptionalPercent()


@click.command("check")
@click.argument("current")
@click.option(
    "--baseline",
    "-b",
    required=True,
    help="Baseline run: a JSON saved by `htptui report --format json`, or an optrace directory.",
)
@click.option(
    "--max-wall-regress",
    type=OPT_PERCENT,
    default="5%",
    show_default=True,
    help="Fail when graph wall cycles grow by more than this.",
)
@click.option(
    "--max-op-regress",
    type=OPT_PERCENT,
    default="10%",
    show_default=True,
    help="Fail when a QNN op's DPC or busy cycles grow by more than this (and --op-min-cycles).",
)
@click.option(
    "--op-min-cycles",
    type=click.FloatRange(0, None),
    default=500,
    show_default=True,
    help="A QNN op regresses only if it also grew by at least this many cycles.",
)
@click.option(
    "--max-domain-regress",
    type=OPT_PERCENT,
    default="5%",
    show_default=True,
    help="Fail when the domain (busiest unit's busy cycles) grows by more than this.",
)
@click.option(
    "--max-idle-regress",
    type=OPT_PERCENT,
    default="off",
    show_default=True,
    help="Fail when accumulated idle (% of wall) rises by more than this many points.",
)
@click.option(
    "--graph",
    "graph",
    default=None,
    metavar="NAME",
    help="Graph of CURRENT when it holds several (name, stem or op-trace file).",
)
@click.option(
    "--baseline-graph",
    default=None,
    metavar="NAME",
    help="Graph of the baseline (default: the --graph name).",
)
@format_option
@click.option(
    "--all", "show_all", is_flag=True, help="List every evaluated gate, not only failures."
)
@click.option(
    "--fail-on-false-dependency",
    is_flag=True,
    help=(
        "Also fail (exit 1) when CURRENT has a suspected dedup-induced false dependency (a HIGH "
        "false_dependency finding: a shared constant joins ops its expected.dag keeps independent)."
    ),
)
def command(
    current: str,
    baseline: str,
    max_wall_regress: float | None,
    max_op_regress: float | None,
    op_min_cycles: float,
    max_domain_regress: float | None,
    max_idle_regress: float | None,
    graph: str | None,
    baseline_graph: str | None,
    fmt: str,
    show_all: bool,
    fail_on_false_dependency: bool,
) -> None:
    """Gate CI on performance: compare CURRENT against --baseline and fail on regression.

    CURRENT and the baseline are each an optrace directory, a chrometrace file, or a JSON file
    saved by `htptui report --format json` (its schema and schema_version are checked).
    Percentages are written 5% or 5; `off` disables a gate.

    \b
    Exit codes (check differs from the other commands):
      0  every figure within its threshold
      1  a regression; stdout lists what regressed (with --fail-on-false-dependency,
         also a suspected dedup-induced false dependency in CURRENT)
      2  usage error, or an input that cannot be read (missing file, truncated JSON,
         unknown schema, schema_version newer than supported)
    """
    from htptui.analysis.compare import Limits, check, compare
    from htptui.commands._common import fail, fail_graph_choice, one_line
    from htptui.errors import InputError
    from htptui.model.discover import GraphChoiceError
    from htptui.output.baseline import load_document
    from htptui.output.diff import render_gates

    def warn(msg: str) -> None:
        click.echo(f"htptui: {one_line(msg)}", err=True)

    # exit 2 (never 1, which means "regression") for anything that cannot be read or trusted
    try:
        base_doc = load_document(baseline, on_warning=warn, graph=baseline_graph or graph)
        cur_doc = load_document(current, on_warning=warn, graph=graph)
    except GraphChoiceError as exc:
        fail_graph_choice(exc)
    except InputError as exc:
        fail(str(exc), CHECK_INPUT_ERROR)
    except MemoryError:
        fail("out of memory while loading", CHECK_INPUT_ERROR)
    except RecursionError:
        fail("an input is nested too deeply to read", CHECK_INPUT_ERROR)
    limits = Limits(
        wall=max_wall_regress,
        op=max_op_regress,
        op_min_cycles=op_min_cycles,
        domain=max_domain_regress,
        idle_points=max_idle_regress,
    )
    try:
        cmp = compare(base_doc, cur_doc)
        gates, notes = check(cmp, limits)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError) as exc:
        # validate_document checks every field read here; this is the last line of defence
        fail(f"cannot compare the runs: a field has an unexpected value ({exc})", CHECK_INPUT_ERROR)
    regressed = [g for g in gates if g.regressed]
    false_deps = []
    if fail_on_false_dependency:  # validate_document checked findings.items are objects
        items = (cur_doc.get("findings") or {}).get("items") or []
        false_deps = [f for f in items if f.get("rule") == "false_dependency"]
    if fmt == "json":
        from htptui.model._io import clean_json_bytes
        from htptui.output.diff import check_document
        from htptui.output.json import to_json_bytes

        doc = check_document(cmp, gates, notes, false_deps)
        sys.stdout.buffer.write(clean_json_bytes(to_json_bytes(doc)))
        sys.stdout.flush()
    elif regressed or show_all:
        head = (
            f"REGRESSION: {len(regressed)} figure(s) of {cmp.b.source} exceed their limits "
            f"against {cmp.a.source}"
            if regressed
            else f"ok: {len(gates)} gate(s) of {cmp.b.source} within limits against {cmp.a.source}"
        )
        from htptui.model._io import clean_output

        click.echo(clean_output(head))
        click.echo(
            clean_output(
                render_gates(gates, [*notes, *cmp.notes], fmt, only_regressed=not show_all)
            ),
            nl=False,
        )
    elif false_deps:
        click.echo(
            f"FAIL: {len(false_deps)} suspected dedup-induced false dependency finding(s) in "
            f"{cmp.b.source} (every regression gate passed)"
        )
    else:
        wall = next((g for g in gates if g.what == "graph wall"), None)
        extra = ""
        if wall is not None and wall.rel is not None:
            extra = f" (graph wall {wall.rel * 100:+.2f} %)"
        click.echo(f"ok: {len(gates)} gate(s) within limits{extra}")
        for n in notes:
            click.echo(f"note: {one_line(n)}", err=True)
    for f in false_deps:
        click.echo(one_line(f"FALSE DEPENDENCY: {f.get('title', '')}"), err=fmt == "json")
    sys.exit(int(ExitCode.INPUT if regressed or false_deps else ExitCode.OK))
