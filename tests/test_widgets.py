"""Tests for the ipywidgets panels, driven through their public API only (set widget values, click
buttons, wait for background work), without a browser: a tiny LeRobot dataset (64x48, 12 frames),
real sweeps in worker processes, a real store, a real real-time check."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from plotly.callbacks import Points

from lerobot_videobench.bench import MeasureSettings
from lerobot_videobench.bench.frames import open_trial
from lerobot_videobench.widgets import (
    ExplorerPanel,
    ExportPanel,
    FramePanel,
    RealtimePanel,
    Selection,
    SourcePanel,
    SweepPanel,
    Workbench,
)
from lerobot_videobench.widgets.copy import CopyButton

TOP, WRIST = "observation.images.top", "observation.images.wrist"
FAST = MeasureSettings(access_samples=2, png_samples=1)
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def _set_grid(sweep: SweepPanel) -> None:
    """Three trials through the grid widgets: two h264 crf values and one SVT-AV1."""
    sweep.mode.value = "widgets"
    sweep.codecs.value = ("h264", "libsvtav1")
    sweep.crf.value = "h264: 23, 30; libsvtav1: 40"
    sweep.preset.value = "h264: veryfast; libsvtav1: 12"
    sweep.g.value = "4"
    sweep.pix_fmt.value = ()
    sweep.threads.value = "1"
    sweep.workers.value = 1


def _swept_workbench(dataset: Path, cache: Path, store: Path) -> Workbench:
    bench = Workbench(source=str(dataset), store=store, grid="quick", cache_dir=cache, settings=FAST)
    bench.source.episodes_select.value = (0,)
    bench.source.cameras_select.value = (TOP,)
    _set_grid(bench.sweep)
    bench.sweep.run_button.click()
    summary = bench.sweep.wait(timeout=120)
    assert summary is not None and not summary.cancelled, bench.sweep.status.value
    return bench


@pytest.fixture(scope="session")
def swept_store(tiny_dataset: Path, frame_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The results of the three-trial sweep, measured once per session (clicked in a workbench)."""
    store = tmp_path_factory.mktemp("store") / "results.sqlite"
    _swept_workbench(tiny_dataset, frame_cache, store)
    return store


@pytest.fixture
def wb(tiny_dataset: Path, frame_cache: Path, swept_store: Path, tmp_path: Path) -> Workbench:
    """A fresh workbench per test on its own copy of the swept store; its sweep (clicked, waited for) finds
    every trial in the store, so each test starts from the state a user has after the first sweep."""
    store = tmp_path / "results.sqlite"
    shutil.copy(swept_store, store)
    return _swept_workbench(tiny_dataset, frame_cache, store)


# ---------------------------------------------------------------------------------------------- source
def test_source_panel_loads_previews_and_selects(tiny_dataset: Path, frame_cache: Path) -> None:
    panel = SourcePanel(str(tiny_dataset))
    assert panel.error is None
    assert [v for _, v in panel.episodes_select.options] == [0, 1]
    assert set(panel.cameras_select.value) == {TOP, WRIST}
    assert "episodes" in panel.info_html.value and "64x48" in panel.info_html.value
    first = panel.preview.value
    assert first[:4] == b"\x89PNG"
    panel.preview_slider.value = 6
    assert panel.preview.value[:4] == b"\x89PNG" and panel.preview.value != first

    panel.episodes_select.value = (0, 1)
    panel.cameras_select.value = (WRIST,)
    panel.max_frames.value = 5
    eps = panel.episodes
    assert [e.key for e in eps] == [f"ep0/{WRIST}", f"ep1/{WRIST}"]
    assert all(e.num_frames == 5 for e in eps)
    assert panel.preview_slider.max == 4

    panel.examples.value = "sample"
    assert panel.source_text.value == "sample"
    assert panel._repr_mimebundle_()[WIDGET_MIME]["model_id"] == panel.widget.model_id


def test_source_panel_missing_path_shows_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    panel = SourcePanel(str(missing))  # must not raise
    assert panel.info is None
    assert "not found" in panel.status.value and panel.error
    with pytest.raises(ValueError, match="no source loaded"):
        panel.episodes
    panel.source_text.value = str(missing / "again")
    panel.load_button.click()
    assert "not found" in panel.status.value


# ---------------------------------------------------------------------------------------------- sweep
def test_sweep_runs_from_widgets_and_plots_live(tiny_dataset: Path, frame_cache: Path, tmp_path: Path) -> None:
    wb = _swept_workbench(tiny_dataset, frame_cache, tmp_path / "fresh.sqlite")
    sweep = wb.sweep
    assert sweep.grid == {
        "vcodec": ["h264", "libsvtav1"], "g": [4], "crf": {"h264": [23, 30], "libsvtav1": [40]},
        "preset": {"h264": ["veryfast"], "libsvtav1": [12]}, "encoder_threads": [1],
    }
    summary = sweep.summary
    assert (summary.total, summary.ran, summary.failed) == (3, 3, 0)
    assert sweep.progress.value == sweep.progress.max == 3
    assert "done" in sweep.status.value
    assert not sweep.run_button.disabled and sweep.cancel_button.disabled
    points = [tuple(cd) for t in sweep.figure.data if t.mode == "markers" for cd in t.customdata]
    assert len(points) == 3 and {k for k, _ in points} <= set(summary.keys)
    assert wb.selection.results_version >= 1 and wb.selection.store_path == str(summary.store_path)


def test_rerun_is_cached(wb: Workbench) -> None:
    wb.sweep.run()
    summary = wb.sweep.wait(60)
    assert (summary.cached, summary.ran) == (3, 0)
    assert wb.sweep.progress.value == 3


def test_plan_lists_invalid_entries(wb: Workbench) -> None:
    sweep = SweepPanel(wb.source, Selection(), store=wb.selection.store_path,
                       grid={"vcodec": ["libsvtav1", "h264"], "preset": ["medium"], "crf": [30]})
    plan = sweep.plan()
    assert len(plan.specs) == 1 and len(plan.invalid) == 1
    assert "1 grid entry skipped" in sweep.invalid.value and "libsvtav1" in sweep.invalid.value


def test_yaml_mode_round_trips_and_wins(wb: Workbench) -> None:
    sweep = SweepPanel(wb.source, Selection(), store=wb.selection.store_path, grid="quick")
    _set_grid(sweep)
    sweep.mode.value = "YAML"
    assert yaml.safe_load(sweep.yaml.value) == sweep._widget_grid()
    sweep.yaml.value = "vcodec: [h264]\ncrf: [18, 28]\nfast_decode: [0, 1]\n"
    assert sweep.grid == {"vcodec": ["h264"], "crf": [18, 28], "fast_decode": [0, 1]}
    assert len(sweep.plan().specs) == 4
    # a grid the widgets cannot show opens in YAML mode
    other = SweepPanel(wb.source, Selection(), grid={"vcodec": ["h264"], "extra_options": {"tune": "film"}})
    assert other.mode.value == "YAML"


def test_bad_yaml_shows_error_instead_of_raising(wb: Workbench) -> None:
    sweep = SweepPanel(wb.source, Selection(), store=wb.selection.store_path)
    sweep.mode.value = "YAML"
    sweep.yaml.value = "vcodec: [h264\ncrf: {"
    assert sweep.run() is None
    sweep.run_button.click()
    assert "not valid YAML" in sweep.status.value and sweep.error
    assert not sweep.running and sweep.wait(1) is None
    sweep.yaml.value = "vcodec: [h264]\nbitrate: [1]\n"
    sweep.run_button.click()
    assert "unknown axes" in sweep.status.value


def test_cancel_stops_a_sweep(wb: Workbench, tmp_path: Path) -> None:
    sweep = SweepPanel(wb.source, Selection(), store=tmp_path / "cancel.sqlite", settings=FAST,
                       cache_dir=wb.sweep.cache_dir, grid={"vcodec": ["h264"], "crf": list(range(10, 40)),
                                                            "preset": ["veryslow"]})
    sweep.workers.value = 1
    assert sweep.run() is not None
    sweep.cancel_button.click()
    summary = sweep.wait(60)
    assert summary.cancelled and summary.ran < summary.total == 30
    assert "cancelled" in sweep.status.value
    assert not sweep.run_button.disabled


# ---------------------------------------------------------------------------------------------- explorer
def test_sweep_end_selects_recommended_everywhere(wb: Workbench) -> None:
    key = wb.selection.key
    assert key in wb.sweep.summary.keys
    rec = wb.explorer.recommendation
    assert rec is not None and rec.qualified
    assert wb.explorer.selected_label() == rec.label
    assert "Recommended" in wb.explorer.recommendation_html.value
    assert wb.frames.key == key and wb.frames.source_image.value[:4] == b"\x89PNG"
    assert rec.label in wb.header.value
    assert wb.export.config.label() in rec.label


def test_explorer_click_selects_configuration(wb: Workbench) -> None:
    ex = wb.explorer
    traces = [t for t in ex.figure.data if t.mode == "markers" and t.name != "selected"]
    keys = [cd[0] for t in traces for cd in t.customdata]
    assert len(keys) == 3
    # through plotly's click dispatch (what a browser click triggers) ...
    target = next(t for t in traces if t.customdata[0][0] != wb.selection.key)
    ex.figure.click(list(ex.figure.data).index(target), 0)
    assert wb.selection.key == target.customdata[0][0]
    assert wb.frames.key == wb.selection.key
    assert target.customdata[0][1] in wb.header.value
    # ... and through the handler itself
    other = next(k for k in keys if k != wb.selection.key)
    tr = next(t for t in ex.figure.data if any(cd[0] == other for cd in t.customdata) and t.name != "selected")
    idx = [cd[0] for cd in tr.customdata].index(other)
    ex.on_point_click(tr, Points([idx], [tr.x[idx]], [tr.y[idx]], tr.name, 0))
    assert wb.selection.key == other
    assert any(t.name == "selected" for t in ex.figure.data)
    with pytest.raises(KeyError):
        ex.select("not-a-key")


def test_explorer_filters_sort_and_recommend(wb: Workbench) -> None:
    ex = wb.explorer
    ex.codec_filter.value = ("h264",)
    assert {t.name for t in ex.figure.data if t.mode == "markers"} - {"selected"} == {"h264"}
    assert ex.table_html.value.count("<tr") == 1 + 2
    ex.codec_filter.value = tuple(ex.codec_filter.options)

    ex.sort_by.value = "ssim_mean"
    ex.ascending.value = True
    asc = [r["label"] for _, r in ex.filtered().sort_values("ssim_mean").iterrows()]
    html_text = ex.table_html.value
    assert [html_text.index(lbl) for lbl in asc] == sorted(html_text.index(lbl) for lbl in asc)
    ex.ascending.value = False
    html_text = ex.table_html.value
    assert [html_text.index(lbl) for lbl in asc] == sorted((html_text.index(lbl) for lbl in asc), reverse=True)

    ex.metric.value = "psnr_p5"
    assert "PSNR" in ex.figure.layout.yaxis.title.text
    ex.metric.value = "ssim_mean"

    ex.min_ssim.value = 1.0  # nothing is perfect: no recommendation
    assert not ex.recommendation.qualified and ex.recommended_button.disabled
    assert "No configuration meets every constraint" in ex.recommendation_html.value
    ex.min_ssim.value = 0.0
    ex.realtime_only.value = True
    ex.cameras.value, ex.fps.value = 1, 10
    assert len(ex.filtered()) == 3  # tiny frames encode far faster than 15 fps
    ex.realtime_only.value = False

    wb.selection.key = ex.filtered().iloc[-1]["trial_key"]
    ex.recommended_button.click()
    assert ex.selected_label() == ex.recommendation.label

    ex.configuration.value = [k for _, k in ex.configuration.options if k][0]
    assert wb.selection.key == ex.configuration.value


# ---------------------------------------------------------------------------------------------- frames
def test_frame_panel_navigates_frames_zoom_and_worst(wb: Workbench) -> None:
    fr = wb.frames
    wb.explorer.select_recommended()
    tf = open_trial(wb.selection.store_path, wb.selection.key, cache_dir=wb.sweep.cache_dir)
    fr.goto(0)
    src0, enc0, diff0 = fr.source_image.value, fr.encoded_image.value, fr.diff_image.value
    assert src0[:4] == enc0[:4] == diff0[:4] == b"\x89PNG" and fr.source_zoom.value
    fr.slider.value = 7
    assert fr.index == 7 and fr.source_image.value != src0 and fr.encoded_image.value != enc0
    assert "frame <b>7</b>" in fr.frame_info.value

    zoom = fr.source_zoom.value
    fr.crop_size.value = 8
    fr.crop_x.value = 0
    assert fr.source_zoom.value != zoom
    diff = fr.diff_image.value
    fr.gain.value = 64
    assert fr.diff_image.value != diff

    assert fr.goto_worst(0) == tf.worst_frames(1)[0] == fr.index
    fr.worst_buttons[1].click()
    assert fr.index == tf.worst_frames(2)[1]
    assert fr.quality_figure.layout.shapes[0].x0 == fr.index

    trace = next(t for t in fr.quality_figure.data if t.mode == "lines+markers")
    fr.quality_figure.click(list(fr.quality_figure.data).index(trace), 3)
    assert fr.index == 3 and fr.slider.value == 3
    with pytest.raises(ValueError):
        fr.goto(99)


def test_frame_panel_without_source_frames_says_so(wb: Workbench, tmp_path: Path) -> None:
    selection = Selection(store_path=wb.selection.store_path)
    panel = FramePanel(selection, cache_dir=tmp_path / "empty-cache")
    assert "no configuration selected" in panel.status.value
    selection.key = wb.sweep.summary.keys[0]
    assert "source frames unavailable" in panel.status.value
    assert panel.source_image.value == b""
    assert len(panel.quality_figure.data) >= 1  # the per-frame trace is still shown
    # the same trial from the source panel's episode (same fingerprint) instead of the cache
    panel2 = FramePanel(Selection(store_path=wb.selection.store_path), cache_dir=tmp_path / "empty-cache",
                        source_panel=wb.source)
    panel2.show(wb.sweep.summary.keys[0])
    assert panel2.error is None and panel2.source_image.value[:4] == b"\x89PNG"


# ---------------------------------------------------------------------------------------------- export
def test_export_panel_formats_copy_and_save(wb: Workbench, tmp_path: Path) -> None:
    exp = wb.export
    wb.explorer.select_recommended()
    assert exp.format.value == "lerobot-record flags"
    assert exp.target.value == "lerobot-0.6"  # no lerobot installed in this environment: the release users run
    assert exp.text.startswith("# lerobot-videobench export, target lerobot-0.6:")
    assert "\nlerobot-record \\\n" in exp.text and "--dataset.rgb_encoder." in exp.text
    assert f"--dataset.rgb_encoder.vcodec={exp.config.vcodec}" in exp.text
    assert "--dataset.encoder_threads=1" in exp.text  # the sweep ran with one encoder thread
    assert exp.copy_button.text == exp.text

    exp.format.value = "YAML"
    doc = yaml.safe_load(exp.text)
    assert doc["dataset"]["rgb_encoder"]["vcodec"] == exp.config.vcodec
    assert exp.filename.value.endswith(".yaml")
    exp.format.value = "JSON"
    assert json.loads(exp.text)["dataset"]["rgb_encoder"]["g"] == 4
    exp.target.value = "camera_encoder"
    assert json.loads(exp.text) ["target"] == "camera_encoder" and "camera_encoder" in json.loads(exp.text)["dataset"]
    exp.target.value = "lerobot-0.6"
    exp.format.value = "Python"
    assert "RGBEncoderConfig(" in exp.text
    full = exp.text
    exp.only_changed.value = True
    assert len(exp.text) < len(full)
    exp.queue_maxsize.value = 60
    assert "encoder_queue_maxsize = 60" in exp.text

    exp.filename.value = str(tmp_path / "out" / "enc.py")
    exp.save_button.click()
    assert (tmp_path / "out" / "enc.py").read_text() == exp.text
    assert "saved" in exp.status.value
    assert isinstance(exp.copy_button, CopyButton) and exp.copy_button._esm


def test_export_panel_defaults_without_selection() -> None:
    panel = ExportPanel(Selection())
    assert "LeRobot's defaults" in panel.config_html.value.replace("&#x27;", "'")
    assert "--dataset.rgb_encoder.vcodec=libsvtav1" in panel.text
    panel.target.value = "lerobot-0.6-edit"
    assert "lerobot-edit-dataset" in panel.text and "--operation.rgb_encoder.vcodec=libsvtav1" in panel.text
    assert "no source dataset given" in panel.status.value
    # the unset fields say so (a None-valued Dropdown would show an empty box)
    assert panel.streaming.value == "not set" and panel.kwargs()["streaming_encoding"] is None
    assert "streaming_encoding" not in panel.text
    panel.target.value = "lerobot-0.6"
    panel.streaming.value = False
    assert panel.kwargs()["streaming_encoding"] is False and "--dataset.streaming_encoding=false" in panel.text


# ---------------------------------------------------------------------------------------------- real time
def test_realtime_panel_runs_check(wb: Workbench) -> None:
    rt = wb.realtime
    assert wb.explorer.select_recommended()
    assert wb.explorer.recommendation.config.label() in rt.config_html.value
    assert rt.encoder_threads.value == 1  # the trial ran with one encoder thread
    rt.cameras.value, rt.width.value, rt.height.value = 1, 64, 48
    rt.fps.value, rt.seconds.value, rt.queue_maxsize.value = 10, 0.5, 8
    rt.run_button.click()
    report = rt.wait(60)
    assert report is not None and report.cameras == 1 and (report.width, report.height) == (64, 48)
    assert report.verdict in ("realtime", "marginal", "overloaded")
    assert report.verdict in rt.verdict.value
    assert report.frames_fed == report.frames_encoded + report.frames_dropped == 5
    assert "cam0" in [t.name for t in rt.queue_figure.data] and len(rt.bars_figure.data) == 3
    assert "tiny" in report.frames_source or TOP in report.frames_source


def test_realtime_panel_bad_input_shows_error() -> None:
    rt = RealtimePanel(Selection(), frames=[])  # no frames to stream: check_realtime refuses
    rt.seconds.value = 0.1
    rt.run()
    with pytest.raises(RuntimeError):
        rt.wait(60)
    assert rt.error and "frames is empty" in rt.status.value and not rt.run_button.disabled


# ---------------------------------------------------------------------------------------------- standalone
def test_panels_work_standalone_on_a_shared_selection(wb: Workbench) -> None:
    selection = Selection(store_path=wb.selection.store_path)
    explorer = ExplorerPanel(selection)
    export = ExportPanel(selection)
    assert selection.key is None and explorer.table is not None and len(explorer.table) == 3
    explorer.select(explorer.table.iloc[0]["trial_key"])
    assert explorer.table.iloc[0]["label"].startswith(export.config.label())
    for panel in (explorer, export, wb, wb.sweep, wb.frames, wb.realtime):
        assert WIDGET_MIME in panel._repr_mimebundle_()
    assert [wb.tabs.get_title(i) for i in range(6)] == ["Source", "Sweep", "Explore", "Frames", "Real-time", "Export"]


def test_standalone_constructors_used_by_notebooks(wb: Workbench) -> None:
    """FramePanel on a store alone (``show(key)``), RealtimePanel with a fixed config and initial values."""
    key = wb.sweep.summary.keys[0]
    frames = FramePanel(store=wb.selection.store_path, cache_dir=wb.sweep.cache_dir)
    frames.show(key)
    assert frames.error is None and frames.key == key and frames.encoded_image.value[:4] == b"\x89PNG"
    config = wb.selection.config()[0]
    rt = RealtimePanel(config=config, cameras=3, width=96, height=64, fps=15, seconds=2.0)
    assert (rt.cameras.value, rt.width.value, rt.height.value, rt.fps.value, rt.seconds.value) == (3, 96, 64, 15, 2.0)
    assert rt.config() == (config, "the given configuration")
    explorer = ExplorerPanel(store=wb.selection.store_path)
    assert len(explorer.table) == 3


def test_explorer_without_results_is_calm(tmp_path: Path) -> None:
    ex = ExplorerPanel(Selection(store_path=str(tmp_path / "none.sqlite")))
    assert "no results yet" in ex.status.value and ex.error is None
    assert ex.select_recommended(fallback_smallest=True) is None


# ---------------------------------------------------------------------------------------------- background jobs
def test_background_job_runs_one_job_at_a_time_and_reports_errors() -> None:
    import threading

    from lerobot_videobench.widgets._background import BackgroundJob
    from lerobot_videobench.widgets._common import Panel

    panel = Panel()
    job: BackgroundJob[int] = BackgroundJob(panel, "check", "vb-test-job")
    assert job.wait(1) is None and not job.running
    release, events = threading.Event(), []

    def work(cancel: threading.Event) -> int:
        release.wait(30)
        return 7 if not cancel.is_set() else -1

    job.start(work, on_done=events.append, on_finish=lambda: events.append("idle"))
    assert job.running
    assert job.start(work) is None and "a check is already running" in panel.status.value
    release.set()
    assert job.wait(30) == 7 and events == [7, "idle"]

    release.clear()
    job.start(work)
    assert job.cancel() is True
    release.set()
    assert job.wait(30) == -1  # work saw the cancel event

    def broken(cancel: threading.Event) -> int:
        raise ValueError("no frames")

    job.start(broken, on_error=lambda exc: events.append(type(exc).__name__), on_finish=lambda: events.append("idle"))
    with pytest.raises(RuntimeError, match="the check failed: ValueError: no frames"):
        job.wait(30)
    assert panel.error == "check failed: ValueError: no frames" and "no frames" in panel.status.value
    assert events[-2:] == ["ValueError", "idle"] and job.result is None


def test_panels_share_the_background_job(wb: Workbench) -> None:
    from lerobot_videobench.widgets._background import BackgroundJob

    assert isinstance(wb.sweep.job, BackgroundJob) and isinstance(wb.realtime.job, BackgroundJob)
    assert wb.sweep.job.result is wb.sweep.summary  # the last sweep's summary, through the job


def test_explorer_filter_is_decides_filter(wb: Workbench) -> None:
    from lerobot_videobench.decide.pareto import meeting_constraints

    ex = wb.explorer
    ex.codec_filter.value = ("h264",)
    ex.min_ssim.value = 0.5
    ex.realtime_only.value = True
    expected = meeting_constraints(ex.table, ex.constraints(), realtime=True)
    assert list(ex.filtered()["label"]) == list(expected["label"]) and set(expected["vcodec"]) == {"h264"}


def test_plotly_js_is_a_message_not_saved_widget_state() -> None:
    """A notebook saved with its widget state holds the figures, not a 5 MB plotly.js per plot (or at all)."""
    import plotly.graph_objects as go

    from lerobot_videobench.widgets.plot import PlotView

    views = [PlotView(go.Figure(go.Scatter(x=[1, 2], y=[3, 4]))) for _ in range(3)]
    assert len({id(v.library) for v in views}) == 1  # one library model shared by every plot
    state = [json.dumps(v.get_state(), default=str) for v in views] + [json.dumps(views[0].library.get_state())]
    assert max(map(len, state)) < 20_000, [len(s) for s in state]
    sent: list[dict] = []
    views[0].library.send = lambda content, buffers=None: sent.append(content)  # what the page would receive
    views[0].library._on_message(views[0].library, {"event": "need-source"}, [])
    assert sent[0]["event"] == "source" and len(sent[0]["source"]) > 1_000_000 and "Plotly" in sent[0]["source"]


def test_workbench_counts_the_rgb_cameras_for_decisions_and_the_realtime_check(tmp_path: Path) -> None:
    """The sample records two RGB cameras and a depth camera: the swept RGB configuration encodes two streams
    (the depth camera has LeRobot's depth_encoder), so Explore and Real-time both ask for 2 cameras."""
    bench = Workbench(source="sample", store=tmp_path / "r.sqlite", max_frames=4, cache_dir=tmp_path / "cache")
    info = bench.source.info
    assert len(info.cameras) == 3 and len(info.rgb_cameras) == 2
    assert bench.explorer.cameras.value == bench.realtime.cameras.value == 2
