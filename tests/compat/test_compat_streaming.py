"""Our StreamingVideoEncoder does LeRobot 0.6.1's per-frame work: on the same real frames it writes
videos that decode to the same pixels as LeRobot's StreamingVideoEncoder, and returns the same running
image statistics (what LeRobot puts in stats.json) to the last bit."""

from __future__ import annotations

import numpy as np
import pytest

from lerobot_videobench.encoding import StreamingVideoEncoder, VideoEncoderConfig, iter_video_frames

pytestmark = pytest.mark.lerobot

FPS = 30
CONFIGS = [
    {},  # LeRobot's defaults: libsvtav1 yuv420p g=2 crf=30 preset 12
    {"vcodec": "h264", "crf": 23, "preset": "veryfast", "g": 10},
    {"vcodec": "hevc", "crf": 28, "extra_options": {"x265-params": "bframes=0:open-gop=0"}},
    {"vcodec": "libsvtav1", "crf": 40, "g": 5, "preset": 8},
]


def decode_rgb(path) -> np.ndarray:
    return np.stack(list(iter_video_frames(path)))


def _ours(frames, fields, tmp_path):
    with StreamingVideoEncoder(FPS, VideoEncoderConfig(**fields), queue_maxsize=len(frames), encoder_threads=1) as enc:
        enc.start_episode(["cam"], tmp_path / "ours")
        for f in frames:
            assert enc.feed_frame("cam", f)
        r = enc.finish_episode()["cam"]
    assert r.frames_fed == r.frames_encoded == len(frames) and r.frames_dropped == 0
    return decode_rgb(r.path), r.stats


def _lerobots(frames, fields, tmp_path, video_utils, lerobot_video):
    enc = video_utils.StreamingVideoEncoder(
        FPS, rgb_encoder=lerobot_video.RGBEncoderConfig(**fields), queue_maxsize=len(frames), encoder_threads=1
    )
    (tmp_path / "lerobot").mkdir()
    try:
        enc.start_episode(["cam"], tmp_path / "lerobot")
        for f in frames:
            enc.feed_frame("cam", f)
        path, stats = enc.finish_episode()["cam"]
    finally:
        enc.close()
    return decode_rgb(path), stats


def _same_stats(ours, theirs):
    assert set(ours) == set(theirs)
    for key in theirs:
        assert ours[key].dtype == theirs[key].dtype, key
        np.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)


@pytest.mark.parametrize("fields", CONFIGS, ids=lambda f: "-".join(f"{k}={v}" for k, v in f.items()) or "defaults")
def test_same_frames_and_statistics_as_lerobot(fields, real_frames, tmp_path, lerobot_video_utils, lerobot_video):
    frames = list(real_frames)  # 20 real 320x240 frames: downsampled by 2 for the statistics
    ours, our_stats = _ours(frames, fields, tmp_path)
    theirs, their_stats = _lerobots(frames, fields, tmp_path, lerobot_video_utils, lerobot_video)
    assert ours.shape == theirs.shape == (len(frames), 240, 320, 3)
    np.testing.assert_array_equal(ours, theirs)
    _same_stats(our_stats, their_stats)
    assert int(our_stats["count"][0]) == len(frames) * 120 * 160


def test_chw_float_frames_are_normalised_like_lerobot(real_frames, tmp_path, lerobot_video_utils, lerobot_video):
    """Policies and some cameras hand over CHW float frames in [0, 1]: both scale by 255 and truncate."""
    frames = [f.transpose(2, 0, 1).astype(np.float32) / 255.0 for f in real_frames[:8]]
    fields = {"vcodec": "h264", "crf": 18}
    ours, our_stats = _ours(frames, fields, tmp_path)
    theirs, their_stats = _lerobots(frames, fields, tmp_path, lerobot_video_utils, lerobot_video)
    np.testing.assert_array_equal(ours, theirs)
    _same_stats(our_stats, their_stats)


def test_check_realtime_runs_lerobots_encoder(real_frames, lerobot_pkg):
    """engine="lerobot": LeRobot's own StreamingVideoEncoder under the same producers, every frame
    accounted for (drops from its counter, encoded frames counted in its mp4)."""
    from lerobot_videobench.decide.realtime import check_realtime

    config = VideoEncoderConfig(vcodec="h264", preset="ultrafast")
    report = check_realtime(config, 2, 320, 240, 10, 1.0, frames=list(real_frames), engine="lerobot")
    assert report.engine == "lerobot"
    assert report.frames_fed == 20 == report.frames_encoded + report.frames_dropped
    for cam in report.per_camera:
        assert cam["frames_fed"] == cam["frames_encoded"] + cam["frames_dropped"] == 10
        assert (cam["width"], cam["height"]) == (320, 240)
    if report.frames_dropped == 0:
        assert report.verdict != "overloaded"
