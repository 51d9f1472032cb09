"""The expected op graph: a tiny text format (``A -> B``, ``A || B``, globs), a DOT subset, or ONNX.

Text format, one statement a line, ``#`` starts a comment::

    Input -> MatMul_0 -> MatMul_1      # a chain: two edges
    GdnSolveDiag_* -> GdnMergeHmx_*    # globs pair by their captures (index i to index i)
    GdnMergeHmx_0 || GdnMergeHmx_1     # independence: no path may connect them
    Lonely                             # a node without edges

Names are QNN op names (the HTP graph's ``grouping``); they may be double-quoted. Globs are expanded
against the actual op names by :func:`resolve`. No rendering or UI imports here.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

from htptui.errors import InputError

EXPECTED_FILE_NAME = "expected.dag"
_NAME = r'(?:"[^"]+"|[A-Za-z0-9_.:/\-*?\[\]$]+)'
_NAME_RE = re.compile(rf"^{_NAME}$")
_GLOB_CHARS = set("*?[")


@dataclass(frozen=True, slots=True)
class ExpectedEdge:
    """An expected edge ``src -> dst`` (names may be globs until resolved)."""

    src: str
    dst: str
    line: int = 0


@dataclass(frozen=True, slots=True)
class Independence:
    """An assertion that no path may connect ``a`` and ``b`` (either direction)."""

    a: str
    b: str
    line: int = 0


@dataclass(slots=True)
class ExpectedGraph:
    """An expected op DAG: nodes in file order, edges, independence assertions."""

    source: str
    nodes: list[str] = field(default_factory=list)
    edges: list[ExpectedEdge] = field(default_factory=list)
    independent: list[Independence] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    kind: str = "text"  # text | dot | onnx | resolved

    def add_node(self, name: str) -> None:
        """Add a node name once, keeping first-appearance order."""
        if name not in self.nodes:
            self.nodes.append(name)


def is_glob(name: str) -> bool:
    """Whether a name is a glob pattern (``*``, ``?`` or ``[...]``)."""
    return any(c in _GLOB_CHARS for c in name)


def _unquote(token: str) -> str:
    return token[1:-1] if len(token) >= 2 and token[0] == token[-1] == '"' else token


def _strip_comment(line: str) -> str:
    out = []
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        if ch == "#" and not quoted:
            break
        out.append(ch)
    return "".join(out).strip()


def _names(parts: list[str], path: str, lineno: int, sep: str) -> list[str]:
    names = []
    for raw in parts:
        token = raw.strip()
        if not token:
            raise InputError(path, f"line {lineno}: missing op name around '{sep}'")
        if not _NAME_RE.match(token):
            raise InputError(
                path,
                f"line {lineno}: bad op name {token!r} (use letters, digits, _ . : / - or quotes)",
            )
        names.append(_unquote(token))
    return names


def parse_text(text: str, path: str = "<expected>") -> ExpectedGraph:
    """Parse the line format (or a DOT ``digraph``, detected by its first word)."""
    body = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    body = "\n".join(_strip_comment(re.sub(r"^\s*//.*$", "", ln)) for ln in body.splitlines())
    if re.match(r"^\s*(strict\s+)?(di)?graph\b", body):
        return parse_dot(text, path)
    g = ExpectedGraph(source=path)
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw)
        if not line:
            continue
        if line.endswith(";"):
            line = line[:-1].strip()
        has_arrow = "->" in line
        has_par = "||" in line
        if has_arrow and has_par:
            raise InputError(path, f"line {lineno}: mixes '->' and '||'; write them on two lines")
        if has_par:
            names = _names(line.split("||"), path, lineno, "||")
            for n in names:
                g.add_node(n)
            for i, a in enumerate(names):
                for b in names[i + 1 :]:
                    g.independent.append(Independence(a, b, lineno))
            continue
        if has_arrow:
            names = _names(line.split("->"), path, lineno, "->")
            for n in names:
                g.add_node(n)
            for a, b in zip(names, names[1:], strict=False):
                if a == b:
                    raise InputError(path, f"line {lineno}: self-edge {a} -> {b}")
                g.edges.append(ExpectedEdge(a, b, lineno))
            continue
        if re.search(r"<-|=>|-->|[>|]", line):
            raise InputError(
                path,
                f"line {lineno}: cannot read {line!r} (edges are 'A -> B', independence 'A || B')",
            )
        names = _names([line], path, lineno, "")
        if " " in line and not line.startswith('"'):
            raise InputError(path, f"line {lineno}: cannot read {line!r} (missing '->' or '||'?)")
        g.add_node(names[0])
    if not g.nodes:
        raise InputError(path, "expected graph is empty (write edges like 'A -> B')")
    return g


_DOT_ID = r'(?:"(?:[^"\\]|\\.)*"|[A-Za-z0-9_.:/\-*?$]+)'
_DOT_ATTRS = re.compile(r"\[[^\]]*\]")


def parse_dot(text: str, path: str = "<expected>") -> ExpectedGraph:
    """Parse a DOT subset: ``digraph NAME { a -> b -> c; d; }`` with attributes ignored."""
    g = ExpectedGraph(source=path, kind="dot")
    # blank out comments but keep line numbers
    no_block = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    lines = [re.sub(r"(//|#).*$", "", ln) for ln in no_block.splitlines()]
    opened = closed = False
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not opened:
            if not line:
                continue
            m = re.match(rf"^(strict\s+)?(di)?graph\s*({_DOT_ID})?\s*\{{(.*)$", line)
            if not m:
                raise InputError(path, f"line {lineno}: expected 'digraph NAME {{'")
            if not m.group(2):
                raise InputError(path, f"line {lineno}: only 'digraph' is supported, not 'graph'")
            opened = True
            line = m.group(4).strip()
        if closed:
            if line:
                raise InputError(path, f"line {lineno}: text after the closing '}}'")
            continue
        if "}" in line:
            line, _, rest = line.partition("}")
            closed = True
            if rest.strip():
                raise InputError(path, f"line {lineno}: text after the closing '}}'")
        for stmt in line.split(";"):
            stmt = _DOT_ATTRS.sub("", stmt).strip()
            if not stmt:
                continue
            if re.match(r"^(graph|node|edge)\b", stmt) or re.match(rf"^{_DOT_ID}\s*=", stmt):
                continue
            if stmt.startswith("subgraph") or stmt.startswith("{"):
                raise InputError(path, f"line {lineno}: subgraphs are not supported")
            if "--" in stmt.replace("->", ""):
                raise InputError(path, f"line {lineno}: use '->' in a digraph, not '--'")
            parts = [p.strip() for p in stmt.split("->")]
            names = []
            for p in parts:
                if not re.match(rf"^{_DOT_ID}$", p):
                    raise InputError(path, f"line {lineno}: cannot read {stmt!r}")
                names.append(_unquote(p).replace('\\"', '"'))
            for n in names:
                g.add_node(n)
            for a, b in zip(names, names[1:], strict=False):
                g.edges.append(ExpectedEdge(a, b, lineno))
    if not opened:
        raise InputError(path, "empty DOT file")
    if not closed:
        raise InputError(path, f"line {len(lines)}: missing closing '}}'")
    return g


# --- ONNX -------------------------------------------------------------------------------------


def qnn_name_of(onnx_name: str) -> str:
    """The QNN converter's likely rename of an ONNX name (``/a/b.c`` -> ``a_b_c``)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", onnx_name)
    name = name.lstrip("_")
    if name and name[0].isdigit():
        name = "_" + name
    return name


def load_onnx(path: str | Path) -> ExpectedGraph:
    """Expected graph from an ONNX model: nodes by (renamed) node name, edges by tensors."""
    label = str(path)
    try:
        import onnx
    except ImportError:
        raise InputError(
            label, "reading .onnx needs the 'onnx' package: pip install 'htptui[onnx]'"
        ) from None
    try:
        model = onnx.load(label, load_external_data=False)
    except Exception as exc:  # onnx raises several decode error types
        raise InputError(label, f"not a readable ONNX model ({type(exc).__name__})") from None
    graph = model.graph
    g = ExpectedGraph(source=label, kind="onnx")
    initializers = {t.name for t in graph.initializer}
    producer: dict[str, str] = {}
    for inp in graph.input:
        if inp.name not in initializers:
            name = qnn_name_of(inp.name)
            g.add_node(name)
            producer[inp.name] = name
    named: list[tuple[object, str]] = []
    for i, node in enumerate(graph.node):
        if node.op_type == "Constant":  # folded into STATIC tensors by the converter
            continue
        name = qnn_name_of(node.name) if node.name else f"{node.op_type}_{i}"
        named.append((node, name))
        g.add_node(name)
        for out in node.output:
            if out:
                producer[out] = name
    for node, name in named:
        for t in dict.fromkeys(node.input):  # type: ignore[attr-defined]
            src = producer.get(t)
            if src is not None and src != name:
                g.edges.append(ExpectedEdge(src, name))
    for out in graph.output:
        name = qnn_name_of(out.name)
        src = producer.get(out.name)
        if src is not None and src != name:
            g.add_node(name)
            g.edges.append(ExpectedEdge(src, name))
    g.edges = list(dict.fromkeys(g.edges))
    return g


# --- loading and discovery ---------------------------------------------------------------------


def load_expected(path: str | Path) -> ExpectedGraph:
    """Load an expected graph from a ``.dag``/text, ``.dot``/``.gv`` or ``.onnx`` file."""
    p = Path(path)
    label = str(path)
    if not p.exists():
        raise InputError(label, "no such file")
    if p.is_dir():
        raise InputError(label, "is a directory, expected a .dag, .dot or .onnx file")
    if p.suffix.lower() == ".onnx":
        return load_onnx(p)
    try:
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(label, "not a UTF-8 text file (expected graph)") from None
    except OSError as exc:
        raise InputError(label, f"cannot read: {exc.strerror or exc}") from None
    if p.suffix.lower() in (".dot", ".gv"):
        return parse_dot(text, label)
    return parse_text(text, label)


def find_expected(trace_path: str | Path | None, explicit: str | Path | None = None) -> Path | None:
    """The expected graph file: ``explicit``, else ``expected.dag`` beside the trace or its parent."""
    if explicit:
        return Path(explicit)
    if trace_path is None or str(trace_path) == "-":
        return None
    p = Path(trace_path)
    base = p if p.is_dir() else p.parent
    for d in (base, base.parent):
        cand = d / EXPECTED_FILE_NAME
        if cand.is_file():
            return cand
    return None


# --- name matching and glob resolution ---------------------------------------------------------


def norm_key(name: str) -> str:
    """A loose key for matching ONNX/expected names to QNN names."""
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9]", "_", name.lower())).strip("_")


def match_name(
    name: str, actual: list[str], by_key: dict[str, list[str]] | None = None
) -> str | None:
    """The actual op a (non-glob) expected name refers to: exact, then renaming-tolerant."""
    if name in actual:
        return name
    keys = by_key if by_key is not None else _key_index(actual)
    hits = keys.get(norm_key(name), [])
    return hits[0] if len(hits) == 1 else None


def _key_index(actual: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for a in actual:
        out.setdefault(norm_key(a), []).append(a)
    return out


def _glob_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            parts.append("(.*?)")
        elif c == "?":
            parts.append("(.)")
        elif c == "[":
            j = pattern.find("]", i)
            if j < 0:
                parts.append(re.escape(c))
            else:
                parts.append("(" + fnmatch.translate(pattern[i : j + 1])[4:-3] + ")")
                i = j
        else:
            parts.append(re.escape(c))
        i += 1
    return re.compile("^" + "".join(parts) + "$")


def _expand(pattern: str, actual: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """Actual names matching a glob with their captures (exact names capture nothing)."""
    if not is_glob(pattern):
        return [(pattern, ())]
    rx = _glob_regex(pattern)
    out = []
    for a in actual:
        m = rx.match(a)
        if m:
            out.append((a, m.groups()))
    return out


def resolve(expected: ExpectedGraph, actual: list[str]) -> ExpectedGraph:
    """Expand globs against the actual op names and map every name onto its actual spelling.

    ``A_* -> B_*`` pairs names whose ``*`` captures are equal; ``A_* || B_*`` asserts every pair
    whose captures differ. A name matching no actual op is kept as written (reported missing).
    """
    out = ExpectedGraph(
        source=expected.source, kind=expected.kind, warnings=list(expected.warnings)
    )
    keys = _key_index(actual)

    def canon(name: str) -> str:
        return match_name(name, actual, keys) or name

    for n in expected.nodes:
        if is_glob(n):
            hits = _expand(n, actual)
            if not hits:
                out.warnings.append(f"pattern {n!r} matches no op")
            for a, _ in hits:
                out.add_node(a)
        else:
            out.add_node(canon(n))
    for e in expected.edges:
        src = _expand(e.src, actual)
        dst = _expand(e.dst, actual)
        for a, ca in src:
            for b, cb in dst:
                if ca and cb and ca != cb:
                    continue
                a2, b2 = canon(a), canon(b)
                if a2 != b2:
                    out.edges.append(ExpectedEdge(a2, b2, e.line))
    for ind in expected.independent:
        left = _expand(ind.a, actual)
        right = _expand(ind.b, actual)
        for a, ca in left:
            for b, cb in right:
                if (ca or cb) and ca == cb:
                    continue
                a2, b2 = canon(a), canon(b)
                if a2 != b2 and Independence(b2, a2, ind.line) not in out.independent:
                    out.independent.append(Independence(a2, b2, ind.line))
    out.edges = list(dict.fromkeys(out.edges))
    out.independent = list(dict.fromkeys(out.independent))
    out.kind = "resolved"
    return out


__all__ = [
    "EXPECTED_FILE_NAME",
    "ExpectedEdge",
    "ExpectedGraph",
    "Independence",
    "find_expected",
    "is_glob",
    "load_expected",
    "load_onnx",
    "match_name",
    "norm_key",
    "parse_dot",
    "parse_text",
    "qnn_name_of",
    "resolve",
]
