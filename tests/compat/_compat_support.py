"""Helpers of the compatibility suite (imported by its test modules; fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np


def decode_rgb(path: str | Path) -> np.ndarray:
    """Every frame of ``path`` as RGB (N, H, W, 3) uint8, through PyAV."""
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])
