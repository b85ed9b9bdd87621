"""Helpers of the compatibility suite (imported by its test modules; fixtures live in conftest.py)."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import av
import numpy as np


def decode_rgb(path: str | Path) -> np.ndarray:
    """Every frame of ``path`` as RGB (N, H, W, 3) uint8, through PyAV."""
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])


def encode_each(out: Path, frames: Sequence[np.ndarray], configs: Mapping[str, Any], fps: int = 30) -> dict[str, Path]:
    """``frames`` encoded once per config with our ``encode_video_frames``: ``{name: out/<name>.mp4}``."""
    from lerobot_videobench.encoding import encode_video_frames

    paths = {}
    for name, config in configs.items():
        paths[name] = out / f"{name}.mp4"
        encode_video_frames(frames, paths[name], fps, config, None, overwrite=True)
    return paths


def training_queries(n: int, count: int, seed: int, fps: int = 30) -> list[list[float]]:
    """Random timestamp queries shaped like a training sampler's: one frame, a pair, a gap of 5, or a
    window of 6 frames ending at a random index >= 5 of an ``n``-frame video."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        i = rng.randint(5, n - 1)
        out.append([j / fps for j in rng.choice(([i], [i - 1, i], [i - 5, i], list(range(i - 5, i + 1))))])
    return out
