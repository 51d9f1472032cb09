"""Decode workers: forked from a single-threaded parent (shared pages), spawned otherwise, and a
worker that dies is finished in the parent; every way gives the same model."""

from __future__ import annotations

import os
import threading

import pytest

from htptui.model import chrometrace
from htptui.model.chrometrace import workers
from htptui.synth import write_big_trace
from tests.test_loader_equivalence import assert_same_model


def _load(path, monkeypatch, **env):
    with monkeypatch.context() as m:
        m.setenv("HTPTUI_NO_CACHE", "1")
        for k, v in env.items():
            m.setenv(k, v)
        m.setattr(chrometrace, "PARALLEL_ABOVE", 0)
        m.setattr(chrometrace, "CHUNK_BYTES", 128 * 1024)
        m.setattr(chrometrace, "MAX_WORKERS", 2)
        chrometrace.LAST_LOAD.clear()
        return chrometrace.load(path)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    path = tmp_path_factory.mktemp("w") / "big.json"
    write_big_trace(path, 30_000, seed=5, counter_share=0.85)
    return path


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_forked_and_spawned_workers_give_the_same_model(big, monkeypatch) -> None:
    forked = _load(big, monkeypatch)
    assert chrometrace.LAST_LOAD["worker_start"] == "fork"
    assert chrometrace.LAST_LOAD["workers"] == 2 and len(forked._chunks) > 4
    spawned = _load(big, monkeypatch, HTPTUI_WORKERS="spawn")
    assert chrometrace.LAST_LOAD["worker_start"] == "spawn"
    assert_same_model(forked, spawned)


def test_no_fork_while_other_threads_run() -> None:
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert not workers._fork_ok()
    finally:
        stop.set()
        t.join()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_a_forked_worker_that_dies_is_finished_in_the_parent(big, monkeypatch) -> None:
    whole = _load(big, monkeypatch, HTPTUI_WORKERS="spawn")

    def die(inp, out) -> None:  # runs in the forked child only
        os._exit(3)

    got: list = []
    with monkeypatch.context() as m:
        m.setattr(workers, "_serve", die)
        m.setattr(workers, "_fork_ok", lambda: True)  # the watchdog thread below is harmless
        # a dead worker's later chunks must not be waited for: never a hang
        t = threading.Thread(target=lambda: got.append(_load(big, monkeypatch)), daemon=True)
        t.start()
        t.join(timeout=120)
    assert got, "the load hung after its workers died"
    assert chrometrace.LAST_LOAD["worker_start"] == "fork"
    assert_same_model(whole, got[0])
