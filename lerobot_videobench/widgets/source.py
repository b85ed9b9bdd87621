"""Source panel: pick a dataset (local path, Hub id, the sample), its episodes and cameras, look at frames
and at what ``lerobot-videobench inspect`` would say about it."""

from __future__ import annotations

import html
import itertools
import logging
from typing import Any

import ipywidgets as W

from ..episodes import Episode, SourceInfo, describe_source, load_episodes
from ..episodes.sample import sample_dir
from ..report.images import png_bytes, thumbnail
from ._common import with_hint, Panel, upscale
from .selection import Selection

logger = logging.getLogger(__name__)

#: A public LeRobot dataset on the Hub, as an example of the ``org/name`` form.
HUB_EXAMPLE = "lerobot/pusht"


def _examples() -> list[tuple[str, str]]:
    local = str(sample_dir() / "tabletop")
    return [
        ("examples...", ""),
        ("built-in sample", "sample"),
        (f"local path: {local}", local),
        (f"Hub dataset: {HUB_EXAMPLE}", HUB_EXAMPLE),
    ]


def _hours(h: float) -> str:
    return f"{h:.2f} h" if h >= 0.1 else f"{h * 3600:.1f} s"


def info_html(info: SourceInfo) -> str:
    """What ``inspect`` prints, as an HTML block."""
    e = html.escape
    eps = info.episodes
    ep_text = f"{len(eps)}" + (f" (indices {eps[0]}..{eps[-1]})" if len(eps) > 1 else "")
    lossy = {True: "yes: already compressed, quality is measured against decoded frames", False: "no",
             None: "unknown"}[info.lossy]
    head = [
        ("source", f"{info.source} [{info.kind}{', ' + info.version if info.version else ''}]"),
        ("path", info.path or "-"),
        ("episodes", f"{ep_text}, {info.total_frames} frames at {info.fps} fps"),
        ("duration", f"{_hours(info.duration_hours)} per camera, {_hours(info.video_hours)} of video in total"),
        ("lossy", lossy),
    ]
    rows = "".join(f"<tr><th style='text-align:left;padding-right:1em'>{e(k)}</th><td>{e(str(v))}</td></tr>"
                   for k, v in head)
    cams = "".join(
        "<tr>" + "".join(f"<td style='padding-right:1em'>{e(str(x))}</td>" for x in (
            c.key, c.kind, f"{c.width}x{c.height}", c.fps, c.storage, c.codec or "", c.pix_fmt or "",
            {True: "yes", False: "no", None: "?"}[c.lossy],
            " ".join(f"{k}={v}" for k, v in c.encoder_settings.items() if v not in (None, {}, "")),
        )) + "</tr>"
        for c in info.cameras
    )
    cam_head = "".join(f"<th style='text-align:left;padding-right:1em'>{h}</th>" for h in (
        "camera", "kind", "resolution", "fps", "storage", "codec", "pix_fmt", "lossy", "encoder settings"))
    depth = "".join(f"<div>depth: {e(c.key)}: {e(c.depth_summary())}</div>" for c in info.depth_cameras)
    notes = depth + "".join(f"<div>note: {e(n)}</div>" for n in info.notes)
    return (f"<table>{rows}</table><table style='margin-top:.5em'><tr>{cam_head}</tr>{cams}</table>{notes}")


class SourcePanel(Panel):
    """Choose a source and which of its episodes and cameras a sweep measures.

    ``episodes`` is what the sweep panel runs on: the selected (episode, camera) pairs with
    ``max_frames`` applied, loaded lazily and remembered until the choice changes.
    """

    def __init__(self, source: str = "sample", selection: Selection | None = None, *,
                 max_frames: int | None = None, autoload: bool = True) -> None:
        super().__init__()
        self.selection = selection or Selection()
        self.info: SourceInfo | None = None
        self._cache: tuple[tuple, list[Episode]] | None = None
        self._preview_frame_cache: dict[tuple[str, int], bytes] = {}
        self._suspend = False
        self._load_callbacks: list[Any] = []

        self.source_text = W.Text(value=str(source), description="Source", placeholder="path, org/name or sample",
                                  layout=W.Layout(width="420px"))
        self.examples = W.Dropdown(options=_examples(), value="", layout=W.Layout(width="260px"))
        self.load_button = W.Button(description="Load", button_style="primary", icon="folder-open")
        self.episodes_select = W.SelectMultiple(options=[], description="Episodes", rows=5)
        self.cameras_select = W.SelectMultiple(options=[], description="Cameras", rows=5,
                                               layout=W.Layout(width="360px"))
        self.max_frames = W.BoundedIntText(value=int(max_frames or 0), min=0, max=10**9, description="Max frames",
                                           tooltip="0 = whole episodes")
        self.preview_episode = W.Dropdown(options=[], description="Preview", layout=W.Layout(width="420px"))
        self.preview_slider = W.IntSlider(value=0, min=0, max=0, description="Frame", continuous_update=False)
        self.preview = W.Image(format="png", layout=W.Layout(max_width="640px"))
        self.info_html = W.HTML()

        self.examples.observe(self.guarded(self._on_example), names="value")
        self.load_button.on_click(self.guarded(lambda _: self.load(), "load"))
        for w in (self.episodes_select, self.cameras_select, self.max_frames):
            w.observe(self.guarded(self._on_choice, "selection"), names="value")
        self.preview_episode.observe(self.guarded(self._on_preview_episode, "preview"), names="value")
        self.preview_slider.observe(self.guarded(lambda _: self.render_preview(), "preview"), names="value")

        self.widget = W.VBox([
            W.HBox([self.source_text, self.examples, self.load_button]),
            W.HBox([self.episodes_select, self.cameras_select, with_hint(self.max_frames, "0 = whole episodes")]),
            self.status,
            W.HBox([W.VBox([self.preview_episode, self.preview_slider, self.preview]), self.info_html]),
        ])
        if autoload:
            self.load()

    # -------------------------------------------------------------- public API
    @property
    def source(self) -> str:
        return self.source_text.value.strip()

    def load(self) -> SourceInfo | None:
        """Describe the source in the text box and offer its episodes and cameras (the first episode and
        every RGB camera are selected). Errors are shown in the status line and return None."""
        with self.guard("cannot load source"):
            self.set_status(f"loading {self.source} ...")
            info = describe_source(self.source)
            self.info = info
            self._cache = None
            self._preview_frame_cache.clear()
            self.info_html.value = info_html(info)
            self._suspend = True
            try:
                present = [i for i in info.episodes if i not in set(info.missing_episodes)]  # partial download
                self.episodes_select.options = [(f"episode {i}", i) for i in present]
                self.episodes_select.value = tuple(present[:1])
                self.cameras_select.options = [
                    (c.key.removeprefix("observation.images.") + (" (depth)" if c.is_depth else ""), c.key)
                    for c in info.cameras]
                # RGB cameras are preselected; depth ones are offered (RGB settings do not apply to them)
                self.cameras_select.value = tuple(c.key for c in (info.rgb_cameras or info.cameras))
            finally:
                self._suspend = False
            self._on_choice()
            self.set_status(f"{info.kind}: {info.num_episodes} episode(s), {len(info.cameras)} camera(s)", "ok")
            for callback in self._load_callbacks:
                callback(info)
            return info
        self.info = None
        self._cache = None
        self.info_html.value = ""
        self._suspend = True
        self.episodes_select.options = []
        self._suspend = False
        self.cameras_select.options = []
        self.preview_episode.options = []
        self.preview.value = b""
        return None

    def on_load(self, callback: Any) -> None:
        """Call ``callback(info)`` after every successful load (other panels take cameras and fps from it)."""
        self._load_callbacks.append(callback)

    def loaded_episodes(self) -> list[Episode]:
        """The episodes already loaded for the current choice (none read from disk here; [] if none)."""
        return list(self._cache[1]) if self._cache is not None else []

    @property
    def episodes(self) -> list[Episode]:
        """The selected (episode, camera) pairs with ``max_frames`` applied (raises when nothing is chosen)."""
        if self.info is None:
            raise ValueError(f"no source loaded: {self.error or 'press Load'}")
        eps, cams = list(self.episodes_select.value), list(self.cameras_select.value)
        if not eps:
            raise ValueError("select at least one episode")
        if not cams:
            raise ValueError("select at least one camera")
        max_frames = int(self.max_frames.value) or None
        key = (self.source, tuple(eps), tuple(cams), max_frames)
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, load_episodes(self.source, episodes=eps, cameras=cams, max_frames=max_frames))
        return list(self._cache[1])

    def render_preview(self) -> None:
        """Show frame ``preview_slider.value`` of the previewed episode (read sequentially: sources are
        streams, so far frames of long episodes take a moment)."""
        ep = self._preview_ep()
        if ep is None:
            self.preview.value = b""
            return
        i = min(int(self.preview_slider.value), ep.num_frames - 1)
        cache_key = (f"{self.source}|{ep.source_id}|{ep.key}", i)
        png = self._preview_frame_cache.get(cache_key)
        if png is None:
            frame = next(itertools.islice(ep.iter_frames(), i, None), None)
            if frame is None:
                raise ValueError(f"{ep.key} has fewer than {i + 1} frames")
            png = thumbnail(frame, 640) if frame.shape[1] >= 320 else png_bytes(upscale(frame, 320))
            if len(self._preview_frame_cache) > 64:
                self._preview_frame_cache.clear()
            self._preview_frame_cache[cache_key] = png
        self.preview.value = png

    # -------------------------------------------------------------- callbacks
    def _on_example(self, change: dict) -> None:
        if change["new"]:
            self.source_text.value = change["new"]

    def _on_choice(self, *_: Any) -> None:
        if self.info is None or self._suspend:
            return
        try:
            eps = self.episodes
        except ValueError as exc:
            self.preview_episode.options = []
            self.set_status(str(exc), "warn")
            return
        current = self.preview_episode.value
        options = [(f"{e.key} ({e.width}x{e.height}, {e.num_frames} frames)", e.key) for e in eps]
        self.preview_episode.options = options
        keys = [k for _, k in options]
        self.preview_episode.value = current if current in keys else keys[0]
        self._on_preview_episode()
        total = sum(e.num_frames for e in eps)
        self.set_status(f"{len(eps)} episode stream(s), {total} frames selected", "ok")

    def _preview_ep(self) -> Episode | None:
        if self._cache is None or not self.preview_episode.value:
            return None
        return next((e for e in self._cache[1] if e.key == self.preview_episode.value), None)

    def _on_preview_episode(self, *_: Any) -> None:
        ep = self._preview_ep()
        if ep is None:
            return
        self.preview_slider.max = max(0, ep.num_frames - 1)
        self.render_preview()
