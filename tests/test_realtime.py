"""The real-time check: a fast config keeps up with every frame; a deliberately slow one drops frames
that are all accounted for (fed = encoded + dropped), without deadlock and in bounded time; frames come
from the sample, an episode (resized), arrays or synthetic footage; bad inputs name their field."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from _episodes_support import tiny_frames
from lerobot_videobench.cli import main
from lerobot_videobench.decide.realtime import RealtimeReport, check_realtime
from lerobot_videobench.encoding import VideoEncoderConfig
from lerobot_videobench.episodes import episode_from_arrays


@pytest.fixture(scope="module")
def fast() -> VideoEncoderConfig:
    return VideoEncoderConfig(vcodec="h264", preset="ultrafast", crf=30)


def _accounted(report: RealtimeReport) -> None:
    for cam in report.per_camera:
        assert cam["frames_fed"] == cam["frames_encoded"] + cam["frames_dropped"], cam
    assert report.frames_fed == report.frames_encoded + report.frames_dropped
    assert report.frames_fed == sum(c["frames_fed"] for c in report.per_camera)
    assert report.frames_dropped == sum(c["frames_dropped"] for c in report.per_camera)


def test_fast_config_keeps_up(fast):
    report = check_realtime(fast, 1, 160, 120, 10, 1.0, frames="synthetic")
    _accounted(report)
    [cam] = report.per_camera
    assert cam["frames_fed"] == cam["frames_encoded"] == 10 and cam["frames_dropped"] == 0
    assert report.verdict in ("realtime", "marginal") and report.headroom > 1
    assert (report.width, report.height, report.fps, report.cameras) == (160, 120, 10, 1)
    assert cam["width"] == 160 and cam["height"] == 120 and cam["latency_p95_s"] > 0
    assert report.cpu_cores_used > 0 and 0.85 < report.wall_s < 10
    # headroom is the tighter of the encoder's capacity and the machine's spare cores
    assert report.cpu_cores_available >= 1
    assert report.cpu_headroom == pytest.approx(report.cpu_cores_available / report.cpu_cores_used)
    assert report.headroom == min(report.capacity_headroom, report.cpu_headroom)
    assert report.frames_source == "synthetic tabletop 160x120"
    # queue depths: one series per camera, sampled on a shared clock
    assert list(report.queue_depth) == ["observation.images.cam0"]
    assert len(report.queue_depth_t) >= 5
    assert len(report.queue_depth["observation.images.cam0"]) == len(report.queue_depth_t)
    d = json.loads(json.dumps(report.to_dict()))
    assert d["verdict"] == report.verdict and d["config"]["vcodec"] == "h264"


def test_deliberate_overload_counts_every_drop_in_bounded_time():
    """libaom at cpu-used 0 encodes ~1 frame/s at 320x240: 2 cameras at 30 fps with a 1-frame queue
    must drop most frames, each one counted, and the check must still return promptly."""
    slow = VideoEncoderConfig(vcodec="libaom-av1", extra_options={"cpu-used": 0, "lag-in-frames": 0})
    t0 = time.perf_counter()
    report = check_realtime(slow, 2, 320, 240, 30, 1.0, queue_maxsize=1, frames="synthetic")
    wall = time.perf_counter() - t0
    _accounted(report)
    assert wall < 60, f"took {wall:.1f} s"
    assert report.frames_fed == 60 and report.frames_dropped > 0
    assert all(c["frames_dropped"] > 0 and c["frames_encoded"] >= 1 for c in report.per_camera)
    assert all(c["max_queue_depth"] <= 1 for c in report.per_camera)
    assert report.verdict == "overloaded" and not report.ok
    assert f"{report.frames_dropped} of 60 frames dropped" in report.message
    assert report.headroom < 1 and report.producer_max_lag_s > 0
    assert len(report.queue_depth) == 2
    assert all(len(v) == len(report.queue_depth_t) for v in report.queue_depth.values())


def test_frames_from_an_episode_are_resized(fast):
    ep = episode_from_arrays(tiny_frames(6, seed=3, h=48, w=64), camera="observation.images.front", fps=10)
    report = check_realtime(fast, 2, 32, 24, 10, 0.5, frames=ep)
    _accounted(report)
    assert report.frames_fed == 10 and report.frames_dropped == 0
    assert "resized to 32x24" in report.frames_source and "observation.images.front" in report.frames_source
    assert all(c["width"] == 32 and c["height"] == 24 for c in report.per_camera)


def test_array_frames_are_normalised_like_lerobot(fast):
    """Float [0, 1], CHW and gray frames are what cameras hand over too; they must not become black."""
    from lerobot_videobench.decide.realtime import _frame_pool

    gray = np.full((48, 64), 200, np.uint8)
    chw = np.full((3, 48, 64), 0.5, np.float32)
    pool, source = _frame_pool([gray, chw], 64, 48, 10)
    assert [p.shape for p in pool] == [(48, 64, 3)] * 2 and all(p.dtype == np.uint8 for p in pool)
    assert pool[0].min() == 200 and pool[1].min() == 127
    assert source == "2 frames resized to 64x48"
    report = check_realtime(fast, 1, 64, 48, 10, 0.3, frames=[chw, gray])
    assert report.frames_encoded == 3


def test_default_frames_are_camera_like_not_the_flattering_sample(fast):
    report = check_realtime(fast, 1, 64, 48, 10, 0.3)
    assert report.frames_source.startswith("camera-like tabletop") and "64x48" in report.frames_source
    assert report.frames_encoded == 3
    assert report.to_dict()["margin"] == pytest.approx(report.headroom / report.required_headroom - 1)
    sample = check_realtime(fast, 1, 64, 48, 10, 0.3, frames="sample")
    assert sample.frames_source.startswith("sample ") and "resized to 64x48" in sample.frames_source


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"cameras": 0}, "cameras"),
        ({"fps": -1}, "fps"),
        ({"width": 0}, "width"),
        ({"seconds": 0}, "seconds"),
        ({"seconds": float("inf")}, "seconds"),
        ({"queue_maxsize": 0}, "queue_maxsize"),
        ({"encoder_threads": 0}, "encoder_threads"),
        ({"encoder_threads": True}, "encoder_threads"),
        ({"frames": []}, "frames"),
        ({"frames": "nope"}, "frames"),
        ({"frames": [np.zeros((4, 4, 3, 2), np.uint8)]}, "frames"),
        ({"width": 65}, "width"),
        ({"required_headroom": 0.5}, "required_headroom"),
    ],
)
def test_bad_inputs_name_the_field(fast, kwargs, field):
    args = {"config": fast, "cameras": 1, "width": 64, "height": 48, "fps": 10, "seconds": 0.2, "frames": "synthetic"}
    args.update(kwargs)
    with pytest.raises(ValueError, match=rf"^{field}"):
        check_realtime(**args)


def test_cli_json_and_table(capsys):
    tiny = ["realtime", "--cameras", "1", "--width", "64", "--height", "48", "--fps", "10", "--seconds", "0.5",
            "--vcodec", "h264", "--preset", "ultrafast", "--crf", "28", "--extra-options", '{"bf": 0}']
    assert main([*tiny, "--synthetic", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] in ("realtime", "marginal") and data["ok"] == (data["verdict"] == "realtime")
    assert data["config"]["vcodec"] == "h264" and data["config"]["crf"] == 28
    assert data["config"]["extra_options"] == {"bf": 0}
    assert data["frames_fed"] == data["frames_encoded"] == 5 and data["frames_dropped"] == 0
    assert len(data["per_camera"]) == 1 and list(data["queue_depth"]) == ["observation.images.cam0"]

    assert main([*tiny, "--source", "sample", "--camera", "wrist"]) == 0
    out = capsys.readouterr().out
    assert "verdict:" in out and "cam0" in out and "observation.images.wrist resized to 64x48" in out

    assert main(["realtime", "--cameras", "0"]) == 2
    assert "cameras=0" in capsys.readouterr().err
    assert main([*tiny, "--synthetic", "--source", "sample"]) == 2
    assert main(["realtime", "--vcodec", "nope"]) == 2


def test_cli_overloaded_exit_status(capsys):
    argv = ["realtime", "--cameras", "1", "--width", "320", "--height", "240", "--fps", "30", "--seconds", "0.3",
            "--queue-maxsize", "1", "--synthetic", "--vcodec", "libaom-av1",
            "--extra-options", '{"cpu-used": 0, "lag-in-frames": 0}']
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "verdict: overloaded" in out and "frames dropped" in out
