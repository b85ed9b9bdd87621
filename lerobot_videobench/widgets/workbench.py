"""``Workbench``: every panel in one tabbed app around one shared :class:`Selection`."""

from __future__ import annotations

import html
import os
from typing import Any

import ipywidgets as W

from ..bench import MeasureSettings
from ._common import Panel
from .explorer import ExplorerPanel
from .export import ExportPanel
from .frames import FramePanel
from .realtime import RealtimePanel
from .selection import Selection
from .source import SourcePanel
from .sweep import SweepPanel

TAB_TITLES = ("Source", "Sweep", "Explore", "Frames", "Real-time", "Export")


class Workbench(Panel):
    """Source -> Sweep -> Explore -> Frames / Real-time / Export, sharing the selected configuration.

    When a sweep finishes the explorer reloads and selects the recommended (else the smallest)
    configuration, so Frames and Export show something without a click. ``workers``, ``settings``
    and ``scheduler`` are handed to the sweep panel.
    """

    def __init__(
        self,
        source: str = "sample",
        store: str | os.PathLike = "videobench_results.sqlite",
        grid: str | os.PathLike | dict[str, Any] = "quick",
        max_frames: int | None = None,
        cache_dir: str | os.PathLike | None = None,
        *,
        workers: int | None = None,
        settings: MeasureSettings | None = None,
        scheduler: Any = None,
    ) -> None:
        super().__init__()
        self.selection = Selection(store_path=str(store))
        self.source = SourcePanel(source, self.selection, max_frames=max_frames)
        self.sweep = SweepPanel(self.source, self.selection, store=store, grid=grid, workers=workers,
                                settings=settings, cache_dir=cache_dir, scheduler=scheduler)
        self.explorer = ExplorerPanel(self.selection, auto_select=True)
        self.frames = FramePanel(self.selection, cache_dir=cache_dir, source_panel=self.source)
        self.realtime = RealtimePanel(self.selection, source_panel=self.source)
        self.export = ExportPanel(self.selection)

        self.header = W.HTML()
        self.tabs = W.Tab(children=[p.widget for p in self.panels])
        for i, title in enumerate(TAB_TITLES):
            self.tabs.set_title(i, title)
        self.selection.observe(self.guarded(self._update_header, "header"), names=["key", "store_path"])
        self._update_header()
        self.source.on_load(self.guarded(self._apply_source, "source"))
        if self.source.info is not None:
            with self.guard("source"):
                self._apply_source(self.source.info)
        self.widget = W.VBox([self.header, self.status, self.tabs])

    @property
    def panels(self) -> list[Panel]:
        return [self.source, self.sweep, self.explorer, self.frames, self.realtime, self.export]

    def _apply_source(self, info: Any) -> None:
        """Cameras, frame rate and resolution come from the source (as ``demo`` takes them), not defaults:
        the recommendation and the real-time check then ask for what this robot records. They count the RGB
        cameras, which the swept RGB configuration encodes; depth cameras use LeRobot's depth_encoder."""
        cameras = list(getattr(info, "rgb_cameras", None) or info.cameras)
        if not cameras:
            return
        cams, fps = len(cameras), int(info.fps or cameras[0].fps or 30)
        widest = max(cameras, key=lambda c: c.width * c.height)
        self.explorer.cameras.value, self.explorer.fps.value = cams, fps
        rt = self.realtime
        rt.cameras.value, rt.fps.value = cams, fps
        rt.width.value, rt.height.value = max(16, int(widest.width)), max(16, int(widest.height))

    def _update_header(self, *_: Any) -> None:
        row = None
        try:
            row = self.selection.row()
        except (KeyError, OSError, ValueError):
            row = None
        if row is None:
            text = "<i>no configuration selected yet: run a sweep (Sweep tab) or pick a point (Explore tab)</i>"
        else:
            text = (f"Selected: <b>{html.escape(str(row.get('label')))}</b> on "
                    f"{html.escape(str(row.get('episode_key')))} "
                    f"<small>(trial {html.escape(str(self.selection.key)[:12])}, "
                    f"{html.escape(self.selection.store_path)})</small>")
        self.header.value = f"<div style='padding:4px 0'>{text}</div>"
