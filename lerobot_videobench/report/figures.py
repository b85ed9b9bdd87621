"""Plotly figures shared by the HTML report and the widgets (which wrap them in ``go.FigureWidget``).

Every function is pure: data in, ``go.Figure`` out, nothing drawn or printed. Configuration-level
figures carry ``customdata = [trial_key, label]`` on every point, so a click in a widget can select the
configuration (``trial_key`` is the configuration's representative trial: its worst episode by SSIM).
Codecs keep one colour everywhere, and every figure copes with an empty table (axes, no points), so
a live sweep can start drawing from nothing.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from ..bench.summary import summarize
from ..decide.pareto import OBJECTIVES, pareto_mask

#: Human axis titles per results column (SSIM titles get the flavour appended).
AXIS_TITLES: dict[str, str] = {
    "bytes_per_frame": "size (bytes per frame)",
    "bits_per_pixel": "bits per pixel",
    "bitrate_kbps": "bitrate (kbit/s)",
    "size_ratio_png": "size relative to a PNG folder",
    "ssim_mean": "SSIM, mean over frames",
    "ssim_p5": "SSIM, 5th percentile of frames",
    "ssim_min": "SSIM, worst frame",
    "psnr_mean": "PSNR, mean over frames (dB)",
    "psnr_p5": "PSNR, 5th percentile of frames (dB)",
    "psnr_min": "PSNR, worst frame (dB)",
    "encode_fps": "encode speed (frames/s)",
    "realtime_factor": "encode speed (x real time, one stream)",
    "decode_fps": "decode speed (frames/s)",
    "load_1_frame_p50_ms": "random-access load, 1 frame, median (ms)",
    "load_1_frame_p95_ms": "random-access load, 1 frame, p95 (ms)",
    "load_6_frames_p50_ms": "random-access load, 6 frames, median (ms per frame)",
    "depth_mean_mm": "depth error, mean over valid pixels (mm)",
    "depth_p95_mm": "depth error, p95 of valid pixels (mm)",
    "depth_max_mm": "depth error, worst pixel (mm)",
    "depth_edge_mean_mm": "depth error at edges, mean (mm)",
    "depth_frac_over_1cm": "pixels off by more than 1 cm (fraction)",
}

#: Whether smaller or larger is better, per column (the Pareto objectives plus a few more).
SENSES: dict[str, str] = {
    **{col: sense for col, sense in OBJECTIVES.values()},
    "bitrate_kbps": "min",
    "size_ratio_png": "min",
    "ssim_min": "max",
    "psnr_min": "max",
    "decode_fps": "max",
}

#: Fixed codec colours so a codec looks the same in every figure and widget.
CODEC_COLORS: dict[str, str] = {
    "libsvtav1": "#1f77b4",
    "h264": "#ff7f0e",
    "hevc": "#2ca02c",
    "libaom-av1": "#9467bd",
}
_PALETTE = ("#d62728", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")

#: Settings that split one codec's rate-quality points into separate curves when they vary.
CURVE_SETTINGS: tuple[str, ...] = ("preset", "g", "pix_fmt", "fast_decode", "extra_options", "encoder_threads")

_SIZE_COLUMNS = {"bytes_per_frame", "bits_per_pixel", "bitrate_kbps", "size_ratio_png"}
#: Above this many keyframes the per-frame trace marks GOP starts with ticks, not full-height lines.
MAX_GOP_LINES = 40
_LAYOUT = dict(
    template="plotly_white",
    height=420,
    margin=dict(l=60, r=30, t=90, b=50),
    # the legend sits between the title (top) and the plot area, so the two never overlap
    legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
    title_y=0.97,
    title_yanchor="top",
    hovermode="closest",
)


# ---------------------------------------------------------------------------------------------- helpers
def codec_color(codec: Any) -> str:
    """The colour of ``codec`` in every figure (unknown codecs get a stable palette colour)."""
    name = str(codec)
    if name in CODEC_COLORS:
        return CODEC_COLORS[name]
    return _PALETTE[sum(name.encode()) % len(_PALETTE)]


def ssim_flavour(results: Any) -> str | None:
    """The SSIM flavour the results were measured with (``None`` when unknown or empty)."""
    if results is None or "ssim_flavour" not in getattr(results, "columns", ()):
        return None
    values = results["ssim_flavour"].dropna().unique()
    return str(values[0]) if len(values) == 1 else (", ".join(map(str, values)) if len(values) else None)


def axis_title(column: str, flavour: str | None = None) -> str:
    """Axis title of a results column; SSIM titles name the flavour (values of flavours differ)."""
    title = AXIS_TITLES.get(column, column.replace("_", " "))
    if column.startswith("ssim") and flavour:
        title += f" [{flavour} SSIM]"
    return title


def config_table(results: Any) -> Any:
    """Per-configuration table (:func:`summarize`) plus ``trial_key`` and ``ssim_flavour``.

    Accepts raw trial rows or an already summarised table. ``trial_key`` is the configuration's ok
    trial with the lowest mean SSIM (its hardest episode: the one worth looking at); ``None`` when the
    input has no keys.
    """
    if results is not None and len(results) and "trials" in results.columns and "key" not in results.columns:
        table = results.copy()
    else:
        table = summarize(results)
        if results is not None and len(results) and "key" in results.columns:
            ok = results[results["status"] == "ok"]
            if "ssim_mean" in ok.columns:
                ok = ok.sort_values("ssim_mean", na_position="last", kind="stable")
            first = ok.drop_duplicates("label")
            table["trial_key"] = table["label"].map(dict(zip(first["label"], first["key"])))
            if "ssim_flavour" in first.columns:
                table["ssim_flavour"] = table["label"].map(dict(zip(first["label"], first["ssim_flavour"])))
    for col in ("trial_key", "ssim_flavour"):
        if col not in table.columns:
            table[col] = None
    table["trial_key"] = table["trial_key"].astype(object).where(table["trial_key"].notna(), None)
    return table


def _num(value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return float("nan")
    return v


def _fmt(value: Any, spec: str, suffix: str = "") -> str:
    v = _num(value)
    return "-" if math.isnan(v) else f"{v:{spec}}{suffix}"


def hover_text(row: Any) -> str:
    """A configuration's key figures for hover labels (HTML-escaped label)."""
    get = row.get
    lines = [
        f"<b>{html.escape(str(get('label')))}</b>",
        f"size {_fmt(_num(get('bytes_per_frame')) / 1000, '.2f', ' KB/frame')} "
        f"({_fmt(get('bits_per_pixel'), '.3f', ' bpp')})",
        f"SSIM {_fmt(get('ssim_mean'), '.4f')} (p5 {_fmt(get('ssim_p5'), '.4f')})",
        f"PSNR {_fmt(get('psnr_mean'), '.2f', ' dB')} (p5 {_fmt(get('psnr_p5'), '.2f', ' dB')})",
        f"encode {_fmt(get('encode_fps'), '.0f', ' fps')} ({_fmt(get('realtime_factor'), '.1f', 'x real time')})",
        f"load 1 frame {_fmt(get('load_1_frame_p50_ms'), '.1f', ' ms')}",
    ]
    crf = get("crf")
    if crf is not None and not (isinstance(crf, float) and math.isnan(crf)):
        lines.insert(1, f"crf {crf:g}" if isinstance(crf, (int, float)) else f"crf {html.escape(str(crf))}")
    return "<br>".join(lines)


def _customdata(table: Any) -> np.ndarray:
    return np.array([[k, str(lbl)] for k, lbl in zip(table["trial_key"], table["label"])], dtype=object).reshape(-1, 2)


def _marker_sizes(values: Any, low: float = 8.0, high: float = 24.0) -> list[float]:
    arr = np.array([_num(v) for v in values], dtype=float)
    finite = arr[np.isfinite(arr) & (arr > 0)]
    if not len(finite):
        return [low + (high - low) / 3] * len(arr)
    top = finite.max()
    return [low + (high - low) * math.sqrt(v / top) if np.isfinite(v) and v > 0 else low for v in arr]


def _maybe_log(fig: go.Figure, column: str, values: Any, axis: str = "x") -> None:
    arr = np.array([_num(v) for v in values], dtype=float)
    arr = arr[np.isfinite(arr) & (arr > 0)]
    if column in _SIZE_COLUMNS and len(arr) > 1 and arr.max() / arr.min() > 20:
        fig.update_layout({f"{axis}axis": dict(type="log")})


def _plottable(table: Any, *columns: str) -> Any:
    if not len(table) or any(c not in table.columns for c in columns):
        return table.iloc[0:0]
    mask = np.ones(len(table), dtype=bool)
    for c in columns:
        mask &= np.isfinite(table[c].astype(float).to_numpy())
    return table[mask]


# ---------------------------------------------------------------------------------------------- figures
def _axes_figure(results: Any, x: str, y: str, title: str | None, default_title: Any) -> tuple[go.Figure, Any]:
    """An empty figure titled for ``x`` vs ``y`` (SSIM flavour named) and the plottable configuration rows."""
    flavour = ssim_flavour(results)
    fig = go.Figure()
    fig.update_layout(
        **_LAYOUT,
        title=title or default_title(flavour),
        xaxis_title=axis_title(x, flavour),
        yaxis_title=axis_title(y, flavour),
    )
    return fig, _plottable(config_table(results), x, y)


def pareto_figure(
    results: Any,
    x: str = "bytes_per_frame",
    y: str = "ssim_mean",
    color: str = "vcodec",
    size: str | None = "encode_fps",
    front: bool = True,
    *,
    title: str | None = None,
) -> go.Figure:
    """Configurations as points (one trace per ``color`` value, marker area by ``size``) and the Pareto
    front of ``x`` vs ``y`` as a dashed line, so the trade-off and its best members read at a glance.

    ``results``: raw trial rows (aggregated with :func:`summarize`) or a per-configuration table.
    Which direction is better comes from :data:`SENSES`; an empty table gives an empty figure with
    axis titles.
    """
    fig, data = _axes_figure(results, x, y, title, lambda f: f"{axis_title(y, f)} vs {axis_title(x)}")
    if not len(data):
        return fig
    sizes = _marker_sizes(data[size]) if size and size in data.columns else [12.0] * len(data)
    data = data.assign(_size=sizes)
    group_col = color if color in data.columns else None
    groups = data.groupby(group_col, sort=False, dropna=False) if group_col else [("configurations", data)]
    for value, group in groups:
        value = value[0] if isinstance(value, tuple) else value
        fig.add_trace(go.Scatter(
            x=group[x].astype(float), y=group[y].astype(float), mode="markers", name=str(value),
            legendgroup=str(value), customdata=_customdata(group),
            hovertext=[hover_text(r) for _, r in group.iterrows()], hovertemplate="%{hovertext}<extra></extra>",
            marker=dict(size=group["_size"].tolist(), color=codec_color(value) if group_col == "vcodec" else None,
                        line=dict(width=1, color="white"), opacity=0.9),
        ))
    hazard = (data["hazards"].fillna(0) > 0) if "hazards" in data.columns else data[x] != data[x]
    if hazard.any():  # shown, crossed out, never on the front
        bad = data[hazard]
        fig.add_trace(go.Scatter(
            x=bad[x].astype(float), y=bad[y].astype(float), mode="markers", name="decode hazard",
            hovertext=[f"{r['label']}: {r.get('decode_issue')}" for _, r in bad.iterrows()],
            hovertemplate="%{hovertext}<extra>decode hazard</extra>",
            marker=dict(symbol="x", size=14, color="#c5221f"),
        ))
    if front and x in SENSES and y in SENSES:
        values = data[[x, y]].to_numpy(dtype=float, copy=True)
        values[hazard.to_numpy()] = np.nan
        mask = pareto_mask(values, [SENSES[x], SENSES[y]])
        best = data[mask].sort_values(x, kind="stable")
        fig.add_trace(go.Scatter(
            x=best[x].astype(float), y=best[y].astype(float), mode="lines", name="Pareto front",
            customdata=_customdata(best), hovertext=[hover_text(r) for _, r in best.iterrows()],
            hovertemplate="%{hovertext}<extra>Pareto front</extra>",
            line=dict(color="rgba(40,40,40,0.55)", dash="dash", width=1.5),
        ))
    _maybe_log(fig, x, data[x])
    return fig


def _curve_name(codec: str, row: Any, varying: list[str]) -> str:
    parts = [codec]
    for col in varying:
        value = row.get(col)
        if isinstance(value, dict):
            value = ",".join(f"{k}={v}" for k, v in sorted(value.items())) or "none"
        parts.append(f"{col}={value}")
    return " ".join(parts)


def rate_quality_figure(
    results: Any, rate: str = "bits_per_pixel", metric: str = "ssim_mean", *, title: str | None = None
) -> go.Figure:
    """Rate-quality curves: one line per codec (split by preset, g, ... where those vary), points sorted
    by rate, crf in the hover, so codecs compare at equal size rather than at equal crf (whose scales
    differ between encoders)."""
    fig, data = _axes_figure(results, rate, metric, title, lambda f: f"Rate-quality: {axis_title(metric, f)}")
    if not len(data):
        return fig
    codec_col = "vcodec" if "vcodec" in data.columns else None
    codec_groups = data.groupby(codec_col, sort=False, dropna=False) if codec_col else [("configurations", data)]
    dashes = ("solid", "dot", "dash", "dashdot", "longdash", "longdashdot")
    for codec, group in codec_groups:
        codec = str(codec[0] if isinstance(codec, tuple) else codec)
        varying = [c for c in CURVE_SETTINGS if c in group.columns and group[c].map(str).nunique() > 1]
        keys = group.apply(lambda r: "|".join(str(r.get(c)) for c in varying), axis=1) if varying else None
        curves = group.groupby(keys, sort=False) if varying else [("", group)]
        for n, (_, curve) in enumerate(curves):
            curve = curve.sort_values(rate, kind="stable")
            fig.add_trace(go.Scatter(
                x=curve[rate].astype(float), y=curve[metric].astype(float), mode="lines+markers",
                name=_curve_name(codec, curve.iloc[0], varying), legendgroup=codec,
                customdata=_customdata(curve), hovertext=[hover_text(r) for _, r in curve.iterrows()],
                hovertemplate="%{hovertext}<extra></extra>",
                line=dict(color=codec_color(codec), dash=dashes[n % len(dashes)]), marker=dict(size=8),
            ))
    _maybe_log(fig, rate, data[rate])
    return fig


_METRIC_NAMES = {"ssim": "SSIM", "psnr": "PSNR (dB)", "ssim_exact": "SSIM [exact, skimage]",
                 "depth_mean": "mean depth error (mm)", "depth_median": "median depth error (mm)",
                 "depth_p95": "p95 depth error (mm)", "depth_p99": "p99 depth error (mm)",
                 "depth_max": "max depth error (mm)", "depth_edge_mean": "edge-pixel mean error (mm)",
                 "depth_edge_max": "edge-pixel max error (mm)"}
#: Default per-frame traces by camera kind.
_DEFAULT_TRACES = {False: ("ssim", "psnr"), True: ("depth_mean", "depth_max")}


def frame_quality_figure(
    trial_frames: Any, metrics: Sequence[str] | None = None, *, worst: int = 3, title: str | None = None
) -> go.Figure:
    """Per-frame quality of one trial: the first metric on the left axis, the second on the right,
    dotted verticals at GOP starts (keyframes) and the ``worst`` frames circled, because quality dips
    repeat with the GOP and the worst frames are what to look at. ``customdata`` is the frame index.

    ``trial_frames`` is a :class:`~lerobot_videobench.bench.frames.TrialFrames`; metrics it did not
    store are left out, and keyframes are omitted when the trial's video was not kept. A depth trial
    plots depth error in mm (default mean and max; higher is worse, so its worst frames are the
    largest) with the 12-bit quantization floor dashed beside the mean: what no codec setting can beat.
    """
    is_depth = bool(getattr(trial_frames, "is_depth", False))
    metrics = list(metrics or _DEFAULT_TRACES[is_depth])[:2]
    unknown = [m for m in metrics if m not in _METRIC_NAMES]
    if unknown:
        raise ValueError(f"metrics={metrics} may only name {sorted(_METRIC_NAMES)}")
    flavour = trial_frames.row.get("ssim_flavour")
    names = {m: (f"SSIM [{flavour}]" if m == "ssim" and flavour else _METRIC_NAMES[m]) for m in metrics}
    fig = go.Figure()
    fig.update_layout(
        **_LAYOUT,
        title=title or f"Per-frame {'depth error' if is_depth else 'quality'}: {html.escape(trial_frames.label)}",
        xaxis_title="frame index",
        yaxis=dict(title=names[metrics[0]] if metrics else ""),
    )
    if len(metrics) > 1:
        fig.update_layout(yaxis2=dict(title=names[metrics[1]], overlaying="y", side="right", showgrid=False))
    stored = trial_frames.arrays
    series = {m: np.asarray(stored[f"{m}_frames"], dtype=float) for m in metrics if f"{m}_frames" in stored}
    for axis, m in zip(("y", "y2"), metrics):
        if m not in series:
            continue
        values = series[m]
        shown = np.where(np.isinf(values), 100.0, values)  # identical frames: PSNR inf, drawn at 100 dB
        idx = np.arange(len(values))
        fig.add_trace(go.Scatter(
            x=idx, y=shown, mode="lines+markers", name=names[m], yaxis=axis, customdata=idx,
            marker=dict(size=4), hovertemplate=f"frame %{{x}}<br>{names[m]} %{{y:.4f}}<extra></extra>",
        ))
    if not series:
        return fig
    floor = stored.get("depth_floor_mean_frames")
    if is_depth and floor is not None and metrics[0] == "depth_mean":
        fig.add_trace(go.Scatter(
            x=np.arange(len(floor)), y=np.asarray(floor, dtype=float), mode="lines", yaxis="y",
            name="quantization floor (mean, no codec)", line=dict(dash="dash", color="rgba(80,80,80,0.8)"),
            hovertemplate="frame %{x}<br>floor %{y:.3f} mm<extra></extra>",
        ))
    first = metrics[0] if metrics[0] in series else next(iter(series))
    try:
        keyframes = trial_frames.keyframes
    except (FileNotFoundError, OSError, ValueError):
        keyframes = []
    if keyframes and len(keyframes) > MAX_GOP_LINES:
        # dense GOPs (g=2): full-height lines would hatch the trace; short ticks along the bottom instead
        gaps = np.diff(np.asarray(keyframes, dtype=float))
        every = f", every {int(np.median(gaps))} frames" if len(gaps) else ""
        fig.update_layout(yaxis3=dict(overlaying="y", range=[0, 1], visible=False, fixedrange=True))
        fig.add_trace(go.Scatter(
            x=list(keyframes), y=[0.02] * len(keyframes), mode="markers", name=f"GOP start (keyframe{every})",
            yaxis="y3", hoverinfo="skip", marker=dict(symbol="line-ns-open", size=8, color="rgba(120,120,120,0.7)"),
        ))
    elif keyframes:
        xs: list[float | None] = []
        ys: list[float | None] = []
        for k in keyframes:
            xs += [k, k, None]
            ys += [0, 1, None]
        fig.update_layout(yaxis3=dict(overlaying="y", range=[0, 1], visible=False, fixedrange=True))
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines", name="GOP start (keyframe)", yaxis="y3", hoverinfo="skip",
            line=dict(color="rgba(120,120,120,0.5)", dash="dot", width=1),
        ))
    if worst > 0:
        values = series[first]
        bad = [int(i) for i in np.argsort(-values if first.startswith("depth_") else values, kind="stable")[:worst]]
        axis = "y" if first == metrics[0] else "y2"
        fig.add_trace(go.Scatter(
            x=bad, y=[float(np.where(np.isinf(values[i]), 100.0, values[i])) for i in bad], mode="markers",
            name=f"worst {len(bad)} frames", yaxis=axis, customdata=bad,
            marker=dict(size=14, color="rgba(0,0,0,0)", line=dict(color="#d62728", width=2)),
            hovertemplate=f"worst frame %{{x}}<br>{names[first]} %{{y:.4f}}<extra></extra>",
        ))
    return fig


def _short_camera(key: str) -> str:
    return key.removeprefix("observation.images.")


def queue_depth_figure(report: Any, *, title: str | None = None) -> go.Figure:
    """Encoder queue depth over time per camera, with the queue's capacity as a dashed line: a queue that
    climbs to the line is where LeRobot starts dropping frames."""
    fig = go.Figure()
    verdict = getattr(report, "verdict", "") or ""
    label = html.escape(str(getattr(report, "label", "") or ""))
    detail = ": ".join(x for x in (label, verdict) if x)
    fig.update_layout(
        **_LAYOUT,
        title=title or ("Encoder queue depth" + (f" ({detail})" if detail else "")),
        xaxis_title="time (s)",
        yaxis_title="frames waiting in the queue",
    )
    t = list(getattr(report, "queue_depth_t", []) or [])
    for key, depths in (getattr(report, "queue_depth", {}) or {}).items():
        n = min(len(t), len(depths))
        fig.add_trace(go.Scatter(
            x=t[:n], y=list(depths[:n]), mode="lines", name=_short_camera(key), line=dict(width=1.5)
        ))
    maxsize = getattr(report, "queue_maxsize", None)
    if maxsize:
        end = t[-1] if t else float(getattr(report, "seconds", 1.0) or 1.0)
        fig.add_trace(go.Scatter(
            x=[t[0] if t else 0.0, end], y=[maxsize, maxsize], mode="lines", name=f"queue max ({maxsize})",
            line=dict(color="#d62728", dash="dash", width=1.5), hoverinfo="name",
        ))
    return fig


def realtime_bars_figure(report: Any, *, title: str | None = None) -> go.Figure:
    """Frames fed, encoded and dropped per camera (fed = encoded + dropped): where the frames went."""
    fig = go.Figure()
    fig.update_layout(**_LAYOUT, title=title or "Frames per camera", barmode="group", yaxis_title="frames")
    per = list(getattr(report, "per_camera", []) or [])
    cameras = [_short_camera(str(c.get("key", i))) for i, c in enumerate(per)]
    for field_, color in (("frames_fed", "#7f7f7f"), ("frames_encoded", "#2ca02c"), ("frames_dropped", "#d62728")):
        fig.add_trace(go.Bar(
            x=cameras, y=[int(c.get(field_, 0) or 0) for c in per], name=field_.removeprefix("frames_"),
            marker_color=color,
        ))
    return fig
