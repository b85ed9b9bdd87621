"""Tests for bench/metrics.py: PSNR, the two SSIM flavours, pooling and the streaming comparer."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.stats import spearmanr
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from lerobot_videobench.bench import metrics as M


def _scene(h: int = 48, w: int = 64, n: int = 1, seed: int = 0) -> np.ndarray:
    """Smooth gradients plus texture: closer to camera content than pure noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    frames = []
    for i in range(n):
        base = np.stack(
            [128 + 90 * np.sin(xx / (7 + i) + c) * np.cos(yy / (9 + c)) for c in range(3)], axis=-1
        )
        base += rng.normal(0, 12, base.shape)
        frames.append(np.clip(base, 0, 255).astype(np.uint8))
    return np.stack(frames)


def _noisy(frames: np.ndarray, sigma: float, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(frames + rng.normal(0, sigma, frames.shape), 0, 255).astype(np.uint8)


def _blur(frames: np.ndarray, k: int) -> np.ndarray:
    from scipy.ndimage import uniform_filter

    return uniform_filter(frames.astype(np.float32), size=(1, k, k, 1)).round().astype(np.uint8)


def _lerobot_ssim(a: np.ndarray, b: np.ndarray) -> float:
    af = a.transpose(2, 0, 1).astype(np.float32) / 255
    bf = b.transpose(2, 0, 1).astype(np.float32) / 255
    return float(structural_similarity(af, bf, data_range=1.0, channel_axis=0))


# ---------------------------------------------------------------------------------------------- exact


@pytest.mark.parametrize("shape", [(48, 64), (37, 67)])
def test_exact_matches_lerobot_skimage_call(shape: tuple[int, int]) -> None:
    ref = _scene(*shape, n=3)
    dist = _noisy(ref, 8)
    ours = M.ssim(ref, dist, flavour="exact")
    theirs = np.array([_lerobot_ssim(a, b) for a, b in zip(ref, dist)])
    assert ours.shape == (3,)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


def test_channel_axis_first_on_chw_equals_last_on_hwc() -> None:
    ref = _scene(37, 67)[0]
    dist = _noisy(ref, 10)
    hwc = structural_similarity(
        ref.astype(np.float32) / 255, dist.astype(np.float32) / 255, data_range=1.0, channel_axis=-1
    )
    assert abs(_lerobot_ssim(ref, dist) - hwc) <= 1e-7


# ----------------------------------------------------------------------------------------------- PSNR


def test_psnr_equals_skimage_on_rgb_uint8() -> None:
    ref = _scene(n=4)
    dist = np.stack([_noisy(ref[i], s, seed=i) for i, s in enumerate((1, 3, 9, 27))])
    ours = M.psnr(ref, dist)
    theirs = [peak_signal_noise_ratio(a, b, data_range=255) for a, b in zip(ref, dist)]
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    # LeRobot's definition on float32 [0, 1] agrees up to float32 rounding.
    lerobot = [
        peak_signal_noise_ratio(a.astype(np.float32) / 255, b.astype(np.float32) / 255, data_range=1.0)
        for a, b in zip(ref, dist)
    ]
    np.testing.assert_allclose(ours, lerobot, atol=1e-3)
    np.testing.assert_allclose(M.mse(ref, dist), [np.mean((a.astype(float) - b) ** 2) for a, b in zip(ref, dist)])


def test_single_frame_gives_a_scalar_array_and_identical_frames_are_perfect() -> None:
    frame = _scene()[0]
    p = M.psnr(frame, frame.copy())
    assert p.shape == () and math.isinf(float(p))
    assert float(M.ssim(frame, frame.copy())) == 1.0
    assert float(M.ssim(frame, frame.copy(), flavour="exact")) == pytest.approx(1.0, abs=1e-6)


# ----------------------------------------------------------------------------------------------- fast


def _ffmpeg_ssim_definition(a: np.ndarray, b: np.ndarray) -> float:
    """Straight numpy statement of SSIM_FLAVOURS["fast"], used as an oracle: 8x8 windows on a 4 px grid,
    sample (n-1) statistics, C1=(0.01*255)^2/64, C2=(0.03*255)^2, mean over windows then over R, G, B."""
    h4, w4 = a.shape[0] // 4, a.shape[1] // 4
    a = a[: h4 * 4, : w4 * 4].astype(np.float64)
    b = b[: h4 * 4, : w4 * 4].astype(np.float64)

    def window_sum(x: np.ndarray) -> np.ndarray:
        blocks = x.reshape(h4, 4, w4, 4, 3).sum(axis=(1, 3))  # 4x4 block sums
        return blocks[:-1, :-1] + blocks[1:, :-1] + blocks[:-1, 1:] + blocks[1:, 1:]  # 8x8 windows

    n = 64
    mu_a, mu_b = window_sum(a) / n, window_sum(b) / n
    var_a = (window_sum(a * a) - n * mu_a**2) / (n - 1)
    var_b = (window_sum(b * b) - n * mu_b**2) / (n - 1)
    cov = (window_sum(a * b) - n * mu_a * mu_b) / (n - 1)
    c1, c2 = (0.01 * 255) ** 2 / 64, (0.03 * 255) ** 2
    m = (2 * mu_a * mu_b + c1) * (2 * cov + c2) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return float(m.mean(axis=(0, 1)).mean())


@pytest.mark.parametrize("shape", [(48, 64), (37, 67)])
def test_fast_flavour_computes_what_its_description_says(shape: tuple[int, int]) -> None:
    ref = _scene(*shape, n=2)
    dist = _noisy(ref, 15)
    expected = [_ffmpeg_ssim_definition(a, b) for a, b in zip(ref, dist)]
    np.testing.assert_allclose(M.ssim(ref, dist), expected, atol=2e-6)


def test_more_noise_gives_monotonically_lower_values() -> None:
    ref = _scene()[0]
    sigmas = (1, 3, 6, 12, 24, 48)
    dist = np.stack([_noisy(ref, s) for s in sigmas])
    refs = np.broadcast_to(ref, dist.shape).copy()
    for values in (M.psnr(refs, dist), M.ssim(refs, dist), M.ssim(refs, dist, flavour="exact")):
        assert np.all(np.diff(values) < 0), values


def test_batch_values_come_out_in_frame_order() -> None:
    ref = _scene(n=5, seed=3)
    sigmas = (20, 2, 40, 5, 10)
    dist = np.stack([_noisy(ref[i], s, seed=i) for i, s in enumerate(sigmas)])
    for flavour in M.SSIM_FLAVOURS:
        batch = M.ssim(ref, dist, flavour=flavour)
        singles = [float(M.ssim(ref[i], dist[i], flavour=flavour)) for i in range(5)]
        np.testing.assert_array_equal(batch, singles)
    np.testing.assert_array_equal(M.psnr(ref, dist), [float(M.psnr(a, b)) for a, b in zip(ref, dist)])


def test_fast_ranks_distortions_like_exact() -> None:
    ref = _scene(n=1, seed=5)
    variants = [_noisy(ref, s, seed=7) for s in (2, 6, 15, 30)] + [_blur(ref, k) for k in (2, 3, 5, 9)]
    dist = np.concatenate(variants)
    refs = np.repeat(ref, len(variants), axis=0)
    fast, exact = M.ssim(refs, dist), M.ssim(refs, dist, flavour="exact")
    assert spearmanr(fast, exact).statistic >= 0.9, (fast, exact)


def test_real_encode_orders_crf(tmp_path) -> None:
    from lerobot_videobench.encoding import VideoEncoderConfig, encode_video_frames, iter_video_frames

    ref = _scene(64, 64, n=6, seed=2)
    quality = {}
    for crf in (10, 50):
        path = tmp_path / f"crf{crf}.mp4"
        encode_video_frames(list(ref), path, 30, VideoEncoderConfig(vcodec="h264", crf=crf, pix_fmt="yuv420p"))
        quality[crf] = M.compare_frames(iter(ref), iter_video_frames(path), with_exact=True)
    assert quality[10].frames == 6
    for field in ("psnr", "ssim", "ssim_exact"):
        assert getattr(quality[10], field).mean() > getattr(quality[50], field).mean()


# ------------------------------------------------------------------------------------------ streaming


@pytest.mark.parametrize("chunk", [1, 3, 100])
def test_compare_frames_matches_batch_functions(chunk: int) -> None:
    ref = _scene(n=7, seed=4)
    dist = _noisy(ref, 9)
    q = M.compare_frames(iter(ref), (f for f in dist), chunk=chunk, with_exact=True)
    assert q.flavour == "fast" and q.frames == 7
    np.testing.assert_array_equal(q.psnr, M.psnr(ref, dist))
    np.testing.assert_array_equal(q.ssim, M.ssim(ref, dist))
    np.testing.assert_array_equal(q.ssim_exact, M.ssim(ref, dist, flavour="exact"))
    np.testing.assert_array_equal(q.mse, M.mse(ref, dist))


def test_comparer_accepts_batches_and_exact_flavour() -> None:
    ref = _scene(n=5, seed=6)
    dist = _noisy(ref, 4)
    comparer = M.FrameComparer("exact", chunk=2)
    comparer.add(ref[:3], dist[:3])
    comparer.add(ref[3], dist[3])
    comparer.add(ref[4:], dist[4:])
    q = comparer.result()
    assert q.flavour == "exact" and q.ssim_exact is None
    np.testing.assert_array_equal(q.ssim, M.ssim(ref, dist, flavour="exact"))


@pytest.mark.parametrize("n_ref,n_dist", [(5, 3), (3, 5)])
def test_streams_of_unequal_length_raise_with_counts(n_ref: int, n_dist: int) -> None:
    frames = _scene(n=5)
    with pytest.raises(ValueError, match=r"ended after 3 frames.*at least 4"):
        M.compare_frames(iter(frames[:n_ref]), iter(frames[:n_dist]), chunk=2)


def test_stream_shape_change_and_bad_frames_raise() -> None:
    a, b = _scene(48, 64)[0], _scene(40, 64)[0]
    with pytest.raises(ValueError, match="frame 1"):
        M.compare_frames(iter([a, b]), iter([a, b]))
    with pytest.raises(ValueError, match=r"frame 0: .*float32"):
        M.compare_frames(iter([a.astype(np.float32)]), iter([a]))
    with pytest.raises(ValueError, match="HxWx3"):
        M.compare_frames(iter([a[None]]), iter([a[None]]))


def test_comparer_of_nothing_is_empty() -> None:
    q = M.compare_frames(iter([]), iter([]))
    assert q.frames == 0 and q.ssim.size == 0


# ------------------------------------------------------------------------------------------ validation


def test_bad_inputs_raise_value_errors_naming_the_problem() -> None:
    frame = _scene()[0]
    with pytest.raises(ValueError, match="float64"):
        M.psnr(frame.astype(np.float64), frame)
    with pytest.raises(ValueError, match=r"\(48, 64\)"):
        M.ssim(frame[..., 0], frame[..., 0])
    with pytest.raises(ValueError, match=r"\(48, 64, 3\) differs from dist shape \(48, 60, 3\)"):
        M.ssim(frame, frame[:, :60])
    with pytest.raises(ValueError, match="list"):
        M.psnr(frame.tolist(), frame)
    with pytest.raises(ValueError, match=r"'exact', 'fast'"):
        M.ssim(frame, frame, flavour="vmaf")
    with pytest.raises(ValueError, match="too small"):
        M.ssim(frame[:6, :6], frame[:6, :6])
    with pytest.raises(ValueError, match="chunk"):
        M.FrameComparer(chunk=0)


# --------------------------------------------------------------------------------------------- pooling


def test_pool_statistics() -> None:
    values = np.arange(1, 101, dtype=float)
    pooled = M.pool(values)
    assert pooled == {"mean": 50.5, "p5": pytest.approx(5.95), "min": 1.0, "max": 100.0}


def test_pool_caps_infinite_psnr_and_refuses_nan() -> None:
    assert M.pool([30.0, math.inf], cap=M.PSNR_POOL_CAP_DB) == {"mean": 65.0, "p5": 33.5, "min": 30.0, "max": 100.0}
    with pytest.raises(ValueError, match="cap"):
        M.pool([30.0, math.inf])
    with pytest.raises(ValueError, match="NaN"):
        M.pool([math.nan])
    with pytest.raises(ValueError, match="empty"):
        M.pool([])


def test_summary_names_the_flavour_and_is_valid_json() -> None:
    ref = _scene(n=3)
    dist = ref.copy()
    dist[1] = _noisy(ref[1], 5)
    summary = M.compare_frames(iter(ref), iter(dist), with_exact=True).summary()
    assert summary["ssim_flavour"] == "fast" and summary["frames"] == 3
    assert summary["psnr"]["max"] == M.PSNR_POOL_CAP_DB
    assert set(summary["ssim_exact"]) == {"mean", "p5", "min", "max"}
    json.dumps(summary, allow_nan=False)
    assert set(M.SSIM_FLAVOURS) == {"fast", "exact"}


def test_result_mid_stream_then_more_frames_and_no_temp_files_left(tmp_path, monkeypatch) -> None:
    import gc
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ref = _scene(n=6, seed=8)
    dist = _noisy(ref, 6)
    comparer = M.FrameComparer(chunk=4)
    comparer.add(ref[:3], dist[:3])
    assert comparer.result().frames == 3
    comparer.add(ref[3:], dist[3:])
    np.testing.assert_array_equal(comparer.result().ssim, M.ssim(ref, dist))
    with pytest.raises(ValueError):
        M.compare_frames(iter(ref), iter(dist[:5]), chunk=100)
    gc.collect()
    assert list(tmp_path.iterdir()) == []
