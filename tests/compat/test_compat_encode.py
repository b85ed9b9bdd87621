"""Encode identity: our ``encode_video_frames`` and ``StreamingVideoEncoder`` against LeRobot 0.6's, on the
same real frames and the same config (single-threaded, so the encoders are deterministic).

Both batch encoders read the same ``frame-NNNNNN.png`` folder (LeRobot's layout); both streaming encoders
are fed the same arrays. Decoded frames must be identical, and so must the mp4 bytes (same PyAV, same
options, same muxer): what we measure is the file ``lerobot-record`` would write.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _compat_support import decode_rgb

from lerobot_videobench.encoding import StreamingVideoEncoder, VideoEncoderConfig, encode_video_frames

pytestmark = pytest.mark.lerobot

FPS = 30
KEY = "observation.images.wrist"
CONFIGS = {
    "libsvtav1-default": {},
    "h264-crf23-g10-veryfast": {"vcodec": "h264", "crf": 23, "g": 10, "preset": "veryfast"},
    "hevc-crf28-g4-fast": {"vcodec": "hevc", "crf": 28, "g": 4, "preset": "fast"},
    "libsvtav1-extra": {"vcodec": "libsvtav1", "crf": 40, "g": 8, "preset": 10, "fast_decode": 1,
                        "extra_options": {"maxrate": "400k", "bufsize": "800k"}},
    "h264-yuv444p-fastdecode-extra": {"vcodec": "h264", "pix_fmt": "yuv444p", "crf": 18, "g": 2,
                                      "preset": "ultrafast", "fast_decode": 1,
                                      "extra_options": {"bf": 0, "x264-params": "ref=1"}},
}


@pytest.fixture(scope="module")
def png_dir(real_frames, tmp_path_factory) -> Path:
    from PIL import Image

    folder = tmp_path_factory.mktemp("frames")
    for i, frame in enumerate(real_frames):
        Image.fromarray(frame).save(folder / f"frame-{i:06d}.png")
    return folder


def _same_video(ours: Path, theirs: Path, n_frames: int) -> bool:
    """Asserts the decoded frames are identical; returns whether the files are byte-identical too."""
    a, b = decode_rgb(ours), decode_rgb(theirs)
    assert len(a) == len(b) == n_frames, (len(a), len(b), n_frames)
    diff = np.flatnonzero([not np.array_equal(x, y) for x, y in zip(a, b)])
    assert diff.size == 0, f"decoded frames {diff.tolist()} differ from LeRobot's"
    return ours.read_bytes() == theirs.read_bytes()


@pytest.mark.parametrize("name", CONFIGS)
def test_batch_encode_matches_lerobot(name, png_dir, real_frames, lerobot_video, lerobot_video_utils, tmp_path):
    kwargs = CONFIGS[name]
    ours, theirs = tmp_path / "ours.mp4", tmp_path / "lerobot.mp4"
    encode_video_frames(png_dir, ours, FPS, VideoEncoderConfig(**kwargs), 1)
    lerobot_video_utils.encode_video_frames(
        png_dir, theirs, FPS, video_encoder=lerobot_video.RGBEncoderConfig(**kwargs), encoder_threads=1
    )
    assert _same_video(ours, theirs, len(real_frames)), f"{name}: same frames, but the mp4 bytes differ"


@pytest.mark.parametrize("name", CONFIGS)
def test_streaming_encode_matches_lerobot(name, real_frames, lerobot_video, lerobot_video_utils, tmp_path):
    kwargs = CONFIGS[name]
    n = len(real_frames)
    ours_enc = StreamingVideoEncoder(FPS, VideoEncoderConfig(**kwargs), queue_maxsize=n + 1, encoder_threads=1)
    ours_enc.start_episode([KEY], tmp_path / "ours")
    for frame in real_frames:
        assert ours_enc.feed_frame(KEY, frame), "our encoder dropped a frame with a queue larger than the episode"
    ours = ours_enc.finish_episode()[KEY].path

    theirs_enc = lerobot_video_utils.StreamingVideoEncoder(
        FPS, rgb_encoder=lerobot_video.RGBEncoderConfig(**kwargs), queue_maxsize=n + 1, encoder_threads=1
    )
    (tmp_path / "lerobot").mkdir()
    theirs_enc.start_episode([KEY], tmp_path / "lerobot")
    for frame in real_frames:
        theirs_enc.feed_frame(KEY, frame)
    theirs, _stats = theirs_enc.finish_episode()[KEY]
    theirs_enc.close()
    assert _same_video(Path(ours), Path(theirs), n), f"{name}: same frames, but the mp4 bytes differ"
