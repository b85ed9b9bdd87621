"""Our training decoders against LeRobot 0.6's own ``decode_video_frames``, on the same files and queries.

For each backend (torchcodec with its cached decoder, pyav opening per query) both must return the same
frames, bit for bit, and raise on the same queries: the x265 default encodes below are the hazards a
sweep must catch (torchcodec: B-frames; pyav: open GOP), the fixed x265 and h264 are the controls.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from _compat_support import encode_each, training_queries
from _episodes_support import tiny_frames
from lerobot_videobench.bench import MeasureSettings, TrialSpec, measure_random_access
from lerobot_videobench.bench.trial import run_trial
from lerobot_videobench.encoding import VideoEncoderConfig, iter_video_frames
from lerobot_videobench.encoding.decoders import DEFAULT_TOLERANCE_S, FrameTimestampError, decode_frames
from lerobot_videobench.episodes import episode_from_arrays

CONFIGS = {
    "h264_g10": VideoEncoderConfig(vcodec="h264", g=10, crf=23),
    "svt_g2": VideoEncoderConfig(),
    "hevc_g2_bframes": VideoEncoderConfig(vcodec="hevc", g=2, crf=28),
    "hevc_g10_open_gop": VideoEncoderConfig(vcodec="hevc", g=10, crf=28),
    "hevc_g10_fixed": VideoEncoderConfig(vcodec="hevc", g=10, crf=28,
                                         extra_options={"bf": 0, "x265-params": "open-gop=0"}),
}


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> dict[str, Path]:
    return encode_each(tmp_path_factory.mktemp("compat_decoders"), tiny_frames(60, 3), CONFIGS)


def _queries() -> list[list[float]]:
    return training_queries(n=60, count=30, seed=7)


def _lerobot(video_utils, path: Path, ts: list[float], backend: str):
    try:
        t = video_utils.decode_video_frames(path, ts, DEFAULT_TOLERANCE_S, backend, return_uint8=True)
    except video_utils.FrameTimestampError:
        return "raised"
    return t.numpy()


def _ours(path: Path, ts: list[float], backend: str):
    try:
        return decode_frames(path, ts, backend=backend).frames
    except FrameTimestampError:
        return "raised"


@pytest.mark.lerobot
@pytest.mark.torchcodec
@pytest.mark.parametrize("backend", ["torchcodec", "pyav"])
def test_same_frames_and_same_failures_as_lerobot(videos, backend, lerobot_video_utils, torchcodec_pkg) -> None:
    raised_somewhere = set()
    for name, path in videos.items():
        for ts in _queries():
            theirs, ours = _lerobot(lerobot_video_utils, path, ts, backend), _ours(path, ts, backend)
            if isinstance(theirs, str) or isinstance(ours, str):
                assert theirs == ours, f"{name} {backend} {ts}: lerobot {theirs!r:.20} ours {ours!r:.20}"
                raised_somewhere.add(name)
            else:
                np.testing.assert_array_equal(ours, theirs, err_msg=f"{name} {backend} {ts}")
    # the hazards reproduce on LeRobot's own decoder, and the controls never raise
    expected = {"torchcodec": {"hevc_g2_bframes", "hevc_g10_open_gop"}, "pyav": {"hevc_g10_open_gop"}}[backend]
    assert raised_somewhere == expected


@pytest.mark.torchcodec
def test_torchcodec_backend_returns_the_sequential_frames(videos, torchcodec_pkg) -> None:
    seq = list(iter_video_frames(videos["svt_g2"]))
    for i in (0, 13, 59, 2, 40):  # out of order: the cached decoder seeks
        got = decode_frames(videos["svt_g2"], [i / 30], backend="torchcodec")
        assert got.frames.shape == (1, 3, 48, 64) and np.array_equal(got.hwc(0), seq[i])
    stats = measure_random_access(videos["hevc_g2_bframes"], 60, 30, 10, 1337, backend="torchcodec")
    assert sum(s["failed"] for s in stats.values()) > 0


@pytest.mark.torchcodec
def test_trial_measuring_both_decoders_names_each_hazard(torchcodec_pkg) -> None:
    ep = episode_from_arrays(tiny_frames(60, 3), fps=30, camera="observation.images.top")
    settings = MeasureSettings(decoder="both", access_samples=10, png_samples=0)
    bframes = run_trial(ep, TrialSpec(CONFIGS["hevc_g2_bframes"]), settings=settings)
    assert bframes.decode_ok is False and bframes.decoder == "torchcodec+pyav"
    assert bframes.decode_issue.startswith("torchcodec: ") and '{"bf": 0}' in bframes.decode_issue
    assert "pyav" not in bframes.decode_issue  # pyav reads this file correctly
    row = bframes.summary()
    assert "load_pyav_1_frame_p50_ms" in row and "load_torchcodec_1_frame_p50_ms" in row
    fixed = run_trial(ep, TrialSpec(CONFIGS["hevc_g10_fixed"]), settings=settings)
    assert fixed.decode_ok is True and fixed.decode_issue is None
