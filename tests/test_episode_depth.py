"""Depth episodes: HxW uint16 mm frames whatever the input unit, with their own fingerprint and cache."""

from __future__ import annotations

import numpy as np
import pytest

from lerobot_videobench import DepthSpec, episode_from_arrays
from lerobot_videobench.episodes import frame_cache
from lerobot_videobench.episodes.depth_patterns import depth_planes


def test_metres_and_millimetres_give_the_same_depth_episode():
    mm = depth_planes(n=3, height=48, width=64)
    metres = [f.astype(np.float32) / 1000.0 for f in mm]
    a = episode_from_arrays(mm, camera="observation.images.depth")
    b = episode_from_arrays(metres, camera="observation.images.depth")
    assert a.is_depth and b.is_depth
    assert a.depth == DepthSpec(source_unit="mm") and b.depth.source_unit == "m"
    assert a.frame_shape == (48, 64) and a.frame_dtype == "uint16"
    for x, y in zip(a.iter_frames(), b.iter_frames()):
        assert x.dtype == np.uint16 and x.shape == (48, 64)
        np.testing.assert_array_equal(x, y)
    assert a.describe()["is_depth"] is True


def test_depth_and_rgb_with_the_same_bytes_do_not_share_a_fingerprint(tmp_path):
    # 0x0101 everywhere: the bytes of a 96x16 depth frame equal those of a 64x16 RGB frame of ones
    d = episode_from_arrays([np.full((16, 96), 257, np.uint16)])
    r = episode_from_arrays([np.ones((16, 64, 3), np.uint8)])
    assert d.fingerprint(tmp_path) != r.fingerprint(tmp_path)
    assert not r.is_depth and r.frame_shape == (16, 64, 3)


def test_depth_episode_round_trips_through_the_frame_cache(tmp_path):
    ep = episode_from_arrays(depth_planes(n=4, height=48, width=64))
    cached = ep.cached(tmp_path)
    assert cached.reader.path.endswith(".u16")
    assert [p.suffix for p in frame_cache.entries(tmp_path)] == [".u16"]
    for x, y in zip(ep.iter_frames(), cached.iter_frames()):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(cached.reader.frame(2), list(ep.iter_frames())[2])
    # a second call verifies the entry (size and hash) and reuses it
    assert ep.cached(tmp_path).reader.path == cached.reader.path


def test_a_corrupt_depth_cache_entry_is_rewritten(tmp_path):
    ep = episode_from_arrays(depth_planes(n=2, height=48, width=64))
    path = ep.cached(tmp_path).reader.path
    with open(path, "r+b") as f:
        f.write(b"\xff\xff")
    again = ep.cached(tmp_path)
    for x, y in zip(ep.iter_frames(), again.iter_frames()):
        np.testing.assert_array_equal(x, y)


def test_depth_frames_of_the_wrong_shape_are_refused():
    with pytest.raises(ValueError, match="depth frame 1"):
        episode_from_arrays([np.zeros((48, 64), np.uint16), np.zeros((48, 64, 2), np.uint16)])
