"""Depth views: colour-mapped depth and error heat maps as the Frames panel and the report show them."""

from __future__ import annotations

import numpy as np
import pytest

from lerobot_videobench.report.images import colour_map, depth_colour, depth_error_heatmap, png_bytes


def test_depth_colour_is_rgb_with_invalid_pixels_black():
    d = np.tile(np.linspace(300, 3000, 64), (48, 1)).astype(np.uint16)
    d[:, :3] = 0
    rgb = depth_colour(d)
    assert rgb.shape == (48, 64, 3) and rgb.dtype == np.uint8
    assert (rgb[:, :3] == 0).all()
    # near and far get different colours; the ramp is monotone in the lookup index
    assert not np.array_equal(rgb[0, 5], rgb[0, 60])
    assert png_bytes(rgb)[:4] == b"\x89PNG"


def test_fixed_limits_make_two_frames_comparable():
    a = np.full((4, 4), 1000, np.uint16)
    b = np.full((4, 4), 2000, np.uint16)
    ca, cb = depth_colour(a, 500, 2500), depth_colour(b, 500, 2500)
    assert not np.array_equal(ca, cb)
    np.testing.assert_array_equal(depth_colour(a, 500, 2500), ca)


def test_error_heatmap_marks_error_and_lost_invalid_pixels():
    src = np.full((8, 8), 1000, np.uint16)
    src[0, 0] = 0  # no return in the source
    dec = src.copy()
    dec[4, 4] = 1100  # 100 mm off
    dec[0, 0] = 900  # the codec invented a depth where there was none
    heat = depth_error_heatmap(src, dec, vmax_mm=100)
    assert (heat[1, 1] == colour_map(np.zeros((1, 1)), 0, 100, "Inferno")[0, 0]).all()
    assert heat[4, 4].sum() > heat[1, 1].sum()
    assert tuple(heat[0, 0]) == (20, 40, 160)


def test_error_heatmap_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match="differ in shape"):
        depth_error_heatmap(np.zeros((4, 4)), np.zeros((4, 5)))
