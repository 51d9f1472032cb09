"""Synthetic, internally consistent QNN HTP optrace generator (op trace, HTP graph, QHAS, runtrace, profile.txt).

Everything written here is made up, but shaped after the real v2.45 files described in
``docs/optrace-format.md`` (the bundled ``sample_data/chain8_matmul`` sample): the same keys,
the same header blocks and the same event layout.  The QHAS summary is *derived* from the
generated events exactly the way the spec says the SDK derives it, so every cross-file
identity the explorer relies on holds by construction.

``python -m htptui.synth OUT_DIR`` regenerates the bundled ``synthetic_*`` sample directories.

Modules, in build order: spec, model, build, schedule, emit_trace, emit_graph, emit_qhas, emit_runtrace, api, big, samples.
"""

from __future__ import annotations

from htptui.synth.api import build_optrace, write_optrace
from htptui.synth.big import write_big_trace
from htptui.synth.samples import (
    MULTI_GRAPH_SAMPLES,
    SAMPLE_SPECS,
    llm_graph_spec,
    main,
    write_samples,
)
from htptui.synth.spec import SynthSpec

__all__ = [
    "MULTI_GRAPH_SAMPLES",
    "SAMPLE_SPECS",
    "SynthSpec",
    "build_optrace",
    "llm_graph_spec",
    "main",
    "write_big_trace",
    "write_optrace",
    "write_samples",
]
