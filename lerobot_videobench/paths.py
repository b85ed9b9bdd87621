"""Checks on the places the workbench writes to, made before long work starts, and the translation of
a full disk into an error that says which path filled up and how to move it. Imports only errors."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from .errors import DiskFullError, InvalidValueError


def check_writable_file(path: str | os.PathLike, what: str, suffix: str = "") -> Path:
    """Refuse an output path that is a directory or in a place that cannot be written, before any work.

    ``what`` names the option in messages (``report --out``). The parent folder is created when
    missing; a probe file is created and removed there (``os.access`` lies for root and read-only mounts).
    """
    path = Path(path)
    if path.is_dir():
        example = path / (f"report{suffix}" if suffix else "out")
        raise InvalidValueError(f"{what} {path} is a directory; give a file name such as {example}")
    parent = path.parent if str(path.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".vb-write-check-", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise DiskFullError(f"{what} {path}: no space left on the disk of {parent}; free space or choose "
                                "another place") from exc
        raise InvalidValueError(f"{what} {path} cannot be written ({exc.strerror or exc}); choose a writable place") from exc
    return path


def is_disk_full(exc: BaseException) -> bool:
    """True for "no space left" (and "disk quota exceeded") errors, however they were wrapped."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if "No space left" in str(exc) or "database or disk is full" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


def disk_full(path: str | os.PathLike, what: str, how: str) -> DiskFullError:
    """The error for a full disk at ``path``: what was written there and how to put it elsewhere."""
    return DiskFullError(f"no space left on the disk of {what} {path}; free space there or {how}")
