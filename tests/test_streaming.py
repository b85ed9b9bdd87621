"""StreamingVideoEncoder: LeRobot's threads-and-bounded-queues behaviour, with every frame accounted for
(reference §3.2)."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from lerobot_videobench import CameraStreamResult, StreamingVideoEncoder, VideoEncoderConfig
from lerobot_videobench.encoding import count_frames, get_video_info, iter_video_frames

H, W, FPS = 48, 64, 30


def frames(n: int, h: int = H, w: int = W) -> list[np.ndarray]:
    out = []
    for i in range(n):
        f = np.full((h, w, 3), 20 + 7 * i, np.uint8)
        f[:, : w // 2, 0] = 200
        out.append(f)
    return out


def temp_subdirs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir())


def test_normal_episode_two_cameras(tmp_path):
    src = frames(20)
    with StreamingVideoEncoder(FPS) as enc:
        enc.start_episode(["observation.images/front", "wrist"], tmp_path)
        assert enc.episode_active
        for f in src:
            assert enc.feed_frame("observation.images/front", f)
            assert enc.feed_frame("wrist", f)
        depths = enc.queue_depths()
        assert set(depths) == {"observation.images/front", "wrist"}
        assert all(0 <= d <= 30 for d in depths.values())
        results = enc.finish_episode()
        assert not enc.episode_active and enc.queue_depths() == {}

    assert set(results) == {"observation.images/front", "wrist"}
    front = results["observation.images/front"]
    assert isinstance(front, CameraStreamResult)
    assert front.path.name == "observation.images_front_streaming.mp4"
    assert front.path.parent.parent == tmp_path  # mkdtemp(dir=temp_dir)/<key>_streaming.mp4
    assert results["wrist"].path.parent != front.path.parent
    for r in results.values():
        assert r.path.is_file()  # the caller owns (and moves) the file
        assert r.frames_fed == r.frames_encoded == 20 and r.frames_dropped == 0
        assert 1 <= r.max_queue_depth <= 30
        assert (r.width, r.height, r.fps, r.vcodec) == (W, H, FPS, "libsvtav1")
        assert count_frames(r.path) == 20
        assert r.encode_wall_s > 0 and r.encode_busy_s > 0 and r.thread_cpu_s >= 0
        assert 0 < r.encode_p50_s <= r.encode_p95_s <= r.encode_max_s
        assert 0 < r.latency_p50_s <= r.latency_p95_s <= r.latency_max_s
        assert r.drop_rate == 0.0 and r.realtime_factor > 0

    info = get_video_info(front.path)
    assert (info["video.codec"], info["video.fps"], info["video.width"], info["video.height"]) == ("av1", FPS, W, H)
    decoded = list(iter_video_frames(front.path, num_frames=20))
    for s, d in zip(src, decoded):
        assert abs(float(s.mean()) - float(d.mean())) < 6  # lossy, but the right picture in the right order


def test_pts_are_frame_counter(tmp_path):
    import av

    with StreamingVideoEncoder(FPS, VideoEncoderConfig(vcodec="h264")) as enc:
        enc.start_episode(["cam"], tmp_path)
        for f in frames(10):
            enc.feed_frame("cam", f)
        r = enc.finish_episode()["cam"]
    with av.open(str(r.path)) as c:
        s = c.streams.video[0]
        times = sorted(float(fr.pts * s.time_base) for fr in c.decode(s))
    assert times == pytest.approx([i / FPS for i in range(10)])


def test_chw_and_float_frames_normalised(tmp_path):
    hwc = frames(6)
    chw_float = [f.transpose(2, 0, 1).astype(np.float32) / 255.0 for f in hwc]
    with StreamingVideoEncoder(FPS, VideoEncoderConfig(vcodec="h264", crf=10)) as enc:
        enc.start_episode(["cam"], tmp_path)
        for f in chw_float:
            enc.feed_frame("cam", f)
        r = enc.finish_episode()["cam"]
    assert (r.width, r.height, r.frames_encoded) == (W, H, 6)
    for s, d in zip(hwc, iter_video_frames(r.path)):
        assert abs(float(s.mean()) - float(d.mean())) < 4


def test_frame_is_copied(tmp_path):
    buf = np.zeros((H, W, 3), np.uint8)
    with StreamingVideoEncoder(FPS, VideoEncoderConfig(vcodec="h264", crf=0)) as enc:
        enc.start_episode(["cam"], tmp_path)
        for value in (0, 250):  # the driver reuses its buffer
            buf[:] = value
            enc.feed_frame("cam", buf)
        buf[:] = 128
        r = enc.finish_episode()["cam"]
    means = [float(f.mean()) for f in iter_video_frames(r.path)]
    assert means[0] < 5 and means[1] > 245


def test_overload_drops_are_counted_exactly(tmp_path, caplog):
    # libaom without lookahead at its slowest speed: each encode call takes far longer than the 0.1 s
    # put timeout, so a queue of one overflows when frames are fed as fast as possible.
    slow = VideoEncoderConfig(vcodec="libaom-av1", extra_options={"lag-in-frames": 0, "cpu-used": 0})
    rng = np.random.default_rng(0)
    src = [rng.integers(0, 256, (120, 160, 3), dtype=np.uint8) for _ in range(20)]
    t0 = time.perf_counter()
    with caplog.at_level(logging.WARNING), StreamingVideoEncoder(FPS, slow, queue_maxsize=1) as enc:
        enc.start_episode(["cam"], tmp_path)
        accepted = [enc.feed_frame("cam", f) for f in src]
        r = enc.finish_episode()["cam"]
    elapsed = time.perf_counter() - t0
    assert r.frames_fed == 20
    assert r.frames_dropped > 0
    assert r.frames_fed == r.frames_encoded + r.frames_dropped
    assert sum(accepted) == r.frames_encoded
    assert count_frames(r.path) == r.frames_encoded
    assert r.max_queue_depth == 1 and r.queue_maxsize == 1
    assert r.drop_rate == pytest.approx(r.frames_dropped / 20)
    assert int(r.stats["count"][0]) == r.frames_encoded * 120 * 160  # statistics only of encoded frames
    assert elapsed < 120
    drop_logs = [m for m in caplog.messages if "Encoder queue full for cam" in m]
    assert drop_logs and "dropped 1 frame(s)" in drop_logs[0]
    assert any("Episode finished with" in m for m in caplog.messages)


@pytest.mark.parametrize("h, w, stride", [(48, 64, 1), (480, 640, 4), (400, 200, 2)])
def test_running_image_statistics_are_returned(tmp_path, h, w, stride):
    """LeRobot's per-frame statistics: every encoded frame, downsampled with one stride (none below 300
    px), per channel; min/max/mean exact, std and quantiles as histograms of 5000 bins give them."""
    rng = np.random.default_rng(1)
    src = [rng.integers(10 + i, 250 - i, (h, w, 3), dtype=np.uint8) for i in range(5)]
    with StreamingVideoEncoder(FPS, VideoEncoderConfig(vcodec="h264", preset="ultrafast")) as enc:
        enc.start_episode(["cam"], tmp_path)
        for f in src:
            assert enc.feed_frame("cam", f)
        r = enc.finish_episode()["cam"]
    assert r.frames_fed == r.frames_encoded == 5
    pixels = np.concatenate([f[::stride, ::stride].reshape(-1, 3) for f in src]).astype(np.float64)
    st = r.stats
    assert set(st) == {"min", "max", "mean", "std", "count", "q01", "q10", "q50", "q90", "q99"}
    assert int(st["count"][0]) == len(pixels)
    np.testing.assert_array_equal(st["min"], pixels.min(0))
    np.testing.assert_array_equal(st["max"], pixels.max(0))
    np.testing.assert_allclose(st["mean"], pixels.mean(0), rtol=1e-5)
    np.testing.assert_allclose(st["std"], pixels.std(0), rtol=1e-3)
    for key, q in (("q01", 1), ("q50", 50), ("q99", 99)):
        np.testing.assert_allclose(st[key], np.percentile(pixels, q, axis=0), atol=1.0)


def test_statistics_need_two_frames(tmp_path):
    with StreamingVideoEncoder(FPS, VideoEncoderConfig(vcodec="h264")) as enc:
        enc.start_episode(["cam"], tmp_path)
        enc.feed_frame("cam", frames(1)[0])
        r = enc.finish_episode()["cam"]
    assert r.frames_encoded == 1 and r.stats is None  # LeRobot returns None below 2 frames too


def test_thread_error_surfaces_in_feed_and_finish(tmp_path):
    odd = np.zeros((47, 63, 3), np.uint8)  # libx264 with yuv420p refuses odd sizes when it opens
    with StreamingVideoEncoder(FPS, VideoEncoderConfig(vcodec="h264")) as enc:
        enc.start_episode(["cam"], tmp_path)
        enc.feed_frame("cam", odd)
        deadline = time.monotonic() + 10
        with pytest.raises(RuntimeError, match="cam.*not running.*libx264"):
            while time.monotonic() < deadline:
                enc.feed_frame("cam", odd)
                time.sleep(0.01)
        with pytest.raises(RuntimeError, match="Streaming encode failed: cam"):
            enc.finish_episode()
        assert not enc.episode_active
    assert temp_subdirs(tmp_path) == []


@pytest.mark.parametrize(
    "bad",
    [np.zeros((H, W), np.uint8), np.full((H, W, 3), "x")],
    ids=["2d", "str-dtype"],
)
def test_bad_frame_fails_in_thread_and_finish_raises(tmp_path, bad):
    with StreamingVideoEncoder(FPS, VideoEncoderConfig(vcodec="h264")) as enc:
        enc.start_episode(["cam", "ok"], tmp_path)
        enc.feed_frame("ok", frames(1)[0])
        enc.feed_frame("cam", bad)
        with pytest.raises(RuntimeError, match="Streaming encode failed: cam"):
            enc.finish_episode()
    assert temp_subdirs(tmp_path) == []


def test_rgba_loses_alpha_like_lerobot(tmp_path):
    """LeRobot's PIL round trip (``Image.fromarray`` -> ``VideoFrame.from_image``) converts RGBA to RGB."""
    rgba = np.zeros((H, W, 4), np.uint8)
    rgba[..., 1], rgba[..., 3] = 200, 7
    with StreamingVideoEncoder(FPS, VideoEncoderConfig(vcodec="h264", crf=0)) as enc:
        enc.start_episode(["cam"], tmp_path)
        enc.feed_frame("cam", rgba)
        enc.feed_frame("cam", rgba)
        r = enc.finish_episode()["cam"]
    frame = next(iter_video_frames(r.path))
    assert frame.shape == (H, W, 3) and abs(float(frame[..., 1].mean()) - 200) < 3
    assert r.stats["mean"].shape == (4,)  # the statistics see the frame as fed, alpha included


def test_non_uint8_is_scaled_like_lerobot(tmp_path):
    # LeRobot multiplies any non-uint8 frame by 255: integer zeros stay black, 1s become white.
    with StreamingVideoEncoder(FPS, VideoEncoderConfig(vcodec="h264", crf=0)) as enc:
        enc.start_episode(["cam"], tmp_path)
        enc.feed_frame("cam", np.ones((H, W, 3), np.int64))
        r = enc.finish_episode()["cam"]
    assert float(next(iter_video_frames(r.path)).mean()) > 250


def test_frame_size_change_is_an_error(tmp_path):
    with StreamingVideoEncoder(FPS, VideoEncoderConfig(vcodec="h264")) as enc:
        enc.start_episode(["cam"], tmp_path)
        enc.feed_frame("cam", frames(1)[0])
        enc.feed_frame("cam", frames(1, h=32, w=32)[0])
        with pytest.raises(RuntimeError, match="shape"):
            enc.finish_episode()


def test_cancel_removes_temp_dirs(tmp_path):
    enc = StreamingVideoEncoder(FPS)
    enc.start_episode(["a", "b"], tmp_path)
    for f in frames(5):
        enc.feed_frame("a", f)
    assert len(temp_subdirs(tmp_path)) == 2
    threads_before = threading.active_count()
    enc.cancel_episode()
    assert temp_subdirs(tmp_path) == []
    assert not enc.episode_active
    assert threading.active_count() <= threads_before - 2
    with pytest.raises(RuntimeError, match="start_episode"):
        enc.feed_frame("a", frames(1)[0])


def test_start_episode_cancels_previous(tmp_path):
    with StreamingVideoEncoder(FPS) as enc:
        enc.start_episode(["a"], tmp_path / "one")
        enc.feed_frame("a", frames(1)[0])
        enc.start_episode(["b"], tmp_path / "two")
        assert temp_subdirs(tmp_path / "one") == []
        assert set(enc.queue_depths()) == {"b"}
        enc.feed_frame("b", frames(1)[0])
        r = enc.finish_episode()
    assert r["b"].frames_encoded == 1 and count_frames(r["b"].path) == 1


def test_feed_before_start_and_unknown_key(tmp_path):
    enc = StreamingVideoEncoder(FPS)
    with pytest.raises(RuntimeError, match="No active episode"):
        enc.feed_frame("cam", frames(1)[0])
    with pytest.raises(RuntimeError, match="No active episode"):
        enc.finish_episode()
    enc.start_episode(["cam"], tmp_path)
    try:
        with pytest.raises(KeyError, match="other"):
            enc.feed_frame("other", frames(1)[0])
    finally:
        enc.close()


def test_camera_without_frames_has_no_file(tmp_path):
    with StreamingVideoEncoder(FPS) as enc:
        enc.start_episode(["used", "idle"], tmp_path)
        enc.feed_frame("used", frames(1)[0])
        r = enc.finish_episode()
    assert r["idle"].path is None and r["idle"].frames_fed == 0 and r["idle"].frames_encoded == 0
    assert np.isnan(r["idle"].latency_p50_s) and np.isnan(r["idle"].realtime_factor)
    assert r["used"].path.is_file()


def test_context_manager_closes_active_episode(tmp_path):
    with StreamingVideoEncoder(FPS) as enc:
        enc.start_episode(["cam"], tmp_path)
        enc.feed_frame("cam", frames(1)[0])
        threads = [w.thread for w in enc._workers.values()]
    assert not enc.episode_active
    assert temp_subdirs(tmp_path) == []
    assert not any(t.is_alive() for t in threads)


def test_context_manager_closes_on_exception(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with StreamingVideoEncoder(FPS) as enc:
            enc.start_episode(["cam"], tmp_path)
            raise KeyboardInterrupt
    assert temp_subdirs(tmp_path) == []


def test_encoder_threads_reach_the_options(tmp_path):
    with StreamingVideoEncoder(FPS, VideoEncoderConfig(vcodec="h264"), encoder_threads=1) as enc:
        enc.start_episode(["cam"], tmp_path)
        assert enc._workers["cam"].options == {"g": "2", "crf": "30", "threads": "1"}
        for f in frames(3):
            enc.feed_frame("cam", f)
        assert enc.finish_episode()["cam"].frames_encoded == 3


@pytest.mark.parametrize("kwargs", [{"fps": 0}, {"fps": 30, "queue_maxsize": 0}, {"fps": 29.97}])
def test_bad_constructor_arguments(kwargs):
    fps = kwargs.pop("fps")
    with pytest.raises(ValueError):
        StreamingVideoEncoder(fps, **kwargs)


def test_bad_video_keys(tmp_path):
    enc = StreamingVideoEncoder(FPS)
    with pytest.raises(ValueError, match="empty"):
        enc.start_episode([], tmp_path)
    with pytest.raises(ValueError, match="duplicates"):
        enc.start_episode(["a", "a"], tmp_path)


def test_finish_is_bounded_when_an_encoder_stalls(tmp_path, monkeypatch):
    """A thread that stops draining its full queue must not make finish_episode wait forever for room
    for the end marker: the join timeouts report it."""
    import lerobot_videobench.encoding.streaming as streaming

    release = threading.Event()
    monkeypatch.setattr(streaming, "FINISH_JOIN_TIMEOUT_S", 0.5)
    monkeypatch.setattr(streaming, "STOP_JOIN_TIMEOUT_S", 0.2)
    monkeypatch.setattr(streaming._CameraWorker, "_run", lambda self: release.wait())
    try:
        enc = StreamingVideoEncoder(FPS, queue_maxsize=1)
        enc.start_episode(["cam"], tmp_path)
        for f in frames(2):
            enc.feed_frame("cam", f)
        t0 = time.perf_counter()
        with pytest.raises(RuntimeError, match="did not finish"):
            enc.finish_episode()
        assert time.perf_counter() - t0 < 10
    finally:
        release.set()


def test_streaming_engines_registry():
    from lerobot_videobench.encoding.streaming_engines import STREAMING_ENGINES, streaming_engine
    from lerobot_videobench.errors import EncoderUnavailableError, InvalidValueError

    assert streaming_engine("videobench") is StreamingVideoEncoder and set(STREAMING_ENGINES) == {"videobench", "lerobot"}
    with pytest.raises(InvalidValueError, match=r"engine='ffmpeg' is not a streaming engine; allowed: \['lerobot', 'videobench'\]"):
        streaming_engine("ffmpeg")
    try:
        import lerobot  # noqa: F401
    except ImportError:
        with pytest.raises(EncoderUnavailableError, match="engine='lerobot' needs the lerobot package"):
            streaming_engine("lerobot")(FPS)
