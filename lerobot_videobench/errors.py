"""The workbench's error hierarchy: one place for the kinds of failure callers may want to tell apart.

Every type also derives from the built-in a caller would already catch (``ValueError`` for bad values,
``FileNotFoundError`` for missing paths, ``RuntimeError`` for an environment that cannot do the work),
so code written against built-ins keeps working. Messages name the field, file or value and what is
allowed; the CLI prints them as one line and exits with 2 (:data:`EXIT_BAD_INPUT`).
This module imports nothing of the package, so every layer may use it.
"""

from __future__ import annotations

#: "measured, and the answer is no" (overloaded, unhealthy, nothing qualifies).
EXIT_ANSWER_NO = 1
#: bad input or an environment that cannot do the work: one line on stderr, no traceback.
EXIT_BAD_INPUT = 2


class VideobenchError(Exception):
    """Base of every error the workbench raises on purpose (expected, explainable, one line)."""


class InvalidValueError(VideobenchError, ValueError):
    """A value given by the user (a config field, a CLI option, a grid entry) is not allowed."""


class SourceError(VideobenchError, ValueError):
    """A source (dataset, video file, image folder, parquet cell) exists but cannot be used as given."""


class SourceNotFoundError(VideobenchError, FileNotFoundError):
    """A path, dataset, episode or camera that was asked for does not exist."""


class StoreError(VideobenchError, ValueError):
    """A results store that cannot be used: not a store, another program's file, an old schema, locked."""


class EncoderUnavailableError(VideobenchError, RuntimeError):
    """An encoder that the config names does not open on this machine (missing, no device, bad option)."""


class EnvironmentFailure(VideobenchError, RuntimeError):
    """The machine, not the trial, failed: a worker could not start, the disk is full, a scheduler is
    unreachable. Never cached as a trial failure; a rerun tries again."""


class DiskFullError(EnvironmentFailure, OSError):
    """No space left where the workbench writes (store, frame cache, videos); names the path to move."""


__all__ = [
    "EXIT_ANSWER_NO",
    "EXIT_BAD_INPUT",
    "DiskFullError",
    "EncoderUnavailableError",
    "EnvironmentFailure",
    "InvalidValueError",
    "SourceError",
    "SourceNotFoundError",
    "StoreError",
    "VideobenchError",
]
