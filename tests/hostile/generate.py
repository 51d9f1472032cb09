"""Generator of hostile and huge inputs for htptui, one list of cases per class of failure.

Every case is a command line of ``python -m htptui`` plus what the run must satisfy: an exit status
from the documented set (0 ok, 1 input error, 2 usage error; ``check`` uses 2 for unreadable input),
a one-line message naming the file and the cause, no traceback, no raw control or bidi character
on stdout or stderr, at most :data:`TIME_LIMIT` seconds and :data:`RSS_LIMIT` bytes of memory, and
an unchanged trace directory. The inputs are built from the bundled real sample and small synthetic
traces; the big ones (gzip bombs, 100k-node graphs, > 32 MB traces) are written to a temp dir.

Run it by hand: ``python -m tests.hostile.generate OUT_DIR [CLASS ...]`` prints one line per case.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "sample_data" / "chain8_matmul"
TIME_LIMIT = 20.0  # CPU seconds (user + sys) of one run, the child's own children included
WALL_LIMIT = 60.0  # wall seconds: the hang bound, generous for a machine shared with other jobs
RSS_LIMIT = 2 * 1024**3

HEADER = {
    "header_version": {"major": 1, "minor": 0, "patch": 0},
    "version": {"major": 1, "minor": 1, "patch": 0},
    "artifact_type": "OP_TRACE",
}
#: every kind of character that must never reach a terminal raw
EVIL = "\x1b[31mRED\x07\u202eevil\u2066iso\u2069\u200bzw\ufefffeff\u00ad\x85c1\u2028ls"
MARKUP = "[@click=app.quit]Q[/] [/bold red] [link=x]L[/link] [/]"

CLASSES = (
    "silent_drops",
    "deep_json",
    "long_graphs",
    "expected_dag",
    "overflow",
    "saved_reports",
    "writes",
    "escapes",
    "cache",
    "huge",
)


@dataclass
class Case:
    """One hostile run and what it must satisfy."""

    klass: str
    name: str
    argv: list[str]
    codes: tuple[int, ...] = (0, 1)
    mention: tuple[str, ...] = ()  # substrings (file names, causes) that must appear in the output
    watch: tuple[Path, ...] = ()  # directories that must not change
    cwd: Path | None = None
    stdin: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    warmup: list[list[str]] = field(default_factory=list)  # runs before the case (not checked)
    mutate: Callable[[], None] | None = None  # called after the warm-up runs
    same_as_fresh: bool = False  # stdout must equal a run with HTPTUI_NO_CACHE=1


# --- small writers ----------------------------------------------------------------------------


def _x(name: str, tid: int, ts: int, dur: int, qnn: str, op_id: int, pid: int = 0, **kw: Any):
    args: dict[str, Any] = {
        "ID": f"0x{op_id:016x}",
        "HTP Op Type": name,
        "Flags": ["uses_hmx"] if tid == 256 else ["uses_hvx"],
        "Cycles per Packet": 4.5,
        "QNN Op Type": "Custom",
        "QNN Op Name": qnn,
        "Start Cycle": ts + 1_000_000,
        "Dominant Path Cycles": dur,
    }
    args.update(kw)
    return {"name": name, "ph": "X", "tid": tid, "pid": pid, "ts": ts, "dur": dur, "args": args}


def _meta(pid: int, name: str, tid: int | None = None) -> dict[str, Any]:
    ev: dict[str, Any] = {"cat": "__metadata", "pid": pid, "ph": "M", "args": {"name": name}}
    if tid is None:
        ev["name"] = "process_name"
    else:
        ev["name"] = "thread_name"
        ev["tid"] = tid
    return ev


def _trace_text(events: list[dict[str, Any]]) -> str:
    """An OP_TRACE object with one event per line, as the SDK writes it."""
    body = ",\n".join(json.dumps(e, ensure_ascii=False) for e in events)
    return '{"header": ' + json.dumps(HEADER) + ',\n"traceEvents": [\n' + body + "\n]}\n"


def _lanes_meta() -> list[dict[str, Any]]:
    return [
        _meta(0, "Core 0 Overview"),
        _meta(0, "Type: HMX", 256),
        _meta(0, "Type: HVX", 512),
        _meta(0, "Type: HVX", 513),
    ]


def chain_events(n_ops: int, names: Callable[[int], str] | None = None) -> list[dict[str, Any]]:
    """A chain of ``n_ops`` QNN ops, one HMX and one HVX op each, back to back."""
    names = names or (lambda i: f"Op_{i}")
    ev = []
    for i in range(n_ops):
        base = 0x1000_0000_0000 + i
        ev.append(_x("q::ConvLayer_s1.opt", 256, i * 300, 120, names(i), base))
        ev.append(_x("q::QuantizedAdd_8x8to8", 512 + i % 2, i * 300 + 130, 100, names(i),
                     base + (1 << 32)))  # fmt: skip
    return ev + _lanes_meta()


def htp_graph(n_ops: int, reverse: bool = False, names: Callable[[int], str] | None = None,
              shared_scalar: bool = False, cycle: bool = False) -> dict[str, Any]:  # fmt: skip
    """An HTP graph: node i consumes node i-1's output (a chain), optionally listed last-first."""
    names = names or (lambda i: f"Op_{i}")
    tensors: dict[str, Any] = {}
    nodes: dict[str, Any] = {}
    scalar = "0x0000100200000008"
    if shared_scalar:
        tensors[scalar] = {"id": 0, "type": 4, "data_type": 50, "dims": [1]}
    order = range(n_ops - 1, -1, -1) if reverse else range(n_ops)
    for i in order:
        nid = f"0x{0x1000_0000_0000 + i:016x}"
        tensors[nid] = {"id": i + 1, "type": 3, "data_type": 1032, "dims": [1, 1, 64, 64]}
        ins = [f"0x{0x1000_0000_0000 + i - 1:016x}"] if i else []
        if cycle and i == 0:
            ins = [f"0x{0x1000_0000_0000 + n_ops - 1:016x}"]
        if shared_scalar:
            ins.append(scalar)
        nodes[nid] = {"type": "q::ConvLayer_s1.opt", "grouping": names(i),
                      "input_names": ins, "output_names": [nid]}  # fmt: skip
    return {
        "header": {**HEADER, "artifact_type": "HTP_GRAPH"},
        "graph": {"tensors": tensors, "nodes": nodes},
    }


def write_model(d: Path, n_ops: int, *, trace_ops: int | None = None, reverse: bool = False,
                names: Callable[[int], str] | None = None, **graph_kw: Any) -> Path:  # fmt: skip
    """A directory with chrometrace.json (``trace_ops`` ops) and chrometrace_htp.json (``n_ops``)."""
    d.mkdir(parents=True, exist_ok=True)
    k = n_ops if trace_ops is None else trace_ops
    (d / "chrometrace.json").write_text(_trace_text(chain_events(k, names)), encoding="utf-8")
    g = htp_graph(n_ops, reverse=reverse, names=names, **graph_kw)
    (d / "chrometrace_htp.json").write_text(json.dumps(g, ensure_ascii=False), encoding="utf-8")
    return d


def copy_real(dest: Path) -> Path:
    """A copy of the bundled real optrace directory (without its README)."""
    shutil.copytree(REAL, dest, ignore=shutil.ignore_patterns("README.md"))
    return dest


def deep(n: int) -> str:
    return "[" * n + "]" * n


def gzip_bomb(path: Path, expanded: int, member_mb: int = 64) -> None:
    """A gzip file of repeated members of spaces: a few MB that expand to ``expanded`` bytes."""
    member = gzip.compress(b" " * (member_mb << 20), compresslevel=9, mtime=0)
    head = gzip.compress(b'{"traceEvents": [', mtime=0)
    with path.open("wb") as fh:
        fh.write(head)
        for _ in range(max(1, expanded // (member_mb << 20))):
            fh.write(member)


# --- checks -----------------------------------------------------------------------------------


def unsafe_chars(text: str) -> list[str]:
    """Raw control (except newline/tab/CR), C1, format (bidi, zero-width, BOM) or separator chars."""
    bad = []
    for ch in set(text):
        o = ord(ch)
        if ch in "\n\t\r":
            continue
        if o < 0x20 or 0x7F <= o <= 0x9F or unicodedata.category(ch) in ("Cf", "Zl", "Zp"):
            bad.append(f"U+{o:04X}")
    return sorted(bad)


def tree_digest(d: Path) -> str:
    """A hash of a directory tree (names, types, symlink targets, regular files' bytes).

    Never opens a non-regular file (a FIFO would block, /dev/zero never ends).
    """
    h = hashlib.sha256()
    if not d.exists() and not d.is_symlink():
        return "absent"
    for root, dirs, files in os.walk(d, followlinks=False):
        dirs.sort()
        for name in sorted(files + [x for x in dirs if (Path(root) / x).is_symlink()]):
            p = Path(root) / name
            st = os.lstat(p)
            h.update(f"{p.relative_to(d)}|{stat.S_IFMT(st.st_mode)}|".encode("utf-8", "replace"))
            if stat.S_ISLNK(st.st_mode):
                h.update(os.readlink(p).encode("utf-8", "replace"))
            elif stat.S_ISREG(st.st_mode):
                h.update(str(st.st_size).encode())
                h.update(str(st.st_mtime_ns).encode())
                with p.open("rb") as fh:
                    h.update(hashlib.sha256(fh.read(1 << 20)).digest())
    return h.hexdigest()


@dataclass
class Result:
    """What one case did."""

    case: Case
    code: int | None
    seconds: float
    cpu: float
    rss: int
    stdout: str
    stderr: str
    problems: list[str]


def _limit_memory() -> None:
    """In the child: cap the address space when HTPTUI_HOSTILE_MEMLIMIT (bytes) is set.

    Only for runs against old code that may allocate without bound; the suite measures RSS instead.
    """
    import resource

    limit = os.environ.get("HTPTUI_HOSTILE_MEMLIMIT")
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (int(limit), int(limit)))


def _run_child(argv: list[str], *, cwd: Path | None, stdin: Path | None, env: dict[str, str],
               timeout: float) -> tuple[int | None, float, float, int, bytes, bytes]:  # fmt: skip
    """Run ``python -m htptui ARGV``; return (status or None on timeout, wall s, CPU s, max RSS,
    stdout, stderr).

    The child's CPU time and peak RSS come from ``os.wait4`` (its own rusage, with its waited-for
    children, e.g. the decode workers).
    """
    import tempfile

    full_env = dict(os.environ)
    full_env.pop("NO_COLOR", None)
    # HTPTUI_HOSTILE_SRC runs the corpus against another checkout (e.g. the code before a fix)
    src = os.environ.get("HTPTUI_HOSTILE_SRC") or str(ROOT / "src")
    full_env.update({"COLUMNS": "120", "PYTHONPATH": src})
    full_env.update(env)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        fin = open(stdin, "rb") if stdin is not None else subprocess.DEVNULL  # noqa: SIM115
        t0 = time.monotonic()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "htptui", *argv],
                stdin=fin, stdout=out, stderr=err, cwd=cwd, env=full_env,
                start_new_session=True, preexec_fn=_limit_memory,
            )  # fmt: skip
        finally:
            if stdin is not None:
                fin.close()  # type: ignore[union-attr]
        status: int | None = None
        rss = 0
        while True:
            pid, raw, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                status = os.waitstatus_to_exitcode(raw)
                rss = usage.ru_maxrss * 1024
                proc.returncode = status
                break
            if time.monotonic() - t0 > timeout:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, 9)
                _, raw, usage = os.wait4(proc.pid, 0)
                rss = usage.ru_maxrss * 1024
                proc.returncode = -9
                status = None
                break
            time.sleep(0.01)
        seconds = time.monotonic() - t0
        cpu = usage.ru_utime + usage.ru_stime
        out.seek(0)
        err.seek(0)
        return status, seconds, cpu, rss, out.read(), err.read()


_FRESH: dict[tuple[tuple[str, ...], str], bytes] = {}  # argv -> stdout without the cache
_FRESH_LOCK = threading.Lock()


def run_case(case: Case, timeout: float = WALL_LIMIT) -> Result:
    """Run one case (with its warm-up and mutation) and list every broken promise."""
    env = dict(case.env)
    for argv in case.warmup:
        _run_child(argv, cwd=case.cwd, stdin=None, env=env, timeout=120)
    if case.mutate is not None:
        case.mutate()
    before = {d: tree_digest(d) for d in case.watch}
    code, seconds, cpu, rss, out_b, err_b = _run_child(
        case.argv, cwd=case.cwd, stdin=case.stdin, env=env, timeout=timeout
    )
    out, err = out_b.decode("utf-8", "replace"), err_b.decode("utf-8", "replace")
    problems = []
    if code is None:
        problems.append(f"no exit within {timeout:.0f} s (hang)")
    elif code not in case.codes:
        problems.append(f"exit {code}, expected one of {case.codes}")
    if "Traceback" in out or "Traceback" in err:
        problems.append("a traceback: " + err.strip().splitlines()[-1][:200] if err.strip() else "")
    if cpu > TIME_LIMIT:
        problems.append(f"took {cpu:.1f} s of CPU (limit {TIME_LIMIT:.0f})")
    if rss > RSS_LIMIT:
        problems.append(f"peak RSS {rss / 2**30:.2f} GiB (limit {RSS_LIMIT / 2**30:.0f})")
    for where, text in (("stdout", out), ("stderr", err)):
        bad = unsafe_chars(text)
        if bad:
            problems.append(f"raw control/bidi characters on {where}: {', '.join(bad[:8])}")
    errors = [ln for ln in err.splitlines() if ln.startswith("htptui: error")]
    if code not in (0, None) and len(errors) != 1 and not (code == 2 and "Error:" in err):
        problems.append(f"{len(errors)} 'htptui: error' lines on stderr (expected one)")
    both = out + err
    for m in case.mention:
        if m not in both:
            problems.append(f"the output never names {m!r}")
    for d, digest in before.items():
        if tree_digest(d) != digest:
            problems.append(f"the trace directory {d} changed")
    if case.same_as_fresh and code == 0:
        key = (tuple(case.argv), str(case.cwd))
        with _FRESH_LOCK:
            fresh_out = _FRESH.get(key)
        if fresh_out is None:  # one fresh decode per command line, shared by the cache cases
            fresh_out = _run_child(case.argv, cwd=case.cwd, stdin=None,
                                   env={**env, "HTPTUI_NO_CACHE": "1"}, timeout=120)[4]  # fmt: skip
            with _FRESH_LOCK:
                _FRESH[key] = fresh_out
        if fresh_out != out_b:
            problems.append("stdout differs from a fresh decode (stale or corrupt cache served)")
    return Result(case, code, seconds, cpu, rss, out, err, problems)


def run_cases(cases: list[Case], workers: int = 2) -> list[Result]:
    """Run cases on a few threads (each case is its own subprocess)."""
    results: list[Result | None] = [None] * len(cases)
    lock = threading.Lock()
    todo = list(range(len(cases)))

    def worker() -> None:
        while True:
            with lock:
                if not todo:
                    return
                k = todo.pop(0)
            results[k] = run_case(cases[k])

    threads = [threading.Thread(target=worker) for _ in range(max(1, workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [r for r in results if r is not None]


# --- the classes ------------------------------------------------------------------------------

ARTIFACTS = (
    "chrometrace.json",
    "profile.txt",
    "chrometrace_htp.json",
    "chrometrace_qnn_htp_analysis_summary.json",
    "chrometrace_runtrace.json",
)


def _variant(p: Path, variant: str) -> None:
    """Replace the file ``p`` (of a copied directory) by one hostile variant."""
    original = p.read_bytes()
    p.unlink()
    if variant == "empty":
        p.write_bytes(b"")
    elif variant == "blank":
        p.write_bytes(b"   \n\n  ")
    elif variant == "garbage":
        p.write_bytes(b"hello, this is not an optrace file\n" * 20)
    elif variant == "binary":
        p.write_bytes(bytes(range(256)) * 8)
    elif variant == "utf16":
        p.write_bytes(original.decode("utf-8").encode("utf-16"))
    elif variant == "wrong_artifact":
        other = REAL / (
            "chrometrace_runtrace.json" if "runtrace" not in p.name else "chrometrace_htp.json"
        )
        p.write_bytes(other.read_bytes() if p.suffix == ".json" else b'{"traceEvents": []}\n')
    elif variant == "truncated":
        p.write_bytes(original[: len(original) // 2])
    elif variant == "deep":
        p.write_text('{"header": {"artifact_type": "x"}, "traceEvents": ' + deep(100_000) + "}")
    elif variant == "fifo":
        os.mkfifo(p)
    elif variant == "directory":
        p.mkdir()
    elif variant == "symlink_loop":
        p.symlink_to(p.name)
    elif variant == "dangling":
        p.symlink_to(p.name + ".missing")
    elif variant == "devzero":
        p.symlink_to("/dev/zero")
    elif variant == "socket":
        s = socket.socket(socket.AF_UNIX)
        s.bind(str(p))
        s.close()
    else:  # pragma: no cover
        raise ValueError(variant)


VARIANTS = ("empty", "blank", "garbage", "binary", "utf16", "wrong_artifact", "truncated", "deep",
            "fifo", "directory", "symlink_loop", "dangling", "devzero", "socket")  # fmt: skip


def silent_drops(base: Path) -> list[Case]:
    """Every companion artifact (and the op trace) broken in every way: named, never silent."""
    cases = []
    for art in ARTIFACTS:
        for v in VARIANTS:
            if v == "truncated" and art == "profile.txt":
                continue  # the first half of a profile text is a valid (shorter) profile text
            if v == "socket" and len(str(base / f"{art}-{v}" / art)) > 100:
                continue  # AF_UNIX socket paths are limited to about 100 bytes
            d = copy_real(base / f"{art}-{v}")
            _variant(d / art, v)
            mention = (str(d / art),)  # the path itself, not only a label naming the kind
            cmd = "findings" if art == "chrometrace.json" and v in ("fifo", "deep") else "report"
            cases.append(Case("silent_drops", f"{art}:{v}", [cmd, str(d)], (0, 1), mention, (d,)))
    # an op trace that is the only artifact: the directory has nothing usable -> exit 1, named
    for v in ("garbage", "utf16", "fifo", "directory", "symlink_loop"):
        d = base / f"only-trace-{v}"
        d.mkdir()
        (d / "chrometrace.json").write_text("x")
        _variant(d / "chrometrace.json", v)
        cases.append(Case("silent_drops", f"only-trace:{v}", ["report", str(d)], (1,),
                          (str(d / "chrometrace.json"),), (d,)))  # fmt: skip
    # an auto-found expected.dag that does not parse: a warning, not a failed report
    d = copy_real(base / "bad-expected")
    (d / "expected.dag").write_text("A => B\n")
    cases.append(Case("silent_drops", "auto-expected-bad", ["report", str(d)], (0,),
                      (str(d / "expected.dag"),), (d,)))  # fmt: skip
    parent = base / "parent-expected"
    parent.mkdir()
    (parent / "expected.dag").write_text("Input -> -> MatMul_0\n")
    d = copy_real(parent / "run")
    cases.append(Case("silent_drops", "auto-expected-parent", ["report", str(d)], (0,),
                      (str(parent / "expected.dag"),), (d, parent)))  # fmt: skip
    cases.append(Case("silent_drops", "auto-expected-parent-dag", ["dag", str(d)], (0,),
                      (str(parent / "expected.dag"),), (d, parent)))  # fmt: skip
    cases.append(Case("silent_drops", "explicit-expected-bad",
                      ["report", str(d), "--expected", str(parent / "expected.dag")], (1,),
                      (str(parent / "expected.dag"),), (d, parent)))  # fmt: skip
    return cases


def deep_json(base: Path) -> list[Case]:
    """~1,000 and 100,000 levels of nesting in every JSON artifact, one event's args, saved reports."""
    cases = []
    for n in (1_000, 100_000):
        d = copy_real(base / f"args-{n}")
        text = (d / "chrometrace.json").read_text()
        text = text.replace('"args": {', '"args": {"deep": ' + deep(n) + ", ", 1)
        (d / "chrometrace.json").write_text(text)
        cases.append(Case("deep_json", f"event-args-{n}", ["report", str(d)], (0, 1), (), (d,)))
        cases.append(Case("deep_json", f"event-args-{n}-findings", ["findings", str(d)], (0, 1),
                          (), (d,)))  # fmt: skip
        for art in ARTIFACTS[2:]:
            d = copy_real(base / f"{art}-{n}")
            obj = json.loads((d / art).read_text())
            obj["deep"] = json.loads(deep(min(n, 900)))  # json.loads itself recurses
            text = json.dumps(obj)
            text = text[:-1] + ', "deeper": ' + deep(n) + "}"
            (d / art).write_text(text)
            cases.append(Case("deep_json", f"{art}-{n}", ["report", str(d)], (0, 1), (art,), (d,)))
        f = base / f"single-{n}.json"
        f.write_text(deep(n))
        cases.append(Case("deep_json", f"single-file-{n}", ["report", str(f)], (1,), (f.name,)))
        cases.append(Case("deep_json", f"stdin-{n}", ["report", "-"], (1,), ("stdin",),
                          stdin=f))  # fmt: skip
        rep = base / f"report-{n}.json"
        rep.write_text('{"schema": "htptui.report", "schema_version": 1, "cores": ' + deep(n) + "}")
        cases.append(Case("deep_json", f"check-baseline-{n}",
                          ["check", str(REAL), "--baseline", str(rep)], (2,), (rep.name,)))  # fmt: skip
        cases.append(Case("deep_json", f"check-current-{n}",
                          ["check", str(rep), "--baseline", str(REAL)], (2,), (rep.name,)))  # fmt: skip
        cases.append(Case("deep_json", f"diff-{n}", ["diff", str(rep), str(REAL)], (1,),
                          (rep.name,)))  # fmt: skip
    return cases


def long_graphs(base: Path) -> list[Case]:
    """Long chains (listed first-first and last-first), a cycle, a shared scalar: near-linear."""
    cases = []
    specs = [
        ("chain-3000", 3000, {}, None),
        ("chain-1500-reversed", 1500, {"reverse": True}, None),
        ("chain-5000-reversed", 5000, {"reverse": True}, None),
        ("chain-100k-reversed", 100_000, {"reverse": True}, 3000),
        ("cycle-2000", 2000, {"cycle": True}, None),
        ("shared-scalar-3000", 3000, {"shared_scalar": True}, None),
    ]
    for name, n, kw, trace_ops in specs:
        d = write_model(base / name, n, trace_ops=trace_ops, **kw)
        for cmd in (["report"], ["findings"], ["dag"], ["dag", "--level", "htp"]):
            if cmd[-1] == "htp" and n > 5000:
                continue
            cases.append(Case("long_graphs", f"{name}:{' '.join(cmd)}", [*cmd, str(d)], (0,),
                              (), (d,)))  # fmt: skip
    return cases


def expected_dag(base: Path) -> list[Case]:
    """Quadratic globs, long chains, pathological comments and lines, FIFOs and devices."""
    cases = []
    model = write_model(base / "model-150", 150)
    exp = base / "exp"
    exp.mkdir()

    def add(name: str, text: str | bytes | None, codes: tuple[int, ...] = (0, 1),
            mention: tuple[str, ...] = (), path: Path | None = None, cmd: str = "dag") -> None:  # fmt: skip
        p = path or exp / f"{name}.dag"
        if text is not None:
            if isinstance(text, bytes):
                p.write_bytes(text)
            else:
                p.write_text(text, encoding="utf-8")
        cases.append(Case("expected_dag", name, [cmd, str(model), "--expected", str(p)], codes,
                          mention, (model,)))  # fmt: skip

    add("glob-pairs-150", "Op_* || Op_*\n")
    add("glob-pairs-150-report", "Op_* || Op_*\n", cmd="report")
    add("chain-10k-lines", "\n".join(f"Op_{i} -> Op_{i + 1}" for i in range(10_000)) + "\n")
    add("chain-10k-one-line", " -> ".join(f"Op_{i}" for i in range(10_000)) + "\n")
    add("chain-10k-report", " -> ".join(f"Op_{i}" for i in range(10_000)) + "\n", cmd="report")
    add("independent-10k", "\n".join(f"Op_{i} || Op_{i + 1}" for i in range(10_000)) + "\n")
    add("comment-80k", "Op_0 -> Op_1 " + "/*x " * 20_000 + "\n")
    add("comment-2m", "/*x " * 500_000 + "\n")
    add("dot-comment-80k", "digraph g {\n Op_0 -> Op_1; " + "/*x " * 20_000 + "\n}\n",
        path=exp / "c.dot")  # fmt: skip
    add("dot-brackets-80k", "digraph g {\n Op_0 -> Op_1 " + "[" * 80_000 + "\n}\n",
        path=exp / "b.dot")  # fmt: skip
    add("dot-quotes-80k", 'digraph g {\n "' + '\\"' * 40_000 + "\n}\n", path=exp / "q.dot")
    add("glob-backtrack", "*_*_*_*_*_*_*_*_*_*_*_*_*_x -> Op_1\n")
    add("long-line-3m", "Op_0 -> " + "A" * 3_000_000 + "\n", (1,), ("exp",))
    add("name-50m", "Op_0 -> " + "B" * (50 << 20) + "\n", (1,), ("exp",))
    add("bidi-names", f'"Op_0{EVIL}" -> "{EVIL}"\n')
    add("bidi-error", f'"Op_0{EVIL}" => B\n', (1,), ("exp",))
    add("markup-names", f'"{MARKUP}" -> Op_1\n')
    add("utf16", "Op_0 -> Op_1\n".encode("utf-16"), (1,), ("UTF-16",))
    add("binary", bytes(range(256)) * 4, (1,))
    fifo = exp / "fifo.dag"
    os.mkfifo(fifo)
    add("fifo", None, (1,), ("fifo.dag", "FIFO"), path=fifo)
    add("fifo-report", None, (1,), ("fifo.dag",), path=fifo, cmd="report")
    add("dev-zero", None, (1,), ("/dev/zero",), path=Path("/dev/zero"))
    add("directory", None, (1, 2), ("exp",), path=exp)
    loop = exp / "loop.dag"
    loop.symlink_to("loop.dag")
    add("symlink-loop", None, (1,), ("loop.dag",), path=loop)
    onnx_fifo = exp / "fifo.onnx"
    os.mkfifo(onnx_fifo)
    add("onnx-fifo", None, (1,), ("fifo.onnx",), path=onnx_fifo)
    add("onnx-garbage", b"not an onnx model" * 100, (1,), ("g.onnx",), path=exp / "g.onnx")
    return cases


def overflow(base: Path) -> list[Case]:
    """Values past int16/int64 and huge core numbers: handled or one clear line, never a traceback."""
    cases = []

    def trace_case(name: str, events: list[dict[str, Any]], codes: tuple[int, ...] = (0, 1),
                   cmds: tuple[str, ...] = ("report", "findings")) -> Path:  # fmt: skip
        d = base / name
        d.mkdir()
        (d / "chrometrace.json").write_text(_trace_text(events), encoding="utf-8")
        for cmd in cmds:
            cases.append(Case("overflow", f"{name}:{cmd}", [cmd, str(d)], codes, (), (d,)))
        return d

    lanes = [
        _x("q::Op", 1000 + k, k, 10, f"Op_{k % 50}", 0x1000_0000_0000 + k) for k in range(33_000)
    ]
    lanes += [_meta(0, "Core 0 Overview")] + [
        _meta(0, "Type: HVX", 1000 + k) for k in range(33_000)
    ]
    trace_case("lanes-33000", lanes, (0,))
    ev = chain_events(4)
    trace_case("core-huge", [*ev, _meta(0, "Core 99999999999999999999 Overview")])
    trace_case("core-2-63", [_meta(7, "Core 9223372036854775808 Overview"), *chain_events(3)])
    trace_case("thread-core-huge", [*chain_events(3), _meta(0, "Core: " + "9" * 5000 + " Type: HVX", 514),
                                    _x("q::Op", 514, 5, 5, "Op_0", 0x1000_0000_0001)])  # fmt: skip
    for label, key, value in (
        ("ts-2-70", "ts", 2**70),
        ("ts-2-63", "ts", 2**63),
        ("ts-2-62", "ts", 2**62 + 1),
        ("ts-neg", "ts", -(2**63)),
        ("ts-float-1e300", "ts", 1e300),
        ("dur-2-63", "dur", 2**63 - 1),
        ("pid-2-40", "pid", 2**40),
        ("tid-2-40", "tid", 2**40),
        ("tid-neg", "tid", -(2**40)),
    ):
        ev = chain_events(3)
        ev[0][key] = value
        trace_case(label, ev)
    for label, key, value in (
        ("start-cycle-1e30", "Start Cycle", 10**30),
        ("start-cycle-float", "Start Cycle", 1e30),
        ("dpc-2-64", "Dominant Path Cycles", 2**64 - 1),
        ("dpc-float", "Dominant Path Cycles", 1e300),
        ("id-huge", "ID", "0x" + "f" * 5000),
        ("cpp-huge", "Cycles per Packet", 1e308),
    ):
        ev = chain_events(3)
        ev[0]["args"][key] = value
        trace_case(label, ev)
    # a chunked (> 32 MB) trace with one ts of 2**70
    big = base / "chunked-ts-2-70"
    big.mkdir()
    events = chain_events(60_000)
    events[70_000]["ts"] = 2**70
    (big / "chrometrace.json").write_text(_trace_text(events))
    cases.append(Case("overflow", "chunked-ts-2-70", ["report", str(big)], (0, 1), (), (big,)))
    # QHAS values beyond int64 (int: decode error; float: out of range)
    for label, value in (("qhas-start-1e30", 10**30), ("qhas-start-float", 1e30),
                         ("qhas-start-2-63", 2**63)):  # fmt: skip
        d = copy_real(base / label)
        p = d / "chrometrace_qnn_htp_analysis_summary.json"
        obj = json.loads(p.read_text())
        obj["data"]["dominant_path_htp_0"]["data"][0]["start_cycle"] = value
        obj["data"]["htp_op_instances"]["data"][0]["start_cycle"] = value
        obj["data"]["htp_overall_summary"]["data"][0]["timeline_cycles"] = value
        obj["data"]["dominant_path_htp_" + "9" * 30] = {"data": []}
        p.write_text(json.dumps(obj))
        for cmd in ("report", "findings"):
            cases.append(Case("overflow", f"{label}:{cmd}", [cmd, str(d)], (0, 1), (), (d,)))
    d = copy_real(base / "runtrace-huge")
    p = d / "chrometrace_runtrace.json"
    obj = json.loads(p.read_text())
    for ev in obj["traceEvents"]:
        if ev.get("ph") == "X":
            ev["ts"] = 1e300
            ev["dur"] = 2**63
            ev.setdefault("args", {})["stat_start_cycles"] = 1e300
    p.write_text(json.dumps(obj))
    cases.append(Case("overflow", "runtrace-huge", ["report", str(d)], (0, 1), (), (d,)))
    return cases


def _saved_report(base: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "htptui", "report", str(REAL), "--format", "json"],
        capture_output=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    ).stdout  # fmt: skip
    return json.loads(out)


def saved_reports(base: Path) -> list[Case]:
    """Saved reports broken below the top level: `check` exits 2, `diff` 1, never a traceback."""
    good = _saved_report(base)
    gp = base / "good.json"
    gp.write_text(json.dumps(good))

    def mutated(fn: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        doc = json.loads(json.dumps(good))
        fn(doc)
        return doc

    def setter(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
        def fn(doc: dict[str, Any]) -> None:
            obj: Any = doc
            keys = path.split(".")
            for k in keys[:-1]:
                obj = obj[int(k)] if isinstance(obj, list) else obj[k]
            last = keys[-1]
            if isinstance(obj, list):
                obj[int(last)] = value
            else:
                obj[last] = value

        return fn

    bad: list[tuple[str, Any]] = [
        ("cores-ints", setter("cores", [1])),
        ("cores-str", setter("cores", "x")),
        ("cores-dict", setter("cores", {"0": 1})),
        ("core-str", setter("cores.0.core", "zero")),
        ("core-float", setter("cores.0.core", 0.5)),
        ("unit-busy-list", setter("cores.0.unit_busy", [1, 2])),
        ("lanes-str", setter("cores.0.lanes", "HMX")),
        ("lane-int", setter("cores.0.lanes", [5])),
        ("timing-list", setter("timing", [1])),
        ("executes-ints", setter("timing.executes", [1])),
        ("phases-str", setter("timing.executes.0.phases", "x")),
        ("ranking-rows", setter("ranking.qnn_op", [1, 2])),
        ("basis-str", setter("compare_basis", "x")),
        ("basis-instances", setter("compare_basis.instances", [{"n": "x"}])),
        ("basis-instance-ts", setter("compare_basis.instances.0.ts", "soon")),
        ("basis-version", setter("compare_basis.version", "2")),
        ("basis-graph", setter("compare_basis.graph", [1])),
        ("huge-number", setter("timing.graph_wall_cycles", 1e300)),
        ("schema-version-99", setter("schema_version", 99)),
        ("schema-version-str", setter("schema_version", "1")),
    ]
    cases = []
    for name, fn in bad:
        p = base / f"bad-{name}.json"
        p.write_text(json.dumps(mutated(fn)))
        cases.append(Case("saved_reports", f"{name}:check-baseline",
                          ["check", str(gp), "--baseline", str(p)], (2,), (p.name,)))  # fmt: skip
        cases.append(Case("saved_reports", f"{name}:check-current",
                          ["check", str(p), "--baseline", str(gp)], (2,), (p.name,)))  # fmt: skip
        cases.append(Case("saved_reports", f"{name}:diff", ["diff", str(gp), str(p)], (1,),
                          (p.name,)))  # fmt: skip
    for name, content in (("empty", b""), ("garbage", b"{nope"), ("utf16", json.dumps(good).encode("utf-16")),
                          ("truncated", json.dumps(good).encode()[:500])):  # fmt: skip
        p = base / f"raw-{name}.json"
        p.write_bytes(content)
        cases.append(Case("saved_reports", f"{name}:check", ["check", str(gp), "--baseline", str(p), "--all"],
                          (2,), (p.name,)))  # fmt: skip
    fifo = base / "fifo.json"
    os.mkfifo(fifo)
    cases.append(Case("saved_reports", "fifo:check", ["check", str(gp), "--baseline", str(fifo)],
                      (2,), ("fifo.json",)))  # fmt: skip
    cases.append(Case("saved_reports", "devzero:check",
                      ["check", str(gp), "--baseline", "/dev/zero"], (2,), ("/dev/zero",)))  # fmt: skip
    bomb = base / "bomb.json.gz"
    with bomb.open("wb") as fh:
        fh.write(
            gzip.compress(b'{"schema": "htptui.report", "schema_version": 1, "name": "', mtime=0)
        )
        member = gzip.compress(b"A" * (64 << 20), compresslevel=9, mtime=0)
        for _ in range(64):  # 4 GiB of "A" from a few MB
            fh.write(member)
    cases.append(Case("saved_reports", "gzip-bomb:check", ["check", str(gp), "--baseline", str(bomb)],
                      (2,), ("bomb.json.gz",)))  # fmt: skip
    named = mutated(setter("name", EVIL + MARKUP))
    named["ranking"]["qnn_op"][0]["name"] = EVIL
    p = base / "evil-names.json"
    p.write_text(json.dumps(named, ensure_ascii=False))
    cases.append(Case("saved_reports", "evil-names:check",
                      ["check", str(gp), "--baseline", str(p), "--all"], (0, 1)))  # fmt: skip
    cases.append(Case("saved_reports", "evil-names:diff", ["diff", str(gp), str(p)], (0,)))
    cases.append(Case("saved_reports", "evil-names:diff-json",
                      ["diff", str(gp), str(p), "--format", "json"], (0,)))  # fmt: skip
    return cases


def writes(base: Path) -> list[Case]:
    """-o into the trace directory by every route: refused (exit 2), the directory unchanged."""
    cases = []
    t = copy_real(base / "T")
    (t / "sub").mkdir()
    s = base / "S"
    s.mkdir()
    (s / "link.json").symlink_to(t / "chrometrace.json")
    (s / "dirlink").symlink_to(t)
    (s / "out-link.txt").symlink_to(t / "victim.txt")
    routes = [
        ("symlinked-input", ["report", str(s / "link.json"), "-o", str(t / "out.txt")], None),
        (
            "symlinked-input-sibling",
            ["report", str(s / "link.json"), "-o", str(s / "dirlink" / "o.txt")],
            None,
        ),
        ("subdir", ["report", str(t), "-o", str(t / "sub" / "out.txt")], None),
        ("via-dir-symlink", ["report", str(t), "-o", str(s / "dirlink" / "out.txt")], None),
        ("relative-cwd", ["report", str(t), "-o", "out.txt"], t),
        ("relative-cwd-sub", ["report", "..", "-o", "out.txt"], t / "sub"),
        ("output-symlink", ["report", str(t), "-o", str(s / "out-link.txt")], None),
        ("diff-second-input", ["diff", str(REAL), str(t), "-o", str(t / "d.txt")], None),
        ("findings", ["findings", str(t), "-o", str(t / "f.txt")], None),
        ("dag", ["dag", str(t), "-o", str(t / "g.txt")], None),
    ]
    for name, argv, cwd in routes:
        cases.append(Case("writes", name, argv, (2,), ("refusing",), (t,), cwd=cwd))
    # a single-file trace whose first 4 KB mention htptui.report is still a trace
    t2 = base / "T2"
    t2.mkdir()
    ev = chain_events(3)
    ev[0]["args"]["QNN Op Name"] = '{"schema": "htptui.report", "schema_version": 1}'
    (t2 / "trace.json").write_text('{"schema": "htptui.report",\n' + _trace_text(ev)[1:])
    cases.append(Case("writes", "report-lookalike", ["report", str(t2 / "trace.json"), "-o",
                      str(t2 / "out.txt")], (1, 2), (), (t2,)))  # fmt: skip
    t3 = base / "T3"
    t3.mkdir()
    (t3 / "trace.json").write_text(_trace_text(ev))
    cases.append(Case("writes", "report-mention-in-head", ["report", str(t3 / "trace.json"), "-o",
                      str(t3 / "out.txt")], (2,), ("refusing",), (t3,)))  # fmt: skip
    return cases


def escapes(base: Path) -> list[Case]:
    """Control, bidi and zero-width characters in every file-derived string: shown escaped."""
    cases = []
    d = copy_real(base / f"dir{EVIL}")
    (d / f"note{EVIL}.json").write_text("not json")
    (d / f"second{EVIL}_htp.json").write_text((REAL / "chrometrace_htp.json").read_text())
    p = d / "chrometrace_runtrace.json"
    obj = json.loads(p.read_text())
    for ev in obj["traceEvents"]:
        if ev.get("ph") == "X" and ev["name"] != "QNN DSP Execute":
            ev["name"] = ev["name"] + EVIL
        if ev.get("ph") == "M":
            ev["args"]["name"] = EVIL + ev["args"].get("name", "")
    p.write_text(json.dumps(obj, ensure_ascii=False))
    p = d / "chrometrace_qnn_htp_analysis_summary.json"
    obj = json.loads(p.read_text())
    obj["header"]["version"] = {"major": EVIL, "minor": MARKUP, "patch": 0}
    obj["model_id"] = EVIL + MARKUP
    obj["data"]["htp_op_instances"]["data"][0]["qnn_op"] = EVIL
    obj["data"]["htp_op_types"]["data"][0]["op"] = EVIL + MARKUP
    p.write_text(json.dumps(obj, ensure_ascii=False))
    p = d / "chrometrace.json"
    text = p.read_text().replace('"MatMul_3"', json.dumps("MatMul_3" + EVIL, ensure_ascii=False))
    text = text.replace('"Type: HVX"', json.dumps("Type: HVX" + EVIL, ensure_ascii=False), 1)
    p.write_text(text)
    (d / "expected.dag").write_text(f'Input -> "MatMul_0{EVIL}" -> MatMul_1\n', encoding="utf-8")
    for cmd in (["report"], ["report", "--format", "md"], ["report", "--format", "json"],
                ["findings"], ["dag"], ["dag", "--level", "htp"], ["dag", "--format", "json"]):  # fmt: skip
        cases.append(Case("escapes", " ".join(cmd), [*cmd, str(d)], (0,), (), (d,)))
    cases.append(Case("escapes", "check", ["check", str(d), "--baseline", str(REAL), "--all"],
                      (0, 1), (), (d,)))  # fmt: skip
    cases.append(Case("escapes", "diff", ["diff", str(REAL), str(d)], (0,), (), (d,)))
    cases.append(Case("escapes", "diff-json", ["diff", str(REAL), str(d), "--format", "json"],
                      (0,), (), (d,)))  # fmt: skip
    cases.append(Case("escapes", "missing-path", ["report", str(base / f"nope{EVIL}")], (1,)))
    cases.append(Case("escapes", "bad-option-value", ["report", "--top", EVIL, str(d)], (2,)))
    bad = base / f"bad{EVIL}.dag"
    bad.write_text(f'"A{EVIL}" => "B{EVIL}"\n', encoding="utf-8")
    cases.append(
        Case("escapes", "expected-error", ["dag", str(REAL), "--expected", str(bad)], (1,))
    )
    return cases


def _big_trace(path: Path) -> None:
    from htptui.synth import write_big_trace

    write_big_trace(path, 120_000, seed=3)


def cache(base: Path) -> list[Case]:
    """Decodable but inconsistent cache entries are rebuilt; an in-place edit is never served stale."""
    import numpy as np

    trace_dir = base / "big"
    trace_dir.mkdir()
    trace = trace_dir / "chrometrace.json"
    _big_trace(trace)
    assert trace.stat().st_size > 32 << 20, "the cache only covers traces above 32 MB"
    warm = base / "warm-cache"
    env = {"XDG_CACHE_HOME": str(warm), "HTPTUI_NO_CACHE": "0"}
    _run_child(
        ["report", str(trace), "--format", "json"], cwd=None, stdin=None, env=env, timeout=300
    )
    entries = list((warm / "htptui" / "traces").glob("*/meta.msgpack"))
    assert entries, "the warm-up run wrote no cache entry"

    def entry_of(root: Path) -> Path:
        return next((root / "htptui" / "traces").glob("*/meta.msgpack")).parent

    def corrupt(kind: str) -> Callable[[Path], None]:
        def fn(e: Path) -> None:
            import msgspec

            if kind == "short-column":
                a = np.load(e / "dur.npy")
                np.save(e / "dur.npy", a[:-7])
            elif kind == "lane-out-of-range":
                a = np.load(e / "lane.npy")
                a[::3] = 30_000
                np.save(e / "lane.npy", a)
            elif kind == "negative-kernel":
                a = np.load(e / "kernel.npy")
                a[5] = -4
                np.save(e / "kernel.npy", a)
            elif kind == "wrong-dtype":
                np.save(e / "ts.npy", np.load(e / "ts.npy").astype(np.float64))
            elif kind == "2d-column":
                a = np.load(e / "flags.npy")
                np.save(e / "flags.npy", np.stack([a, a]))
            elif kind == "strings-not-str":
                meta = msgspec.msgpack.decode((e / "meta.msgpack").read_bytes())
                meta["strings"][3] = 17
                (e / "meta.msgpack").write_bytes(msgspec.msgpack.encode(meta))
            elif kind == "lanes-bad":
                meta = msgspec.msgpack.decode((e / "meta.msgpack").read_bytes())
                meta["lanes"] = meta["lanes"][:1]
                (e / "meta.msgpack").write_bytes(msgspec.msgpack.encode(meta))
            elif kind == "meta-deep":
                (e / "meta.msgpack").write_bytes(b"\x91" * 100_000 + b"\xc0")
            elif kind == "meta-garbage":
                (e / "meta.msgpack").write_bytes(b"\xff\x00garbage")
            elif kind == "npy-garbage":
                (e / "op_id.npy").write_bytes(b"\x93NUMPY garbage")
            elif kind == "extra-missing":
                (e / "extra.npz").unlink()
            elif kind == "extra-short":
                extra = dict(np.load(e / "extra.npz"))
                extra["flow_ts"] = extra["flow_ts"][:1]
                np.savez(e / "extra.npz", **extra)
            elif kind == "pickle-column":
                np.save(e / "cpp.npy", np.array([{"x": 1}], dtype=object), allow_pickle=True)

        return fn

    kinds = ("short-column", "lane-out-of-range", "negative-kernel", "wrong-dtype", "2d-column",
             "strings-not-str", "lanes-bad", "meta-deep", "meta-garbage", "npy-garbage",
             "extra-missing", "extra-short", "pickle-column")  # fmt: skip
    cases = []
    for kind in kinds:
        root = base / f"cache-{kind}"

        def mutate(root: Path = root, kind: str = kind) -> None:
            shutil.copytree(warm, root)
            corrupt(kind)(entry_of(root))

        cases.append(Case("cache", kind, ["report", str(trace), "--format", "json"], (0,), (),
                          (trace_dir,), env={"XDG_CACHE_HOME": str(root), "HTPTUI_NO_CACHE": "0"},
                          mutate=mutate, same_as_fresh=True))  # fmt: skip
    # an in-place edit that keeps the size and the mtime
    edited_dir = base / "edited"
    edited_dir.mkdir()
    edited = edited_dir / "chrometrace.json"
    shutil.copy2(trace, edited)
    root = base / "cache-edited"

    def edit(edited: Path = edited) -> None:
        st = edited.stat()
        with edited.open("r+b") as fh:
            fh.seek(st.st_size // 2)
            chunk = fh.read(1 << 16)
            k = chunk.find(b'"dur": ')
            j = k + len(b'"dur": ')
            digit = chunk[j : j + 1]
            fh.seek(st.st_size // 2 + j)
            fh.write(b"9" if digit != b"9" else b"8")
        os.utime(edited, ns=(st.st_atime_ns, st.st_mtime_ns))

    cases.append(Case("cache", "in-place-edit", ["report", str(edited), "--format", "json"], (0,),
                      (), env={"XDG_CACHE_HOME": str(root), "HTPTUI_NO_CACHE": "0"},
                      warmup=[["report", str(edited), "--format", "json"]], mutate=edit,
                      same_as_fresh=True))  # fmt: skip
    return cases


def huge(base: Path) -> list[Case]:
    """Bombs, endless devices, FIFOs and giant names: a bounded, clear refusal or a bounded result."""
    cases = []
    bomb = base / "chrometrace.json.gz"
    gzip_bomb(bomb, 4 << 30)
    cases.append(
        Case("huge", "gzip-bomb-4g", ["report", str(bomb)], (1,), ("chrometrace.json.gz",))
    )
    d = copy_real(base / "dir-bomb")
    gzip_bomb(d / "chrometrace_htp.json.gz", 4 << 30)
    (d / "chrometrace_htp.json").unlink()
    cases.append(Case("huge", "htp-graph-bomb", ["report", str(d)], (0,),
                      ("chrometrace_htp.json.gz",), (d,)))  # fmt: skip
    corrupt = base / "corrupt.json.gz"
    corrupt.write_bytes(gzip.compress(b'{"traceEvents": []}' * 1000)[:200] + b"\x00" * 64)
    cases.append(Case("huge", "gzip-truncated", ["report", str(corrupt)], (1,), ("corrupt",)))
    raw = base / "raw-deflate.json.gz"
    raw.write_bytes(b"\x1f\x8b" + zlib.compress(b"x" * 1000))
    cases.append(Case("huge", "gzip-bad-header", ["report", str(raw)], (1,), ("raw-deflate",)))
    cases.append(Case("huge", "dev-zero", ["report", "/dev/zero"], (1,), ("/dev/zero",)))
    cases.append(Case("huge", "dev-zero-findings", ["findings", "/dev/zero"], (1,), ("/dev/zero",)))
    cases.append(Case("huge", "dev-zero-stdin", ["report", "-"], (1,), ("stdin",),
                      stdin=Path("/dev/zero")))  # fmt: skip
    fifo = base / "trace.fifo"
    os.mkfifo(fifo)
    cases.append(Case("huge", "fifo-input", ["report", str(fifo)], (1,), ("trace.fifo",)))
    cases.append(Case("huge", "fifo-diff", ["diff", str(fifo), str(REAL)], (1,), ("trace.fifo",)))
    cases.append(Case("huge", "fifo-check", ["check", str(REAL), "--baseline", str(fifo)], (2,),
                      ("trace.fifo",)))  # fmt: skip
    loop = base / "loop.json"
    loop.symlink_to("loop.json")
    cases.append(Case("huge", "symlink-loop-input", ["report", str(loop)], (1,), ("loop.json",)))
    name_dir = base / "name-50m"
    name_dir.mkdir()
    ev = chain_events(3)
    ev[0]["args"]["QNN Op Name"] = "N" * (50 << 20)
    ev[1]["args"]["HTP Op Type"] = "K" * (10 << 20)
    (name_dir / "chrometrace.json").write_text(_trace_text(ev))
    for cmd in ("findings", "report", "dag"):
        cases.append(Case("huge", f"name-50m:{cmd}", [cmd, str(name_dir)], (0, 1), (), (name_dir,)))
    line_dir = copy_real(base / "profile-long-line")
    (line_dir / "profile.txt").write_text(
        (REAL / "profile.txt").read_text() + "Execute Stat 1: " + "x " * 2_000_000 + "\n"
    )
    cases.append(Case("huge", "profile-long-line", ["report", str(line_dir)], (0, 1), (),
                      (line_dir,)))  # fmt: skip
    phases = copy_real(base / "runtrace-100k-phases")
    p = phases / "chrometrace_runtrace.json"
    obj = json.loads(p.read_text())
    x = next(e for e in obj["traceEvents"] if e.get("ph") == "X" and e["name"] != "QNN DSP Execute")
    obj["traceEvents"] += [{**x, "name": f"phase {k}"} for k in range(100_000)]
    p.write_text(json.dumps(obj))
    cases.append(Case("huge", "runtrace-100k-phases", ["report", str(phases)], (0,), (), (phases,)))
    return cases


BUILDERS: dict[str, Callable[[Path], list[Case]]] = {
    "silent_drops": silent_drops,
    "deep_json": deep_json,
    "long_graphs": long_graphs,
    "expected_dag": expected_dag,
    "overflow": overflow,
    "saved_reports": saved_reports,
    "writes": writes,
    "escapes": escapes,
    "cache": cache,
    "huge": huge,
}


def build(klass: str, base: Path) -> list[Case]:
    """Write the inputs of one class under ``base`` and return its cases."""
    d = base / klass
    d.mkdir(parents=True, exist_ok=True)
    return BUILDERS[klass](d)


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - manual runs
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0])
    classes = args[1:] or list(CLASSES)
    failed = 0
    summary = {}
    for klass in classes:
        t0 = time.monotonic()
        cases = build(klass, out)
        gen = time.monotonic() - t0
        results = run_cases(cases)
        for r in results:
            mark = "ok  " if not r.problems else "FAIL"
            print(f"{mark} {klass:14} {r.case.name[:60]:60} exit={r.code} {r.seconds:5.1f}s "
                  f"cpu {r.cpu:5.1f}s "
                  f"{r.rss / 2**20:7.0f}MiB {'; '.join(r.problems)[:300]}", flush=True)  # fmt: skip
        bad = [r for r in results if r.problems]
        failed += len(bad)
        summary[klass] = {
            "cases": len(results),
            "pass": len(results) - len(bad),
            "worst_s": round(max((r.seconds for r in results), default=0), 2),
            "worst_cpu_s": round(max((r.cpu for r in results), default=0), 2),
            "worst_rss_mib": round(max((r.rss for r in results), default=0) / 2**20),
            "generate_s": round(gen, 1),
        }
    print(json.dumps(summary, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
