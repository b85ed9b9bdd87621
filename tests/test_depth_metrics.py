"""Depth error in mm: per-frame statistics, edges, invalid pixels, the quantization floor, real encodes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lerobot_videobench.bench.depth_metrics import (
    depth_frame_error,
    depth_step_mm,
    edge_mask,
    quantization_floor,
    summarize_depth_errors,
)
from lerobot_videobench.encoding import (
    DepthEncoderConfig,
    dequantize_depth,
    encode_video_frames,
    iter_video_frames,
    quantize_depth,
)
from lerobot_videobench.episodes.depth_patterns import depth_planes, depth_ramp


def test_known_errors_are_reported_exactly():
    src = np.full((48, 64), 1000, np.uint16)
    src[:, 32:] = 2000  # one vertical step: columns 31 and 32 are edge pixels
    src[0, 0] = 0
    dec = src.astype(np.float64).copy()
    dec[10, 40] += 50  # one interior pixel off by 5 cm
    dec[5, 31] -= 200  # one edge pixel off by 20 cm
    e = depth_frame_error(src, dec, DepthEncoderConfig(), decoded_codes=quantize_depth(dec.astype(np.uint16)))
    valid = 48 * 64 - 1
    assert e.valid_pixels == valid and e.invalid_pixels == 1 and e.edge_pixels == 2 * 48
    assert e.max == 200 and e.median == 0
    assert math.isclose(e.mean, 250 / valid)
    assert math.isclose(e.edge_mean, 200 / 96) and e.edge_max == 200
    assert math.isclose(e.frac_over_1cm, 2 / valid)
    assert e.invalid_kept == 1.0 and e.spurious_invalid == 0


def test_edge_mask_ignores_invalid_pixels_and_small_steps():
    d = np.full((8, 8), 1000.0)
    d[:, 4:] = 1030  # 3 cm step: not an edge at the default 5 cm
    assert not edge_mask(d).any()
    d[:, 4:] = 3000
    assert edge_mask(d)[:, 3:5].all() and edge_mask(d).sum() == 16
    d[:, 6:] = 0  # the border of a no-return region is not a depth edge
    assert edge_mask(d).sum() == 16


def test_lost_invalid_pixels_and_spurious_zeros_are_counted():
    src = np.full((16, 16), 1500, np.uint16)
    src[:2] = 0
    dec = dequantize_depth(quantize_depth(src))
    codes = quantize_depth(src)
    codes[0, :8] = 300  # half the first invalid row comes back as depth
    codes[8, :3] = 0  # three valid pixels decode as "no return"
    e = depth_frame_error(src, dequantize_depth(codes), DepthEncoderConfig(), decoded_codes=codes)
    assert e.invalid_pixels == 32 and math.isclose(e.invalid_kept, 24 / 32) and e.spurious_invalid == 3
    e2 = depth_frame_error(src, dec, DepthEncoderConfig())  # judged on decoded mm without codes
    assert e2.invalid_kept == 1.0 and e2.spurious_invalid == 0


def test_quantization_floor_is_half_a_code_step():
    cfg = DepthEncoderConfig()
    ramp = depth_ramp(2, 48, 64, 0.3, 3.0)
    floor = quantization_floor(ramp, cfg)
    assert 0 < floor.max <= depth_step_mm(cfg, 3.0) / 2 + 0.5
    lin = DepthEncoderConfig(use_log=False)
    assert quantization_floor(ramp, lin).max <= depth_step_mm(lin, 3.0) / 2 + 0.5
    narrow = DepthEncoderConfig(depth_min=0.2, depth_max=4.0)
    assert quantization_floor(ramp, narrow).mean < floor.mean  # a tighter range buys precision


def test_real_encodes_lossless_is_the_floor_and_crf30_hurts_edges(tmp_path):
    frames = depth_planes(6, 48, 64)
    out = {}
    for name, kw in {"lossless": {}, "crf30": {"crf": 30, "extra_options": {}}}.items():
        cfg = DepthEncoderConfig(**kw)
        stats = encode_video_frames(frames, tmp_path / f"{name}.mp4", 30, cfg)
        errs = [
            depth_frame_error(f, dequantize_depth(c), cfg, decoded_codes=c)
            for f, c in zip(frames, iter_video_frames(stats.path, pix_fmt="gray12le"))
        ]
        out[name] = (stats.bytes, summarize_depth_errors(errs))
    floor = quantization_floor(frames, DepthEncoderConfig())
    assert out["lossless"][1].mean == pytest.approx(floor.mean) and out["lossless"][1].max == floor.max
    assert out["crf30"][0] < out["lossless"][0]
    assert out["crf30"][1].edge_mean > 5 * out["lossless"][1].edge_mean
    assert out["lossless"][1].invalid_kept == 1.0


def test_empty_and_mismatched_inputs_are_refused():
    with pytest.raises(ValueError, match="no frames"):
        summarize_depth_errors([])
    with pytest.raises(ValueError, match="shape"):
        depth_frame_error(np.zeros((4, 4), np.uint16), np.zeros((4, 5)))


def test_export_renders_the_depth_encoder_block():
    """A measured DepthEncoderConfig exports as --dataset.depth_encoder.* (record, quantizer fields included)
    and --operation.depth_encoder.* (reencode_videos) without them: LeRobot 0.6.1's re-encode keeps each depth
    video's recorded quantizer (dataset_tools preserves video.depth_*), so those flags would change nothing."""
    from lerobot_videobench.decide import export
    from lerobot_videobench.encoding import VideoEncoderConfig

    depth = DepthEncoderConfig(crf=10, extra_options={}, depth_max=4.0, use_log=False)
    record = export.render("lerobot-0.6", "cli", export.ExportSettings(VideoEncoderConfig(), depth_encoder=depth),
                           only_changed=True)
    assert "--dataset.depth_encoder.crf=10" in record and "--dataset.depth_encoder.depth_max=4.0" in record
    assert "--dataset.depth_encoder.use_log=false" in record.lower()
    with pytest.warns(export.ExportWarning, match="recorded quantizer"):
        edit = export.render("lerobot-0.6-edit", "cli",
                             export.ExportSettings(VideoEncoderConfig(), depth_encoder=depth), only_changed=True)
    assert "--operation.depth_encoder.crf=10" in edit and "depth_max" not in edit
