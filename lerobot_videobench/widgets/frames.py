"""Frame panel: the selected trial's source and encoded frames side by side, a zoomed crop, an amplified
difference heatmap and the per-frame quality trace with GOP boundaries, to see what the numbers mean.
A depth trial shows colour-mapped depth (one scale for source and decoded), an error heat map in mm and
the per-frame depth-error trace with the quantization floor."""

from __future__ import annotations

import html
import logging
import os
from typing import Any

import ipywidgets as W
import numpy as np

from ..bench.depth_metrics import abs_error_map
from ..bench.frames import TrialFrames, amplified_difference, open_trial
from ..report.figures import frame_quality_figure
from ..report.images import depth_colour, depth_error_heatmap, depth_scale, error_scale, png_bytes
from ._common import Panel, colormap, crop, outline, replace_figure, roomy, upscale
from .plot import PlotView
from .selection import Selection

logger = logging.getLogger(__name__)

#: Width in pixels of the zoomed crops.
ZOOM_WIDTH = 256
#: Small frames are enlarged (nearest neighbour) to at least this width so their pixels can be seen.
MIN_VIEW_WIDTH = 320
WORST_BUTTONS = 5


class FramePanel(Panel):
    """Follows ``selection.key``: opens the trial with :func:`open_trial` and shows frame by frame what
    the encoder did. Source frames come from the sweep's frame cache (``cache_dir``); when it was
    cleared, the matching episode of ``source_panel`` (same content fingerprint) is read instead.
    Without a shared ``selection`` it works alone on ``store`` (``panel.show(key)``).
    """

    def __init__(self, selection: Selection | None = None, cache_dir: str | os.PathLike | None = None, *,
                 store: str | os.PathLike | None = None, source_panel: Any = None) -> None:
        super().__init__()
        selection = selection or Selection(store_path=str(store or ""))
        self.selection = selection
        self.cache_dir = cache_dir
        self.source_panel = source_panel
        self.trial: TrialFrames | None = None
        self.key: str | None = None
        self.index = 0
        self._frames: tuple[int, np.ndarray, np.ndarray] | None = None
        self._worst: list[int] = []
        self._syncing = False

        self.title = W.HTML()
        self.slider = W.IntSlider(value=0, min=0, max=0, description="Frame", continuous_update=False,
                                  layout=W.Layout(width="520px"))
        self.source_image = W.Image(format="png", layout=W.Layout(max_width="480px"))
        self.encoded_image = W.Image(format="png", layout=W.Layout(max_width="480px"))
        self.crop_x = W.IntSlider(value=0, min=0, max=0, description="Zoom x", continuous_update=False)
        self.crop_y = W.IntSlider(value=0, min=0, max=0, description="Zoom y", continuous_update=False)
        self.crop_size = W.IntSlider(value=32, min=4, max=32, description="Zoom size", continuous_update=False)
        self.source_zoom = W.Image(format="png")
        self.encoded_zoom = W.Image(format="png")
        self.gain = W.FloatSlider(value=8.0, min=1.0, max=64.0, step=1.0, description="Diff gain",
                                  continuous_update=False)
        self.diff_image = W.Image(format="png", layout=W.Layout(max_width="480px"))
        self.diff_caption = W.HTML("<b>difference |source - encoded| x gain</b>")
        self.frame_info = W.HTML()
        self.worst_buttons = [W.Button(description=f"worst {i + 1}", layout=W.Layout(width="80px"))
                              for i in range(WORST_BUTTONS)]
        self.quality_figure = PlotView()

        self.slider.observe(self.guarded(self._on_slider, "frame"), names="value")
        for w in (self.crop_x, self.crop_y, self.crop_size, self.gain):
            w.observe(self.guarded(lambda _: self._render_views(), "zoom"), names="value")
        self.crop_size.observe(self.guarded(lambda _: self._update_crop_ranges(), "zoom"), names="value")
        for rank, b in enumerate(self.worst_buttons):
            b.on_click(self.guarded(lambda _b, r=rank: self.goto_worst(r), "worst frame"))
        selection.observe(self.guarded(self._on_key, "open trial"), names=["key", "store_path"])

        def captioned(caption: str, image: W.Image) -> W.VBox:
            return W.VBox([W.HTML(f"<b>{caption}</b>"), image])

        self.widget = W.VBox([
            self.title,
            self.status,
            W.HBox([self.slider, *self.worst_buttons]),
            self.frame_info,
            W.HBox([captioned("source", self.source_image), captioned("encoded", self.encoded_image)]),
            W.HBox([
                W.VBox([self.crop_x, self.crop_y, self.crop_size, self.gain]),
                captioned("source (zoom)", self.source_zoom),
                captioned("encoded (zoom)", self.encoded_zoom),
            ]),
            W.VBox([self.diff_caption, self.diff_image]),
            self.quality_figure,
        ])
        if selection.key:
            with self.guard("open trial"):
                self.show(selection.key)
        else:
            self.set_status("no configuration selected: run a sweep, or click a point in Explore", "info")

    # -------------------------------------------------------------- public API
    def show(self, key: str) -> None:
        """Open trial ``key`` of the selection's store and show its first frame (or the current one)."""
        with self._lock:
            self.key = key
            self._frames = None
            self.trial = None
            self._clear_images()
            trial = open_trial(self.selection.store_path, key, cache_dir=self.cache_dir, episode=self._episode_for(key))
            self.trial = trial
            row = trial.row
            self.title.value = (f"<b>{html.escape(trial.label)}</b> on {html.escape(str(row.get('episode_key')))} "
                                f"({row.get('width')}x{row.get('height')}, {trial.num_frames} frames) "
                                f"<small>key {html.escape(key[:12])}</small>")
            if row.get("status") != "ok":
                raise ValueError(f"trial {trial.label!r} {row.get('status')}: {row.get('error')}")
            try:
                self._worst = trial.worst_frames(WORST_BUTTONS)
            except ValueError:
                self._worst = []
            for rank, b in enumerate(self.worst_buttons):
                b.disabled = rank >= len(self._worst)
                b.tooltip = f"frame {self._worst[rank]}" if rank < len(self._worst) else ""
            replace_figure(self.quality_figure, roomy(frame_quality_figure(trial)),
                           self.guarded(self.on_trace_click, "frame"))
            self.gain.layout.display = "none" if trial.is_depth else None
            w, h = int(row["width"]), int(row["height"])
            self._syncing = True
            try:
                self.crop_size.max = max(4, min(w, h))
                self.crop_size.value = max(4, min(w, h) // 4)
                self._update_crop_ranges()
                self.crop_x.value, self.crop_y.value = (w - self.crop_size.value) // 2, (h - self.crop_size.value) // 2
                self.slider.max = max(0, trial.num_frames - 1)
            finally:
                self._syncing = False
            problems = self._availability()
            if problems:
                self.set_status(problems, "warn")
                return
            self.set_status(f"{trial.num_frames} frames; GOP starts at {self._keyframes_text()}", "ok")
            self.goto(min(self.index, trial.num_frames - 1))

    def goto(self, frame_index: int) -> None:
        """Show frame ``frame_index`` (source, encoded, zoom, difference, marker on the trace)."""
        if self.trial is None:
            raise ValueError("no trial open: select a configuration first")
        i = int(frame_index)
        if not 0 <= i < self.trial.num_frames:
            raise ValueError(f"frame index {i} out of range; this trial has frames 0..{self.trial.num_frames - 1}")
        with self._lock:
            self.index = i
            if self.slider.value != i:
                self._syncing = True
                try:
                    self.slider.value = i
                finally:
                    self._syncing = False
            if self._frames is None or self._frames[0] != i:
                self._frames = (i, self.trial.source_frame(i), self.trial.encoded_frame(i))
            self._render_views()
            self._render_info()
            self._mark_frame()

    def goto_worst(self, rank: int = 0) -> int:
        """Jump to the ``rank``-th worst frame (lowest SSIM, or largest depth error; 0 = the worst); returns its index."""
        if self.trial is None:
            raise ValueError("no trial open: select a configuration first")
        if not 0 <= rank < len(self._worst):
            raise ValueError(f"rank={rank} out of range; {len(self._worst)} worst frames known")
        self.goto(self._worst[rank])
        return self._worst[rank]

    def on_trace_click(self, trace: Any, points: Any, selector: Any = None) -> None:
        """Click handler of the quality trace (``trace.on_click``): jump to the clicked frame."""
        inds = list(getattr(points, "point_inds", []) or [])
        if not inds or trace.x is None or str(trace.name or "").startswith("GOP"):
            return
        x = trace.x[inds[0]]
        if x is not None:
            self.goto(int(x))

    # -------------------------------------------------------------- helpers
    def _episode_for(self, key: str) -> Any:
        """The source panel's episode holding trial ``key``'s frames, if it is loaded (else None)."""
        panel = self.source_panel
        loaded = panel.loaded_episodes() if panel is not None else []
        if not loaded:
            return None
        from ..bench.store import ResultStore

        row = ResultStore(self.selection.store_path, read_only=True).summary(key)
        for ep in loaded:
            if ep.key == row.get("episode_key") and ep.num_frames == row.get("frames"):
                try:
                    if ep.fingerprint(self.cache_dir) == row.get("source_fingerprint"):
                        return ep
                except Exception:  # noqa: BLE001 - an unreadable source is reported by the viewer itself
                    return None
        return None

    def _availability(self) -> str | None:
        """Why frames cannot be shown (missing mp4, missing source frames), or None."""
        assert self.trial is not None
        reasons = []
        try:
            self.trial.video_path
        except FileNotFoundError as exc:
            reasons.append(f"encoded frames unavailable: {exc}")
        try:
            self.trial.source_frame(0)
        except (FileNotFoundError, ValueError) as exc:
            reasons.append(f"source frames unavailable: {exc}. Load the same source in the Source tab "
                           f"(or keep the frame cache) to compare frames.")
        return "\n".join(reasons) or None

    def _keyframes_text(self) -> str:
        try:
            kf = self.trial.keyframes if self.trial else []
        except (FileNotFoundError, OSError, ValueError):
            return "unknown"
        return ", ".join(map(str, kf[:12])) + (" ..." if len(kf) > 12 else "")

    def _clear_images(self) -> None:
        for img in (self.source_image, self.encoded_image, self.source_zoom, self.encoded_zoom, self.diff_image):
            img.value = b""
        self.frame_info.value = ""

    def _update_crop_ranges(self) -> None:
        if self.trial is None:
            return
        row = self.trial.row
        w, h = int(row["width"]), int(row["height"])
        size = int(self.crop_size.value)
        self.crop_x.max = max(0, w - size)
        self.crop_y.max = max(0, h - size)

    def _render_views(self) -> None:
        if self._syncing or self._frames is None:
            return
        _, src, enc = self._frames
        x, y, size = self.crop_x.value, self.crop_y.value, self.crop_size.value
        if self.trial is not None and self.trial.is_depth:
            self._render_depth(src, enc, x, y, size)
            return
        self.diff_caption.value = "<b>difference |source - encoded| x gain</b>"
        self.source_image.value = png_bytes(upscale(outline(src, x, y, size), MIN_VIEW_WIDTH))
        self.encoded_image.value = png_bytes(upscale(outline(enc, x, y, size), MIN_VIEW_WIDTH))
        self.source_zoom.value = png_bytes(upscale(crop(src, x, y, size), ZOOM_WIDTH))
        self.encoded_zoom.value = png_bytes(upscale(crop(enc, x, y, size), ZOOM_WIDTH))
        diff = colormap(amplified_difference(src, enc, self.gain.value))
        self.diff_image.value = png_bytes(upscale(diff, MIN_VIEW_WIDTH))

    def _render_depth(self, src: np.ndarray, enc: np.ndarray, x: int, y: int, size: int) -> None:
        """Source and decoded depth on the source's colour scale, and the error in mm as a heat map."""
        lo, hi = depth_scale(src)
        src_rgb, enc_rgb = depth_colour(src, lo, hi), depth_colour(enc, lo, hi)
        white = (255, 255, 255)
        self.source_image.value = png_bytes(upscale(outline(src_rgb, x, y, size, white), MIN_VIEW_WIDTH))
        self.encoded_image.value = png_bytes(upscale(outline(enc_rgb, x, y, size, white), MIN_VIEW_WIDTH))
        self.source_zoom.value = png_bytes(upscale(crop(src_rgb, x, y, size), ZOOM_WIDTH))
        self.encoded_zoom.value = png_bytes(upscale(crop(enc_rgb, x, y, size), ZOOM_WIDTH))
        vmax = error_scale(abs_error_map(src, enc), src > 0)
        self.diff_image.value = png_bytes(upscale(depth_error_heatmap(src, enc, vmax), MIN_VIEW_WIDTH))
        self.diff_caption.value = (f"<b>depth error |decoded - source|</b>: black 0 mm .. yellow {vmax:.0f} mm "
                                   f"(p99 of this frame); depth scale {lo:.0f}..{hi:.0f} mm, black = no return")

    def _render_info(self) -> None:
        assert self.trial is not None
        i = self.index
        parts = [f"frame <b>{i}</b> / {self.trial.num_frames - 1}"]
        parts += self._depth_figures(i) if self.trial.is_depth else self._rgb_figures(i)
        try:
            if i in self.trial.keyframes:
                parts.append("keyframe (GOP start)")
        except (FileNotFoundError, OSError, ValueError):
            pass
        if i in self._worst:
            parts.append(f"worst #{self._worst.index(i) + 1}")
        self.frame_info.value = " &middot; ".join(parts)

    #: Per-frame figures shown for a depth trial (array name, caption), all in mm.
    DEPTH_FIGURES = (("depth_mean", "mean"), ("depth_max", "max"), ("depth_floor_mean", "floor mean"))

    def _depth_figures(self, i: int) -> list[str]:
        assert self.trial is not None
        out = []
        for metric, name in self.DEPTH_FIGURES:
            values = self.trial.arrays.get(f"{metric}_frames")
            if values is not None and i < len(values):
                out.append(f"{name} {float(values[i]):.2f} mm")
        return out

    def _rgb_figures(self, i: int) -> list[str]:
        assert self.trial is not None
        out = []
        for metric, spec in (("ssim", ".4f"), ("psnr", ".2f")):
            try:
                v = float(self.trial.quality(metric)[i])
            except (ValueError, IndexError):
                continue
            out.append(f"{metric.upper()} {'inf' if np.isinf(v) else format(v, spec)}")
        return out

    def _mark_frame(self) -> None:
        self.quality_figure.update_layout(shapes=[dict(
            type="line", x0=self.index, x1=self.index, xref="x", yref="paper", y0=0, y1=1,
            line=dict(color="#d62728", width=1.5),
        )])

    def _on_slider(self, change: dict) -> None:
        if not self._syncing and self.trial is not None:
            self.goto(change["new"])

    def _on_key(self, change: dict) -> None:
        key = self.selection.key
        if not key:
            self.trial, self.key = None, None
            self._clear_images()
            self.set_status("no configuration selected: run a sweep, or click a point in Explore", "info")
            return
        self.show(key)
