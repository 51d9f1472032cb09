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
from htptui.model._io import clean_text, describe_content, read_bytes

EXPECTED_FILE_NAME = "expected.dag"
_NAME = r'(?:"[^"]+"|[A-Za-z0-9_.:/\-*?\[\]$]+)'
_NAME_RE = re.compile(rf"^{_NAME}$")
_GLOB_CHARS = set("*?[")
#: an expected graph is written by hand: longer lines, more edges or pairs are refused with a line
MAX_LINE_CHARS = 1 << 20
MAX_EDGES = 200_000
MAX_PAIRS = 200_000
MAX_GLOB_WILDCARDS = 16


def _strip_block_comments(text: str, keep_newlines: bool = True) -> str:
    r"""Remove ``/* ... */`` comments in one linear pass (an unclosed one runs to the end).

    A regex such as ``/\*.*?\*/`` rescans the rest of the text from every ``/*`` when no ``*/``
    follows, which is quadratic on a line of repeated ``/*``; this scan never looks back.
    """
    if "/*" not in text:
        return text
    out: list[str] = []
    pos = 0
    while True:
        start = text.find("/*", pos)
        if start < 0:
            out.append(text[pos:])
            break
        out.append(text[pos:start])
        end = text.find("*/", start + 2)
        stop = len(text) if end < 0 else end + 2
        if keep_newlines:
            out.append("\n" * text.count("\n", start, stop))
        if end < 0:
            break
        pos = stop
    return "".join(out)


def _strip_brackets(stmt: str) -> str:
    """Remove ``[...]`` attribute lists in one linear pass (an unclosed ``[`` runs to the end)."""
    if "[" not in stmt:
        return stmt
    out: list[str] = []
    pos = 0
    while True:
        start = stmt.find("[", pos)
        if start < 0:
            out.append(stmt[pos:])
            break
        out.append(stmt[pos:start])
        end = stmt.find("]", start + 1)
        if end < 0:
            break
        pos = end + 1
    return "".join(out)


def _check_lines(text: str, path: str) -> None:
    """Refuse a line longer than MAX_LINE_CHARS (an expected graph is written by hand)."""
    if len(text) <= MAX_LINE_CHARS:
        return
    pos = 0
    lineno = 1
    while pos < len(text):
        nl = text.find("\n", pos)
        end = len(text) if nl < 0 else nl
        if end - pos > MAX_LINE_CHARS:
            raise InputError(
                path,
                f"line {lineno} is {end - pos:,} characters long (limit {MAX_LINE_CHARS:,}): "
                "not an expected graph",
            )
        pos = end + 1
        lineno += 1


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

    _seen: set[str] = field(default_factory=set, repr=False, compare=False)

    def add_node(self, name: str) -> None:
        """Add a node name once, keeping first-appearance order."""
        if name not in self._seen:
            if len(self._seen) != len(self.nodes):  # nodes was assigned directly
                self._seen = set(self.nodes)
                if name in self._seen:
                    return
            self._seen.add(name)
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
        names.append(clean_text(_unquote(token)))
    return names


def parse_text(text: str, path: str = "<expected>") -> ExpectedGraph:
    """Parse the line format (or a DOT ``digraph``, detected by its first word)."""
    _check_lines(text, path)
    head = _strip_block_comments(text[: 1 << 16], keep_newlines=False)
    head = "\n".join(
        _strip_comment(ln) for ln in head.splitlines()[:200] if not ln.lstrip().startswith("//")
    )
    if re.match(r"^\s*(strict\s+)?(di)?graph\b", head):
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
    _check_lines(text, path)
    no_block = _strip_block_comments(text, keep_newlines=True)
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
            stmt = _strip_brackets(stmt).strip()
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
                names.append(clean_text(_unquote(p).replace('\\"', '"')))
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
    label = clean_text(str(path))
    from htptui.model._io import check_regular, read_limit

    size = check_regular(path, label).st_size  # never blocks on a FIFO
    if size > read_limit("expected") * 16:
        raise InputError(label, f"{size:,} bytes is too large for an expected-graph ONNX model")
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
    label = clean_text(str(path))
    if p.is_dir():
        raise InputError(label, "is a directory, expected a .dag, .dot or .onnx file")
    if p.suffix.lower() == ".onnx":
        return load_onnx(p)
    data = read_bytes(p, "expected")  # regular files only (never blocks on a FIFO), size-capped
    bad = describe_content(data[:4096])
    if bad is not None:
        raise InputError(label, f"{bad}: not an expected graph")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(label, "not a UTF-8 text file (expected graph)") from None
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


_STAR = object()


def _glob_tokens(pattern: str) -> list[object]:
    """Glob → tokens: _STAR, a literal character, or a compiled one-character class (``?``, ``[...]``)."""
    tokens: list[object] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            if not tokens or tokens[-1] is not _STAR:  # ** is *
                tokens.append(_STAR)
        elif c == "?":
            tokens.append(re.compile(".", re.S))
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                tokens.append(c)
            else:
                tokens.append(re.compile(fnmatch.translate(pattern[i : j + 1])[4:-3], re.S))
                i = j
        else:
            tokens.append(c)
        i += 1
    return tokens


def _glob_match(tokens: list[object], text: str) -> tuple[str, ...] | None:
    """Match a tokenised glob against ``text``; the captures of every ``*``, ``?`` and class.

    The classic two-pointer wildcard match: on a mismatch only the most recent ``*`` grows, so the
    cost is O(len(text) · len(tokens)) whatever the pattern (a ``(.*?)`` regex backtracks
    exponentially on ``*a*a*a*...``). Earlier stars keep their shortest extent, as lazy ``.*?`` does.
    """
    caps: list[tuple[int, int]] = []
    i = j = 0
    n, m = len(text), len(tokens)
    star: tuple[int, int, int, int] | None = None  # (token index, capture start, end, len(caps))
    while i < n or j < m:
        if j < m:
            t = tokens[j]
            if t is _STAR:
                star = (j, i, i, len(caps))
                caps.append((i, i))
                j += 1
                continue
            if i < n:
                if isinstance(t, str):
                    if t == text[i]:
                        i += 1
                        j += 1
                        continue
                elif t.match(text[i]):  # type: ignore[attr-defined]
                    caps.append((i, i + 1))
                    i += 1
                    j += 1
                    continue
        if star is None:
            return None
        sj, start, end, ncap = star
        end += 1
        if end > n:
            return None
        star = (sj, start, end, ncap)
        del caps[ncap:]
        caps.append((start, end))
        i, j = end, sj + 1
    return tuple(text[a:b] for a, b in caps)


def _expand(pattern: str, actual: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """Actual names matching a glob with their captures (exact names capture nothing)."""
    if not is_glob(pattern):
        return [(pattern, ())]
    tokens = _glob_tokens(pattern)
    out = []
    for a in actual:
        caps = _glob_match(tokens, a)
        if caps is not None:
            out.append((a, caps))
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
        if len(src) * len(dst) > 4 * MAX_EDGES or len(out.edges) > MAX_EDGES:
            raise InputError(
                expected.source,
                f"line {e.line}: the edges expand to more than {MAX_EDGES:,}; narrow the globs",
            )
        for a, ca in src:
            for b, cb in dst:
                if ca and cb and ca != cb:
                    continue
                a2, b2 = canon(a), canon(b)
                if a2 != b2:
                    out.edges.append(ExpectedEdge(a2, b2, e.line))
    seen_pairs: set[frozenset[str]] = set()
    for ind in expected.independent:
        left = _expand(ind.a, actual)
        right = _expand(ind.b, actual)
        if len(left) * len(right) > 4 * MAX_PAIRS:
            raise InputError(
                expected.source,
                f"line {ind.line}: {clean_text(ind.a)} || {clean_text(ind.b)} expands to "
                f"{len(left) * len(right):,} pairs (limit {MAX_PAIRS:,}); narrow the globs",
            )
        for a, ca in left:
            for b, cb in right:
                if (ca or cb) and ca == cb:
                    continue
                a2, b2 = canon(a), canon(b)
                key = frozenset((a2, b2))
                if a2 != b2 and key not in seen_pairs:
                    seen_pairs.add(key)
                    out.independent.append(Independence(a2, b2, ind.line))
        if len(out.independent) > MAX_PAIRS:
            raise InputError(
                expected.source,
                f"line {ind.line}: the independence assertions expand to more than "
                f"{MAX_PAIRS:,} op pairs; narrow the globs",
            )
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
