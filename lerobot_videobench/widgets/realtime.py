"""Real-time panel: can this machine stream-encode N cameras at W x H @ fps with the selected config?
Runs :func:`check_realtime` in a background thread and plots queue depth and where frames went."""

from __future__ import annotations

import html
import logging
import threading
from typing import Any

import ipywidgets as W

from ..decide.realtime import RealtimeReport, check_realtime
from ..encoding import VideoEncoderConfig, camera_encoder_defaults
from ..report.figures import queue_depth_figure, realtime_bars_figure
from ._background import BackgroundJob
from ._common import Panel, with_hint, replace_figure, roomy
from .plot import PlotView
from .selection import Selection

logger = logging.getLogger(__name__)

_VERDICT_COLORS = {"realtime": "#1a7f37", "marginal": "#9a6700", "overloaded": "#b42318"}


class RealtimePanel(Panel):
    """Check the selected configuration (LeRobot's defaults when nothing is selected) live.

    Frames come from ``frames`` if given, else the first selected episode of ``source_panel``, else
    the built-in sample (resized to the chosen resolution in every case). Standalone (no shared
    selection), ``config`` fixes the configuration; the other keywords set the inputs' initial values.
    """

    def __init__(
        self,
        selection: Selection | None = None,
        *,
        config: VideoEncoderConfig | None = None,
        cameras: int = 2,
        width: int = 640,
        height: int = 480,
        fps: int = 30,
        seconds: float = 5.0,
        encoder_threads: int | None = None,
        queue_maxsize: int = 30,
        source_panel: Any = None,
        frames: Any = None,
    ) -> None:
        super().__init__()
        self.selection = selection or Selection()
        self.fixed_config = config
        self.source_panel = source_panel
        self.frames = frames
        self.report: RealtimeReport | None = None
        self.job: BackgroundJob[RealtimeReport] = BackgroundJob(self, "real-time check", "videobench-realtime")

        self.cameras = W.BoundedIntText(value=int(cameras), min=1, max=64, description="Cameras")
        self.width = W.BoundedIntText(value=int(width), min=16, max=8192, description="Width")
        self.height = W.BoundedIntText(value=int(height), min=16, max=8192, description="Height")
        self.fps = W.BoundedIntText(value=int(fps), min=1, max=1000, description="fps")
        self.seconds = W.BoundedFloatText(value=float(seconds), min=0.1, max=3600.0, description="Seconds")
        self.encoder_threads = W.BoundedIntText(value=int(encoder_threads or 0), min=0, max=256, description="Threads",
                                                tooltip="encoder_threads; 0 = None (the encoder decides)")
        self.queue_maxsize = W.BoundedIntText(value=int(queue_maxsize), min=1, max=10000, description="Queue")
        self.config_html = W.HTML()
        self.run_button = W.Button(description="Run check", button_style="success", icon="play")
        self.verdict = W.HTML()
        self.queue_figure = PlotView(queue_depth_figure(None))
        self.bars_figure = PlotView(realtime_bars_figure(None))

        self.run_button.on_click(self.guarded(lambda _: self.run(), "real-time check"))
        self.selection.observe(self.guarded(self._on_selection, "selection"), names=["key", "store_path"])
        self.widget = W.VBox([
            self.config_html,
            W.HBox([W.VBox([self.cameras, self.width, self.height, self.fps]),
                    W.VBox([self.seconds, with_hint(self.encoder_threads, "0 = auto: the encoder decides"), with_hint(self.queue_maxsize, "frames buffered per camera")])]),
            self.run_button,
            self.status,
            self.verdict,
            self.queue_figure,
            self.bars_figure,
        ])
        with self.guard("selection"):
            self._on_selection()

    # -------------------------------------------------------------- public API
    def config(self) -> tuple[VideoEncoderConfig, str]:
        """The configuration the check will use and where it comes from (the selection wins over a fixed
        ``config``, which wins over LeRobot's defaults)."""
        chosen = self.selection.config()
        if chosen is None and self.fixed_config is not None:
            return self.fixed_config, "the given configuration"
        if chosen is None:
            return camera_encoder_defaults(), "LeRobot's defaults (nothing selected)"
        return chosen[0], "the selected configuration"

    @property
    def running(self) -> bool:
        return self.job.running

    def run(self) -> threading.Thread | None:
        """Start the check in a background thread and return at once (None if one is already running)."""
        if self.job.running:
            self.set_status("a real-time check is already running", "warn")
            return None
        config, _ = self.config()
        kwargs = dict(
            cameras=int(self.cameras.value), width=int(self.width.value), height=int(self.height.value),
            fps=int(self.fps.value), seconds=float(self.seconds.value),
            encoder_threads=int(self.encoder_threads.value) or None, queue_maxsize=int(self.queue_maxsize.value),
        )
        self.run_button.disabled = True
        self.verdict.value = ""
        self.set_status(f"streaming {kwargs['cameras']} camera(s) for {kwargs['seconds']:g} s with {config.label()} ...")
        return self.job.start(lambda _cancel: check_realtime(config, frames=self._frames(), **kwargs),
                              on_done=self._show, on_finish=self._idle)

    def wait(self, timeout: float | None = None) -> RealtimeReport | None:
        """Block until the check ends; returns its report (re-raises an error that stopped it)."""
        self.job.wait(timeout)
        return self.report

    # -------------------------------------------------------------- work
    def _frames(self) -> Any:
        if self.frames is not None:
            return self.frames
        if self.source_panel is not None:
            try:
                eps = self.source_panel.episodes
                return eps[0] if eps else None
            except Exception as exc:  # noqa: BLE001 - fall back to the sample, and say so
                logger.info("real-time check uses the built-in sample: %s", exc)
        return None

    def _show(self, report: RealtimeReport) -> None:
        """The verdict and both plots of a finished check (in the job's thread)."""
        self.report = report
        color = _VERDICT_COLORS.get(report.verdict, "#444")
        self.verdict.value = (
            f"<div style='font-size:1.2em;color:{color}'><b>{html.escape(report.verdict)}</b></div>"
            f"<div>{html.escape(report.message)}</div>"
            f"<div><small>fed {report.frames_fed}, encoded {report.frames_encoded}, dropped "
            f"{report.frames_dropped}; headroom {report.headroom:.2f} (needs {report.required_headroom:g}); "
            f"frames: {html.escape(report.frames_source)}</small></div>"
        )
        with self._lock:
            replace_figure(self.queue_figure, roomy(queue_depth_figure(report)))
            replace_figure(self.bars_figure, roomy(realtime_bars_figure(report)))
        self.set_status(f"done in {report.wall_s:.1f} s", "ok" if report.ok else "warn")

    def _idle(self) -> None:
        self.run_button.disabled = False

    def _on_selection(self, *_: Any) -> None:
        config, origin = self.config()
        chosen = self.selection.config()
        if chosen is not None:  # the selected trial's threads (0 = None), not the previous selection's
            self.encoder_threads.value = int(chosen[1] or 0)
        threads = int(self.encoder_threads.value) or None
        self.config_html.value = (f"Config: <b>{html.escape(config.label())}</b>"
                                  f"{f' with encoder_threads={threads}' if threads else ''} "
                                  f"<small>({html.escape(origin)})</small>")
