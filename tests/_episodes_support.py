"""Helpers shared by the episodes tests: tiny deterministic frames and LeRobot datasets written with the
project's own writer and encoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lerobot_videobench.episodes.writer import lossless_encoder_config, write_lerobot_dataset

TOP, WRIST = "observation.images.top", "observation.images.wrist"
LENGTHS = (7, 5, 9)


def tiny_frames(n: int, seed: int, h: int = 48, w: int = 64) -> list[np.ndarray]:
    """Moving gradient plus noise: cheap to encode, different in every frame and episode."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    out = []
    for i in range(n):
        base = np.stack([(xx * 4 + i * 9 + seed) % 256, (yy * 5 + i * 3) % 256, (xx + yy + seed * 7) % 256], -1)
        out.append(np.clip(base + rng.integers(-6, 7, base.shape), 0, 255).astype(np.uint8))
    return out


def tiny_episodes(lengths=LENGTHS, cameras=(TOP, WRIST)) -> list[dict[str, list[np.ndarray]]]:
    return [{c: tiny_frames(n, 100 * e + k) for k, c in enumerate(cameras)} for e, n in enumerate(lengths)]


def write_tiny(root: Path, version: str = "v3.0", storage: str = "video", config=None, **kw) -> tuple[Path, list]:
    eps = kw.pop("episodes", None) or tiny_episodes()
    write_lerobot_dataset(root, eps, 30, version=version, storage=storage,
                          camera_encoder_config=config or lossless_encoder_config(), **kw)
    return root, eps


def frames_equal(got, want) -> bool:
    got = list(got)
    return len(got) == len(want) and all(np.array_equal(a, b) for a, b in zip(got, want))
