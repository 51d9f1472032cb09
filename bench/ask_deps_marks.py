"""Time from selecting an op to its producer marks drawn on the timeline (1M-event trace).

    .venv/bin/python bench/ask_deps_marks.py bench/out/1000000 [--tree OTHER_SRC]

Opens the explorer headless at 160x50, waits for the load, selects ops in the middle of the trace
and waits until the timeline holds that op's producer marks and has redrawn. Prints each figure
beside the full dependency build (``RunAnalysis.deps``) timed on the same run: the marks used to
wait for it. The deps worker runs as in the app (started after the first frame), so the fast path
is measured while it competes for the interpreter, as a user selecting right after the load would.
"""

from __future__ import annotations

import asyncio
import sys
import time


async def main(path: str) -> None:
    from htptui.tui.app import HtpApp

    app = HtpApp(path, extra_panes=[])
    async with app.run_test(size=(160, 50)) as pilot:
        t_load = time.perf_counter()
        while app.analysis is None or app.analysis.trace is None or not app.timeline.index_ready:
            await asyncio.sleep(0.02)
        await pilot.pause()
        print(f"loaded in {time.perf_counter() - t_load:.2f} s (UI)", flush=True)
        an = app.analysis
        t = an.trace
        deps_t0 = time.perf_counter()
        for k, op in enumerate([len(t) // 2 + 3, len(t) // 3 + 1, len(t) - 10]):
            t0 = time.perf_counter()
            app.select_op(op)
            while not app.timeline.producer_ops.size and time.perf_counter() - t0 < 60:
                await asyncio.sleep(0.002)
            await pilot.pause()  # one refresh: the marks drawn
            dt = time.perf_counter() - t0
            mode = getattr(app, "deps_marks_timing", None)
            print(
                f"op {op}: producer marks drawn after {dt * 1000:.0f} ms "
                f"({mode[2] if mode else 'full build'}; deps cached: {an.cached('deps')})"
            )
            if k == 0:
                await asyncio.sleep(0.2)
        while not an.cached("deps"):
            await asyncio.sleep(0.02)
        print(
            f"full deps build landed {time.perf_counter() - deps_t0:.2f} s after the first select"
        )
        t1 = time.perf_counter()
        app.select_op(len(t) // 2 + 11)
        await pilot.pause()
        print(f"with deps cached: marks drawn after {(time.perf_counter() - t1) * 1000:.0f} ms")
    # the same build alone, for the ratio
    from htptui.analysis.run import RunAnalysis

    fresh = RunAnalysis(an.run)
    t2 = time.perf_counter()
    fresh.deps()
    print(f"baseline: RunAnalysis.deps() alone {time.perf_counter() - t2:.2f} s")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
