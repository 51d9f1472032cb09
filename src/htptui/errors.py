"""Exit codes and the one exception type every loader raises for bad input."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit statuses shared by every subcommand."""

    OK = 0
    INPUT = 1  # bad or missing input, or (for `check`) a regression
    USAGE = 2  # bad flags or arguments (click's own default)


class InputError(Exception):
    """A file could not be read or does not have the expected shape.

    The message is always one line and names the file and what is wrong.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
