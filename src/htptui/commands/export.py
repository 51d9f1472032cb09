"""``htptui export PATH --format parquet|csv|perfetto -o OUTDIR``: the SQL tables as files, or a
Perfetto-loadable trace at real time.

Parquet and CSV go through DuckDB's COPY in this process, only into OUTDIR (the ``sql`` extra);
the Perfetto trace needs nothing extra. OUTDIR may never lie inside the trace directory.
"""

from __future__ import annotations

from pathlib import Path

import click

from htptui.commands._common import fail, graph_option, refuse_trace_dir, warn
from htptui.errors import ExitCode

EXPORT_FORMATS = ("parquet", "csv", "perfetto")
PERFETTO_FILE = "perfetto_trace.json"


@click.command("export")
@click.argument("path")
@graph_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    default="parquet",
    show_default=True,
    help="parquet/csv: one file per table plus htptui-export.json; perfetto: " + PERFETTO_FILE,
)
@click.option(
    "-o",
    "--output",
    "outdir",
    required=True,
    metavar="OUTDIR",
    help="Directory to write into (created; never inside the trace directory).",
)
def command(path: str, graph: str | None, fmt: str, outdir: str) -> None:
    """Export PATH's tables (the ones htptui sql queries) or a Perfetto trace into OUTDIR.

    \b
    htptui export out/optrace --format parquet -o runs/2026-12-02
    htptui export out/optrace --format perfetto -o /tmp/pf    (open in ui.perfetto.dev)

    The Perfetto trace holds each executed op once, ts/dur in µs at the clock of the execute the
    op trace shows, lanes as named threads, the QHAS dominant path as its own track, and the
    memory counters.
    """
    from htptui.commands.sql import tables_of

    out = Path(outdir)
    target = PERFETTO_FILE if fmt == "perfetto" else "ops." + fmt
    refuse_trace_dir(out / target, [path])
    if out.exists() and not out.is_dir():
        fail(f"{out}: exists and is not a directory", ExitCode.USAGE)
    if fmt != "perfetto":
        from htptui import sqlengine

        try:
            sqlengine.duckdb_module()
        except sqlengine.QueryError as exc:
            fail(str(exc))
    if fmt == "perfetto":
        from htptui.perfetto_trace import TABLES

        ts = tables_of(path, only=set(TABLES), graph=graph)
    else:
        ts = tables_of(path, graph=graph)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"{out}: cannot create: {exc.strerror or exc}")
    if fmt == "perfetto":
        from htptui import perfetto_trace

        dest = out / PERFETTO_FILE
        try:
            n = perfetto_trace.write(ts, dest)
        except OSError as exc:
            fail(f"{dest}: cannot write: {exc.strerror or exc}")
        if not ts.clock_ghz:
            warn("no runtrace clock: the Perfetto trace is in cycles (shown as ns: 1 cycle = 1 ns)")
        warn(f"wrote {dest} ({n:,} events)")
        return
    from htptui import sqlengine

    try:
        written = sqlengine.export_tables(ts, out, fmt, source=path)
    except sqlengine.QueryError as exc:
        fail(f"{out}: {exc}")
    except OSError as exc:
        fail(f"{out}: cannot write: {exc.strerror or exc}")
    warn(f"wrote {len(written)} files to {out}")
