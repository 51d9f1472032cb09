"""htptui: a terminal trace explorer for Qualcomm Hexagon NPU (HTP) optrace profiles."""

from __future__ import annotations

__version__ = "0.1.0"
