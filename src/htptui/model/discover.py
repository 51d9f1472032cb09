"""Find the artifacts of an optrace directory by suffix (any stem), confirmed by artifact_type."""

from __future__ import annotations

import contextlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from htptui.errors import InputError
from htptui.model._io import (
    check_regular,
    clean_text,
    describe_content,
    head_bytes,
    read_limit,
    sniff_artifact_type,
)

KINDS = ("op_trace", "htp_graph", "graph_before", "qhas", "runtrace", "profile", "heap")

KIND_LABELS = {
    "op_trace": "op trace (chrometrace.json)",
    "htp_graph": "HTP graph (*_htp.json)",
    "graph_before": "pre-optimisation graph (*_htp_graph_before.json)",
    "qhas": "QHAS summary (*_qnn_htp_analysis_summary.json)",
    "runtrace": "runtrace (*_runtrace.json)",
    "profile": "profile text (profile*.txt)",
    "heap": "DSP heap profile",
}

# what each missing artifact takes away
KIND_PROVIDES = {
    "op_trace": "timeline, per-lane busy, DPC ranking",
    "htp_graph": "op DAG and graph diff",
    "graph_before": "pre-optimisation graph",
    "qhas": "QHAS unit/op tables, dominant path, cross-checks",
    "runtrace": "runtime phases, µs and clock per execute",
    "profile": "profile.txt execute stats (coarse µs)",
    "heap": "DSP heap delta",
}

ARTIFACT_TYPES = {
    "OP_TRACE": "op_trace",
    "HTP_GRAPH": "htp_graph",
    "QHAS": "qhas",
    "RUN_TRACE": "runtrace",
}

_GRAPH_BEFORE_RE = re.compile(r"_htp_graph_before\.json$")
_GRAPH_RE = re.compile(r"_htp(?:_\d+)?\.json$")
_QHAS_RE = re.compile(r"_qnn_htp_analysis_summary\.json$")
_RUNTRACE_RE = re.compile(r"_runtrace\.json$")
_PROFILE_NAME_RE = re.compile(r"^profile[^/]{0,200}\.txt(\.gz)?$", re.IGNORECASE)
_IGNORED_JSON = {"manifest.json", "summary.json", "_optrace_config.json", "qhas_schema.json"}


@dataclass
class Artifacts:
    """Paths of the artifacts found (None when missing) and why others were passed over."""

    root: str
    op_trace: Path | None = None
    htp_graph: Path | None = None
    graph_before: Path | None = None
    qhas: Path | None = None
    runtrace: Path | None = None
    profile: Path | None = None
    heap: Path | None = None
    stdin_bytes: bytes | None = None
    notes: list[str] = field(default_factory=list)
    #: kind -> why the file found for it cannot be used (it is still named in ``kind``'s path)
    problems: dict[str, str] = field(default_factory=dict)
    #: the graph's name (its op trace's stem without ``-chrometrace``), when known
    graph: str | None = None
    #: every (kind, path) recognised while scanning, duplicates included (for grouping by graph)
    entries: list[tuple[str, Path]] = field(default_factory=list, repr=False)
    #: path -> why that file cannot be used (per file, so grouping by graph keeps each one's)
    path_problems: dict[Path, str] = field(default_factory=dict, repr=False)

    def get(self, kind: str) -> Path | None:
        """Path of one kind of artifact."""
        return getattr(self, kind)

    def found(self) -> dict[str, str]:
        """Kinds found, with their path."""
        out = {k: str(getattr(self, k)) for k in KINDS if getattr(self, k) is not None}
        if self.stdin_bytes is not None:
            out["op_trace"] = "<stdin>"
        return out

    def missing(self) -> list[str]:
        """Kinds not found."""
        return [k for k in KINDS if k not in self.found()]


def _strip_gz(name: str) -> str:
    return name[:-3] if name.endswith(".gz") else name


def _classify_name(name: str) -> str | None:
    base = _strip_gz(name)
    if _GRAPH_BEFORE_RE.search(base):
        return "graph_before"
    if _QHAS_RE.search(base):
        return "qhas"
    if _RUNTRACE_RE.search(base):
        return "runtrace"
    if _GRAPH_RE.search(base):
        return "htp_graph"
    if base.endswith(".json"):
        return None if base in _IGNORED_JSON else "json"
    if base.endswith((".txt", ".log", ".csv")) and not base.startswith("_viewer"):
        return "text"
    return None


def _sniff_text(path: Path) -> str | None:
    head = head_bytes(path, 2048).decode("utf-8", "replace")
    try:
        from htptui.model import profile_text

        if profile_text.sniff(head):
            return "profile"
    except ImportError:  # pragma: no cover - during bootstrap
        pass
    try:
        from htptui.model import heap

        if heap.sniff(head):
            return "heap"
    except ImportError:  # pragma: no cover
        pass
    return None


def discover(target: str | Path) -> Artifacts:
    """Locate artifacts for a directory, a single trace file, or ``-`` (stdin, read here).

    A directory holding several graphs (several op traces, ``<model>-s1-chrometrace.json`` and
    ``<model>-s32-chrometrace.json``, …) raises GraphChoiceError: one is never picked silently
    (see ``resolve_graph`` to name one).
    """
    graphs = discover_graphs(target)
    if len(graphs) > 1:
        raise GraphChoiceError(str(target), graphs)
    return graphs[0].artifacts


def discover_graphs(target: str | Path) -> list[Graph]:
    """Every graph of an optrace input: one for a file or stdin, one or more for a directory."""
    if str(target) == "-":
        import sys

        limit = read_limit("op_trace")
        head = sys.stdin.buffer.read(4096)
        bad = describe_content(head)
        if bad is None and head.lstrip()[:1] not in (b"{", b"[", b"\x1f"):
            bad = "not a JSON op trace (the first byte is neither '{', '[' nor gzip magic)"
        if bad is not None:
            raise InputError("<stdin>", bad)
        parts = [head]
        total = len(head)
        while total <= limit:
            block = sys.stdin.buffer.read(min(16 << 20, limit + 1 - total))
            if not block:
                break
            parts.append(block)
            total += len(block)
        data = b"".join(parts)
        del parts
        if len(data) > limit:
            raise InputError(
                "<stdin>", f"more than {limit:,} bytes (raise HTPTUI_MAX_OP_TRACE_BYTES)"
            )
        arts = Artifacts(root="<stdin>", stdin_bytes=data, graph="<stdin>")
        return [Graph("<stdin>", "<stdin>", arts)]
    root = Path(target)
    label = clean_text(str(root))
    try:
        st = os.stat(root)
    except OSError:
        check_regular(root, label)  # raises the precise reason (no such file, loop, dangling)
        raise InputError(label, "no such file or directory") from None
    if stat.S_ISREG(st.st_mode):
        arts = _discover_file(root)
        stem = _stem_of(root)
        arts.graph = graph_name_of(stem)
        if arts.op_trace is not None and arts.profile is None:
            # the graph's own profile text, when named after it (`<graph>-profile.txt`)
            for prefix in dict.fromkeys((arts.graph, stem)):
                for sep in ("-", "_"):
                    cand = root.parent / f"{prefix}{sep}profile.txt"
                    if cand.is_file() and _sniff_text(cand) == "profile":
                        arts.profile = cand
                        break
                if arts.profile is not None:
                    break
        return [Graph(arts.graph, stem, arts)]
    if not stat.S_ISDIR(st.st_mode):
        check_regular(root, label)  # FIFO, device, socket: one clear line
    arts, trace_candidates = _scan_dir(root, label)
    if len(trace_candidates) >= 2:
        return _group_by_graph(root, arts, trace_candidates)
    if trace_candidates:
        arts.op_trace = trace_candidates[0]
    stem = _stem_of(arts.op_trace) if arts.op_trace is not None else root.name
    arts.graph = graph_name_of(stem)
    return [Graph(arts.graph, stem, arts)]


def _scan_dir(root: Path, label: str) -> tuple[Artifacts, list[Path]]:
    """Classify every file of a directory: artifacts by kind (first of each kind), op-trace candidates."""
    arts = Artifacts(root=str(root))
    try:
        entries = sorted(root.iterdir())
    except OSError as exc:
        raise InputError(label, f"cannot list directory: {exc.strerror or exc}") from None
    trace_candidates: list[Path] = []
    rejected: list[tuple[Path, str]] = []
    for p in entries:
        kind = _classify_name(p.name)
        if kind is None:
            continue
        try:
            check_regular(p)
        except InputError as exc:
            if kind == "text" and not _PROFILE_NAME_RE.match(p.name):
                continue
            if kind == "text":  # profile*.txt that cannot be read: the profile's error, named
                _assign(arts, "profile", p)
                _problem(arts, "profile", p, exc.problem)
            elif kind == "json":
                rejected.append((p, exc.problem))
            else:
                _assign(arts, kind, p)
                _problem(arts, kind, p, exc.problem)
            continue
        if kind == "text" and _PROFILE_NAME_RE.match(p.name):
            bad = describe_content(head_bytes(p, 4096))
            if bad is not None or _sniff_text(p) is None:
                _assign(arts, "profile", p)
                _problem(
                    arts,
                    "profile",
                    p,
                    bad or "not a qnn-profile-viewer text output (no known header)",
                )
                continue
        if kind == "text":
            kind = _sniff_text(p)
            if kind is None:
                continue
            _assign(arts, kind, p)
            continue
        # confirm JSON artifacts by header.artifact_type when it is there
        found_type = sniff_artifact_type(head_bytes(p, 4096))
        typed = ARTIFACT_TYPES.get(found_type or "")
        if kind == "json":
            if typed and typed != "op_trace":
                arts.notes.append(
                    f"{clean_text(str(p))}: artifact_type is {found_type}: used as the {typed} "
                    "artifact, not as an op trace"
                )
                _assign(arts, typed, p)
                continue
            head = head_bytes(p, 4096)
            if typed == "op_trace" or b'"traceEvents"' in head or head.lstrip()[:1] == b"[":
                trace_candidates.append(p)
            elif found_type:
                rejected.append((p, f"artifact_type {found_type!r} is not an optrace artifact"))
            else:
                bad = describe_content(head)
                if bad is None:
                    bad = (
                        "not JSON (no '{' or '[' at the start)"
                        if head.lstrip()[:1] not in (b"{", b"[")
                        else "a JSON object without traceEvents (not an op trace)"
                    )
                rejected.append((p, bad))
            continue
        if typed and typed != kind and not (kind == "graph_before" and typed == "htp_graph"):
            arts.notes.append(
                f"{clean_text(str(p))}: named like a {kind} file but artifact_type is "
                f"{found_type}; used as {typed}"
            )
            kind = typed
            if kind == "op_trace":
                trace_candidates.append(p)
                continue
        _assign(arts, kind, p)
    if not trace_candidates and rejected:
        # nothing usable as the op trace: name the file meant as one and say why it is not
        meant = [r for r in rejected if r[0].suffix in (".json", ".gz")]
        if meant:
            pick = next((r for r in meant if "trace" in r[0].name.lower()), meant[0])
            arts.op_trace = pick[0]
            arts.problems["op_trace"] = pick[1]
    for p, why in rejected:
        if p != arts.op_trace:
            arts.notes.append(f"{clean_text(str(p))}: skipped: {why}")
    return arts, trace_candidates


def _problem(arts: Artifacts, kind: str, path: Path, problem: str) -> None:
    """Record why ``path`` (found as ``kind``) cannot be used."""
    arts.problems.setdefault(kind, problem)
    arts.path_problems.setdefault(path, problem)


def _assign(arts: Artifacts, kind: str, path: Path) -> None:
    arts.entries.append((kind, path))
    current = getattr(arts, kind)
    if current is None:
        setattr(arts, kind, path)
    else:
        arts.notes.append(
            f"{clean_text(path.name)}: a second {kind} artifact, not used "
            f"({clean_text(current.name)} is)"
        )


def _stem_of(path: Path) -> str:
    name = _strip_gz(path.name)
    return name[:-5] if name.endswith(".json") else name


# --------------------------------------------------------------------------------------------
# Several graphs in one directory
# --------------------------------------------------------------------------------------------

# what follows the graph's stem in each SDK-named artifact (spec §0.1: built from --output's stem)
_STEM_SUFFIX_RE = {
    "htp_graph": _GRAPH_RE,
    "graph_before": _GRAPH_BEFORE_RE,
    "qhas": _QHAS_RE,
    "runtrace": _RUNTRACE_RE,
}
# the op-trace part of a stem: `<graph>-chrometrace`, `<model>_chromeTrace_opTrace`, `x.optrace`
_TRACE_WORD_RE = re.compile(
    r"[-_.]?(?:chrome[-_]?trace(?:[-_.]?op[-_]?trace)?|op[-_]?trace)$", re.IGNORECASE
)
_UNPREFIXED_STEMS = {"chrometrace", "chrometrace_optrace", "optrace", "trace"}


@dataclass
class Graph:
    """One graph of an optrace directory: its name, its op trace's stem and its artifacts."""

    name: str
    stem: str
    artifacts: Artifacts

    def size_bytes(self) -> int:
        """Total size of the graph's files on disk (0 for stdin)."""
        total = 0
        for kind in KINDS:
            p = self.artifacts.get(kind)
            if p is not None:
                with contextlib.suppress(OSError):
                    total += p.stat().st_size
        return total

    def trace_bytes(self) -> int:
        """Size of the op-trace file (0 when absent)."""
        p = self.artifacts.op_trace
        try:
            return p.stat().st_size if p is not None else 0
        except OSError:
            return 0

    def describe(self) -> str:
        """One line: name, op-trace file, size, and the other artifacts found."""
        trace = self.artifacts.op_trace.name if self.artifacts.op_trace is not None else "-"
        others = [k for k in KINDS if k != "op_trace" and self.artifacts.get(k) is not None]
        return clean_text(
            f"{self.name}  {trace}  {human_bytes(self.trace_bytes())}"
            f"  (+ {', '.join(others) if others else 'no other artifacts'})"
        )


class GraphChoiceError(InputError):
    """Several graphs and none (or an unknown one) named: the caller lists them (exit 2)."""

    def __init__(self, path: str, graphs: list[Graph], asked: str | None = None) -> None:
        self.graphs = graphs
        self.asked = asked
        names = clean_text(", ".join(g.name for g in graphs))
        if asked is None:
            problem = (
                f"{len(graphs)} graphs in this directory ({names}); choose one with --graph NAME"
            )
        else:
            problem = f"no graph named {clean_text(repr(asked))} here (graphs: {names})"
        super().__init__(path, problem)


def human_bytes(n: int) -> str:
    """A file size as 12.3 MB / 456.7 KB / 89 B."""
    if n >= 1_000_000:
        return f"{n / 1e6:.1f} MB"
    if n >= 1_000:
        return f"{n / 1e3:.1f} KB"
    return f"{n} B"


def graph_name_of(stem: str) -> str:
    """A graph's name from its op trace's stem: ``qwen3-s1-chrometrace`` → ``qwen3-s1``."""
    name = _TRACE_WORD_RE.sub("", stem)
    return name or stem


def _artifact_stem(kind: str, path: Path) -> str | None:
    """The stem an SDK-named artifact was built from (None for other names)."""
    rx = _STEM_SUFFIX_RE.get(kind)
    if rx is None:
        return None
    base = _strip_gz(path.name)
    m = rx.search(base)
    return base[: m.start()] if m else None


def _group_by_graph(root: Path, scanned: Artifacts, traces: list[Path]) -> list[Graph]:
    """Split a directory with several op traces into one Artifacts per graph (by shared stem)."""
    stems = [_stem_of(t) for t in traces]
    names = [graph_name_of(s) for s in stems]
    if len(set(names)) != len(names):
        names = list(stems)
    if len(set(names)) != len(names):  # x.json and x.json.gz: tell them apart by file name
        names = [t.name for t in traces]
    graphs = [
        Graph(n, st, Artifacts(root=str(root), op_trace=t, graph=n))
        for n, st, t in zip(names, stems, traces, strict=True)
    ]
    by_stem: dict[str, Graph] = {}
    for g in graphs:
        by_stem.setdefault(g.stem, g)
    loose: list[str] = []
    for kind, path in scanned.entries:
        owner: Graph | None = None
        stem = _artifact_stem(kind, path)
        if stem is not None:
            owner = by_stem.get(stem)
        else:
            # profile text / heap: `<graph>-profile.txt`, `<stem>_profile.txt` (longest prefix wins)
            base = _strip_gz(path.name)
            best = -1
            for g in graphs:
                for prefix in (g.stem, g.name):
                    if (
                        len(prefix) > best
                        and base.startswith(prefix)
                        and base[len(prefix) : len(prefix) + 1] in ("-", "_", ".")
                    ):
                        owner, best = g, len(prefix)
            if owner is None and base.split(".")[0].lower() in ("profile", "heap"):
                # an unprefixed profile.txt goes with the unprefixed op trace, if there is one
                plain = [g for g in graphs if g.stem.lower() in _UNPREFIXED_STEMS]
                owner = plain[0] if len(plain) == 1 else None
        if owner is None:
            loose.append(clean_text(str(path)))
            continue
        _assign(owner.artifacts, kind, path)
        problem = scanned.path_problems.get(path)
        if problem is not None and owner.artifacts.get(kind) == path:
            _problem(owner.artifacts, kind, path, problem)
    notes = [n for n in scanned.notes if "a second" not in n]
    notes += [
        f"{name}: not tied to one of the {len(graphs)} graphs (name it after a graph's stem), not used"
        for name in loose
    ]
    for g in graphs:
        g.artifacts.notes.extend(notes)
        g.artifacts.entries = []
    return graphs


def resolve_graph(target: str | Path, graph: str | None = None) -> Artifacts:
    """The artifacts of one graph of ``target``: the only one, or the one named ``graph``.

    ``graph`` matches a graph's name (``qwen3-s1``), its stem (``qwen3-s1-chrometrace``) or its op
    trace's file name.  Raises GraphChoiceError (listing the graphs) when several exist and none is
    named, or when the name matches none; InputError for unreadable input.  This is the one place
    that decides which graph an htptui command opens.
    """
    if graph is None:
        return discover(target)
    graphs = discover_graphs(target)
    found = find_graph(graphs, graph)
    if found is None:
        raise GraphChoiceError(str(target), graphs, asked=graph)
    return found.artifacts


def find_graph(graphs: list[Graph], graph: str) -> Graph | None:
    """The graph matching ``graph`` by name, stem or op-trace file name (None when none does)."""
    for g in graphs:
        trace = g.artifacts.op_trace
        if graph in (g.name, g.stem) or (trace is not None and graph == trace.name):
            return g
    return None


def _discover_file(path: Path) -> Artifacts:
    """A single file: use it as what its header says (default: op trace), plus siblings sharing its stem."""
    arts = Artifacts(root=str(path))
    found_type = sniff_artifact_type(head_bytes(path, 4096))
    kind = ARTIFACT_TYPES.get(found_type or "", "op_trace")
    if kind != "op_trace":
        _assign(arts, kind, path)
        return arts
    arts.op_trace = path
    stem = _stem_of(path)
    for suffix, k in (
        ("_htp.json", "htp_graph"),
        ("_htp_graph_before.json", "graph_before"),
        ("_qnn_htp_analysis_summary.json", "qhas"),
        ("_runtrace.json", "runtrace"),
    ):
        for cand in (path.parent / f"{stem}{suffix}", path.parent / f"{stem}{suffix}.gz"):
            if cand.is_file():
                setattr(arts, k, cand)
                break
    return arts
