"""Running per-channel image statistics, computed the way LeRobot 0.6's streaming encoder thread does for
``stats.json`` (``lerobot/datasets/compute_stats.py``: ``RunningQuantileStats`` fed one downsampled
frame at a time).

Why it is here: in ``lerobot-record`` with streaming encoding this work runs in every camera's encoder
thread, after each frame is encoded, and competes with the encoders for the GIL and the cores. An
encoder benchmark that skips it under-reports the frames a recording drops. The numbers are also the
image statistics LeRobot would store, so they are returned rather than thrown away.

The algorithm is LeRobot's, step for step (float32 promotion, running mean and mean of squares,
5000-bin histograms per channel on edges that are rebuilt when the range grows, histogram-interpolated
quantiles), so results match LeRobot's on the same frames; only the redistribution of old bins after
a range change is vectorised (same bins, same sums).
"""

from __future__ import annotations

import numpy as np

#: LeRobot's ``DEFAULT_QUANTILES``.
DEFAULT_QUANTILES = (0.01, 0.10, 0.50, 0.90, 0.99)
#: Histogram bins per channel (LeRobot's ``num_quantile_bins``).
NUM_QUANTILE_BINS = 5000


def auto_downsample_height_width(img: np.ndarray, target_size: int = 150, max_size_threshold: int = 300) -> np.ndarray:
    """Strided view of a CHW image about ``target_size`` pixels on its long side, when that side is at
    least ``max_size_threshold`` (LeRobot's rule: one integer stride for both axes)."""
    _, height, width = img.shape
    if max(width, height) < max_size_threshold:
        return img
    factor = int(width / target_size) if width > height else int(height / target_size)
    return img[:, ::factor, ::factor]


def image_stats_sample(frame_hwc: np.ndarray) -> np.ndarray:
    """What one frame contributes: its downsampled pixels as an (N, C) array (C = channels)."""
    chw = frame_hwc.transpose(2, 0, 1)
    small = auto_downsample_height_width(chw)
    return small.transpose(1, 2, 0).reshape(-1, small.shape[0])


class RunningQuantileStats:
    """min, max, mean, std, count and histogram quantiles per feature dimension, updated batch by batch.

    ``update`` takes any array whose last axis is the feature (channel) axis. ``get_statistics`` needs
    at least two vectors, as LeRobot's does.
    """

    def __init__(self, quantiles: tuple[float, ...] = DEFAULT_QUANTILES, num_bins: int = NUM_QUANTILE_BINS) -> None:
        self.quantiles = tuple(quantiles)
        self.num_bins = int(num_bins)
        self.keys = [f"q{int(q * 100):02d}" for q in self.quantiles]
        self.count = 0
        self._mean = self._mean_sq = self._min = self._max = None
        self._hist: list[np.ndarray] = []
        self._edges: list[np.ndarray] = []

    def update(self, batch: np.ndarray) -> None:
        batch = batch.reshape(-1, batch.shape[-1])
        batch = batch.astype(np.result_type(batch.dtype, np.float32), copy=False)
        n, width = batch.shape
        if self.count == 0:
            self._mean = np.mean(batch, axis=0)
            self._mean_sq = np.mean(batch**2, axis=0)
            self._min = np.min(batch, axis=0)
            self._max = np.max(batch, axis=0)
            self._hist = [np.zeros(self.num_bins) for _ in range(width)]
            self._edges = [
                np.linspace(self._min[i] - 1e-10, self._max[i] + 1e-10, self.num_bins + 1) for i in range(width)
            ]
        else:
            if width != self._mean.size:
                raise ValueError(f"batch has {width} features per vector, the statistics {self._mean.size}")
            new_max, new_min = np.max(batch, axis=0), np.min(batch, axis=0)
            grew = bool(np.any(new_max > self._max) or np.any(new_min < self._min))
            self._max = np.maximum(self._max, new_max)
            self._min = np.minimum(self._min, new_min)
            if grew:
                self._rebin()
        self.count += n
        weight = n / self.count
        self._mean += (np.mean(batch, axis=0) - self._mean) * weight
        self._mean_sq += (np.mean(batch**2, axis=0) - self._mean_sq) * weight
        for i in range(width):
            self._hist[i] += np.histogram(batch[:, i], bins=self._edges[i])[0]

    def _rebin(self) -> None:
        """New edges over the grown range; each old bin's count moves to the bin holding its centre."""
        for i, (edges, hist) in enumerate(zip(self._edges, self._hist)):
            padding = (self._max[i] - self._min[i]) * 1e-10
            new_edges = np.linspace(self._min[i] - padding, self._max[i] + padding, self.num_bins + 1)
            centres = (edges[:-1] + edges[1:]) / 2
            used = hist > 0
            idx = np.clip(np.searchsorted(new_edges, centres[used]) - 1, 0, self.num_bins - 1)
            new_hist = np.zeros(self.num_bins)
            np.add.at(new_hist, idx, hist[used])
            self._hist[i], self._edges[i] = new_hist, new_edges

    def _quantile(self, hist: np.ndarray, edges: np.ndarray, target: float) -> float:
        cumsum = np.cumsum(hist)
        idx = np.searchsorted(cumsum, target)
        if idx == 0:
            return edges[0]
        if idx >= len(cumsum):
            return edges[-1]
        before = cumsum[idx - 1]
        inside = cumsum[idx] - before
        if inside == 0:
            return edges[idx]
        return edges[idx] + (target - before) / inside * (edges[idx + 1] - edges[idx])

    def get_statistics(self) -> dict[str, np.ndarray]:
        """``min``, ``max``, ``mean``, ``std``, ``count`` and ``q01``..``q99`` arrays, one value per feature."""
        if self.count < 2:
            raise ValueError(f"statistics need at least 2 vectors, got {self.count}")
        std = np.sqrt(np.maximum(0, self._mean_sq - self._mean**2))
        stats = {
            "min": self._min.copy(), "max": self._max.copy(), "mean": self._mean.copy(), "std": std,
            "count": np.array([self.count]),
        }
        for q, key in zip(self.quantiles, self.keys):
            stats[key] = np.array(
                [self._quantile(h, e, q * self.count) for h, e in zip(self._hist, self._edges)]
            )
        return stats


__all__ = [
    "DEFAULT_QUANTILES",
    "NUM_QUANTILE_BINS",
    "RunningQuantileStats",
    "auto_downsample_height_width",
    "image_stats_sample",
]
