"""The user's config file: ``config.toml`` in the platformdirs user config dir (``htptui``).

Only the ``[structure]`` table is read today::

    [structure]
    rules = ['layers[._](?P<layer>\\d+)[._](?P<block>[a-z]+)']   # regexes with named groups
    words = ["attn_output"]                                      # extra compound words

``HTPTUI_CONFIG`` names another file (empty: no config file at all). A missing file is no config; a
file that is not TOML, a ``[structure]`` that is not a table or an unknown key in it is an
:class:`~htptui.errors.InputError` naming the file; the rules themselves are compiled (and a bad
regex reported, naming the file) by :func:`htptui.analysis.structure.load_rules`. The CLI prints
one line and exits 2.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from htptui.errors import InputError
from htptui.model._io import read_bytes

CONFIG_NAME = "config.toml"
STRUCTURE_KEYS = ("rules", "words")


def config_path() -> Path | None:
    """The config file in use (``HTPTUI_CONFIG``, else the user config dir's), None for none."""
    env = os.environ.get("HTPTUI_CONFIG")
    if env is not None:
        return Path(env) if env.strip() else None
    from platformdirs import user_config_dir

    return Path(user_config_dir("htptui")) / CONFIG_NAME


@dataclass(frozen=True)
class StructureConfig:
    """The raw ``[structure]`` table: where it came from, its rules and its words."""

    path: str
    rules: list[Any]
    words: list[Any]


def read_structure_config(path: Path | None = None) -> StructureConfig | None:
    """The ``[structure]`` table of the config file (None without a file or a table)."""
    path = config_path() if path is None else path
    if path is None or not path.exists():
        return None
    label = str(path)
    raw = read_bytes(path, "json")
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(label, "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(label, f"not valid TOML: {exc}") from None
    sec = doc.get("structure")
    if sec is None:
        return None
    if not isinstance(sec, dict):
        raise InputError(label, "[structure] must be a table")
    unknown = sorted(set(sec) - set(STRUCTURE_KEYS))
    if unknown:
        raise InputError(
            label, f"[structure] has unknown key(s) {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(STRUCTURE_KEYS)})",
        )  # fmt: skip
    rules = sec.get("rules", [])
    words = sec.get("words", [])
    for key, val in (("rules", rules), ("words", words)):
        if not isinstance(val, list):
            raise InputError(label, f"[structure] {key} must be a list of strings")
    return StructureConfig(label, rules, words)
