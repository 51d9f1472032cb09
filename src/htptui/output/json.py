"""The JSON renderer: a document as indented JSON bytes (numpy scalars become plain numbers)."""

from __future__ import annotations

from typing import Any

import msgspec
import numpy as np


def _enc_hook(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    raise TypeError(type(obj).__name__)


def to_json_bytes(doc: Any) -> bytes:
    """Encode a document as indented JSON, newline-terminated."""
    return msgspec.json.format(msgspec.json.encode(doc, enc_hook=_enc_hook), indent=2) + b"\n"
