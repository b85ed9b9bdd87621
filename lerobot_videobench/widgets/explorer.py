"""Explorer panel: the Pareto scatter of the store's configurations, filters, a sortable table and the
recommendation; clicking a point selects that configuration in every panel."""

from __future__ import annotations

import html
import logging
import os
from typing import Any

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go

from ..bench import load_results
from ..bench.columns import SCALE, column_title
from ..decide.constraints import Constraints
from ..decide.pareto import Recommendation, meeting_constraints, recommend, smallest
from ..errors import InvalidValueError
from ..report.figures import config_table, pareto_figure
from ._common import Panel, fmt, point_customdata, replace_figure, roomy
from .plot import PlotView
from .selection import Selection

logger = logging.getLogger(__name__)

QUALITY_METRICS = ("ssim_mean", "ssim_p5", "psnr_mean", "psnr_p5")
#: Columns of the table, in order (those missing from the results are left out).
TABLE_COLUMNS = (
    "label", "vcodec", "crf", "g", "preset", "pix_fmt", "encoder_threads", "bytes_per_frame", "bits_per_pixel",
    "ssim_mean", "ssim_p5", "psnr_mean", "psnr_p5", "encode_fps", "realtime_factor", "decode_fps",
    "load_1_frame_p50_ms", "trials", "failed",
)
_NUMBER_FORMATS = {"bytes_per_frame": ".2f", "bits_per_pixel": ".3f", "ssim_mean": ".4f", "ssim_p5": ".4f",
                   "psnr_mean": ".2f", "psnr_p5": ".2f", "encode_fps": ".0f", "realtime_factor": ".1f",
                   "decode_fps": ".0f", "load_1_frame_p50_ms": ".2f"}
MAX_TABLE_ROWS = 300


def _scaled(column: str, value: Any) -> Any:
    """A cell in the unit its header names (bytes per frame as KB/frame)."""
    scale = SCALE.get(column)
    if scale is None or value is None or isinstance(value, str):
        return value
    try:
        return float(value) * scale
    except (TypeError, ValueError):
        return value


class ExplorerPanel(Panel):
    """A view over the results store of ``selection.store_path``, reloaded when ``results_version`` moves.

    With ``auto_select`` (what the workbench uses), new results select the recommended configuration
    (the smallest one when nothing qualifies) so the other panels show something without a click.
    """

    def __init__(self, selection: Selection | None = None, *, store: str | os.PathLike | None = None,
                 auto_select: bool = False) -> None:
        super().__init__()
        selection = selection or Selection(store_path=str(store or ""))
        self.selection = selection
        self.auto_select = auto_select
        self.results: Any = None  # raw trial rows
        self.table: Any = None  # per-configuration table (config_table)
        self.recommendation: Recommendation | None = None
        self._syncing = False

        self.metric = W.Dropdown(options=QUALITY_METRICS, value="ssim_mean", description="Quality")
        self.codec_filter = W.SelectMultiple(options=[], description="Codecs", rows=4)
        self.min_ssim = W.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.001, readout_format=".3f",
                                      description="Min SSIM", continuous_update=False)
        self.realtime_only = W.Checkbox(value=False, description="Real-time only", indent=False)
        self.cameras = W.BoundedIntText(value=1, min=1, max=64, description="Cameras")
        self.fps = W.BoundedIntText(value=30, min=1, max=1000, description="fps")
        self.sort_by = W.Dropdown(options=[(column_title(c), c) for c in TABLE_COLUMNS if c != "vcodec"],
                                  value="bytes_per_frame",
                                  description="Sort by")
        self.ascending = W.ToggleButton(value=True, description="ascending", icon="sort-amount-asc")
        self.configuration = W.Dropdown(options=[], description="Select", layout=W.Layout(width="480px"))
        self.refresh_button = W.Button(description="Refresh", icon="refresh")
        self.recommended_button = W.Button(description="Select recommended", button_style="info", icon="star",
                                           disabled=True)
        self.recommendation_html = W.HTML()
        self.table_html = W.HTML()
        self.figure = PlotView(roomy(pareto_figure(None)))

        for w in (self.metric, self.codec_filter, self.min_ssim, self.realtime_only, self.cameras, self.fps):
            w.observe(self.guarded(lambda _: self.render(), "filter"), names="value")
        for w in (self.sort_by, self.ascending):
            w.observe(self.guarded(lambda _: self._render_table(), "sort"), names="value")
        self.ascending.observe(lambda c: setattr(self.ascending, "description", "ascending" if c["new"] else "descending"),
                               names="value")
        self.configuration.observe(self.guarded(self._on_configuration, "select"), names="value")
        self.refresh_button.on_click(self.guarded(lambda _: self.refresh(), "refresh"))
        self.recommended_button.on_click(self.guarded(lambda _: self.select_recommended(), "select"))
        selection.observe(self.guarded(self._on_results, "refresh"), names=["results_version", "store_path"])
        selection.observe(self.guarded(self._on_key, "selection"), names="key")

        filters = W.VBox([
            W.HBox([self.metric, self.refresh_button]),
            W.HBox([self.codec_filter, W.VBox([self.min_ssim, self.realtime_only, self.cameras, self.fps])]),
        ])
        self.widget = W.VBox([
            filters,
            self.status,
            self.figure,
            W.HBox([self.recommended_button, self.configuration]),
            self.recommendation_html,
            W.HBox([self.sort_by, self.ascending]),
            self.table_html,
        ])
        with self.guard("load results"):
            self.refresh(auto_select=auto_select and selection.key is None)

    # -------------------------------------------------------------- data
    def refresh(self, auto_select: bool = False) -> None:
        """Reload the results from ``selection.store_path`` and redraw; ``auto_select`` then selects the
        recommended (else the smallest) configuration."""
        with self._lock:
            path = self.selection.store_path
            try:
                results = load_results(path) if path else None
            except FileNotFoundError:
                results = None
            if results is None or not len(results):
                self.results, self.table = None, None
                self.codec_filter.options = []
                self.set_status(f"no results yet in {path or '(no store)'}: run a sweep", "info")
                self.render()
                return
            self.results = results
            self.table = config_table(results)
            codecs = sorted(str(c) for c in self.table["vcodec"].dropna().unique()) if "vcodec" in self.table else []
            keep = [c for c in self.codec_filter.value if c in codecs]
            self._syncing = True
            try:
                self.codec_filter.options = codecs
                self.codec_filter.value = tuple(keep or codecs)
            finally:
                self._syncing = False
            self._source_defaults(results)
            ok = int((results["status"] == "ok").sum()) if "status" in results else len(results)
            self.set_status(f"{len(self.table)} configuration(s) from {len(results)} trial(s) ({ok} ok) in {path}",
                            "ok")
            self.render()
        if auto_select:
            self.select_recommended(fallback_smallest=True)

    def _source_defaults(self, results: Any) -> None:
        """Cameras and fps start at the source's own (its camera count, its frame rate)."""
        try:
            c = Constraints.for_results(results)
        except InvalidValueError:  # a mixed store: the recommendation will say so; show its fastest rate
            c = Constraints.for_results(results, Constraints(allow_mixed=True))
        self._syncing = True
        try:
            self.cameras.value, self.fps.value = int(c.cameras), int(c.fps)
        finally:
            self._syncing = False

    def constraints(self) -> Constraints:
        """The panel's filters as the :class:`Constraints` every face uses."""
        quality_stat = "p5" if self.metric.value.endswith("p5") else "mean"
        all_codecs = set(self.codec_filter.options)
        codecs = tuple(self.codec_filter.value) if set(self.codec_filter.value) != all_codecs else None
        return Constraints(min_ssim=self.min_ssim.value or None, quality_stat=quality_stat,
                           cameras=int(self.cameras.value), fps=int(self.fps.value), codecs=codecs or None)

    def filtered(self) -> Any:
        """The per-configuration table after the codec, minimum-SSIM and real-time filters: the rows
        :func:`~lerobot_videobench.decide.pareto.meeting_constraints` keeps for :meth:`constraints`."""
        return meeting_constraints(self.table, self.constraints(), realtime=bool(self.realtime_only.value))

    def _recommend(self) -> Recommendation | None:
        if self.table is None or not len(self.table):
            return None
        return recommend(self.results, self.constraints())

    # -------------------------------------------------------------- rendering
    def render(self) -> None:
        """Redraw the scatter, the recommendation and the table from the loaded results and the filters."""
        if self._syncing:
            return
        with self._lock:
            table = self.filtered()
            empty = table is None or not len(table)
            fig = pareto_figure(table if not empty else None, x="bytes_per_frame", y=self.metric.value,
                                color="vcodec", size="encode_fps")
            self._mark_selected(fig, table)
            roomy(fig)
            replace_figure(self.figure, fig, self.guarded(self.on_point_click, "select"))
            self._render_recommendation()
            self._render_table()

    def _mark_selected(self, fig: go.Figure, table: Any) -> None:
        label = self.selected_label()
        if table is None or label is None or not len(table):
            return
        row = table[table["label"] == label]
        if not len(row):
            return
        r = row.iloc[0]
        try:
            if not (np.isfinite(float(r[self.metric.value])) and np.isfinite(float(r["bytes_per_frame"]))):
                return
        except (TypeError, ValueError):
            return
        fig.add_trace(go.Scatter(
            x=[float(r["bytes_per_frame"])], y=[float(r[self.metric.value])], mode="markers", name="selected",
            customdata=[[r["trial_key"], label]], hovertemplate=f"selected: {html.escape(label)}<extra></extra>",
            marker=dict(symbol="circle-open", size=26, color="#d62728", line=dict(width=3)),
        ))

    def _render_recommendation(self) -> None:
        try:
            rec = self._recommend()
        except ValueError as exc:
            rec = None
            self.recommendation_html.value = f"<i>no recommendation: {html.escape(str(exc))}</i>"
        else:
            if rec is None:
                self.recommendation_html.value = ""
            else:
                head = (f"<b>Recommended: {html.escape(rec.label)}</b>" if rec.qualified
                        else "<b>No configuration meets every constraint</b>")
                need = self.constraints().describe()
                lines = "".join(f"<li>{html.escape(x)}</li>" for x in rec.rationale)
                self.recommendation_html.value = f"{head} <small>({need})</small><ul>{lines}</ul>"
        self.recommendation = rec
        self.recommended_button.disabled = not (rec is not None and rec.qualified)

    def _render_table(self) -> None:
        table = self.filtered()
        if table is None or not len(table):
            self.table_html.value = "<i>no configurations to show</i>"
            self._set_configuration_options([])
            return
        col = self.sort_by.value if self.sort_by.value in table.columns else "bytes_per_frame"
        table = table.sort_values(col, ascending=self.ascending.value, na_position="last", kind="stable")
        cols = [c for c in TABLE_COLUMNS if c in table.columns]
        selected = self.selected_label()
        head = "".join(
            f"<th style='text-align:left;padding:2px 6px' title='{html.escape(c)}'>{html.escape(column_title(c))}"
            f"{' ▲' if c == col and self.ascending.value else ''}"
            f"{' ▼' if c == col and not self.ascending.value else ''}</th>" for c in cols)
        body = []
        for _, r in table.head(MAX_TABLE_ROWS).iterrows():
            style = " style='background:#fde2e1;font-weight:600'" if r["label"] == selected else ""
            cells = "".join(f"<td style='padding:2px 6px'>{fmt(_scaled(c, r[c]), _NUMBER_FORMATS.get(c, '.4g'))}</td>"
                            for c in cols)
            body.append(f"<tr{style}>{cells}</tr>")
        more = f"<div><i>{len(table) - MAX_TABLE_ROWS} more rows not shown</i></div>" if len(table) > MAX_TABLE_ROWS else ""
        self.table_html.value = (
            "<div style='max-height:420px;max-width:100%;overflow:auto'>"
            "<table style='border-collapse:collapse;font-size:12px;white-space:nowrap'>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>{more}"
        )
        self._set_configuration_options([(str(r["label"]), r["trial_key"]) for _, r in table.iterrows()
                                         if r["trial_key"]])

    def _set_configuration_options(self, options: list[tuple[str, str]]) -> None:
        self._syncing = True
        try:
            self.configuration.options = [("(choose a configuration)", None), *options]
            keys = {k for _, k in options}
            current = self._representative(self.selection.key) if self.selection.key else None
            self.configuration.value = current if current in keys else None
        finally:
            self._syncing = False

    # -------------------------------------------------------------- selection
    def _representative(self, key: str | None) -> str | None:
        """The figure/table key of the configuration that trial ``key`` belongs to."""
        label = self._label_of(key)
        if label is None or self.table is None:
            return None
        match = self.table[self.table["label"] == label]
        return match.iloc[0]["trial_key"] if len(match) else None

    def _label_of(self, key: str | None) -> str | None:
        if not key or self.results is None or "key" not in self.results:
            return None
        match = self.results[self.results["key"] == key]
        return str(match.iloc[0]["label"]) if len(match) else None

    def selected_label(self) -> str | None:
        """Label of the selected configuration (None when nothing, or a trial of another store, is selected)."""
        return self._label_of(self.selection.key)

    def select(self, key: str) -> None:
        """Select trial ``key`` (what a click on a point does), for every panel following the selection."""
        if self.results is not None and "key" in self.results and key not in set(self.results["key"]):
            raise KeyError(f"no trial with key {key!r} in {self.selection.store_path}")
        self.selection.key = key

    def on_point_click(self, trace: Any, points: Any, selector: Any = None) -> None:
        """The scatter's click handler (registered with ``trace.on_click``): select the clicked configuration."""
        data = point_customdata(trace, points)
        if data is not None and data[0]:
            self.select(str(data[0]))

    def select_recommended(self, fallback_smallest: bool = False) -> str | None:
        """Select the recommended configuration (with ``fallback_smallest``, the smallest one when none
        qualifies); returns the selected key."""
        rec = self.recommendation
        key = None
        if rec is not None and rec.qualified and self.table is not None:
            match = self.table[self.table["label"] == rec.label]
            key = match.iloc[0]["trial_key"] if len(match) else None
        if key is None and fallback_smallest:
            table = self.filtered()
            if table is None or not len(table):
                table = self.table
            if table is not None and len(table):
                row = smallest(table[table["trial_key"].notna()])
                key = row["trial_key"] if row is not None else None
        if key is not None:
            self.select(str(key))
        return key

    # -------------------------------------------------------------- observers
    def _on_results(self, change: dict) -> None:
        self.refresh(auto_select=self.auto_select and change["name"] == "results_version")

    def _on_key(self, change: dict) -> None:
        self.render()

    def _on_configuration(self, change: dict) -> None:
        if not self._syncing and change["new"]:
            self.select(change["new"])
