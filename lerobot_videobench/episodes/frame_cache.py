"""The raw frame cache on disk: what a sweep decodes once per episode and every trial reads.

Entries are ``<cache>/frames/<fingerprint>.u8`` (RGB, ``uint8`` HxWx3) or ``.u16`` (depth, ``uint16`` mm
HxW): the episode's frames, uncompressed (a sweep reads
each episode twice per configuration; reading raw frames from the page cache is cheaper than decoding).
That costs ``frames x width x height x 3`` bytes (714 MB for 775 frames of 640x480), so the cache is
bounded: after a new entry is written the least recently used entries are removed until the total is
under :func:`max_cache_bytes` (``$LEROBOT_VIDEOBENCH_CACHE_MAX_GB``, default 4 GB). The fingerprint is the
content hash of the frames, so an entry is verified (size, then the hash) before it is trusted.
Where: ``$LEROBOT_VIDEOBENCH_CACHE`` or ``~/.cache/lerobot-videobench``, or ``--cache-dir``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_GB = 4.0
#: Leftovers older than this are removed by :func:`clean_orphans` even when their owner cannot be told.
ORPHAN_AGE_S = 3600.0


def max_cache_bytes() -> int:
    """The size bound: ``$LEROBOT_VIDEOBENCH_CACHE_MAX_GB`` (0 keeps only the entry in use), default 4 GB."""
    raw = os.environ.get("LEROBOT_VIDEOBENCH_CACHE_MAX_GB")
    try:
        gb = float(raw) if raw else DEFAULT_MAX_GB
    except ValueError:
        gb = DEFAULT_MAX_GB
    return int(max(gb, 0.0) * 1e9)


@dataclass(frozen=True)
class CacheInfo:
    """What ``lerobot-videobench cache info`` prints."""

    root: str
    entries: int
    bytes: int
    max_bytes: int
    orphans: int

    def to_dict(self) -> dict[str, object]:
        return {"root": self.root, "entries": self.entries, "bytes": self.bytes, "max_bytes": self.max_bytes,
                "orphans": self.orphans}


def frames_dir(root: Path) -> Path:
    return Path(root) / "frames"


#: Entry suffix by camera kind (RGB, depth).
SUFFIXES = {False: ".u8", True: ".u16"}


def entry_path(root: Path, digest: str, depth: bool = False) -> Path:
    """Where the frames of the episode with content hash ``digest`` are cached."""
    return frames_dir(root) / f"{digest}{SUFFIXES[depth]}"


def entries(root: Path) -> list[Path]:
    d = frames_dir(root)
    return sorted(p for s in SUFFIXES.values() for p in d.glob(f"*{s}")) if d.is_dir() else []


def content_digest(path: Path, width: int, height: int, depth: bool = False) -> str:
    """The fingerprint of an entry's bytes (same hash as :meth:`Episode.fingerprint`)."""
    from .episode import layout_tag

    h = hashlib.blake2b(digest_size=16)
    h.update(layout_tag(width, height, depth).encode())
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def verified(path: Path, digest: str, shape: tuple[int, ...]) -> bool:
    """True when the entry has the expected size and its content hashes to its name; a corrupt entry is
    removed (it would silently give wrong quality figures under the right fingerprint).
    ``shape`` is (N, H, W, 3) for RGB and (N, H, W) for depth (2 bytes a pixel)."""
    depth = len(shape) == 3
    n, height, width = shape[:3]
    try:
        if path.stat().st_size != n * height * width * (2 if depth else 3):
            ok = False
        else:
            ok = content_digest(path, width, height, depth) == digest
    except OSError:
        return False
    if not ok:
        path.unlink(missing_ok=True)
    return ok


def touch(path: Path) -> None:
    """Mark an entry as used now (the LRU order is the entries' modification time)."""
    try:
        os.utime(path)
    except OSError:
        pass


def evict(root: Path, keep: Path | None = None, max_bytes: int | None = None) -> list[Path]:
    """Remove least recently used entries (never ``keep``) until the cache fits ``max_bytes``."""
    limit = max_cache_bytes() if max_bytes is None else max_bytes
    items = []
    for p in entries(root):
        try:
            st = p.stat()
        except OSError:
            continue
        items.append((st.st_mtime, st.st_size, p))
    total = sum(size for _, size, _ in items)
    removed = []
    for _, size, p in sorted(items):
        if total <= limit:
            break
        if keep is not None and p == keep:
            continue
        p.unlink(missing_ok=True)
        total -= size
        removed.append(p)
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _orphans(root: Path) -> list[Path]:
    """``.tmp`` files of the cache and ``vb-trial-*`` work folders left by a killed process."""
    found: list[Path] = []
    now = time.time()
    for d in (frames_dir(root), Path(root) / "fingerprints"):
        if d.is_dir():
            for p in d.glob("*.tmp"):
                pid = p.name.rsplit(".", 2)[-2].split("-")[0] if p.name.count(".") >= 2 else ""
                dead = pid.isdigit() and not _pid_alive(int(pid))
                try:
                    old = now - p.stat().st_mtime > ORPHAN_AGE_S
                except OSError:
                    continue
                if dead or old:
                    found.append(p)
    for p in Path(tempfile.gettempdir()).glob("vb-trial-*"):
        parts = p.name.split("-")
        pid = parts[2] if len(parts) > 3 else ""
        try:
            old = now - p.stat().st_mtime > ORPHAN_AGE_S
        except OSError:
            continue
        if (pid.isdigit() and not _pid_alive(int(pid))) or old:
            found.append(p)
    return found


def clean_orphans(root: Path) -> int:
    """Remove what :func:`_orphans` finds; returns how many."""
    gone = 0
    for p in _orphans(root):
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        gone += 1
    return gone


def cache_info(root: Path) -> CacheInfo:
    files = entries(root)
    return CacheInfo(str(root), len(files), sum(p.stat().st_size for p in files if p.exists()), max_cache_bytes(),
                     len(_orphans(root)))


def clear_cache(root: Path) -> int:
    """Remove every entry, the fingerprint index and orphans; returns the bytes freed."""
    freed = sum(p.stat().st_size for p in entries(root) if p.exists())
    for sub in ("frames", "fingerprints"):
        shutil.rmtree(Path(root) / sub, ignore_errors=True)
    clean_orphans(root)
    return freed
