"""Opening a stored depth trial frame by frame: source and decoded depth in mm, error, worst frames."""

from __future__ import annotations

import numpy as np
import pytest

from lerobot_videobench.bench import MeasureSettings, run_sweep
from lerobot_videobench.bench.frames import open_trial
from lerobot_videobench.encoding.depth import dequantize_depth, quantize_depth
from lerobot_videobench.episodes import episode_from_arrays
from lerobot_videobench.episodes.depth_patterns import depth_planes

FAST = MeasureSettings(access_samples=2, png_samples=1, decoder="pyav")
GRID = {"kind": "depth", "vcodec": ["hevc"], "lossless": [True, False], "crf": [35], "g": [2]}


@pytest.fixture(scope="module")
def depth_store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("depth-frames")
    frames = depth_planes(6, 48, 64)
    ep = episode_from_arrays(frames, camera="observation.images.depth")
    summary = run_sweep([ep], GRID, tmp / "d.sqlite", workers=1, settings=FAST, cache_dir=tmp / "cache")
    assert summary.failed == 0
    return tmp, summary, frames


def _open(depth_store, lossless: bool):
    tmp, summary, _ = depth_store
    for key in summary.keys:
        t = open_trial(tmp / "d.sqlite", key, cache_dir=tmp / "cache")
        if ("lossless=1" in t.label) == lossless:
            return t
    raise AssertionError("trial not found")


def test_lossless_depth_trial_decodes_to_the_quantizer_floor(depth_store):
    _, _, frames = depth_store
    t = _open(depth_store, lossless=True)
    assert t.is_depth and set(t.quantizer) == {"depth_min", "depth_max", "shift", "use_log"}
    src, enc = t.source_frame(3), t.encoded_frame(3)
    assert src.dtype == np.uint16 and src.shape == (48, 64)
    np.testing.assert_array_equal(src, frames[3])
    floor = dequantize_depth(quantize_depth(frames[3], **t.quantizer, input_unit="mm"), **t.quantizer)
    np.testing.assert_array_equal(enc, floor)


def test_lossy_depth_trial_ranks_its_worst_frames_by_largest_error(depth_store):
    t = _open(depth_store, lossless=False)
    errors = t.quality()
    assert len(errors) == t.num_frames and errors.max() > 0
    worst = t.worst_frames(3)
    assert errors[worst[0]] == errors.max()
    assert list(errors[worst]) == sorted(errors[worst], reverse=True)
    diff = t.difference(worst[0])
    assert diff.shape == (48, 64) and diff.max() > 0
    assert (diff[:, :2] == 0).all()  # the invalid strip carries no error figure


def test_frame_panel_shows_depth_colour_error_heatmap_and_trace(depth_store):
    from lerobot_videobench.widgets.frames import FramePanel

    tmp, summary, _ = depth_store
    t = _open(depth_store, lossless=False)
    panel = FramePanel(store=tmp / "d.sqlite", cache_dir=tmp / "cache")
    panel.show(t.key)
    assert panel.error is None, panel.status.value
    assert panel.source_image.value[:4] == b"\x89PNG" and panel.diff_image.value[:4] == b"\x89PNG"
    assert "depth error" in panel.diff_caption.value and "mm" in panel.diff_caption.value
    assert panel.gain.layout.display == "none"  # a gain means nothing for an error in mm
    assert " mm" in panel.frame_info.value and "SSIM" not in panel.frame_info.value
    names = [tr.name for tr in panel.quality_figure.data]
    assert "mean depth error (mm)" in names and any("quantization floor" in str(n) for n in names)
    assert panel.goto_worst(0) == t.worst_frames(1)[0]


def test_frame_quality_figure_of_a_depth_trial_circles_the_largest_errors(depth_store):
    from lerobot_videobench.report.figures import frame_quality_figure

    t = _open(depth_store, lossless=False)
    fig = frame_quality_figure(t, worst=2)
    worst = next(tr for tr in fig.data if str(tr.name).startswith("worst"))
    assert list(worst.x) == t.worst_frames(2)
    assert "depth error" in fig.layout.title.text


def test_report_has_a_depth_section_with_error_vs_size_and_the_quantization_floor(depth_store, tmp_path):
    from lerobot_videobench.report import build_report

    tmp, summary, _ = depth_store
    out = build_report(tmp / "d.sqlite", tmp_path / "r.html", cache_dir=tmp / "cache")
    page = out.read_text()
    assert '<section id="depth"><h2>Depth cameras</h2>' in page
    assert "Quantization floor (12-bit mapping, no codec)" in page
    assert "depth error, mean over valid pixels (mm)" in page
    assert page.count(" mm</td>") >= 6
    # the exported config is the depth_encoder block, never the RGB encoder's
    export = page[page.index('<section id="export">'):]
    export = export[:export.index("</section>")]
    assert "--dataset.depth_encoder.vcodec=hevc" in export and "--dataset.rgb_encoder.vcodec" not in export


def test_report_of_an_rgb_store_has_no_depth_section(tmp_path):
    from lerobot_videobench.episodes import episode_from_arrays
    from lerobot_videobench.report import build_report

    rng = np.random.default_rng(1)
    ep = episode_from_arrays([rng.integers(0, 255, (48, 64, 3), dtype=np.uint8) for _ in range(4)])
    run_sweep([ep], {"vcodec": ["h264"], "crf": [30], "g": [2]}, tmp_path / "r.sqlite", workers=1, settings=FAST,
              cache_dir=tmp_path / "cache")
    page = build_report(tmp_path / "r.sqlite", tmp_path / "r.html", cache_dir=tmp_path / "cache").read_text()
    assert 'id="depth"' not in page
