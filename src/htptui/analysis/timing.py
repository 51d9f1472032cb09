"""Coarse (wall µs) beside fine (cycles), runtrace phases per execute, and the clock sanity checks.

The clock changes between phases and executes (≈0.8 GHz cold, ≈1.9 GHz warm in v2.45), so cycles are
converted to µs per phase with that phase's own frequency. A cycles/µs ratio above the core clock
means the cycle figure is an aggregate over parallel lanes, not wall time.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from htptui.analysis.checks import accelerator_cycles
from htptui.model.run import Run

NOMINAL_MAX_GHZ = 2.0  # no HTP core clock runs faster; used when the runtrace gives no clock
TOLERANCE = 1.02


@dataclass(frozen=True, slots=True)
class PhaseTiming:
    """One runtrace phase of one execute."""

    name: str
    us: float
    ghz: float | None
    cycles: int | None


@dataclass(frozen=True, slots=True)
class ExecuteTiming:
    """All phases of one execute (inference)."""

    index: int
    phases: tuple[PhaseTiming, ...]

    def phase(self, name: str) -> PhaseTiming | None:
        """A phase by name."""
        return next((p for p in self.phases if p.name == name), None)


@dataclass(frozen=True, slots=True)
class RateCheck:
    """A cycles ÷ µs ratio compared with the core clock."""

    label: str
    cycles: float
    us: float
    clock_ghz: float
    clock_source: str

    @property
    def ghz(self) -> float:
        """Implied cycles per ns."""
        return self.cycles / self.us / 1000.0 if self.us else 0.0

    @property
    def aggregate(self) -> bool:
        """True when the ratio exceeds the clock: the cycle figure is summed over lanes, not wall."""
        return self.ghz > self.clock_ghz * TOLERANCE


@dataclass(frozen=True)
class Timing:
    """Coarse and fine views of one run, side by side."""

    executes: tuple[ExecuteTiming, ...]
    trace_clock_ghz: float | None  # clock of the execute the op trace shows (the first)
    warm_clock_ghz: float | None  # median Graph Execute clock of the later executes
    graph_wall_cycles: int | None
    graph_wall_us: float | None  # graph wall converted with the trace execute's clock
    dpc_sum: int | None
    busy_sum: int | None
    coarse: dict[str, float] = field(default_factory=dict)
    rate_checks: tuple[RateCheck, ...] = ()
    notes: tuple[str, ...] = ()


def _executes(opt: Run) -> tuple[ExecuteTiming, ...]:
    rt = opt.runtrace
    if rt is None:
        return ()
    out = []
    for ex in rt.executes:
        phases = []
        for ph in ex.phases:
            cycles = (
                ph.cycles if ph.start_cycles is not None and ph.end_cycles is not None else None
            )
            phases.append(
                PhaseTiming(
                    name=ph.name, us=float(ph.time_us or 0.0), ghz=ph.freq_ghz, cycles=cycles
                )
            )
        out.append(ExecuteTiming(index=ex.index, phases=tuple(phases)))
    return tuple(out)


def timing(opt: Run) -> Timing:
    """Assemble the coarse-vs-fine view from the runtrace, profile.txt and the op trace."""
    executes = _executes(opt)
    notes: list[str] = []
    trace_clock = None
    warm = None
    if executes:
        ge = executes[0].phase("Graph Execute") or executes[0].phase("QNN DSP Execute")
        trace_clock = ge.ghz if ge else None
        later = [e.phase("Graph Execute") for e in executes[1:]]
        later_ghz = [p.ghz for p in later if p is not None and p.ghz]
        warm = statistics.median(later_ghz) if later_ghz else None
    wall = dpc_sum = busy_sum = None
    if opt.trace is not None and len(opt.trace):
        from htptui.analysis.run import analysis_of

        cs = analysis_of(opt).first_core_summary()
        assert cs is not None
        wall, dpc_sum, busy_sum = cs.wall, cs.dpc_sum, cs.busy_sum
    wall_us = wall / trace_clock / 1000.0 if (wall is not None and trace_clock) else None

    coarse: dict[str, float] = {}
    if executes:
        first = executes[0]
        for name in ("QNN DSP Execute", "Graph Execute", "VTCM Acquire", "Resource Power On"):
            p = first.phase(name)
            if p is not None:
                coarse[f"runtrace {name} µs"] = p.us
    prof = opt.profile
    ex = prof.first_execute if prof is not None else None
    if ex is not None:
        for key, value in (
            ("profile QNN accelerator (execute) µs", ex.qnn_accelerator_us),
            ("profile Accelerator (execute) µs", ex.accelerator_us),
            ("profile Accelerator (execute excluding wait) µs", ex.accelerator_excl_wait_us),
            ("profile Accelerator (execute) cycles [summed busy, not wall]", ex.accelerator_cycles),
        ):
            if value is not None:
                coarse[key] = float(value)
    elif opt.trace is not None and len(opt.trace):
        coarse["Σ busy without SystemService (cycles) [summed busy, not wall]"] = float(
            accelerator_cycles(opt)
        )

    clock = trace_clock or NOMINAL_MAX_GHZ
    source = (
        "runtrace first execute" if trace_clock else f"nominal HTP maximum {NOMINAL_MAX_GHZ} GHz"
    )
    checks: list[RateCheck] = []
    graph_exec_us = coarse.get("runtrace Graph Execute µs")
    if ex is not None and ex.accelerator_cycles and ex.accelerator_excl_wait_us:
        checks.append(
            RateCheck(
                "Accelerator cycles ÷ Accelerator (excluding wait) µs",
                ex.accelerator_cycles,
                ex.accelerator_excl_wait_us,
                clock,
                source,
            )
        )
    if wall and graph_exec_us:
        checks.append(
            RateCheck(
                "graph wall cycles ÷ runtrace Graph Execute µs", wall, graph_exec_us, clock, source
            )
        )
    if busy_sum and graph_exec_us:
        checks.append(
            RateCheck(
                "Σ busy cycles ÷ runtrace Graph Execute µs", busy_sum, graph_exec_us, clock, source
            )
        )
    for c in checks:
        if c.aggregate:
            notes.append(
                f"{c.label} = {c.ghz:.2f} GHz, above the {c.clock_ghz:.2f} GHz clock: that cycle figure is an aggregate over parallel lanes, not wall time"
            )
    n_exec = len(executes) or (len(prof.executes) if prof is not None else 0)
    if n_exec > 1:
        if trace_clock and warm:
            notes.append(
                f"the op trace shows only the first (cold) of {n_exec} executes: it ran at {trace_clock:.2f} GHz "
                f"against {warm:.2f} GHz for the warm ones; read it for structure, not absolute time"
            )
        else:
            notes.append(
                f"the op trace shows only the first (cold) of {n_exec} executes; read it for structure, not absolute time"
            )
    elif n_exec <= 1 and opt.trace is not None:
        notes.append(
            "a single-execute trace is perturbed by profiling: read it for structure (mix, relative span), not absolute utilisation"
        )
    return Timing(
        executes=executes,
        trace_clock_ghz=trace_clock,
        warm_clock_ghz=warm,
        graph_wall_cycles=wall,
        graph_wall_us=wall_us,
        dpc_sum=dpc_sum,
        busy_sum=busy_sum,
        coarse=coarse,
        rate_checks=tuple(checks),
        notes=tuple(notes),
    )
