"""A depth trial reads depth as LeRobot 0.6.1's training loop does: ``decode_video_frames(..., is_depth=True)``
(PyAV ``gray12le`` whatever the backend) then ``dequantize_depth``. Our random-access decode and the trial's
sequential read must give the same codes and millimetres, and raise on the same queries.

Millimetres are identical to LeRobot's numpy ``dequantize_depth``. The training loop hands it a torch tensor,
whose path (``torch.exp``, float32 mm) rounds 3 of the 4096 codes of the default quantizer to the next mm
(codes 1085, 1579, 2459): a LeRobot-internal difference of at most 1 mm, checked here as such."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from _compat_support import encode_each, training_queries
from lerobot_videobench.encoding import DepthEncoderConfig
from lerobot_videobench.encoding.decoders import DEFAULT_TOLERANCE_S, FrameTimestampError, decode_frames
from lerobot_videobench.encoding.depth import dequantize_depth, iter_depth_frames
from lerobot_videobench.episodes.depth_patterns import depth_planes

pytestmark = pytest.mark.lerobot

CONFIGS = {
    "lossless_g2": DepthEncoderConfig(),
    "crf20_g10": DepthEncoderConfig(crf=20, g=10, extra_options={}),
    "crf20_g10_closed": DepthEncoderConfig(crf=20, g=10, extra_options={"x265-params": "open-gop=0"}),
    "linear_4m": DepthEncoderConfig(depth_max=4.0, use_log=False),
}


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> dict[str, Path]:
    return encode_each(tmp_path_factory.mktemp("compat_depth_read"), depth_planes(40, 48, 64), CONFIGS)


def _queries() -> list[list[float]]:
    return training_queries(n=40, count=20, seed=3)


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("backend", ["torchcodec", "pyav"])
def test_random_access_depth_identical(lerobot_pkg, videos, name, backend):
    from lerobot.datasets import depth_utils, video_utils

    config = CONFIGS[name]
    q = config.quantizer()
    for ts in _queries():
        try:
            theirs = video_utils.decode_video_frames(videos[name], ts, DEFAULT_TOLERANCE_S, backend, is_depth=True)
            their_mm = depth_utils.dequantize_depth(theirs, **q, output_unit="mm")
        except video_utils.FrameTimestampError:
            with pytest.raises(FrameTimestampError):
                decode_frames(videos[name], ts, backend=backend, is_depth=True)
            continue
        ours = decode_frames(videos[name], ts, backend=backend, is_depth=True)
        np.testing.assert_array_equal(ours.frames, theirs.numpy())  # the 12-bit codes, bit for bit
        mm = dequantize_depth(ours.frames, **q)
        np.testing.assert_array_equal(mm, np.asarray(depth_utils.dequantize_depth(theirs.numpy(), **q)).reshape(mm.shape))
        training = np.asarray(their_mm).reshape(mm.shape)  # LeRobot's torch path, what __getitem__ returns
        assert np.abs(mm.astype(np.float64) - training).max() <= 1.0


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_sequential_depth_read_identical(lerobot_pkg, videos, name):
    from lerobot.datasets import depth_utils, video_utils

    config = CONFIGS[name]
    q = config.quantizer()
    ours = np.stack(list(iter_depth_frames(videos[name], config, num_frames=40, fps=30)))
    ts = [i / 30 for i in range(40)]
    theirs = video_utils.decode_video_frames(videos[name], ts, DEFAULT_TOLERANCE_S, "pyav", is_depth=True)
    np.testing.assert_array_equal(ours, np.asarray(depth_utils.dequantize_depth(theirs.numpy(), **q)).reshape(40, 48, 64))
    training = np.asarray(depth_utils.dequantize_depth(theirs, **q, output_unit="mm")).reshape(40, 48, 64)
    assert np.abs(ours.astype(np.float64) - training).max() <= 1.0


def test_torch_and_numpy_dequantize_of_lerobot_differ_by_at_most_one_mm(lerobot_pkg):
    import torch
    from lerobot.datasets import depth_utils

    codes = np.arange(4096, dtype=np.uint16).reshape(1, 64, 64)
    ours = dequantize_depth(codes[0])
    training = np.asarray(depth_utils.dequantize_depth(torch.from_numpy(codes.astype(np.int32)))).reshape(64, 64)
    diff = np.abs(ours.astype(np.float64) - training)
    assert diff.max() <= 1.0 and int((diff > 0).sum()) <= 8
