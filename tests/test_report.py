"""Figures, the self-contained HTML report and the ``report`` CLI, on a tiny real sweep."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from PIL import Image

from lerobot_videobench.bench import ResultStore, load_results, run_sweep, summarize
from lerobot_videobench.bench.frames import open_trial
from lerobot_videobench.bench.trial import MeasureSettings
from lerobot_videobench.cli import main
from lerobot_videobench.decide.realtime import RealtimeReport, check_realtime
from lerobot_videobench.encoding import VideoEncoderConfig
from lerobot_videobench.episodes import episode_from_arrays
from lerobot_videobench.report import figures
from lerobot_videobench.report.html import build_report
from lerobot_videobench.report.images import data_uri, png_bytes, thumbnail

GRID = {"vcodec": ["libsvtav1", "h264"], "crf": {"libsvtav1": [30, 45], "h264": [23, 35]}, "g": [2]}
#: x264 rejects a malformed x264-params string when the encoder opens: a trial that fails at encode time.
FAILING_GRID = {"vcodec": ["h264"], "crf": [23], "g": [2], "extra_options": [{"x264-params": "bogus"}]}
SETTINGS = MeasureSettings(access_samples=3, png_samples=1)
DEFAULT_LABEL = "libsvtav1 crf30 g2 p12 yuv420p"


def moving_texture(n: int = 10, h: int = 48, w: int = 64) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    tex = rng.normal(0, 20, (h, w * 2, 3))
    frames = []
    for i in range(n):
        base = np.stack([128 + 80 * np.sin((xx + 2 * i) / (6 + c)) * np.cos((yy + i) / (8 + c)) for c in range(3)], -1)
        frames.append(np.clip(base + tex[:, 2 * i : 2 * i + w], 0, 255).astype(np.uint8))
    return frames


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """A store with 4 ok trials (LeRobot's default among them) and 1 failed trial, videos kept."""
    root = tmp_path_factory.mktemp("report")
    episode = episode_from_arrays(moving_texture(), fps=30, camera="observation.images.top")
    store = root / "results.sqlite"
    cache = root / "cache"
    ok = run_sweep(episode, GRID, store, workers=1, cache_dir=cache, settings=SETTINGS)
    assert ok.failed == 0
    bad = run_sweep(episode, FAILING_GRID, store, workers=1, cache_dir=cache, settings=SETTINGS)
    assert bad.failed == 1
    return {"store": store, "cache": cache, "root": root, "episode": episode, "results": load_results(store)}


# ---------------------------------------------------------------------------------------------- images
def test_png_bytes_and_thumbnail():
    frame = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png_bytes(frame)))), frame)
    small = Image.open(io.BytesIO(thumbnail(frame, max_width=320)))
    assert small.size == (320, 240)
    tiny = Image.open(io.BytesIO(thumbnail(frame[:48, :64])))
    assert tiny.size == (64, 48)  # never upscaled
    grey = Image.open(io.BytesIO(png_bytes(np.full((4, 6), 300.0))))
    assert grey.size == (6, 4) and np.asarray(grey).max() == 255
    assert data_uri(b"\x89PNG").startswith("data:image/png;base64,")
    with pytest.raises(ValueError, match="shape"):
        png_bytes(np.zeros((4, 4, 2), dtype=np.uint8))


# ---------------------------------------------------------------------------------------------- figures
def _keys(fig: go.Figure) -> set[str]:
    return {row[0] for trace in fig.data if trace.customdata is not None for row in trace.customdata}


def test_pareto_figure_points_front_and_keys(sweep):
    results = sweep["results"]
    fig = figures.pareto_figure(results)
    assert isinstance(fig, go.Figure)
    names = [t.name for t in fig.data]
    assert names[:2] == ["libsvtav1", "h264"] or set(names[:2]) == {"libsvtav1", "h264"}
    assert names[-1] == "Pareto front"
    ok_keys = set(results.loc[results["status"] == "ok", "key"])
    assert _keys(fig) <= ok_keys and len(_keys(fig)) == 4
    for trace in fig.data:
        assert all(len(row) == 2 and row[0] in ok_keys for row in trace.customdata)
    svt = next(t for t in fig.data if t.name == "libsvtav1")
    assert svt.marker.color == figures.codec_color("libsvtav1")
    assert len(set(svt.marker.size)) == 2  # marker size follows encode speed
    assert "fast SSIM" in fig.layout.yaxis.title.text and "bytes" in fig.layout.xaxis.title.text
    front = fig.data[-1]
    assert list(front.x) == sorted(front.x)
    # an already summarised table works too (no trial keys to carry)
    assert len(figures.pareto_figure(summarize(results)).data) == len(fig.data)
    # other axes: speed (max is better) and load time (min is better)
    assert figures.pareto_figure(results, y="realtime_factor").data[-1].name == "Pareto front"
    assert figures.pareto_figure(results, y="load_1_frame_p50_ms", size=None).data


def test_figures_handle_empty_input():
    for results in (pd.DataFrame(), None):
        fig = figures.pareto_figure(results)
        assert len(fig.data) == 0 and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
        fig = figures.rate_quality_figure(results)
        assert len(fig.data) == 0 and fig.layout.xaxis.title.text == figures.axis_title("bits_per_pixel")
    empty = RealtimeReport(config={}, label="x", cameras=0, width=64, height=48, fps=30, seconds=1.0,
                           encoder_threads=None, queue_maxsize=30, frames_source="none")
    assert [t.name for t in figures.queue_depth_figure(empty).data] == ["queue max (30)"]
    assert all(len(t.x) == 0 for t in figures.realtime_bars_figure(empty).data)


def test_rate_quality_figure_sorted_per_codec(sweep):
    fig = figures.rate_quality_figure(sweep["results"], metric="psnr_mean")
    assert {t.name for t in fig.data} == {"libsvtav1", "h264"}
    for trace in fig.data:
        assert list(trace.x) == sorted(trace.x) and len(trace.x) == 2
        assert all("crf" in h for h in trace.hovertext)
        assert trace.line.color == figures.codec_color(trace.name)
    assert len(_keys(fig)) == 4
    # curves split by a setting that varies within a codec
    extra = sweep["results"].copy()
    extra.loc[extra["config.vcodec"] == "h264", "config.g"] = [10, 2, 2]
    split = figures.rate_quality_figure(extra)
    assert {t.name for t in split.data} >= {"h264 g=10", "h264 g=2"}


def test_frame_quality_figure(sweep):
    results = sweep["results"]
    key = results.loc[results["label"] == DEFAULT_LABEL, "key"].iloc[0]
    tf = open_trial(sweep["store"], key, cache_dir=sweep["cache"])
    fig = figures.frame_quality_figure(tf)
    by_name = {t.name: t for t in fig.data}
    assert set(by_name) == {"SSIM [fast]", "PSNR (dB)", "GOP start (keyframe)", "worst 3 frames"}
    assert by_name["PSNR (dB)"].yaxis == "y2" and fig.layout.yaxis2.overlaying == "y"
    assert [x for x in by_name["GOP start (keyframe)"].x if x is not None][::2] == tf.keyframes == [0, 2, 4, 6, 8]
    assert list(by_name["worst 3 frames"].x) == tf.worst_frames(3)
    assert list(by_name["SSIM [fast]"].customdata) == list(range(tf.num_frames))
    failed_key = results.loc[results["status"] == "failed", "key"].iloc[0]
    assert len(figures.frame_quality_figure(open_trial(sweep["store"], failed_key)).data) == 0
    with pytest.raises(ValueError, match="metrics"):
        figures.frame_quality_figure(tf, metrics=("vmaf",))


def test_realtime_figures():
    frames = moving_texture(6)
    report = check_realtime(VideoEncoderConfig(vcodec="h264", crf=30, g=2), cameras=2, width=64, height=48, fps=30,
                            seconds=0.3, frames=frames)
    fig = figures.queue_depth_figure(report)
    assert [t.name for t in fig.data] == ["cam0", "cam1", "queue max (30)"]
    assert fig.data[-1].line.dash == "dash" and set(fig.data[-1].y) == {30}
    bars = figures.realtime_bars_figure(report)
    assert [t.name for t in bars.data] == ["fed", "encoded", "dropped"]
    assert list(bars.data[0].x) == ["cam0", "cam1"]
    assert sum(bars.data[0].y) == report.frames_fed


# ---------------------------------------------------------------------------------------------- report
def _without_plotlyjs(text: str) -> str:
    start = text.rindex("<script", 0, text.index("* plotly.js v"))
    return text[:start] + text[text.index("</script>", start):]


def _images(text: str) -> int:
    """Inlined PNGs of the report itself (plotly.js carries one data URI of its own)."""
    return _without_plotlyjs(text).count("data:image/png;base64,")


def test_build_report_is_self_contained_and_complete(sweep, tmp_path):
    out = build_report(sweep["store"], tmp_path / "reports" / "tiny.html", title="Tiny <sweep>",
                       cache_dir=sweep["cache"], fps=1)  # a real-time need no encode misses, even under load
    text = out.read_text(encoding="utf-8")
    assert out.stat().st_size < 8_000_000
    assert text.count("* plotly.js v") == 1  # the library inlined once
    assert "<script src" not in text and "<link" not in text
    rest = _without_plotlyjs(text)
    assert not re.search(r"""(src|href)=["']?https?:""", rest)
    assert "Tiny &lt;sweep&gt;" in text and "<sweep>" not in rest  # escaped
    # summary with every configuration, the recommendation and the default highlighted
    for label in sweep["results"]["label"].unique():
        assert label in text
    rec_label = "h264 crf35 g2 yuv420p"  # smallest; real-time at 1 fps holds for all
    assert f'<tr class="rec"><td class="l">{rec_label}<span class="badge rec">' in text
    assert '<tr class="default"><td class="l">' + DEFAULT_LABEL in text
    assert f"Recommended: {rec_label}" in text and "the smallest of the configurations" in text
    # exported snippet, thumbnails, failures, versions
    assert "--dataset.rgb_encoder.crf=35" in text and "rgb_encoder:" in text
    assert _images(text) == 2 * 3 * 6  # 2 configs x 3 worst frames x (3 thumbnails + 3 crops at 1:1)
    assert text.count('class="crop"') == 2 * 3 * 3 and "1:1" in text
    assert "Failed trials" in text and "avcodec_open2" in text and "x264-params=bogus" in text
    assert "libavcodec" in text and "pyav" in text and "CPU count" in text
    assert "Library versions stored with the results" in text
    assert "5 (1 failed, 4 ok)" in text


def test_build_report_with_constraints_and_realtime(sweep, tmp_path):
    report = RealtimeReport(
        config={}, label="h264 crf35 g2 yuv420p", cameras=1, width=64, height=48, fps=30, seconds=1.0,
        encoder_threads=None, queue_maxsize=30, frames_source="test", per_camera=[
            {"key": "observation.images.top", "frames_fed": 30, "frames_encoded": 30, "frames_dropped": 0,
             "max_queue_depth": 2, "realtime_factor": 9.0}],
        queue_depth_t=[0.0, 0.5, 1.0], queue_depth={"observation.images.top": [0, 2, 1]}, verdict="realtime",
        message="No frame dropped.",
    )
    out = build_report(sweep["store"], tmp_path / "r.html", min_ssim=0.99, realtime=report, cache_dir=sweep["cache"])
    text = out.read_text(encoding="utf-8")
    assert "No measured configuration meets every constraint" in text and "min_ssim" in text
    assert "Nothing to export" in text
    assert "No frame dropped." in text and "queue max (30)" in text
    assert text.count("* plotly.js v") == 1
    # only LeRobot's default gets thumbnails when nothing is recommended
    assert _images(text) == 3 * 6


def test_report_degrades_without_source_frames_or_videos(sweep, tmp_path):
    out = build_report(sweep["store"], tmp_path / "nocache.html", cache_dir=tmp_path / "empty-cache")
    text = out.read_text(encoding="utf-8")
    assert "source frame not available" in text
    assert _images(text) == 2 * 3  # encoded frames only
    store = tmp_path / "novideo.sqlite"
    run_sweep(sweep["episode"], {"vcodec": ["h264"], "crf": [30], "g": [2]}, store, workers=1,
              cache_dir=sweep["cache"], settings=SETTINGS, keep_videos=False)
    text = build_report(store, tmp_path / "novideo.html", cache_dir=sweep["cache"]).read_text(encoding="utf-8")
    assert "encoded frame not available" in text and "was not kept" in text
    assert _images(text) == 3  # source frames only


def test_report_of_an_empty_store(tmp_path):
    ResultStore(tmp_path / "empty.sqlite")
    text = build_report(tmp_path / "empty.sqlite", tmp_path / "empty.html").read_text(encoding="utf-8")
    assert "no trial yet" in text and text.count("* plotly.js v") == 1
    with pytest.raises(FileNotFoundError):
        build_report(tmp_path / "missing.sqlite", tmp_path / "x.html")


def test_report_restricted_to_keys(sweep, tmp_path):
    """A report of one sweep's keys leaves out the other trials of the same store (here: the failed one)."""
    ok_keys = sweep["results"].loc[sweep["results"]["status"] == "ok", "key"].tolist()
    text = build_report(sweep["store"], tmp_path / "ok.html", keys=ok_keys).read_text(encoding="utf-8")
    everything = build_report(sweep["store"], tmp_path / "all.html").read_text(encoding="utf-8")
    assert f"{len(ok_keys)} ({len(ok_keys)} ok)" in text
    assert "failed" in everything and f"{len(ok_keys) + 1} (" in everything


def test_report_cli(sweep, tmp_path, capsys):
    out = tmp_path / "cli" / "NAME.html"
    code = main(["report", str(sweep["store"]), "--out", str(out), "--title", "CLI report", "--min-psnr", "20",
                 "--cameras", "2", "--fps", "1", "--codecs", "libsvtav1", "--cache-dir", str(sweep["cache"])])
    assert code == 0
    assert capsys.readouterr().out.strip() == str(out)
    text = out.read_text(encoding="utf-8")
    assert "CLI report" in text and "2 camera(s) x 1 fps" in text
    assert "Recommended: libsvtav1 crf45 g2 p12 yuv420p" in text
    assert main(["report", str(tmp_path / "missing.sqlite"), "--out", str(tmp_path / "m.html")]) == 2
