"""Generate the notebooks of this folder from the source below, outputs-free.

The .ipynb files are committed, but this script is what to review and edit: change a cell here, then
run ``python notebooks/_build.py`` (``--check`` fails when a committed notebook differs from what this
script writes, e.g. after an edit in Jupyter that was not copied back here).

Every notebook has a cell tagged ``parameters`` (papermill), so it runs headless with other values:

    papermill notebooks/02_sweep.ipynb out.ipynb --cwd notebooks -p grid quick -p max_frames 30
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent


def md(cell_id: str, text: str) -> nbformat.NotebookNode:
    return new_markdown_cell(text.strip("\n"), id=cell_id)


def code(cell_id: str, text: str, *tags: str) -> nbformat.NotebookNode:
    cell = new_code_cell(text.strip("\n"), id=cell_id)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def notebook(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = new_notebook(cells=list(cells))
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


HEADLESS = """
**Headless**: the cell tagged `parameters` holds every setting; papermill overrides them, e.g.
`papermill notebooks/{name} out.ipynb --cwd notebooks {example}`.
Relative paths are relative to `notebooks/`; the built-in sample is `source = "sample"` wherever you run from.
"""

PLOTLY_SETUP = """
import plotly.io as pio

# Figures render with JupyterLab's (and VS Code's) plotly extension and are saved in the notebook as JSON,
# with no network access and no copy of plotly.js per output. For classic Notebook or nbviewer, use "notebook".
pio.renderers.default = "plotly_mimetype"
"""

# ------------------------------------------------------------------------------------------- 01 quickstart
QUICKSTART = notebook(
    md("intro", """
# Quickstart: the workbench on the built-in sample

**What it answers**: which camera-encoder settings (`--dataset.rgb_encoder.*` of LeRobot 0.6's `lerobot-record`)
give the smallest videos at the quality you need, measured on footage, not guessed.

The workbench below has a panel per step: the source (episodes and cameras), the sweep (the grid of encoder
settings, run in the background), the explorer (size vs quality, click a point to select a configuration),
the frames of the selected trial, a real-time check (can this machine encode your cameras live?) and the
export (the flags to paste into `lerobot-record`, or `lerobot-edit-dataset` to re-encode a dataset you have;
its LeRobot menu follows the installed `lerobot`, else 0.6). Use the panels, or run the cells that follow, which do
the same through the same objects.

The sample is synthetic footage (see `datasets_sample/README.md`): settings chosen on it are a starting
point; point `source` at your own LeRobot dataset (`/path/to/dataset` or `org/name` on the Hub).
""" + HEADLESS.format(name="01_quickstart.ipynb", example="-p max_frames 30 -p grid quick")),
    code("parameters", """
source = "sample"            # LeRobot dataset root, Hub id "org/name", video file, PNG folder, or "sample"
max_frames = 60              # frames per episode (None: whole episodes)
grid = "quick"               # "quick", "default", "thorough", a YAML file, or a dict of axes
store = "videobench_results.sqlite"  # results store (SQLite); a rerun skips trials already measured
cache_dir = None             # frame cache (None: ~/.cache/lerobot-videobench)
min_ssim = None              # quality the recommendation must reach (None: smallest real-time configuration)
realtime_seconds = 3.0       # how long the real-time check streams the cameras
""", "parameters"),
    code("workbench", """
from lerobot_videobench import Workbench

wb = Workbench(source=source, store=store, grid=grid, max_frames=max_frames, cache_dir=cache_dir)
wb
"""),
    md("run-md", """
## Run the sweep

The *Run* button of the Sweep tab does the same as this cell: every configuration of the grid on every
selected episode and camera, in the background. The Sweep tab's plot fills in as trials finish; at the end the
Explore tab reloads and selects the recommended configuration. Trials already in the store are not measured
again.
"""),
    code("run", """
from IPython.display import display

display(wb.sweep.progress_view())  # trial n/N, ETA and the configuration being measured, in this cell
wb.sweep.run()
summary = wb.sweep.wait(timeout=1800)
print(f"{summary.total} trials: {summary.ran} measured, {summary.cached} from the store, "
      f"{summary.failed} failed, {summary.wall_s:.1f} s")
"""),
    md("recommend-md", """
## Recommendation and export

The smallest configuration meeting the constraints (quality, real-time encoding of the source's cameras at
its frame rate with 50% headroom); selecting it in the explorer updates the frames and export panels.
"""),
    code("recommend", """
from lerobot_videobench import Constraints, load_results, recommend

results = load_results(store)
rec = recommend(results, Constraints(min_ssim=min_ssim))  # cameras and fps: the source's own, as `demo` takes them
print("\\n".join(rec.rationale))
"""),
    code("export", """
if rec.qualified:
    # the recommended configuration's representative trial: its worst episode by SSIM
    rows = results[(results["label"] == rec.label) & (results["status"] == "ok")]
    wb.explorer.select(rows.sort_values("ssim_mean")["key"].iloc[0])
print(wb.export.text)
"""),
    md("realtime-md", """
## Real-time check

Can this machine stream-encode the source's cameras live with the selected configuration? The Real-time tab
does the same with its *Run check* button.
"""),
    code("realtime", """
wb.realtime.seconds.value = realtime_seconds
wb.realtime.run()
report = wb.realtime.wait(timeout=600)
print(f"{report.verdict}: {report.message}")
"""),
    code("check", """
# A panel shows errors in its status line instead of raising; headless runs (papermill, CI) stop here on one.
problems = {type(panel).__name__: panel.error for panel in wb.panels if panel.error}
assert not problems, problems
"""),
)

# ------------------------------------------------------------------------------------------- 02 sweep
SWEEP = notebook(
    md("intro", """
# Sweep: measure a grid of encoder settings, headless

**What it answers**: for each configuration of a grid (codec, crf, GOP, preset, ...), how large the video is,
how close the decoded frames are to the source (SSIM, PSNR, mean and worst 5%), how fast it encodes and how
fast random frames load, and which configuration to use. Pure library calls, no widgets: made for
`papermill` and CI. It ends with a self-contained HTML report.
""" + HEADLESS.format(
        name="02_sweep.ipynb",
        example="-p source lerobot/pusht_image -p grid default -p workers 2 -p report_path ../reports/pusht.html",
    )),
    code("parameters", """
source = "sample"            # LeRobot dataset root, Hub id "org/name", video file, PNG folder, or "sample"
episodes = None              # episode indices (None: all)
cameras = None               # camera keys or short names, e.g. ["top"] (None: all)
max_frames = 60              # frames per episode (None: whole episodes)
grid = "quick"               # "quick", "default", "thorough", a YAML file, or a dict of axes
workers = 1                  # local worker processes (encoders are multi-threaded themselves)
store = "videobench_results.sqlite"
report_path = "../reports/sweep.html"
cache_dir = None             # frame cache (None: ~/.cache/lerobot-videobench)
target = None                # export target: "lerobot-0.6", "lerobot-0.6-edit", "lerobot-0.5", ... (None: installed lerobot's, else 0.6)
min_ssim = None              # quality the recommendation must reach (None: smallest real-time configuration)
""", "parameters"),
    code("setup", PLOTLY_SETUP + """
from lerobot_videobench import (
    Constraints,
    ExportSettings,
    ExportSource,
    build_report,
    expand_grid,
    load_episodes,
    load_results,
    pareto_figure,
    rate_quality_figure,
    recommend,
    render,
    run_sweep,
    summarize,
)
"""),
    md("episodes-md", "## Episodes and grid"),
    code("episodes", """
eps = load_episodes(source, episodes=episodes, cameras=cameras, max_frames=max_frames)
plan = expand_grid(grid)
print(f"{len(eps)} episode-camera streams x {len(plan)} configurations = {len(eps) * len(plan)} trials")
for ep in eps:
    print(f"  {ep.key}: {ep.width}x{ep.height} @ {ep.fps} fps, {ep.num_frames} frames")
for bad in plan.invalid:
    print(f"  skipped {bad.settings}: {bad.reason}")
"""),
    md("sweep-md", "## Sweep\nResumable: trials already in the store are skipped, so rerunning this cell only measures what is new."),
    code("sweep", """
summary = run_sweep(eps, plan, store, workers=workers, progress=True, cache_dir=cache_dir)
print(f"{summary.total} trials: {summary.ran} measured, {summary.cached} from the store, "
      f"{summary.failed} failed, {summary.wall_s:.1f} s")
"""),
    code("summary", """
results = load_results(store)
results = results[results["key"].isin(summary.keys)]
table = summarize(results)
table[["label", "trials", "failed", "bytes_per_frame", "ssim_mean", "ssim_p5", "psnr_mean", "encode_fps",
       "load_1_frame_p50_ms"]]
"""),
    md("pareto-md", "## Trade-offs\nEach point is a configuration; the dashed line is the Pareto front (nothing is both smaller and better)."),
    code("pareto", """
fig = pareto_figure(results, x="bytes_per_frame", y="ssim_mean")
fig.show()
"""),
    code("rate-quality", """
rate_quality_figure(results, rate="bits_per_pixel", metric="psnr_mean").show()
"""),
    md("recommend-md", """
## Recommendation and its flags
The flags are rendered for `target` (LeRobot 0.6's `--dataset.rgb_encoder.*` unless another `lerobot` is
installed); `lerobot-0.6-edit` gives the `lerobot-edit-dataset` command that re-encodes the swept dataset.
"""),
    code("recommend", """
rec = recommend(results, Constraints(min_ssim=min_ssim))  # fps and cameras: the source's own
print("\\n".join(rec.rationale))
"""),
    code("export", """
if rec.qualified:
    try:
        swept = ExportSource.from_location(source)
    except ValueError:  # not a LeRobot dataset (the sample, a video file): no re-encode command
        swept = None
    settings = ExportSettings.for_choice(rec.config, encoder_threads=rec.encoder_threads, source=swept)
    print(render(target, "cli", settings))
    print(render(target, "yaml", settings))
else:
    print("nothing to export:", rec.failures)
"""),
    md("report-md", "## Report\nOne HTML file with every figure, table and the worst frames inlined: share it as is."),
    code("report", """
out = build_report(store, report_path, constraints=Constraints(min_ssim=min_ssim), cache_dir=cache_dir,
                   target=target)
print(f"report written to {out.resolve()}")
"""),
)

# ------------------------------------------------------------------------------------------- 03 frames
FRAMES = notebook(
    md("intro", """
# Compare frames: what the numbers look like

**What it answers**: what a configuration does to the picture. It opens a trial from the results store
(by default the recommended configuration's worst episode), plots per-frame SSIM and PSNR with the GOP starts,
and shows the source, encoded and difference images of the worst frames. With an empty store it first
measures a small grid on the sample.

The frame panel is interactive (slider, worst frames, keyframes); the images after it are static copies
that stay in the saved notebook.
""" + HEADLESS.format(name="03_compare_frames.ipynb", example="-p store videobench_results.sqlite -p key <trial key>")),
    code("parameters", """
store = "videobench_results.sqlite"  # results store of an earlier sweep (e.g. from 01 or 02)
key = None                   # trial key to open (None: the recommended configuration's worst episode)
source = "sample"            # used only when the store is empty: what to sweep
max_frames = 60
grid = "quick"
cache_dir = None             # frame cache the sweep used (None: ~/.cache/lerobot-videobench)
min_ssim = None
worst = 3                    # how many worst frames to show
""", "parameters"),
    code("setup", PLOTLY_SETUP + """
from pathlib import Path

from IPython.display import Image, Markdown, display

from lerobot_videobench import (
    Constraints,
    frame_quality_figure,
    load_episodes,
    load_results,
    open_trial,
    png_bytes,
    recommend,
    run_sweep,
)
"""),
    code("store", """
results = load_results(store) if Path(store).is_file() else None
if results is None or not (results["status"] == "ok").any():
    print(f"{store} holds no successful trial: measuring grid {grid!r} on {source!r} first")
    run_sweep(load_episodes(source, max_frames=max_frames), grid, store, workers=1, cache_dir=cache_dir)
    results = load_results(store)
ok = results[results["status"] == "ok"]
print(f"{len(ok)} successful trials of {ok['label'].nunique()} configurations in {store}")
"""),
    code("pick", """
if key is None:
    rec = recommend(results, Constraints(min_ssim=min_ssim))
    label = rec.label if rec.qualified else ok.sort_values("ssim_mean")["label"].iloc[-1]
    print(f"recommended: {label}" if rec.qualified else f"nothing qualifies; showing the best quality: {label}")
    key = ok[ok["label"] == label].sort_values("ssim_mean")["key"].iloc[0]
row = ok[ok["key"] == key].iloc[0]
print(f"trial {key}: {row['label']} on {row['episode_key']}, SSIM mean {row['ssim_mean']:.4f}, "
      f"PSNR mean {row['psnr_mean']:.2f} dB, {row['bytes_per_frame'] / 1000:.1f} KB/frame")
"""),
    md("panel-md", "## Frame panel"),
    code("panel", """
from lerobot_videobench import FramePanel

frames_panel = FramePanel(store=store, cache_dir=cache_dir)
frames_panel.show(key)
frames_panel.goto_worst()
assert frames_panel.error is None, frames_panel.error
frames_panel
"""),
    md("static-md", "## Static views\nPer-frame quality (dotted lines: keyframes; circles: worst frames), then the worst frames."),
    code("open", """
# source frames come from the sweep's frame cache, or are re-read from the source when the cache was cleared
episode = load_episodes(row["source"], episodes=[int(row["episode_index"])], cameras=[row["camera"]],
                        max_frames=int(row["frames"]))[0]
tf = open_trial(store, key, episode=episode, cache_dir=cache_dir)
frame_quality_figure(tf, worst=worst).show()
"""),
    code("worst", """
ssim = tf.quality("ssim")
for i in tf.worst_frames(worst):
    display(Markdown(f"**frame {i}**: SSIM {ssim[i]:.4f} (source, encoded, difference x4)"))
    for image in (tf.source_frame(i), tf.encoded_frame(i), tf.difference(i)):
        display(Image(png_bytes(image)))
"""),
)

# ------------------------------------------------------------------------------------------- 04 realtime
REALTIME = notebook(
    md("intro", """
# Real-time check: can this machine record with these settings?

**What it answers**: whether `lerobot-record` on this machine can stream-encode `cameras` cameras at
`width x height` and `fps` with a configuration, without dropping frames. It does it for real: one producer
per camera feeds frames at camera pace into the same streaming encoder LeRobot records with (bounded queue,
drop after 0.1 s), and reports frames dropped, encoder headroom and queue depths. Run it on the machine that
records; close other heavy programs first.
""" + HEADLESS.format(name="04_realtime_check.ipynb", example="-p cameras 3 -p seconds 10 -y 'config: {vcodec: h264, crf: 23}'")),
    code("parameters", """
config = {}                  # VideoEncoderConfig fields, e.g. {"vcodec": "h264", "crf": 23} ({}: LeRobot's default)
cameras = 2                  # camera streams encoded at once
width = 640
height = 480
fps = 30
seconds = 5.0                # how long to record
encoder_threads = None       # threads per encoder (None: the encoder decides)
queue_maxsize = 30           # LeRobot's encoder_queue_maxsize
frames = None                # None: camera-like footage (sensor noise); "synthetic"; "sample"; or a source for load_episodes (best: your own)
required_headroom = None     # encoder capacity over demand needed for "realtime" (None: the default)
""", "parameters"),
    code("setup", PLOTLY_SETUP + """
import pandas as pd

from lerobot_videobench import (
    VideoEncoderConfig,
    camera_encoder_defaults,
    check_realtime,
    load_episodes,
    queue_depth_figure,
    realtime_bars_figure,
)
"""),
    code("check", """
cfg = VideoEncoderConfig(**config) if config else camera_encoder_defaults()
pool = frames
if isinstance(frames, str) and frames not in ("camera", "synthetic", "sample"):
    pool = load_episodes(frames, episodes=[0], max_frames=120)[0]
report = check_realtime(cfg, cameras, width, height, fps, seconds, encoder_threads=encoder_threads,
                        queue_maxsize=queue_maxsize, frames=pool, required_headroom=required_headroom)
print(f"verdict: {report.verdict}")
print(report.message)
"""),
    code("per-camera", """
pd.DataFrame(report.per_camera)
"""),
    code("figures", """
queue_depth_figure(report).show()
realtime_bars_figure(report).show()
"""),
    md("panel-md", "## Real-time panel\nThe same check, interactively: change the cameras, resolution or configuration and run it again."),
    code("panel", """
from lerobot_videobench import RealtimePanel

realtime_panel = RealtimePanel(config=cfg, cameras=cameras, width=width, height=height, fps=fps, seconds=seconds,
                               encoder_threads=encoder_threads, queue_maxsize=queue_maxsize, frames=pool)
assert realtime_panel.error is None, realtime_panel.error
realtime_panel
"""),
)

# ------------------------------------------------------------------------------------------- 05 depth
DEPTH = notebook(
    md("intro", """
# Depth cameras: how lossy may `--dataset.depth_encoder` be?

**What it answers**: LeRobot 0.6 records depth cameras as 12-bit log-quantized `gray12le` HEVC, lossless by
default, and lossless depth videos are large. This notebook sweeps the depth encoder (lossless vs crf, GOP,
preset, the quantizer's range and curve, hevc vs libaom-av1) on a depth camera and measures what each setting
costs in millimetres: mean, p95 and max error against the source depth, the error at object edges apart, the
pixels off by more than 1 cm, and what happens to the no-return (0) pixels. The *quantization floor* is what
the 12-bit mapping alone costs, before any codec: no codec setting can beat it.

The sample's depth camera (`top_depth`) is synthetic with exact geometry, stored as LeRobot records it
(quantized with its defaults, lossless hevc): errors are measured against that recording.
""" + HEADLESS.format(name="05_depth.ipynb", example="-p source /path/to/depth_dataset -p max_depth_error_mm 10")),
    code("parameters", """
source = "sample"            # a LeRobot dataset with depth features, a 16-bit PNG / TIFF depth folder, or "sample"
cameras = None               # depth camera keys (None: every depth camera of the source)
episodes = None              # episode indices (None: all)
max_frames = 30              # frames per episode (None: whole episodes)
grid = "depth"               # the built-in depth grid, a YAML file, or a dict of axes with kind: depth
workers = 1
store = "videobench_depth.sqlite"
report_path = "../reports/depth.html"
cache_dir = None             # frame cache (None: ~/.cache/lerobot-videobench)
max_depth_error_mm = None    # the error the recommendation may not exceed (None: smallest real-time config)
depth_stat = "p95"           # which error statistic the limit bounds: mean, median, p95, p99, max, edge_mean, edge_max
headroom = 1.5               # encode speed required: the source's cameras x fps x headroom (1.5 = 50% spare)
target = None                # export target (None: the installed lerobot's, else lerobot-0.6)
""", "parameters"),
    code("setup", PLOTLY_SETUP + """
import numpy as np
from IPython.display import Image, display

from lerobot_videobench import (
    Constraints,
    ExportSettings,
    build_report,
    depth_colour,
    depth_error_heatmap,
    expand_grid,
    frame_quality_figure,
    load_episodes,
    load_results,
    open_trial,
    pareto_figure,
    png_bytes,
    rate_quality_figure,
    recommend,
    render,
    run_sweep,
    summarize,
)
"""),
    md("episodes-md", "## Depth cameras and grid"),
    code("episodes", """
eps = load_episodes(source, episodes=episodes, cameras=cameras, max_frames=max_frames, kind="depth")
plan = expand_grid(grid)
assert plan.kind == "depth", f"grid {grid!r} is an RGB grid; use grid='depth' or a grid with kind: depth"
print(f"{len(eps)} depth streams x {len(plan)} configurations = {len(eps) * len(plan)} trials")
for ep in eps:
    print(f"  {ep.key}: {ep.width}x{ep.height} @ {ep.fps} fps, {ep.num_frames} frames, source unit "
          f"{ep.depth.source_unit}, recorded quantizer {ep.depth.quantizer or 'none (exact depth)'}")
"""),
    md("sweep-md", "## Sweep\nResumable: trials already in the store are skipped."),
    code("sweep", """
summary = run_sweep(eps, plan, store, workers=workers, progress=True, cache_dir=cache_dir)
print(f"{summary.total} trials: {summary.ran} measured, {summary.cached} from the store, "
      f"{summary.failed} failed, {summary.wall_s:.1f} s")
"""),
    code("table", """
results = load_results(store)
results = results[results["key"].isin(summary.keys)]
table = summarize(results)
table[["label", "trials", "bytes_per_frame", "depth_mean_mm", "depth_p95_mm", "depth_max_mm", "depth_edge_mean_mm",
       "depth_frac_over_1cm", "depth_invalid_kept", "depth_floor_p95_mm", "depth_codec_mean_mm", "encode_fps"]]
"""),
    md("pareto-md", "## Error vs size\nThe dashed line joins the configurations nothing beats on both size and p95 error."),
    code("pareto", """
pareto_figure(results, x="bytes_per_frame", y="depth_p95_mm").show()
rate_quality_figure(results, rate="bytes_per_frame", metric="depth_edge_mean_mm").show()
"""),
    md("recommend-md", """
## Recommendation and its flags
The smallest depth configuration within `max_depth_error_mm` on `depth_stat` that encodes in real time; the
flags are the `--dataset.depth_encoder.*` block of `lerobot-record`.
"""),
    code("recommend", """
constraints = Constraints(kind="depth", max_depth_error_mm=max_depth_error_mm, depth_stat=depth_stat,
                          headroom=headroom)
rec = recommend(results, constraints)
print("\\n".join(rec.rationale))
if rec.qualified:
    print(render(target, "cli", ExportSettings.for_choice(rec.config, encoder_threads=rec.encoder_threads)))
"""),
    md("frames-md", "## What the error looks like\nThe recommended configuration's worst frame: source and decoded depth on one colour scale, and the error in mm."),
    code("frames", """
if rec.qualified:
    key = results[(results["label"] == rec.label) & (results["status"] == "ok")]["key"].iloc[0]
    trial = open_trial(store, key, cache_dir=cache_dir)
    frame_quality_figure(trial).show()
    i = trial.worst_frames(1)[0]
    src, dec = trial.source_frame(i), trial.encoded_frame(i)
    lo, hi = np.percentile(src[src > 0], [1, 99])  # one colour scale for both, from the source
    print(f"frame {i}: source | decoded (colour scale {lo:.0f}..{hi:.0f} mm, black = no return) | error in mm")
    for image in (depth_colour(src, lo, hi), depth_colour(dec, lo, hi), depth_error_heatmap(src, dec)):
        display(Image(png_bytes(image)))
"""),
    md("report-md", "## Report\nThe HTML report has a depth section: error vs size and the quantization floor."),
    code("report", """
out = build_report(store, report_path, constraints=constraints, cache_dir=cache_dir, target=target,
                   keys=summary.keys)
print(f"report written to {out.resolve()}")
"""),
)

NOTEBOOKS = {
    "01_quickstart.ipynb": QUICKSTART,
    "02_sweep.ipynb": SWEEP,
    "03_compare_frames.ipynb": FRAMES,
    "04_realtime_check.ipynb": REALTIME,
    "05_depth.ipynb": DEPTH,
}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name, nb in NOTEBOOKS.items():
        nbformat.validate(nb)
        text = nbformat.writes(nb) + "\n"
        path = HERE / name
        if check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"out of date (run python notebooks/_build.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
