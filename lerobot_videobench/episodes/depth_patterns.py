"""Synthetic depth test patterns with exact depth: a smooth ramp and planes with sharp edges (the two
patterns of the LeRobot maintainers' depth table, PR #3644), moving a little every frame."""

from __future__ import annotations

import numpy as np


def depth_ramp(n: int = 30, height: int = 240, width: int = 320, near_m: float = 0.3, far_m: float = 3.0) -> list[np.ndarray]:
    """A smooth diagonal ramp from ``near_m`` to ``far_m`` sliding one pixel per frame (``uint16`` mm)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    out = []
    for i in range(n):
        t = (x + i) / (width + n) * 0.7 + y / height * 0.3  # in [0, 1): no wrap, so no edge
        out.append(np.rint((near_m + t * (far_m - near_m)) * 1000).astype(np.uint16))
    return out


def depth_planes(n: int = 30, height: int = 240, width: int = 320) -> list[np.ndarray]:
    """A back wall at 2.5 m, a tilted table plane, and two boxes (0.6 m and 1.1 m) with sharp edges that
    move two pixels per frame, plus a strip of invalid (0) pixels (``uint16`` mm)."""
    y, x = np.mgrid[0:height, 0:width]
    out = []
    for i in range(n):
        d = np.full((height, width), 2500.0)
        table = y > height // 2
        d[table] = 1800.0 - (y[table] - height // 2) * (1000.0 / height)
        bx = (width // 5 + 2 * i) % width
        d[(y > height // 4) & (y < height * 3 // 5) & (x >= bx) & (x < bx + width // 5)] = 600.0
        cx = (width * 3 // 5 - 2 * i) % width
        d[(y > height // 3) & (y < height * 2 // 3) & (x >= cx) & (x < cx + width // 6)] = 1100.0
        d[:, : max(2, width // 40)] = 0.0  # sensor shadow: no return
        out.append(np.rint(d).astype(np.uint16))
    return out
