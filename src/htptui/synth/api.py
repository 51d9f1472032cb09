"""Building and writing a whole synthetic optrace directory."""

from __future__ import annotations

import gzip as _gzip
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

from htptui.synth.build import _build
from htptui.synth.emit_graph import _htp_text
from htptui.synth.emit_qhas import _qhas
from htptui.synth.emit_runtrace import _profile_text, _runtrace_text
from htptui.synth.emit_trace import _trace_text

if TYPE_CHECKING:
    from htptui.synth.spec import SynthSpec


def build_optrace(spec: SynthSpec) -> dict[str, bytes]:
    """Generate every artifact of one spec in memory, as {file name: bytes}."""
    spec.validate()
    model = _build(spec)
    files: dict[str, bytes] = {}
    trace = _trace_text(model).encode()
    if spec.gzip:
        buf = io.BytesIO()
        with _gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
            gz.write(trace)
        files[f"{spec.stem}.json.gz"] = buf.getvalue()
    else:
        files[f"{spec.stem}.json"] = trace
    if spec.write_htp_graph:
        files[f"{spec.stem}_htp.json"] = _htp_text(model).encode()
    if spec.write_qhas:
        files[f"{spec.stem}_qnn_htp_analysis_summary.json"] = (
            json.dumps(_qhas(model), indent=4) + "\n"
        ).encode()
    if spec.write_runtrace:
        files[f"{spec.stem}_runtrace.json"] = _runtrace_text(model).encode()
    if spec.write_profile_txt:
        files[spec.profile_name] = _profile_text(model).encode()
    return files


def write_optrace(out_dir: Path, spec: SynthSpec) -> Path:
    """Write a complete synthetic optrace directory and return the op-trace file's path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = build_optrace(spec)
    for name, data in files.items():
        (out_dir / name).write_bytes(data)
    trace_name = f"{spec.stem}.json.gz" if spec.gzip else f"{spec.stem}.json"
    return out_dir / trace_name
