"""Where frames come from: every source (LeRobot datasets local or on the Hub, video files, PNG folders,
the built-in sample) yields the same :class:`Episode`."""

from .episode import (
    ArrayFrames,
    Episode,
    MemmapFrames,
    Provenance,
    default_cache_dir,
    episode_from_arrays,
    file_source_id,
)

__all__ = [
    "ArrayFrames",
    "Episode",
    "MemmapFrames",
    "Provenance",
    "default_cache_dir",
    "episode_from_arrays",
    "file_source_id",
]
