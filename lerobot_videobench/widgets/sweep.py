"""Sweep panel: edit a grid (widgets or YAML), run it in the background, watch results arrive.

``run_sweep`` does the work in spawned worker processes; this panel calls it from a daemon thread so
the kernel stays responsive, turns its :class:`SweepEvent` stream into a progress bar, and redraws a
live Pareto scatter (throttled, batched) as results land.
"""

from __future__ import annotations

import html
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

import ipywidgets as W

from ..bench import GridPlan, MeasureSettings, SweepEvent, SweepSummary, expand_grid, run_sweep
from ..bench.estimate import estimate_sweep_s
from ..bench.grid import fits_axes, format_axis, grid_from_axes, grid_to_text, load_grid, parse_grid_text
from ..encoding import SOFTWARE_VIDEO_CODECS
from ..encoding.capabilities import sweepable_codecs
from ..report.figures import pareto_figure
from ._background import BackgroundJob
from ._common import Panel, with_hint, point_customdata, replace_figure, roomy
from .plot import PlotView
from .selection import Selection
from .source import SourcePanel

logger = logging.getLogger(__name__)

PIX_FMTS = ("yuv420p", "yuv422p", "yuv444p")
#: Minimum seconds between two redraws of the live scatter.
LIVE_REDRAW_S = 0.5
#: Above this many trials, the plan says plainly that its duration is unknown.
LARGE_GRID = 50


def _duration(seconds: float) -> str:
    """``42 s``, ``3 min 5 s``, ``1 h 20 min``."""
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60)} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"


def _empty_results() -> Any:
    import pandas as pd

    return pd.DataFrame()


class SweepPanel(Panel):
    """Edit and run a sweep over the source panel's episodes into the results store ``store``.

    ``settings``, ``cache_dir`` and ``scheduler`` are passed to :func:`run_sweep` unchanged (cheaper
    measurements for quick looks, a private frame cache, a Dask cluster).
    """

    def __init__(
        self,
        source_panel: SourcePanel,
        selection: Selection | None = None,
        store: str | os.PathLike = "videobench_results.sqlite",
        grid: str | os.PathLike | dict[str, Any] = "quick",
        *,
        workers: int | None = None,
        settings: MeasureSettings | None = None,
        cache_dir: str | os.PathLike | None = None,
        scheduler: Any = None,
        timeout_s: float | None = 600.0,
    ) -> None:
        super().__init__()
        self.source_panel = source_panel
        self.selection = selection or source_panel.selection
        self.settings = settings
        self.cache_dir = cache_dir
        self.scheduler = scheduler
        self.timeout_s = timeout_s
        #: The last finished sweep's summary (None before the first one).
        self.summary: SweepSummary | None = None
        self.job: BackgroundJob[SweepSummary] = BackgroundJob(self, "sweep", "videobench-sweep")
        self._rows: list[dict[str, Any]] = []
        self._last_draw = 0.0
        self._started = time.monotonic()
        self._plan_text = ""
        self._syncing = False
        if not self.selection.store_path:
            self.selection.store_path = str(store)

        codecs = sweepable_codecs() or list(SOFTWARE_VIDEO_CODECS)  # none at all: planning says why
        self.store_text = W.Text(value=str(store), description="Store", layout=W.Layout(width="420px"))
        self.mode = W.ToggleButtons(options=["widgets", "YAML"], value="widgets", description="Grid")
        self.codecs = W.SelectMultiple(options=codecs, description="Codecs", rows=min(6, len(codecs)))
        self.crf = W.Text(description="crf", placeholder="20, 30, 40  or  libsvtav1: 25, 30; h264: 23",
                          layout=W.Layout(width="420px"))
        self.g = W.Text(description="g", placeholder="2, 10  (empty: codec default)", layout=W.Layout(width="420px"))
        self.preset = W.Text(description="preset", placeholder="libsvtav1: 12; h264: medium",
                             layout=W.Layout(width="420px"))
        self.pix_fmt = W.SelectMultiple(options=PIX_FMTS, description="pix_fmt", rows=3)
        self.threads = W.Text(description="threads", placeholder="encoder_threads, e.g. 1, 2  (empty: auto)",
                              layout=W.Layout(width="420px"))
        self.yaml = W.Textarea(description="YAML", layout=W.Layout(width="640px", height="220px"))
        self.workers = W.BoundedIntText(value=int(workers or 0), min=0, max=256, description="Workers",
                                        tooltip="parallel trials; 0 = one per two cores")
        self.plan_button = W.Button(description="Plan", icon="list")
        self.run_button = W.Button(description="Run", button_style="success", icon="play")
        self.cancel_button = W.Button(description="Cancel", button_style="danger", icon="stop", disabled=True)
        self.progress = W.IntProgress(value=0, min=0, max=1, description="Trials", layout=W.Layout(width="420px"))
        self.invalid = W.HTML()
        #: One line under the bar: trial n/N, ETA and the configuration being measured.
        self.progress_text = W.HTML()
        self.figure = PlotView(roomy(pareto_figure(_empty_results(), title="Live results: SSIM vs size")))

        self._widget_box = W.VBox([W.HBox([self.codecs, self.pix_fmt]), self.crf, self.g, self.preset, self.threads])
        self._yaml_box = W.VBox([self.yaml])
        self._editor = W.VBox([self._widget_box])
        self.mode.observe(self.guarded(self._on_mode, "grid editor"), names="value")
        self.plan_button.on_click(self.guarded(lambda _: self.plan(), "plan"))
        self.run_button.on_click(self.guarded(lambda _: self.run(), "run"))
        self.cancel_button.on_click(self.guarded(lambda _: self.cancel(), "cancel"))

        self.widget = W.VBox([
            W.HBox([self.store_text, with_hint(self.workers, "0 = auto: one per two cores")]),
            self.mode,
            self._editor,
            W.HBox([self.plan_button, self.run_button, self.cancel_button, self.progress]),
            self.progress_text,
            self.status,
            self.invalid,
            self.figure,
        ])
        with self.guard("grid"):
            self.set_grid(grid)

    # -------------------------------------------------------------- grid editing
    def set_grid(self, grid: str | os.PathLike | dict[str, Any]) -> None:
        """Load a grid (built-in name, YAML file or dict) into the editor; grids with axes the widgets
        cannot show (``fast_decode``, ``extra_options``, per-codec pix_fmt) open in YAML mode."""
        _, data = load_grid(grid)
        self._syncing = True
        try:
            self.yaml.value = grid_to_text(data)
            if self._fill_widgets(data):
                self.mode.value = "widgets"
            else:
                self.mode.value = "YAML"
                self.set_status("this grid uses settings the widget editor cannot show: edit it as YAML", "warn")
        finally:
            self._syncing = False

    def _fill_widgets(self, data: dict[str, Any]) -> bool:
        """Put ``data`` into the widgets; False when some of it cannot be represented there."""
        if not fits_axes(data):
            return False
        codecs = data.get("vcodec", ["libsvtav1"])
        codecs = codecs if isinstance(codecs, list) else [codecs]
        missing = [c for c in codecs if c not in self.codecs.options]
        if missing:
            self.codecs.options = list(self.codecs.options) + missing
        self.codecs.value = tuple(codecs)
        pix = data.get("pix_fmt") or []
        pix = pix if isinstance(pix, list) else [pix]
        extra = [p for p in pix if p not in self.pix_fmt.options]
        if extra:
            self.pix_fmt.options = list(self.pix_fmt.options) + extra
        self.pix_fmt.value = tuple(pix)
        self.crf.value = format_axis(data.get("crf"))
        self.g.value = format_axis(data.get("g"))
        self.preset.value = format_axis(data.get("preset"))
        self.threads.value = format_axis(data.get("encoder_threads"))
        return True

    def _widget_grid(self) -> dict[str, Any]:
        return grid_from_axes(self.codecs.value, self.pix_fmt.value, g=self.g.value, crf=self.crf.value,
                              preset=self.preset.value, encoder_threads=self.threads.value)

    def _yaml_grid(self) -> dict[str, Any]:
        return parse_grid_text(self.yaml.value, "the grid YAML")

    @property
    def grid(self) -> dict[str, Any]:
        """The grid that Run will expand: from the YAML box in YAML mode, else from the widgets."""
        return self._yaml_grid() if self.mode.value == "YAML" else self._widget_grid()

    def _on_mode(self, change: dict) -> None:
        self._editor.children = [self._yaml_box if change["new"] == "YAML" else self._widget_box]
        if self._syncing:
            return
        if change["new"] == "YAML":
            try:
                self.yaml.value = grid_to_text(self._widget_grid())
            except ValueError as exc:
                self.set_status(f"widgets not copied to YAML: {exc}", "warn")
        else:
            try:
                if not self._fill_widgets(self._yaml_grid()):
                    self.set_status("the YAML grid has settings the widgets cannot show; they are dropped in "
                                    "widget mode (switch back to YAML to keep them)", "warn")
            except ValueError as exc:
                self.set_status(f"YAML not copied to the widgets: {exc}", "warn")

    def plan(self) -> GridPlan:
        """Expand the grid, list the entries that cannot run here (with the reason) and count the trials."""
        plan = expand_grid(self.grid)
        if plan.invalid:
            items = "".join(
                f"<li><code>{html.escape(', '.join(f'{k}={v}' for k, v in e.settings.items() if v is not None))}"
                f"</code>: {html.escape(e.reason)}</li>"
                for e in plan.invalid
            )
            self.invalid.value = (f"<details open><summary>{len(plan.invalid)} grid entr"
                                  f"{'y' if len(plan.invalid) == 1 else 'ies'} skipped</summary><ul>{items}</ul></details>")
        else:
            self.invalid.value = ""
        msg = f"{len(plan.specs)} configuration(s)"
        src = self.source_panel
        n_eps = len(src.episodes_select.value) * len(src.cameras_select.value)  # counted without loading
        if n_eps:
            trials = len(plan.specs) * n_eps
            msg += f" x {n_eps} episode stream(s) = {trials} trials"
            msg += self._estimate_text(trials)
        else:
            msg += " (no episode selected in the source panel)"
        msg += f"; {len(plan.invalid)} invalid entries skipped" if plan.invalid else ""
        self._plan_text = msg
        self.set_status(msg, "ok" if plan.specs else "warn")
        return plan

    def _estimate_text(self, trials: int) -> str:
        """``; about 4 min at the store's pace`` (trials already stored are counted as new: an upper bound)."""
        info = self.source_panel.info
        frames = int(self.source_panel.max_frames.value or 0)
        if not frames and info is not None and info.num_episodes:
            frames = info.total_frames // max(1, info.num_episodes)
        store = self.store_text.value.strip() or "videobench_results.sqlite"
        workers = int(self.workers.value) or max(1, (os.cpu_count() or 2) // 2)
        eta = estimate_sweep_s(store, trials, frames, workers)
        if eta is None:
            return "; time: unknown until the first trial is measured" if trials > LARGE_GRID else ""
        return f"; about {_duration(eta)} at the pace of the trials in the store (at most: stored trials are skipped)"

    # -------------------------------------------------------------- running
    @property
    def running(self) -> bool:
        return self.job.running

    def run(self) -> threading.Thread | None:
        """Start the sweep in a background thread and return at once (None when the grid is invalid or a
        sweep is already running; the reason is in the status line)."""
        if self.job.running:
            self.set_status("a sweep is already running", "warn")
            return None
        try:
            plan = self.plan()
            if not plan.specs:
                raise ValueError("the grid has no valid configuration to run")
            store = Path(self.store_text.value.strip() or "videobench_results.sqlite")
        except Exception as exc:  # noqa: BLE001 - shown, not raised: the button callback must not throw
            self.show_error(exc, "cannot start the sweep")
            return None
        self._rows = []
        self._last_draw = 0.0
        self._started = time.monotonic()
        self.progress_text.value = html.escape(f"starting: {self._plan_text}")
        self.progress.value, self.progress.max = 0, max(1, len(plan.specs))
        self.progress.bar_style = ""
        self.run_button.disabled, self.cancel_button.disabled = True, False
        self.selection.store_path = str(store)
        return self.job.start(lambda cancel: self._work(plan, store, cancel),
                              on_done=lambda summary: self._finished(summary, store),
                              on_error=self._failed, on_finish=self._idle)

    def cancel(self) -> None:
        """Ask the running sweep to stop: nothing new is dispatched and running trials are killed."""
        if self.job.cancel():
            self.set_status("cancelling ...", "warn")

    def wait(self, timeout: float | None = None) -> SweepSummary | None:
        """Block until the sweep ends and return its summary (headless notebooks, tests).

        Raises ``TimeoutError`` when still running after ``timeout`` seconds, and re-raises an error that
        stopped the sweep (also shown in the status line).
        """
        self.job.wait(timeout)
        return self.summary

    def _work(self, plan: GridPlan, store: Path, cancel: threading.Event) -> SweepSummary:
        """The sweep itself (in the job's thread): the same :func:`run_sweep` the CLI calls."""
        self.set_status("loading episodes ...")
        episodes = self.source_panel.episodes
        workers = int(self.workers.value) or None
        self.set_status(f"preparing {len(plan.specs) * len(episodes)} trials (reading source frames once) ...")
        return run_sweep(
            episodes, plan, store, workers=workers, scheduler=self.scheduler, progress=self._on_event,
            cancel=cancel, settings=self.settings, cache_dir=self.cache_dir, timeout_s=self.timeout_s,
        )

    def _finished(self, summary: SweepSummary, store: Path) -> None:
        self.summary = summary
        with self.guard("live plot"):
            self._draw(summary.results())
        verb = "cancelled" if summary.cancelled else "done"
        self.set_status(
            f"{verb}: {summary.ran} ran, {summary.cached} cached, {summary.failed} failed of {summary.total} "
            f"trials in {summary.wall_s:.1f} s", "warn" if summary.cancelled or summary.failed else "ok",
        )
        self.progress_text.value = html.escape(
            f"{summary.total}/{summary.total if not summary.cancelled else summary.ran + summary.cached} trials "
            f"in {_duration(summary.wall_s)}")
        self.progress.bar_style = "warning" if summary.cancelled else ("danger" if summary.failed else "success")
        self.selection.store_path = str(store)
        self.selection.bump()  # observers (explorer, workbench) run here, in this thread

    def _failed(self, exc: BaseException) -> None:
        self.progress.bar_style = "danger"

    def _idle(self) -> None:
        self.run_button.disabled, self.cancel_button.disabled = False, True

    def progress_view(self) -> W.Widget:
        """The progress bar, the trial n/N - ETA - current configuration line and the status, to display
        in the cell that runs the sweep (the same widgets as in the Sweep tab, a second view of them)."""
        return W.VBox([self.progress, self.progress_text, self.status])

    def _eta_text(self, event: SweepEvent) -> str:
        """``3/12 trials, ETA 40 s``: remaining trials at the pace of those measured so far (cached trials
        cost nothing and are not counted in the pace)."""
        measured = event.completed - event.cached
        remaining = event.total - event.completed
        text = f"trial {event.completed}/{event.total}"
        if event.cached:
            text += f" ({event.cached} from the store)"
        if remaining and measured > 0:
            pace = (time.monotonic() - self._started) / measured
            text += f", ETA {_duration(pace * remaining)}"
        elif remaining:
            text += ", ETA after the first trial"
        return text

    def _on_event(self, event: SweepEvent) -> None:
        """Progress callback (runs in the sweep thread): small trait updates, throttled figure redraws."""
        try:
            self.progress.max = max(1, event.total)
            self.progress.value = event.completed
            if event.kind == "result" and event.result is not None:
                self._rows.append(event.result.summary())
                now = time.monotonic()
                if now - self._last_draw >= LIVE_REDRAW_S or event.completed >= event.total:
                    self._last_draw = now
                    self._draw(self._live_results())
            if event.kind in ("waiting", "shared") and event.message:  # another sweep shares the store
                self.set_status(f"{event.completed}/{event.total} trials: {event.message}")
            if event.kind in ("plan", "cached", "start", "result"):
                what = f" - {event.label} on {event.episode_key}" if event.kind == "start" and event.label else ""
                current = (f": measuring <code>{html.escape(event.label)}</code> on {html.escape(str(event.episode_key))}"
                           if event.kind == "start" and event.label else "")
                self.progress_text.value = html.escape(self._eta_text(event)) + current
                self.set_status(f"{event.completed}/{event.total} trials ({event.cached} cached, "
                                f"{event.failed} failed){what}")
        except Exception as exc:  # noqa: BLE001 - a display glitch must not stop the sweep
            self.show_error(exc, "progress display")

    def _live_results(self) -> Any:
        import pandas as pd

        return pd.json_normalize(self._rows, max_level=0) if self._rows else _empty_results()

    def _draw(self, results: Any) -> None:
        fig = roomy(pareto_figure(results, title="Live results: SSIM vs size"))
        with self._lock:
            replace_figure(self.figure, fig, self.guarded(self.on_point_click, "select"))

    def on_point_click(self, trace: Any, points: Any, selector: Any = None) -> None:
        """Click handler of the live scatter: select the configuration under the pointer."""
        data = point_customdata(trace, points)
        if data is not None and data[0]:
            self.selection.key = str(data[0])
