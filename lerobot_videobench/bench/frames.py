"""Frame-level access to a stored trial: source and encoded frame ``i``, per-frame quality, GOP
boundaries and the worst frames. What the frame viewer and the report's thumbnails are built on.

A depth trial's frames are HxW ``uint16`` mm: the source from the frame cache, the encoded one as LeRobot
reads it (PyAV ``gray12le``, dequantized with the trial's quantizer); its per-frame quality is depth
error in mm, where higher is worse."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ..encoding import read_frames
from ..encoding.video_files import frame_index, open_video
from ..encoding.depth import DEFAULT_DEPTH_PIX_FMT, dequantize_depth
from ..episodes import Episode, RawFrameFile, default_cache_dir
from ..episodes.frame_cache import entry_path
from .depth_metrics import abs_error_map
from .store import ResultStore

#: Quantizer fields of a depth trial's config (``config.<name>`` in its row).
_QUANTIZER_FIELDS = ("depth_min", "depth_max", "shift", "use_log")
#: The per-frame figure the worst frames of a depth trial are ranked by (mm, higher is worse).
DEPTH_WORST_METRIC = "depth_mean"


def amplified_difference(a: np.ndarray, b: np.ndarray, gain: float = 4.0) -> np.ndarray:
    """Per-pixel absolute difference of two RGB frames (max over R, G, B) times ``gain``, as uint8 HxW."""
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2).astype(np.float32) * float(gain)
    return np.clip(diff, 0, 255).astype(np.uint8)


@dataclass
class TrialFrames:
    """One stored trial opened for viewing.

    Source frames come from the sweep's raw frame cache when it is there (random access is
    free), else from ``episode`` (re-read from its source; pass it when the cache was cleared).
    Encoded frames are decoded from the mp4 the sweep kept beside the store.
    """

    store: ResultStore
    key: str
    episode: Episode | None = None
    cache_dir: str | os.PathLike | None = None

    @cached_property
    def row(self) -> dict[str, Any]:
        return self.store.summary(self.key)

    @cached_property
    def arrays(self) -> dict[str, np.ndarray]:
        return self.store.frame_arrays(self.key)

    @property
    def num_frames(self) -> int:
        return int(self.row["frames"])

    @property
    def fps(self) -> int:
        return int(self.row["fps"])

    @property
    def label(self) -> str:
        return str(self.row["label"])

    @property
    def is_depth(self) -> bool:
        return self.row.get("kind") == "depth"

    @property
    def quantizer(self) -> dict[str, Any]:
        """The depth trial's ``depth_min`` / ``depth_max`` / ``shift`` / ``use_log``."""
        if not self.is_depth:
            raise ValueError(f"trial {self.label!r} is not a depth trial")
        return {k: self.row[f"config.{k}"] for k in _QUANTIZER_FIELDS}

    @property
    def video_path(self) -> Path:
        path = self.row.get("video_path")
        if not path or not Path(path).is_file():
            raise FileNotFoundError(
                f"the encoded video of trial {self.label!r} was not kept ({path}); rerun the sweep with keep_videos=True"
            )
        return Path(path)

    def _check_index(self, i: int) -> int:
        if not 0 <= int(i) < self.num_frames:
            raise ValueError(f"frame index {i} out of range; this trial has frames 0..{self.num_frames - 1}")
        return int(i)

    @cached_property
    def _source_cache(self) -> RawFrameFile | None:
        root = Path(self.cache_dir) if self.cache_dir else default_cache_dir()
        path = entry_path(root, str(self.row["source_fingerprint"]), self.is_depth)
        h, w = int(self.row["height"]), int(self.row["width"])
        shape, dtype = ((self.num_frames, h, w), "uint16") if self.is_depth else ((self.num_frames, h, w, 3), "uint8")
        if path.is_file() and path.stat().st_size >= int(np.prod(shape)) * np.dtype(dtype).itemsize:
            return RawFrameFile(str(path), shape, dtype)
        return None

    def source_frame(self, i: int) -> np.ndarray:
        """Source RGB frame ``i`` (the reference the metrics compared against)."""
        i = self._check_index(i)
        if self._source_cache is not None:
            return self._source_cache.frame(i)
        if self.episode is None:
            raise FileNotFoundError(
                "source frames are not in the frame cache; pass the episode (TrialFrames(..., episode=...))"
            )
        for j, frame in enumerate(self.episode.iter_frames()):
            if j == i:
                return frame
        raise ValueError(f"episode has fewer than {i + 1} frames")

    def encoded_frame(self, i: int) -> np.ndarray:
        """Decoded frame ``i`` of the trial's mp4 (frame-exact, by index): RGB, or depth in mm."""
        i = self._check_index(i)
        if self.is_depth:
            codes = read_frames(self.video_path, [i], fps=self.fps, pix_fmt=DEFAULT_DEPTH_PIX_FMT)[0]
            return dequantize_depth(codes, **self.quantizer)
        return read_frames(self.video_path, [i], fps=self.fps)[0]

    def quality(self, metric: str | None = None) -> np.ndarray:
        """Per-frame values: ``ssim`` (the trial's flavour, the default), ``psnr`` or ``ssim_exact``; for a
        depth trial ``depth_mean`` (the default), ``depth_p95``, ``depth_max``, ... in mm."""
        metric = metric or (DEPTH_WORST_METRIC if self.is_depth else "ssim")
        name = f"{metric}_frames"
        if name not in self.arrays:
            raise ValueError(f"metric={metric!r} not stored for this trial; available: "
                             f"{sorted(k.removesuffix('_frames') for k in self.arrays)}")
        return self.arrays[name]

    def worst_frames(self, k: int = 5, metric: str | None = None) -> list[int]:
        """Indices of the ``k`` lowest-quality frames (largest depth error), worst first."""
        metric = metric or (DEPTH_WORST_METRIC if self.is_depth else "ssim")
        values = np.asarray(self.quality(metric), dtype=np.float64)
        if metric.startswith("depth_"):
            values = -values
        return [int(i) for i in np.argsort(values, kind="stable")[:k]]

    @cached_property
    def keyframes(self) -> list[int]:
        """Frame indices that are keyframes in the encoded video (GOP starts)."""
        out = []
        with open_video(self.video_path) as container:
            stream = container.streams.video[0]
            for packet in container.demux(stream):
                if packet.size and packet.is_keyframe and packet.pts is not None:
                    out.append(frame_index(packet.pts, stream.time_base, 0.0, self.fps))
        return sorted(out)

    def difference(self, i: int, gain: float = 4.0) -> np.ndarray:
        """Per-pixel absolute difference (max over RGB) amplified by ``gain``, as uint8 HxW; for a depth
        trial the absolute error in mm (float, 0 where the source has no return)."""
        src, enc = self.source_frame(i), self.encoded_frame(i)
        return abs_error_map(src, enc) if self.is_depth else amplified_difference(src, enc, gain)


def open_trial(store: str | os.PathLike | ResultStore, key: str, **kwargs: Any) -> TrialFrames:
    """Open a stored trial by key (``episode=`` and ``cache_dir=`` as for :class:`TrialFrames`)."""
    store = store if isinstance(store, ResultStore) else ResultStore(store, read_only=True)
    if key not in store:
        raise KeyError(f"no trial with key {key!r} in {store.path}")
    return TrialFrames(store, key, **kwargs)
