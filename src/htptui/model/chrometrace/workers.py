"""Decode worker subprocesses: the worker entry point, the parallel decode of a big file and the
prefetch registry (a decode started before the caller asks for the trace).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import htptui.model.chrometrace as _pkg
from htptui.model._io import (
    is_gzip,
)
from htptui.model.chrometrace.chunking import (
    _file_chunks,
    _read_range_into,
    _scan_overview_pids,
    read_buffer,
    read_tail,
)
from htptui.model.chrometrace.columns import ProgressFn
from htptui.model.chrometrace.extract import (
    _Chunk,
    _ChunkError,
    _process_range,
    _process_range_lean,
    _process_view,
)

_WORKER_CODE = "from htptui.model.chrometrace.workers import _worker_main; _worker_main()"


def _worker_main() -> None:
    """Decode worker (a ``python -c`` subprocess): read (path, ranges, keep) from stdin, stream results."""
    _serve(sys.stdin.buffer, sys.stdout.buffer)


def _serve(inp: Any, out: Any) -> None:
    """Read (path, ranges, keep) from ``inp``, write each chunk's columns to ``out`` in order.

    One read buffer serves every chunk (``readinto``; no fresh copy per chunk). After the last
    chunk the worker sends ``("stats", peak RSS in KiB)``.
    """
    import gc
    import pickle
    import resource

    gc.disable()
    path, ranges, keep, *legacy = pickle.load(inp)
    if legacy:  # the previous loader, for the equality tests
        for a, b in ranges:
            try:
                old: Any = _process_range(path, a, b, keep)
            except _ChunkError as exc:
                old = ("chunk-error", str(exc))
            pickle.dump(old, out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()
        return
    buf = read_buffer(max((b - a for a, b in ranges), default=0))
    with open(path, "rb", buffering=0) as fh:
        for a, b in ranges:
            try:
                result: Any = _process_view(_read_range_into(fh, buf, a, b), keep)
            except _ChunkError as exc:
                result = ("chunk-error", str(exc))
            pickle.dump(result, out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()
            del result
    pickle.dump(("stats", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss), out)
    out.flush()


def _chunks_serial(
    path: str,
    ranges: list[tuple[int, int]],
    progress: ProgressFn | None,
    keep_pids: frozenset[int] | None,
    done: int = 0,
) -> list[_Chunk]:
    out = []
    for a, b in ranges:
        out.append(_process_range(path, a, b, keep_pids))
        done += 1
        if progress:
            progress(done / (done + len(ranges) - len(out)) * 0.85, "decoding events")
    return out


def _chunks_parallel(
    path: str,
    ranges: list[tuple[int, int]],
    progress: ProgressFn | None,
    keep_pids: frozenset[int] | None = None,
    scan: bool = False,
) -> list[_Chunk]:
    """Decode chunks in worker subprocesses (chunk k on worker k mod n), results read back in order.

    Plain ``python -c`` subprocesses rather than multiprocessing: they never re-import the caller's
    ``__main__`` and work from threads. If a worker fails, the rest is decoded in this process.
    """
    import pickle
    import subprocess

    workers = max(1, min(_pkg.MAX_WORKERS, os.cpu_count() or 1, len(ranges)))
    if workers == 1:
        if scan:
            keep_pids = _scan_overview_pids(path)
        return _chunks_serial(path, ranges, progress, keep_pids)
    import htptui

    env = dict(os.environ)
    src_root = str(Path(htptui.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = src_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    procs: list[subprocess.Popen[bytes]] = []
    out: list[_Chunk] = []
    try:
        for _ in range(workers):
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-c", _WORKER_CODE],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=env,
                )
            )
        if scan:  # while the workers import numpy and msgspec
            keep_pids = _scan_overview_pids(path)
        for w, proc in enumerate(procs):
            assert proc.stdin is not None
            pickle.dump((path, ranges[w::workers], keep_pids, True), proc.stdin)
            proc.stdin.close()
        for k in range(len(ranges)):
            proc = procs[k % workers]
            try:
                result = pickle.load(proc.stdout)  # type: ignore[arg-type]
            except (EOFError, pickle.UnpicklingError, OSError):
                # a worker died (no memory, killed, broken environment): finish here, serially
                return out + _chunks_serial(path, ranges[k:], progress, keep_pids, done=k)
            if isinstance(result, tuple):
                raise _ChunkError(str(result[1]))
            out.append(result)
            if progress:
                progress((k + 1) / len(ranges) * 0.85, "decoding events")
        return out
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


# glibc malloc tunables for the decode workers: keep freed memory for reuse instead of returning it
# to the kernel and faulting fresh pages in again for the next chunk (legal only in a new process)
WORKER_MALLOC_ENV = {
    "MALLOC_MMAP_THRESHOLD_": str(32 * 1024 * 1024),
    "MALLOC_TRIM_THRESHOLD_": str(256 * 1024 * 1024),
    "MALLOC_TOP_PAD_": str(64 * 1024 * 1024),
}


# the same tunables through mallopt(3), for a forked worker (glibc reads the variables at exec only)
_MALLOPT = ((-3, 32 * 1024 * 1024), (-1, 256 * 1024 * 1024), (-2, 64 * 1024 * 1024))


def _tune_malloc() -> None:
    """Apply :data:`WORKER_MALLOC_ENV` in this (forked) process; nothing where glibc is absent."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    for param, value in _MALLOPT:
        mallopt(ctypes.c_int(param), ctypes.c_int(value))


def _fork_ok() -> bool:
    """Whether decode workers may be forked from this process rather than started afresh.

    A fork shares this process's interpreter, numpy and msgspec pages with the workers (no second
    start-up, no second copy in memory). Only from a single-threaded Python (the CLI before Textual
    starts, a script, a test): forking a process whose other threads may hold locks is unsafe.
    ``HTPTUI_WORKERS=spawn`` forces fresh interpreters.
    """
    import threading

    return (
        sys.platform.startswith("linux")
        and hasattr(os, "fork")
        and threading.active_count() == 1
        and os.environ.get("HTPTUI_WORKERS", "") != "spawn"
    )


class _ForkedWorker:
    """A decode worker forked from this process, with the interface of the Popen it replaces."""

    def __init__(self, close_in_child: list[Any]) -> None:
        import warnings

        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        with warnings.catch_warnings():
            # native threads (numpy's BLAS pool) are not copied and the worker never calls BLAS
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the worker: never returns into the caller's code
            code = 1
            try:
                os.close(in_w)
                os.close(out_r)
                for f in close_in_child:  # the other workers' pipe ends
                    with contextlib.suppress(OSError):
                        f.close()
                _tune_malloc()
                with os.fdopen(in_r, "rb") as inp, os.fdopen(out_w, "wb") as out:
                    _serve(inp, out)
                code = 0
            except BaseException:  # noqa: BLE001 - the parent sees the closed pipe and finishes
                pass
            finally:
                os._exit(code)
        os.close(in_r)
        os.close(out_w)
        self.pid = pid
        self.stdin: Any = os.fdopen(in_w, "wb")
        self.stdout: Any = os.fdopen(out_r, "rb")
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -1
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def wait(self) -> int:
        if self.returncode is None:
            try:
                _, status = os.waitpid(self.pid, 0)
                self.returncode = os.waitstatus_to_exitcode(status)
            except ChildProcessError:
                self.returncode = -1
        for f in (self.stdin, self.stdout):
            with contextlib.suppress(OSError):
                f.close()
        return self.returncode


class _ParallelDecode:
    """Worker subprocesses decoding the chunks of one file; a reader thread per worker.

    The readers drain the pipes as results arrive, so the workers never stall on a full pipe while
    the caller is busy (importing Textual, say). Chunk k is decoded by worker k mod n.
    """

    def __init__(self, path: str, ranges: list[tuple[int, int]], workers: int) -> None:
        import subprocess
        import threading

        import htptui

        self.path = path
        self.ranges = ranges
        self.n = workers
        self.results: list[Any] = [None] * len(ranges)
        self.ready = [False] * len(ranges)
        self.peaks_kb: list[int] = []
        self.cond = threading.Condition()
        env = dict(os.environ, **WORKER_MALLOC_ENV)
        src_root = str(Path(htptui.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = src_root + (
            os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""
        )
        self.procs: list[Any] = []
        self.forked = _fork_ok()
        try:
            for _ in range(workers):
                if self.forked:
                    ends = [f for p in self.procs for f in (p.stdin, p.stdout)]
                    self.procs.append(_ForkedWorker(ends))
                    continue
                self.procs.append(
                    subprocess.Popen(
                        [sys.executable, "-c", _WORKER_CODE],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL,
                        env=env,
                    )
                )
        except OSError:
            self.close()
            raise
        self.threads: list[Any] = []

    def start(self, keep_pids: frozenset[int] | None) -> None:
        """Hand every worker its chunks and the keep-set; start draining their output."""
        import pickle
        import threading

        for w, proc in enumerate(self.procs):
            assert proc.stdin is not None
            try:
                pickle.dump((self.path, self.ranges[w :: self.n], keep_pids), proc.stdin)
                proc.stdin.close()
            except OSError:
                pass  # the reader sees the dead worker and the caller finishes serially
            t = threading.Thread(target=self._drain, args=(w,), daemon=True)
            t.start()
            self.threads.append(t)

    def _drain(self, w: int) -> None:
        import pickle

        proc = self.procs[w]
        ks = range(w, len(self.ranges), self.n)
        for k in ks:
            try:
                result = pickle.load(proc.stdout)  # type: ignore[arg-type]
            except Exception:  # noqa: BLE001 - a dead worker: the caller decodes the rest itself
                result = None
            if result is None:
                with self.cond:  # this chunk and every later one of the worker: None, never a wait
                    for j in range(k, len(self.ranges), self.n):
                        self.results[j] = None
                        self.ready[j] = True
                    self.cond.notify_all()
                return
            with self.cond:
                self.results[k] = result
                self.ready[k] = True
                self.cond.notify_all()
        try:
            stats = pickle.load(proc.stdout)  # type: ignore[arg-type]
            with self.cond:
                self.peaks_kb.append(int(stats[1]))
        except Exception:  # noqa: BLE001 - stats are informational
            pass

    def chunk(self, k: int) -> _Chunk | None:
        """Wait for chunk ``k``; None when its worker died (decode it in this process then)."""
        with self.cond:
            while not self.ready[k]:
                self.cond.wait()
            result, self.results[k] = self.results[k], None
        if isinstance(result, tuple):
            raise _ChunkError(str(result[1]))
        return result

    def close(self) -> None:
        """Stop and reap every worker (after letting finished ones send their stats)."""
        for t in self.threads:
            t.join(timeout=0.5)
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        for t in self.threads:
            t.join(timeout=1)


class _BigLoad:
    """A started decode of a big plain file: ranges, the tail layout and the running workers."""

    def __init__(
        self,
        path: str,
        size: int,
        ranges: list[tuple[int, int]],
        keep: frozenset[int] | None | bool = False,
    ) -> None:
        self.path = path
        self.size = size
        self.ranges = ranges
        workers = max(1, min(_pkg.MAX_WORKERS, os.cpu_count() or 1, len(ranges)))
        self.decode = _ParallelDecode(path, ranges, workers) if workers > 1 else None
        self.keep: frozenset[int] | None
        # the workers import numpy and msgspec meanwhile
        self.tail = read_tail(path, size)
        if keep is not False:  # a keep-set verified against the metadata of an earlier decode
            self.keep = keep  # type: ignore[assignment]
            self.layout = "metadata"
        elif self.tail is not None:
            self.keep = self.tail.overview_pids
            self.layout = "tail"
        else:  # the tail named no Core Overview process: scan every process_name line
            self.keep = _scan_overview_pids(path)
            self.layout = "full scan"
        if self.decode is not None:
            self.decode.start(self.keep)

    def chunks(self, progress: ProgressFn | None) -> Iterator[_Chunk]:
        """Yield the decoded chunks in file order (serially in this process after a worker dies)."""
        n = len(self.ranges)
        try:
            for k in range(n):
                ch = self.decode.chunk(k) if self.decode is not None else None
                if ch is None:
                    ch = _process_range_lean(self.path, *self.ranges[k], self.keep)
                if progress:
                    progress((k + 1) / n * 0.85, "decoding events")
                yield ch
        finally:
            self.close()

    def close(self) -> None:
        """Stop the workers (idempotent)."""
        if self.decode is not None:
            self.decode.close()
            _pkg.LAST_LOAD["worker_peak_kb"] = list(self.decode.peaks_kb)
            _pkg.LAST_LOAD["workers"] = self.decode.n
            _pkg.LAST_LOAD["worker_start"] = "fork" if self.decode.forked else "spawn"
            self.decode = None


_PREFETCHED: dict[str, _BigLoad] = {}


def _big_candidate(path: str | Path) -> tuple[str, int, list[tuple[int, int]]] | None:
    """(path, size, chunk ranges) when ``path`` takes the parallel path, else None.

    Only a big regular file qualifies (never opens a FIFO or a device, which could block).
    """
    import stat

    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return None
        size = st.st_size
        if size <= _pkg.PARALLEL_ABOVE:
            return None
        with open(path, "rb") as fh:
            magic = fh.read(2)
    except OSError:
        return None
    if size <= _pkg.PARALLEL_ABOVE or is_gzip(magic):
        return None
    ranges = _file_chunks(str(path), size)
    if ranges is None or len(ranges) < 2:
        return None
    return str(path), size, ranges


def prefetch(path: str | Path) -> bool:
    """Start decoding a big plain trace now (worker subprocesses), for a later decode of it.

    Nothing is started for small or gzip traces. Returns whether a decode was started. (The
    package-level ``prefetch`` also skips traces the column cache already holds.)
    """
    cand = _big_candidate(path)
    if cand is None:
        return False
    key = str(Path(path).resolve())
    if key in _PREFETCHED:
        return True
    try:
        _PREFETCHED[key] = _BigLoad(*cand)
    except OSError:
        return False
    import atexit

    atexit.register(_close_prefetched)
    return True


def _close_prefetched() -> None:
    for job in list(_PREFETCHED.values()):
        job.close()
    _PREFETCHED.clear()


def _take_prefetched(path: str | Path) -> _BigLoad | None:
    try:
        key = str(Path(path).resolve())
    except OSError:
        return None
    job = _PREFETCHED.pop(key, None)
    if job is None:
        return None
    try:
        if os.path.getsize(path) != job.size:
            job.close()
            return None
    except OSError:
        job.close()
        return None
    return job
