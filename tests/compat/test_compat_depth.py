"""Depth identity with the real LeRobot 0.6: config fields and options, quantizer codes, dequantized
depth, and the frames of encoded depth videos (run in the py3.12 venv that has ``lerobot``)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lerobot_videobench.encoding import (
    DepthEncoderConfig,
    dequantize_depth,
    encode_video_frames,
    encoder_config_from_video_info,
    iter_depth_frames,
    quantize_depth,
)
from lerobot_videobench.encoding.video_files import iter_video_frames

pytestmark = pytest.mark.lerobot

#: (depth_min, depth_max, shift) in metres: LeRobot's default, a tabletop range, a far range.
RANGES = [(0.01, 10.0, 3.5), (0.2, 1.5, 0.5), (0.5, 20.0, 1.0)]


def _depth_maps(depth_min: float, depth_max: float, seed: int = 0) -> dict[str, np.ndarray]:
    """64x48 maps in m and mm: a ramp beyond both ends of the range, planes with edges, noise, zeros."""
    rng = np.random.default_rng(seed)
    h, w = 48, 64
    ramp = np.linspace(depth_min * 0.5, depth_max * 1.2, h * w, dtype=np.float64).reshape(h, w)
    planes = np.where(np.arange(w)[None, :] < w // 2, depth_min * 2, depth_max * 0.7) * np.ones((h, 1))
    noisy = rng.uniform(depth_min, depth_max, (h, w))
    maps_m = [ramp, planes, noisy]
    for m in maps_m:
        m[:3, :3] = 0.0
    out: dict[str, np.ndarray] = {}
    for i, m in enumerate(maps_m):
        out[f"m{i}"] = m.astype(np.float32)
        out[f"mm{i}"] = np.rint(m * 1000).astype(np.uint16)
    return out


@pytest.mark.parametrize("depth_min,depth_max,shift", RANGES)
@pytest.mark.parametrize("use_log", [True, False])
def test_quantize_and_dequantize_identical(lerobot_pkg, depth_min, depth_max, shift, use_log):
    from lerobot.datasets import depth_utils as lr

    for name, depth in _depth_maps(depth_min, depth_max).items():
        for unit in ("auto", "m", "mm"):
            ours = quantize_depth(depth, depth_min, depth_max, shift, use_log, input_unit=unit)
            theirs = lr.quantize_depth(
                depth, depth_min, depth_max, shift, use_log, video_backend=None, input_unit=unit
            )
            assert ours.dtype == theirs.dtype == np.uint16
            np.testing.assert_array_equal(ours, theirs, err_msg=f"{name} unit={unit}")
        # a channel axis is dropped as LeRobot drops it
        np.testing.assert_array_equal(
            quantize_depth(depth[..., None], depth_min, depth_max, shift, use_log),
            lr.quantize_depth(depth[..., None], depth_min, depth_max, shift, use_log, video_backend=None),
        )
        codes = quantize_depth(depth, depth_min, depth_max, shift, use_log)
        for out_unit in ("mm", "m"):
            ours = dequantize_depth(codes, depth_min, depth_max, shift, use_log, output_unit=out_unit)
            theirs = lr.dequantize_depth(
                codes, depth_min, depth_max, shift, use_log, output_unit=out_unit, output_tensor=False
            )
            assert ours.dtype == theirs.dtype
            np.testing.assert_array_equal(ours, np.squeeze(theirs, axis=0), err_msg=f"{name} -> {out_unit}")


def test_all_codes_round_trip_identically(lerobot_pkg):
    from lerobot.datasets import depth_utils as lr

    codes = np.arange(4096, dtype=np.uint16).reshape(64, 64)
    for depth_min, depth_max, shift in RANGES:
        for use_log in (True, False):
            for unit in ("mm", "m"):
                ours = dequantize_depth(codes, depth_min, depth_max, shift, use_log, output_unit=unit)
                theirs = lr.dequantize_depth(codes, depth_min, depth_max, shift, use_log, output_unit=unit,
                                             output_tensor=False)[0]
                np.testing.assert_array_equal(ours, theirs)


def test_config_fields_defaults_and_options_identical(lerobot_pkg):
    from lerobot.configs import video as lr

    ours, theirs = DepthEncoderConfig(), lr.DepthEncoderConfig()
    assert [f.name for f in dataclasses.fields(ours)] == [f.name for f in dataclasses.fields(theirs)]
    assert dataclasses.asdict(ours) == dataclasses.asdict(theirs)
    for kwargs in (
        {},
        {"crf": 0, "extra_options": {}},
        {"crf": 30, "preset": "fast", "g": 10, "extra_options": {"x265-params": "lossless=0"}},
        {"fast_decode": 1, "depth_max": 2.0, "use_log": False},
        {"vcodec": "libaom-av1", "crf": 20, "extra_options": {}},
    ):
        o, t = DepthEncoderConfig(**kwargs), lr.DepthEncoderConfig(**kwargs)
        assert dataclasses.asdict(o) == dataclasses.asdict(t), kwargs
        for threads in (None, 2):
            assert o.get_codec_options(threads, as_strings=True) == t.get_codec_options(threads, as_strings=True)


@pytest.mark.parametrize("vcodec,pix_fmt", [
    ("hevc", "gray12le"), ("libaom-av1", "gray12le"), ("libsvtav1", "gray12le"), ("h264", "gray12le"),
    ("h264", "gray10le"), ("hevc", "yuv420p"),
])
def test_codec_acceptance_identical(lerobot_pkg, vcodec, pix_fmt):
    """Which codec/pixel-format pairs a depth config accepts: the same on both sides."""
    from lerobot.configs import video as lr

    def accepts(cls):
        try:
            cls(vcodec=vcodec, pix_fmt=pix_fmt, extra_options={})
            return True
        except ValueError:
            return False

    assert accepts(DepthEncoderConfig) == accepts(lr.DepthEncoderConfig)


def test_encoder_config_from_video_info_identical(lerobot_pkg):
    from lerobot.configs import video as lr

    infos = [
        {"is_depth_map": True, "video.codec": "hevc", "video.pix_fmt": "gray12le", "video.depth_max": 3.0,
         "video.use_log": False, "video.crf": 10, "video.extra_options": {}},
        {"video.is_depth_map": True, "video.codec": "hevc", "video.pix_fmt": "gray12le", "video.shift": 1.0},
        {"is_depth_map": False, "video.codec": "av1", "video.pix_fmt": "yuv420p", "video.crf": 25},
        None,
    ]
    for info in infos:
        o, t = encoder_config_from_video_info(info), lr.encoder_config_from_video_info(info)
        assert type(o).__name__.replace("Video", "RGB") == type(t).__name__ or type(o).__name__ == type(t).__name__
        assert dataclasses.asdict(o) == dataclasses.asdict(t), info


def _lr_encode_arrays(lr_video, tmp_path, frames, config):
    """Encode arrays with LeRobot's own ``encode_video_frames`` through its TIFF folder layout."""
    from PIL import Image

    d = tmp_path / "lr_frames"
    d.mkdir()
    for i, f in enumerate(frames):
        Image.fromarray(f).save(d / f"frame-{i:06d}.tiff")
    out = tmp_path / "lr.mp4"
    lr_video.encode_video_frames(d, out, 30, video_encoder=config)
    return d, out


@pytest.mark.parametrize("unit", ["mm", "m"])
@pytest.mark.parametrize("depth_min,depth_max,shift,use_log,lossless", [
    (0.01, 10.0, 3.5, True, True), (0.2, 1.5, 0.5, False, True), (0.5, 20.0, 1.0, True, False),
])
def test_encoded_frames_identical(lerobot_pkg, tmp_path, unit, depth_min, depth_max, shift, use_log, lossless):
    """Same depth frames through LeRobot's encode_video_frames (TIFF folder) and ours (arrays and the
    same TIFF folder): the decoded gray12le codes are identical, and lossless ones equal the quantizer's."""
    from lerobot.configs import video as lrc
    from lerobot.datasets import video_utils as lrv

    kw = dict(depth_min=depth_min, depth_max=depth_max, shift=shift, use_log=use_log)
    if not lossless:
        kw.update(crf=28, extra_options={})
    maps = _depth_maps(depth_min, depth_max, seed=1)
    base = maps[f"{unit}0"]
    frames = [np.roll(base, 2 * i, axis=1) for i in range(6)]
    tiffs, lr_mp4 = _lr_encode_arrays(lrv, tmp_path, frames, lrc.DepthEncoderConfig(**kw))
    ours_arrays = tmp_path / "ours_arrays.mp4"
    ours_tiffs = tmp_path / "ours_tiffs.mp4"
    encode_video_frames(frames, ours_arrays, 30, DepthEncoderConfig(**kw))
    encode_video_frames(tiffs, ours_tiffs, 30, DepthEncoderConfig(**kw))
    theirs = list(iter_video_frames(lr_mp4, pix_fmt="gray12le"))
    for path in (ours_arrays, ours_tiffs):
        ours = list(iter_video_frames(path, pix_fmt="gray12le"))
        assert len(ours) == len(theirs) == len(frames)
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a, b)
    # LeRobot's reader (pyav, gray12le) + its dequantizer == ours
    cfg = DepthEncoderConfig(**kw)
    ts = [i / 30 for i in range(len(frames))]
    lr_codes = lrv.decode_video_frames(lr_mp4, ts, 1e-4, backend="pyav", is_depth=True).numpy()
    from lerobot.datasets import depth_utils as lrd

    lr_mm = lrd.dequantize_depth(lr_codes, **cfg.quantizer(), output_unit="mm", output_tensor=False)
    ours_mm = np.stack(list(iter_depth_frames(ours_arrays, cfg)))
    np.testing.assert_array_equal(ours_mm, lr_mm[:, 0])
    if lossless:
        for a, f in zip(theirs, frames):
            np.testing.assert_array_equal(a, quantize_depth(f, **cfg.quantizer()))


def test_streaming_depth_frames_identical(lerobot_pkg, tmp_path):
    """LeRobot's StreamingVideoEncoder with a depth key and ours produce the same codes."""
    from lerobot.configs import video as lrc
    from lerobot.datasets import video_utils as lrv

    from lerobot_videobench.encoding import StreamingVideoEncoder

    frames = [np.roll(_depth_maps(0.01, 10.0)["mm0"], i, axis=0)[..., None] for i in range(5)]
    lr_enc = lrv.StreamingVideoEncoder(fps=30, depth_encoder=lrc.DepthEncoderConfig())
    (tmp_path / "lr").mkdir()
    lr_enc.start_episode(["depth"], tmp_path / "lr", depth_video_keys=["depth"])
    for f in frames:
        lr_enc.feed_frame("depth", f)
    lr_out = lr_enc.finish_episode()
    lr_path = lr_out["depth"][0]
    ours = StreamingVideoEncoder(30, depth_encoder=DepthEncoderConfig())
    ours.start_episode(["depth"], tmp_path / "ours", depth_video_keys=["depth"])
    for f in frames:
        ours.feed_frame("depth", f)
    res = ours.finish_episode()["depth"]
    a = list(iter_video_frames(lr_path, pix_fmt="gray12le"))
    b = list(iter_video_frames(res.path, pix_fmt="gray12le"))
    assert len(a) == len(b) == 5
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
