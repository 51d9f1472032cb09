"""DuckDB over htptui's tables: a read-only, sandboxed connection, query guard, result formatting.

Imported only by ``htptui sql`` and ``htptui export`` (DuckDB is the optional ``sql`` extra). The
tables of :mod:`htptui.analysis.tables` are handed to DuckDB as dicts of numpy arrays (DuckDB scans
them in place: no pandas, no pyarrow) and copied once into typed tables named after the schema.
A query connection refuses every statement that is not a SELECT (or EXPLAIN), checked on DuckDB's
own parse of the text, and runs with ``enable_external_access = false`` (no file, no network) and
a locked configuration, so no query can read or write a file.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from htptui.analysis.tables import SCHEMA, Tables, TableSpec
from htptui.errors import InputError
from htptui.model._io import clean_text

INSTALL_HINT = 'DuckDB is not installed: pip install "htptui[sql]" (or pip install duckdb)'
ALLOWED = ("SELECT", "EXPLAIN")
EXPORT_MANIFEST = "htptui-export.json"
EXPORT_SCHEMA = "htptui.export"


class QueryError(Exception):
    """A query could not run: the message is one line (the engine's own where it has one)."""


def duckdb_module() -> Any:
    """Import DuckDB, or raise QueryError with the install hint."""
    try:
        import duckdb
    except ImportError:
        raise QueryError(INSTALL_HINT) from None
    return duckdb


def one_line(exc: BaseException) -> str:
    """The engine's message as one line: its first paragraph, lines joined."""
    text = str(exc).strip()
    para = text.split("\n\n", 1)[0]
    return " ".join(s.strip() for s in para.splitlines() if s.strip()) or type(exc).__name__


# --- loading tables ---------------------------------------------------------------------------------


def stack(sets: Sequence[Tables]) -> dict[str, dict[str, np.ndarray]]:
    """One table set from many runs: every table's columns concatenated, with a ``run`` column."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for name, spec in SCHEMA.items():
        if not all(name in ts.data for ts in sets):
            continue  # not built (a single run builds only the tables a query names)
        parts = [ts.data[name] for ts in sets]
        sizes = [ts.rows(name) for ts in sets]
        runs = np.empty(sum(sizes), dtype=object)
        pos = 0
        for ts, k in zip(sets, sizes, strict=True):
            runs[pos : pos + k] = ts.run
            pos += k
        cols: dict[str, np.ndarray] = {"run": runs}
        for c in spec.names[1:]:
            arrays = [p[c] for p in parts]
            if len(arrays) == 1:
                cols[c] = arrays[0]
            elif any(isinstance(a, np.ma.MaskedArray) for a in arrays):
                cols[c] = np.ma.concatenate(arrays)
            else:
                cols[c] = np.concatenate(arrays)
        out[name] = cols
    return out


def _table_sql(spec: TableSpec, raw: str) -> str:
    casts = ", ".join(f'CAST("{c.name}" AS {c.type}) AS "{c.name}"' for c in spec.columns)
    return f'CREATE TABLE "{spec.name}" AS SELECT {casts} FROM "{raw}"'


def connect(sets: Sequence[Tables], *, sandbox: bool = True) -> Any:
    """A DuckDB connection with every table of ``sets`` as a typed table (schema order and types).

    ``sandbox``: no file or network access and a locked configuration (every user query runs
    on such a connection). ``htptui export`` uses ``sandbox=False`` for its own COPY statements.
    """
    duckdb = duckdb_module()
    con = duckdb.connect(
        ":memory:",
        config={
            "temp_directory": "",  # never spill to disk (the default is ./.tmp in the cwd)
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        },
    )
    for name, cols in stack(sets).items():
        # DuckDB scans the dict of numpy arrays in place (no pandas, no pyarrow); one typed copy
        # into its own storage (~0.2 s per million rows) keeps the catalog to the schema's tables
        raw = f"_htptui_raw_{name}"
        con.register(raw, cols)
        con.execute(_table_sql(SCHEMA[name], raw))
        con.unregister(raw)
    if sandbox:
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    return con


def guard(con: Any, query: str) -> str:
    """Refuse anything but one read-only statement, judged on DuckDB's own parse (QueryError)."""
    try:
        statements = con.extract_statements(query)
    except Exception as exc:  # duckdb.ParserException and friends
        raise QueryError(one_line(exc)) from None
    if not statements:
        raise QueryError("empty query")
    if len(statements) > 1:
        raise QueryError(f"one statement per query ({len(statements)} given)")
    kind = str(statements[0].type).rsplit(".", 1)[-1]
    if kind not in ALLOWED:
        raise QueryError(
            f"{kind} statements are refused: htptui sql is read-only (SELECT, WITH … SELECT, "
            "DESCRIBE, SHOW, SUMMARIZE and EXPLAIN are allowed)"
        )
    return statements[0].query


CHUNK_ROWS = 10_000


def execute(con: Any, query: str) -> tuple[list[str], Any]:
    """Run one guarded query; return (column names, the cursor to fetch rows from)."""
    text = guard(con, query)
    try:
        cur = con.execute(text)
        names = [d[0] for d in (cur.description or [])]
    except Exception as exc:  # every duckdb.Error
        raise QueryError(one_line(exc)) from None
    return names, cur


def chunks(cur: Any, size: int = CHUNK_ROWS) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of a cursor in chunks (a big result never sits in memory as Python objects)."""
    while True:
        try:
            rows = cur.fetchmany(size)
        except Exception as exc:
            raise QueryError(one_line(exc)) from None
        if not rows:
            return
        yield rows


def run(con: Any, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one guarded query; return (column names, all rows)."""
    names, cur = execute(con, query)
    rows = [r for part in chunks(cur) for r in part] if names else []
    return names, rows


def write_result(
    out: TextIO, fmt: str, names: list[str], parts: Iterable[list[tuple[Any, ...]]]
) -> int:
    """Stream a result to ``out`` in ``fmt``, chunk by chunk; return the row count.

    Text aligns columns on the first chunk (later wider cells push their row right).
    """
    n = 0
    if fmt == "csv":
        w = csv.writer(out, lineterminator="\n")
        w.writerow(names)
        for part in parts:
            w.writerows(["" if (p := _plain(v)) is None else p for v in r] for r in part)
            n += len(part)
        return n
    if fmt == "json":
        import msgspec

        enc = msgspec.json.Encoder()
        out.write("[")
        for part in parts:
            body = enc.encode([dict(zip(names, map(_plain, r), strict=True)) for r in part])
            out.write(("," if n else "") + body[1:-1].decode("utf-8"))
            n += len(part)
        out.write("]\n")
        return n
    layout: _TextLayout | None = None
    for part in parts:
        if layout is None:
            layout = _TextLayout(names, part)
            out.write(layout.header())
        out.write(layout.lines(part))
        n += len(part)
    if layout is None:
        layout = _TextLayout(names, [])
        out.write(layout.header())
    out.write(f"({n} row{'s' if n != 1 else ''})\n")
    return n


# --- formatting -----------------------------------------------------------------------------------


def _plain(v: Any) -> Any:
    """A JSON/CSV-friendly value: NaN/inf -> None, Decimal -> float, others -> str.

    Text is passed through ``clean_text`` (control characters made visible), as everywhere.
    """
    if v is None or isinstance(v, bool | int):
        return v
    if isinstance(v, str):
        return clean_text(v)
    if isinstance(v, float):
        return None if (math.isnan(v) or math.isinf(v)) else v
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {clean_text(str(k)): _plain(x) for k, x in v.items()}
    try:
        import decimal

        if isinstance(v, decimal.Decimal):
            return float(v)
    except ImportError:  # pragma: no cover
        pass
    return clean_text(str(v))


def _cell(v: Any) -> str:
    v = _plain(v)
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.6f}".rstrip("0").rstrip(".")
    if isinstance(v, list | dict):
        return clean_text(json.dumps(v, ensure_ascii=False))
    return clean_text(str(v))


def _numeric(v: Any) -> bool:
    return isinstance(_plain(v), int | float) and not isinstance(v, bool)


class _TextLayout:
    """Column widths and alignment of a text table, fixed from its first rows."""

    def __init__(self, names: list[str], rows: list[tuple[Any, ...]]) -> None:
        self.heads = [clean_text(n) for n in names]
        cells = [[_cell(v) for v in r] for r in rows]
        self.widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(self.heads)]
        self.right = [
            any(_numeric(r[i]) for r in rows) and all(_numeric(r[i]) or r[i] is None for r in rows)
            for i in range(len(names))
        ]

    def _line(self, cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if right else c.ljust(w)
            for c, w, right in zip(cells, self.widths, self.right, strict=True)
        ).rstrip()

    def header(self) -> str:
        return self._line(self.heads) + "\n" + "  ".join("-" * w for w in self.widths) + "\n"

    def lines(self, rows: list[tuple[Any, ...]]) -> str:
        return "".join(self._line([_cell(v) for v in r]) + "\n" for r in rows)


def _format(fmt: str) -> Callable[[list[str], Iterable[tuple[Any, ...]]], str]:
    def render(names: list[str], rows: Iterable[tuple[Any, ...]]) -> str:
        buf = io.StringIO()
        write_result(buf, fmt, names, [list(rows)])
        return buf.getvalue()

    render.__doc__ = f"The whole result as {fmt} text."
    return render


format_text = _format("text")
format_csv = _format("csv")
format_json = _format("json")

FORMATTERS = {"text": format_text, "csv": format_csv, "json": format_json}


def schema_rows() -> tuple[list[str], list[tuple[Any, ...]]]:
    """The schema as rows: (table, column, type, unit, meaning)."""
    rows = [
        (spec.name, c.name, c.type, c.unit, c.doc) for spec in SCHEMA.values() for c in spec.columns
    ]
    return ["table", "column", "type", "unit", "meaning"], rows


def format_schema(fmt: str) -> str:
    """``htptui sql --schema`` output."""
    names, rows = schema_rows()
    if fmt != "text":
        return FORMATTERS[fmt](names, rows)
    out: list[str] = []
    for spec in SCHEMA.values():
        out.append(f"{spec.name}: {spec.doc}")
        width = max(len(c.name) for c in spec.columns)
        twidth = max(len(c.type) for c in spec.columns)
        uwidth = max(len(c.unit) for c in spec.columns)
        for c in spec.columns:
            out.append(
                f"  {c.name.ljust(width)}  {c.type.ljust(twidth)}  {(c.unit or '-').ljust(uwidth)}  {c.doc}"
            )
        out.append("")
    return "\n".join(out)


# --- export dirs -----------------------------------------------------------------------------------


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def export_tables(ts: Tables, outdir: Path, fmt: str, source: str) -> list[Path]:
    """Write every table to ``outdir/<table>.<fmt>`` through DuckDB COPY, plus a manifest."""
    con = connect([ts], sandbox=False)
    written: list[Path] = []
    tables: dict[str, Any] = {}
    try:
        for name in SCHEMA:
            path = outdir / f"{name}.{fmt}"
            opts = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER true"
            con.execute(f'COPY (SELECT * FROM "{name}") TO {_sql_str(str(path))} ({opts})')
            written.append(path)
            tables[name] = {"file": path.name, "rows": ts.rows(name)}
    except Exception as exc:
        raise QueryError(one_line(exc)) from None
    finally:
        con.close()
    manifest = {
        "schema": EXPORT_SCHEMA,
        "version": 1,
        "run": ts.run,
        "source": source,
        "format": fmt,
        "clock_ghz": ts.clock_ghz,
        "tables": tables,
        "columns": {
            s.name: [{"name": c.name, "type": c.type, "unit": c.unit} for c in s.columns]
            for s in SCHEMA.values()
        },
    }
    mpath = outdir / EXPORT_MANIFEST
    mpath.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    written.append(mpath)
    return written


def is_export_dir(path: Path) -> bool:
    """Whether a directory holds an ``htptui export`` (its manifest)."""
    return path.is_dir() and (path / EXPORT_MANIFEST).is_file()


def read_export(path: Path, run: str) -> Tables:
    """Read an export directory (Parquet or CSV) back as tables (InputError when unreadable)."""
    from htptui.model._io import load_json

    label = str(path / EXPORT_MANIFEST)
    manifest = load_json(path / EXPORT_MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("schema") != EXPORT_SCHEMA:
        raise InputError(
            label, f"not an htptui export manifest (expected schema {EXPORT_SCHEMA!r})"
        )
    fmt = manifest.get("format")
    if fmt not in ("parquet", "csv"):
        raise InputError(label, f"unknown export format {fmt!r}")
    duckdb = duckdb_module()
    con = duckdb.connect(
        ":memory:",
        config={"temp_directory": "", "autoinstall_known_extensions": False,
                "autoload_known_extensions": False},
    )  # fmt: skip
    data: dict[str, dict[str, np.ndarray]] = {}
    try:
        for name, spec in SCHEMA.items():
            f = path / f"{name}.{fmt}"
            if not f.is_file():
                data[name] = {}
                continue
            if fmt == "parquet":
                src = f"read_parquet({_sql_str(str(f))}, union_by_name = true)"
            else:
                types = ", ".join(f"{_sql_str(c.name)}: {_sql_str(c.type)}" for c in spec.columns)
                src = (
                    f"read_csv({_sql_str(str(f))}, header = true, allow_quoted_nulls = false, "
                    f"columns = {{{types}}})"
                )  # '' is written quoted, NULL as an empty field
            have = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
            sel = ", ".join(
                f'CAST("{c.name}" AS {c.type}) AS "{c.name}"'
                if c.name in have
                else f'CAST(NULL AS {c.type}) AS "{c.name}"'
                for c in spec.columns[1:]
            )
            got = con.execute(f"SELECT {sel} FROM {src}").fetchnumpy()
            data[name] = {c: got[c] for c in spec.names[1:]}
    except Exception as exc:
        raise InputError(str(path), f"cannot read the export: {one_line(exc)}") from None
    finally:
        con.close()
    from htptui.analysis.tables import _ordered

    clock = manifest.get("clock_ghz")
    ok = isinstance(clock, int | float) and not isinstance(clock, bool) and 0 < clock < 100
    return Tables(run=run, data=_ordered(data, every=True), clock_ghz=float(clock) if ok else None)
