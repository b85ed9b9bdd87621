"""Figures stay legible: the per-frame trace at g=2 is not hatched by GOP lines."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from lerobot_videobench.report.figures import MAX_GOP_LINES, frame_quality_figure


def _trial(n: int, g: int) -> SimpleNamespace:
    rng = np.random.default_rng(0)
    return SimpleNamespace(row={"ssim_flavour": "fast"}, label=f"h264 g{g}", keyframes=list(range(0, n, g)),
                           arrays={"ssim_frames": 0.95 + 0.01 * rng.random(n), "psnr_frames": 38 + rng.random(n)})


def test_dense_gops_are_ticks_not_full_height_lines() -> None:
    fig = frame_quality_figure(_trial(300, 2))
    gop = next(t for t in fig.data if str(t.name).startswith("GOP"))
    assert gop.mode == "markers" and len(gop.x) == 150 and set(gop.y) == {0.02}
    assert "every 2 frames" in gop.name


def test_sparse_gops_keep_dotted_lines() -> None:
    fig = frame_quality_figure(_trial(300, 30))
    gop = next(t for t in fig.data if str(t.name).startswith("GOP"))
    assert gop.mode == "lines" and len(_trial(300, 30).keyframes) <= MAX_GOP_LINES


def test_worst_window_finds_the_damage() -> None:
    from lerobot_videobench.report.images import worst_window

    src = np.zeros((48, 64, 3), dtype=np.uint8)
    enc = src.copy()
    enc[30:40, 50:60] = 200
    x, y, size = worst_window(src, enc, 16)
    assert size == 16 and x <= 50 and x + 16 >= 60 and y <= 30 and y + 16 >= 40
    assert worst_window(src, enc, 500)[2] == 48  # clamped to the frame
