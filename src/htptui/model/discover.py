"""Find the artifacts of an optrace directory by suffix (any stem), confirmed by artifact_type."""

from __future__ import annotations

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
    """Locate artifacts for a directory, a single trace file, or ``-`` (stdin, read here)."""
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
        arts = Artifacts(root="<stdin>", stdin_bytes=data)
        return arts
    root = Path(target)
    label = clean_text(str(root))
    try:
        st = os.stat(root)
    except OSError:
        check_regular(root, label)  # raises the precise reason (no such file, loop, dangling)
        raise InputError(label, "no such file or directory") from None
    if stat.S_ISREG(st.st_mode):
        return _discover_file(root)
    if not stat.S_ISDIR(st.st_mode):
        check_regular(root, label)  # FIFO, device, socket: one clear line
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
                arts.problems.setdefault("profile", exc.problem)
            elif kind == "json":
                rejected.append((p, exc.problem))
            else:
                _assign(arts, kind, p)
                arts.problems.setdefault(kind, exc.problem)
            continue
        if kind == "text" and _PROFILE_NAME_RE.match(p.name):
            bad = describe_content(head_bytes(p, 4096))
            if bad is not None or _sniff_text(p) is None:
                _assign(arts, "profile", p)
                arts.problems.setdefault(
                    "profile", bad or "not a qnn-profile-viewer text output (no known header)"
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
    if trace_candidates:
        arts.op_trace = _pick_trace(trace_candidates, arts)
        for other in trace_candidates:
            if other != arts.op_trace:
                arts.notes.append(
                    f"{clean_text(other.name)}: another op trace, not used "
                    "(pass it explicitly to open it)"
                )
    return arts


def _assign(arts: Artifacts, kind: str, path: Path) -> None:
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


def _pick_trace(candidates: list[Path], arts: Artifacts) -> Path:
    """Prefer the op trace whose stem the other artifacts share (`<stem>_htp.json`, ...)."""
    stems = {
        _strip_gz(p.name).split(suffix)[0]
        for p, suffix in (
            (arts.htp_graph, "_htp"),
            (arts.qhas, "_qnn_htp_analysis_summary"),
            (arts.runtrace, "_runtrace"),
        )
        if p is not None
    }
    for c in candidates:
        if _stem_of(c) in stems:
            return c
    return max(candidates, key=lambda p: p.stat().st_size)  # regular files: stat cannot fail


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
