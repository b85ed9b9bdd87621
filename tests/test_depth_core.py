"""Depth core: DepthEncoderConfig, the 12-bit quantizer, depth encode/decode (arrays, TIFF folders, streaming)."""

from __future__ import annotations

import numpy as np
import pytest

import lerobot_videobench as lv
from lerobot_videobench.encoding import (
    DepthEncoderConfig,
    StreamingVideoEncoder,
    dequantize_depth,
    encode_video_frames,
    encoder_config_from_video_info,
    get_video_info,
    iter_depth_frames,
    quantize_depth,
)


def _ramp_mm(h: int = 48, w: int = 64) -> np.ndarray:
    d = np.linspace(300, 4000, h * w).reshape(h, w).astype(np.uint16)
    d[:4, :4] = 0
    return d


def test_defaults_are_lerobots():
    c = lv.depth_encoder_defaults()
    assert isinstance(c, lv.DepthEncoderConfig)
    assert (c.vcodec, c.pix_fmt, c.extra_options) == ("hevc", "gray12le", {"x265-params": "lossless=1"})
    assert (c.depth_min, c.depth_max, c.shift, c.use_log) == (0.01, 10.0, 3.5, True)
    assert c.get_codec_options(2, as_strings=True) == {"g": "2", "crf": "30", "threads": "2", "x265-params": "lossless=1"}


@pytest.mark.parametrize("kwargs,field", [
    ({"vcodec": "libsvtav1"}, "pix_fmt"),  # no 12-bit gray in SVT-AV1
    ({"vcodec": "h264"}, "pix_fmt"),
    ({"depth_min": 2.0, "depth_max": 1.0}, "depth_min"),
    ({"depth_min": float("nan")}, "depth_min"),
    ({"use_log": "yes"}, "use_log"),
    ({"shift": -1.0}, "shift"),
])
def test_bad_depth_configs_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        DepthEncoderConfig(**kwargs)


def test_from_video_info_dispatches_on_depth_markers():
    depth = encoder_config_from_video_info({"is_depth_map": True, "video.codec": "hevc", "video.pix_fmt": "gray12le",
                                            "video.depth_max": 3.0, "video.use_log": False})
    assert isinstance(depth, DepthEncoderConfig) and depth.depth_max == 3.0 and depth.use_log is False
    legacy = encoder_config_from_video_info({"video.is_depth_map": True})
    assert isinstance(legacy, DepthEncoderConfig)
    rgb = encoder_config_from_video_info({"video.codec": "av1", "video.pix_fmt": "yuv420p"})
    assert not isinstance(rgb, DepthEncoderConfig) and rgb.vcodec == "libsvtav1"


@pytest.mark.parametrize("use_log", [True, False])
def test_quantizer_codes_units_and_round_trip(use_log):
    mm = _ramp_mm()
    codes = quantize_depth(mm, use_log=use_log)
    assert codes.dtype == np.uint16 and codes.shape == mm.shape and codes.max() <= 4095
    assert (codes[:4, :4] == 0).all()  # invalid 0 mm clips to the lowest code
    # the same depth in metres maps in float32 metres: codes agree to within one rounding step
    in_m = quantize_depth(mm.astype(np.float32) / 1000, use_log=use_log)
    assert np.abs(codes.astype(int) - in_m).max() <= 1
    np.testing.assert_array_equal(codes, quantize_depth(mm[None], use_log=use_log))  # channel axis dropped
    back = dequantize_depth(codes, use_log=use_log)
    assert back.dtype == np.uint16
    valid = mm > 0
    err = np.abs(back.astype(float) - mm)[valid]
    step = 9990 / 4095 if not use_log else None
    assert err.max() <= (step / 2 + 0.5 if step else 5.0)  # log steps at <= 4 m are below 10 mm
    metres = dequantize_depth(codes, use_log=use_log, output_unit="m")
    assert metres.dtype == np.float32 and metres.min() >= 0.01 and metres.max() <= 10.0
    with pytest.raises(ValueError, match="input_unit"):
        quantize_depth(mm, input_unit="cm")
    with pytest.raises(ValueError, match="output_unit"):
        dequantize_depth(codes, output_unit="cm")


def test_log_mode_spends_codes_near_the_camera():
    near = quantize_depth(np.array([[500, 510]], np.uint16))
    far = quantize_depth(np.array([[9000, 9010]], np.uint16))
    assert int(near[0, 1]) - int(near[0, 0]) > int(far[0, 1]) - int(far[0, 0])


@pytest.mark.parametrize("as_metres", [False, True])
def test_lossless_encode_decodes_to_the_quantizer(tmp_path, as_metres):
    frames = [np.roll(_ramp_mm(), 3 * i, axis=1) for i in range(8)]
    if as_metres:
        frames = [f.astype(np.float32) / 1000 for f in frames]
    cfg = DepthEncoderConfig()
    stats = encode_video_frames(frames, tmp_path / "d.mp4", 30, cfg)
    assert stats.frames == 8 and stats.pix_fmt == "gray12le"
    info = get_video_info(tmp_path / "d.mp4", cfg)
    assert info["is_depth_map"] is True and info["video.pix_fmt"] == "gray12le" and info["video.depth_max"] == 10.0
    decoded = list(iter_depth_frames(tmp_path / "d.mp4", cfg))
    assert len(decoded) == 8
    for f, d in zip(frames, decoded):
        np.testing.assert_array_equal(d, dequantize_depth(quantize_depth(f)))


def test_lossy_encode_differs_and_tiff_folder_matches_arrays(tmp_path):
    from PIL import Image

    frames = [np.roll(_ramp_mm(), 3 * i, axis=0) for i in range(6)]
    folder = tmp_path / "tiff"
    folder.mkdir()
    for i, f in enumerate(frames):
        Image.fromarray(f).save(folder / f"frame-{i:06d}.tiff")
    cfg = DepthEncoderConfig(crf=35, extra_options={})
    a = encode_video_frames(frames, tmp_path / "a.mp4", 30, cfg)
    b = encode_video_frames(folder, tmp_path / "b.mp4", 30, cfg)
    assert a.frames == b.frames == 6
    da, db = list(iter_depth_frames(a.path, cfg)), list(iter_depth_frames(b.path, cfg))
    for x, y in zip(da, db):
        np.testing.assert_array_equal(x, y)
    exact = [dequantize_depth(quantize_depth(f)) for f in frames]
    assert any((x != e).any() for x, e in zip(da, exact))


def test_bad_depth_frames_are_refused(tmp_path):
    with pytest.raises(ValueError, match="depth frame 0"):
        encode_video_frames([np.zeros((48, 64, 3), np.uint16)], tmp_path / "x.mp4", 30, DepthEncoderConfig())
    with pytest.raises(ValueError, match="depth frame 1"):
        encode_video_frames([np.zeros((48, 64), np.uint16), np.zeros((40, 64), np.uint16)], tmp_path / "y.mp4", 30,
                            DepthEncoderConfig())
    with pytest.raises(FileNotFoundError, match="tiff"):
        encode_video_frames(tmp_path, tmp_path / "z.mp4", 30, DepthEncoderConfig())


def test_streaming_encoder_takes_depth_keys(tmp_path):
    rgb = [np.full((48, 64, 3), 10 * i, np.uint8) for i in range(4)]
    depth = [np.roll(_ramp_mm(), i, axis=1)[..., None] for i in range(4)]
    enc = StreamingVideoEncoder(30, depth_encoder=DepthEncoderConfig())
    enc.start_episode(["rgb", "depth"], tmp_path, depth_video_keys=["depth"])
    for r, d in zip(rgb, depth):
        enc.feed_frame("rgb", r)
        enc.feed_frame("depth", d)
    out = enc.finish_episode()
    assert out["depth"].vcodec == "hevc" and out["depth"].frames_encoded == 4
    assert get_video_info(out["depth"].path)["video.pix_fmt"] == "gray12le"
    assert get_video_info(out["rgb"].path)["video.pix_fmt"] == "yuv420p"
    got = list(iter_depth_frames(out["depth"].path))
    for d, g in zip(depth, got):
        np.testing.assert_array_equal(g, dequantize_depth(quantize_depth(d)))
    with pytest.raises(ValueError, match="depth_video_keys"):
        enc.start_episode(["rgb"], tmp_path, depth_video_keys=["depth"])
