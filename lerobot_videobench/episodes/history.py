"""The source's own history: how an already-compressed source was encoded (codec, GOP, bits per pixel),
read from its packets (no decode), so decisions can say which candidate the footage already resembles."""

from __future__ import annotations

import functools
import os
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..encoding.video_files import open_video


@dataclass(frozen=True)
class StreamProfile:
    """Codec, pixel format, median keyframe interval and bits per pixel of a video file's first video stream."""

    codec: str | None
    pix_fmt: str | None
    gop: int | None
    bits_per_pixel: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@functools.lru_cache(maxsize=64)
def _profile(path: str, size: int, mtime: float) -> StreamProfile:
    with open_video(path) as container:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        w, h = ctx.width or 0, ctx.height or 0
        total = count = 0
        keys: list[int] = []
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            if packet.is_keyframe:
                keys.append(count)
            total += packet.size
            count += 1
    gaps = [b - a for a, b in zip(keys, keys[1:])]
    gop = int(statistics.median(gaps)) if gaps else (count or None)
    bpp = total * 8 / (count * w * h) if count and w and h else None
    return StreamProfile(ctx.name, getattr(ctx, "pix_fmt", None), gop, bpp)


def stream_profile(path: str | os.PathLike | None) -> StreamProfile | None:
    """The :class:`StreamProfile` of a video file (cached per path, size and mtime); None for other paths."""
    if not path:
        return None
    p = Path(path)
    if not p.is_file() or p.suffix.lower() not in (".mp4", ".mkv", ".mov", ".avi", ".webm"):
        return None
    st = p.stat()
    try:
        return _profile(str(p), st.st_size, st.st_mtime)
    except Exception:  # an unreadable stream has no history to report; the source itself says why elsewhere
        return None


__all__ = ["StreamProfile", "stream_profile"]
