"""``htptui sql PATH "SELECT …"``: SQL (DuckDB) over one run's tables, or over many saved runs.

PATH is an optrace (directory, file or -), a saved ``htptui report --format json`` document, or a
directory written by ``htptui export --format parquet|csv``. ``--runs DIR_OR_GLOB`` stacks many saved
reports and exports into one table set with a ``run`` column. DuckDB is imported only here and in
``htptui export``.
"""

from __future__ import annotations

import contextlib
import glob as globmod
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from htptui.commands._common import fail, graph_option, load_or_exit
from htptui.errors import ExitCode, InputError

if TYPE_CHECKING:
    from htptui.analysis.tables import Tables

SQL_FORMATS = ("text", "csv", "json")
REPORT_SUFFIXES = (".json", ".json.gz")


def _label(path: Path, root: Path | None) -> str:
    rel = path
    if root is not None:
        try:
            rel = path.relative_to(root)
        except ValueError:
            rel = path
    text = rel.as_posix()
    for suffix in (".json.gz", ".json"):
        if text.endswith(suffix):
            return text[: -len(suffix)]
    return text


def tables_of(
    path: str,
    run: str | None = None,
    *,
    quiet: bool = False,
    only: set[str] | None = None,
    graph: str | None = None,
) -> Tables:
    """The tables of one input: an export dir, a saved report, or any optrace (exit 1 when bad).

    ``only``: for an optrace, build just these tables (the others are then not queryable).
    ``graph``: the graph of a directory holding several (none named: exit 2 with the list).
    """
    from htptui import sqlengine
    from htptui.analysis import tables
    from htptui.output.baseline import _looks_like_report, load_document

    p = Path(path)
    try:
        if path != "-" and sqlengine.is_export_dir(p):
            return sqlengine.read_export(p, run or p.name)
        if path != "-" and p.is_file() and _looks_like_report(p):
            doc = load_document(path)
            return tables.tables_from_document(doc, run or str(doc.get("name") or p.stem))
    except InputError as exc:
        fail(str(exc))
    except sqlengine.QueryError as exc:
        fail(str(exc))
    opt = load_or_exit(path, quiet=quiet, graph=graph)
    ts = tables.build_tables(opt, only=only)
    if run is not None:
        ts.run = run
    return ts


def expand_runs(patterns: tuple[str, ...]) -> list[tuple[Path, str]]:
    """Saved reports and export dirs named by directories or globs, with their run labels."""
    from htptui import sqlengine
    from htptui.output.baseline import _looks_like_report

    found: list[tuple[Path, str]] = []
    seen: set[Path] = set()

    def add(p: Path, label: str) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            found.append((p, label))

    for pattern in patterns:
        p = Path(pattern)
        if p.is_dir() and not sqlengine.is_export_dir(p):
            for f in sorted(p.rglob("*")):
                if (
                    f.is_dir()
                    and sqlengine.is_export_dir(f)
                    or f.is_file()
                    and f.name.endswith(REPORT_SUFFIXES)
                    and _looks_like_report(f)
                ):
                    add(f, _label(f, p))
            continue
        matches = [Path(m) for m in sorted(globmod.glob(pattern, recursive=True))] or (
            [p] if p.exists() else []
        )
        if not matches:
            fail(f"{pattern}: no such file, directory or match")
        for m in matches:
            if m.is_dir() or m.is_file():  # a report, an export dir, or an optrace (loaded in full)
                add(m, _label(Path(m.name), None))
    labels = [lb for _, lb in found]
    if len(set(labels)) != len(labels):  # same label from two patterns: fall back to the path
        found = [(p, str(p)) for p, _ in found]
    return found


def _interactive(con, fmt: str) -> None:
    """Read queries line by line from the terminal until EOF or .quit."""
    from htptui import sqlengine

    with contextlib.suppress(ImportError):  # line editing and history for input()
        import readline  # noqa: F401
    click.echo(
        "htptui sql: one query per line; .tables, .schema [TABLE], .quit (or Ctrl-D)", err=True
    )
    while True:
        try:
            line = input("sql> ")
        except (EOFError, KeyboardInterrupt):
            click.echo("", err=True)
            return
        q = line.strip()
        if not q:
            continue
        if q in (".quit", ".exit", "\\q"):
            return
        if q == ".tables":
            from htptui.analysis.tables import SCHEMA

            click.echo("\n".join(SCHEMA))
            continue
        if q.startswith(".schema"):
            name = q[len(".schema") :].strip()
            text = sqlengine.format_schema("text")
            if name:
                blocks = [b for b in text.split("\n\n") if b.startswith(f"{name}:")]
                text = (blocks[0] + "\n") if blocks else f"no table {name!r}\n"
            click.echo(text, nl=False)
            continue
        try:
            names, cur = sqlengine.execute(con, q)
            sqlengine.write_result(sys.stdout, fmt, names, sqlengine.chunks(cur) if names else [])
        except sqlengine.QueryError as exc:
            click.echo(f"htptui: error: {exc}", err=True)
            continue
        sys.stdout.flush()


@click.command("sql", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1)  # a query may start with a "-- comment": it is no option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(SQL_FORMATS),
    default="text",
    show_default=True,
    help="Output format of the result.",
)
@click.option(
    "--runs",
    multiple=True,
    metavar="DIR_OR_GLOB",
    help="Query many saved runs (report JSON documents, export dirs) as one table set with a "
    "'run' column; repeatable. The arguments are then just the query.",
)
@click.option("--schema", is_flag=True, help="Print the tables, columns, types and units.")
@graph_option
def command(
    args: tuple[str, ...], fmt: str, runs: tuple[str, ...], schema: bool, graph: str | None
) -> None:
    """Run a read-only SQL query (DuckDB) on the tables of PATH.

    \b
    htptui sql PATH "SELECT qnn_op, sum(dpc) FROM ops GROUP BY 1 ORDER BY 2 DESC"
    htptui sql --runs 'ci/**/*.json' "SELECT run, graph_wall FROM cores"
    htptui sql --schema                        tables, columns and units
    htptui sql PATH                            interactive prompt (or the query on stdin)

    ts/dur are cycles (the trace's own unit); *_us columns are µs at the clock of the execute the
    op trace shows. Only SELECT-type statements run; the engine has no file or network access.
    """
    from htptui import sqlengine

    if schema:
        click.echo(sqlengine.format_schema(fmt), nl=False)
        return
    if runs:
        if len(args) > 1:
            fail("with --runs give only the query", ExitCode.USAGE)
        query = args[0] if args else None
    else:
        if not args:
            fail(
                "give PATH (or --runs DIR_OR_GLOB) and a query; see htptui sql --help",
                ExitCode.USAGE,
            )
        if len(args) > 2:
            fail("too many arguments: quote the query as one argument", ExitCode.USAGE)
        query = args[1] if len(args) == 2 else None
    try:
        sqlengine.duckdb_module()
    except sqlengine.QueryError as exc:
        fail(str(exc))
    interactive = query is None and sys.stdin.isatty()
    if query is None and not interactive:
        if not runs and args[0] == "-":
            fail("the trace comes on stdin: give the query as an argument", ExitCode.USAGE)
        query = sys.stdin.read()
    if runs:
        sources = expand_runs(runs)
        if not sources:
            fail(f"{', '.join(runs)}: no saved reports or exports found")
        sets = [tables_of(str(p), label, quiet=True) for p, label in sources]
    else:
        from htptui.analysis.tables import tables_named_in

        only = None if query is None else tables_named_in(query)
        sets = [tables_of(args[0], only=only, graph=graph)]
    con = sqlengine.connect(sets)
    if query is None:
        _interactive(con, fmt)
        return
    try:
        names, cur = sqlengine.execute(con, query)
        sqlengine.write_result(sys.stdout, fmt, names, sqlengine.chunks(cur) if names else [])
    except sqlengine.QueryError as exc:
        fail(str(exc))
    except BrokenPipeError:  # `htptui sql … | head`
        sys.stderr.close()
        return
    sys.stdout.flush()
