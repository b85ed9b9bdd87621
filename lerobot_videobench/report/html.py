"""The standalone HTML report: one file that shows a sweep's results and the choice they support.

Everything is inside the file (plotly.js inlined once, images as base64 data URIs, inline CSS), so it
opens offline, can be attached to an issue or archived with the dataset. Tables and text are plain
HTML and read without JavaScript; only the charts need it. Every piece of text from the store is
escaped. Parts that cannot be shown (source frames whose cache was cleared, videos not kept, no
successful trial) are explained in place instead of failing the report.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import logging
import math
import os
import platform
import warnings
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from ..bench.frames import open_trial
from ..bench.store import ResultStore, load_results
from ..decide.constraints import Constraints, select_results
from ..decide.export import TARGETS, ExportSettings, ExportSource, ExportWarning, default_target, render
from ..decide.pareto import Recommendation, config_from_row, recommend
from ..encoding import camera_encoder_defaults
from ..encoding.pyav_probe import library_versions
from ..errors import SourceError
from . import figures
from .images import data_uri, png_bytes, thumbnail, worst_window

logger = logging.getLogger(__name__)

#: Worst frames shown per configuration in the thumbnails section.
WORST_FRAMES = 3
#: Gain of the difference images (|source - encoded| x gain), as in the frame viewer.
DIFF_GAIN = 4.0
#: Side of the worst-difference window shown pixel for pixel (1:1) under each worst frame.
CROP_SIZE = 128

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;color:#1d2330;
background:#fafbfc;line-height:1.45}
main{max-width:1200px;margin:0 auto;padding:1.2rem 1.5rem 3rem}
h1{font-size:1.6rem;margin:.4rem 0}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #dde1e7;
padding-bottom:.25rem}h3{font-size:1.05rem;margin-top:1.4rem}
nav a{margin-right:.9rem;font-size:.9rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0;background:#fff}
th,td{border:1px solid #dde1e7;padding:.25rem .5rem;text-align:right;vertical-align:top}
th{background:#f0f2f5}td.l,th.l{text-align:left}
tr.rec td{background:#e6f4ea;font-weight:600}tr.default td{background:#fff5e0}
tr.rec.default td{background:#e6f4ea}
.badge{display:inline-block;font-size:.72rem;border-radius:.6rem;padding:0 .45rem;margin-left:.35rem;
font-weight:600;color:#fff}.badge.rec{background:#188038}.badge.default{background:#b06000}.badge.hazard{background:#c5221f}
pre{background:#f0f2f5;padding:.6rem .8rem;overflow-x:auto;font-size:.82rem;border-radius:4px}
.note{color:#5f6673;font-size:.88rem}.warn{color:#a50e0e}.ok{color:#188038}
.frames{display:flex;flex-wrap:wrap;gap:1rem}.frame{background:#fff;border:1px solid #dde1e7;padding:.5rem;
border-radius:4px}.frame .row{display:flex;gap:.4rem}.frame figure{margin:0;text-align:center;font-size:.78rem}
.frame img{width:200px;height:auto;image-rendering:pixelated;display:block}.frame img.crop{width:auto;max-width:none}
.fig{background:#fff;border:1px solid #dde1e7;border-radius:4px;margin:.6rem 0}
dl{display:grid;grid-template-columns:max-content auto;gap:.15rem 1rem;font-size:.9rem}dt{font-weight:600}dd{margin:0}
"""


# ---------------------------------------------------------------------------------------------- helpers
def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _num(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _fmt(value: Any, spec: str, scale: float = 1.0, suffix: str = "") -> str:
    v = _num(value)
    return "-" if math.isnan(v) else f"{v * scale:{spec}}{suffix}"


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, left: int = 1, row_classes: Sequence[str] = ()
) -> str:
    """An HTML table; the first ``left`` columns are left-aligned. Cells are escaped unless they are
    ``_Raw`` (our own markup)."""
    head = "".join(f'<th class="l">{_e(h)}</th>' if i < left else f"<th>{_e(h)}</th>" for i, h in enumerate(headers))
    body = []
    for n, row in enumerate(rows):
        cls = f' class="{row_classes[n]}"' if n < len(row_classes) and row_classes[n] else ""
        cells = "".join(
            ('<td class="l">' if i < left else "<td>") + (c if isinstance(c, _Raw) else _e(c)) + "</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


class _Raw(str):
    """Markup we built ourselves (already escaped): not escaped again by :func:`_table`."""


class _Figures:
    """Embeds figures, inlining plotly.js with the first one only."""

    def __init__(self) -> None:
        self.count = 0

    def embed(self, fig: go.Figure, height: int | None = None) -> str:
        include = self.count == 0
        self.count += 1
        if height:
            fig.update_layout(height=height)
        div = fig.to_html(
            full_html=False, include_plotlyjs=include, include_mathjax=False, default_width="100%",
            default_height=f"{height or fig.layout.height or 420}px",
            config={"displaylogo": False, "responsive": True},
        )
        return f'<div class="fig">{div}</div>'


def _default_label(table: Any) -> str | None:
    """Label of LeRobot's default configuration (libsvtav1 crf30 g2 p12, no thread setting), if measured."""
    defaults = camera_encoder_defaults()
    for _, row in table.iterrows():
        try:
            config, threads = config_from_row(row)
        except (TypeError, ValueError):
            continue
        if config == defaults and threads is None:
            return str(row["label"])
    return None


# ---------------------------------------------------------------------------------------------- sections
def _header(title: str, results: Any, store_path: Path) -> str:
    now = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    statuses = results["status"].value_counts().to_dict() if len(results) else {}
    counts = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())) or "none"
    items = [("generated", now), ("results store", str(store_path)), ("trials", f"{len(results)} ({counts})")]
    if len(results):
        sources = sorted(results["source"].dropna().astype(str).unique())
        episodes = sorted(results["episode_key"].dropna().astype(str).unique())
        items.append(("source" if len(sources) == 1 else "sources", "; ".join(sources)))
        shown = ", ".join(episodes[:12]) + (f", ... ({len(episodes)} in all)" if len(episodes) > 12 else "")
        items.append(("episodes", f"{len(episodes)}: {shown}"))
        shapes = results.drop_duplicates(["width", "height", "fps", "frames"])
        items.append(("frames", "; ".join(
            f"{int(r.width)}x{int(r.height)} @ {int(r.fps)} fps, {int(r.frames)} frames" for r in shapes.itertuples()
        )))
        flavour = figures.ssim_flavour(results)
        if flavour:
            items.append(("SSIM flavour", flavour))
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items)
    lossy = ""
    if len(results) and "source_lossy" in results.columns and results["source_lossy"].fillna(False).astype(bool).any():
        lossy = ('<p class="warn">Some sources are already lossy videos: quality is measured against a decoded '
                 "copy, not the camera's frames, and re-encoding flatters codecs close to the original one.</p>")
    return f"<header><h1>{_e(title)}</h1><dl>{dl}</dl>{lossy}</header>"


def _nav(sections: list[tuple[str, str]]) -> str:
    return "<nav>" + "".join(f'<a href="#{sid}">{_e(name)}</a>' for sid, name in sections) + "</nav>"


def _summary_section(table: Any, rec_label: str | None, default_label: str | None) -> str:
    if not len(table):
        return '<p class="note">No trial in the store yet.</p>'
    headers = ["configuration", "ok/trials", "KB/frame", "bits/pixel", "x PNG", "SSIM mean", "SSIM p5", "PSNR mean",
               "PSNR p5", "encode fps", "x real time", "decode fps", "load 1f p50 ms", "load 1f p95 ms"]
    rows, classes = [], []
    for _, r in table.iterrows():
        label = str(r["label"])
        badges = ""
        cls = []
        if label == rec_label:
            badges += '<span class="badge rec">recommended</span>'
            cls.append("rec")
        if label == default_label:
            badges += '<span class="badge default">LeRobot default</span>'
            cls.append("default")
        if r.get("hazards", 0) == r.get("hazards", 0) and r.get("hazards", 0):  # a count, not NaN / 0
            badges += f'<span class="badge hazard" title="{_e(r.get("decode_issue"))}">decode hazard</span>'
        ok = int(r["trials"]) - int(r["failed"])
        rows.append([
            _Raw(_e(label) + badges), f"{ok}/{int(r['trials'])}", _fmt(r.get("bytes_per_frame"), ".2f", 1e-3),
            _fmt(r.get("bits_per_pixel"), ".3f"), _fmt(r.get("size_ratio_png"), ".3f"), _fmt(r.get("ssim_mean"), ".4f"),
            _fmt(r.get("ssim_p5"), ".4f"), _fmt(r.get("psnr_mean"), ".2f"), _fmt(r.get("psnr_p5"), ".2f"),
            _fmt(r.get("encode_fps"), ".0f"), _fmt(r.get("realtime_factor"), ".1f"), _fmt(r.get("decode_fps"), ".0f"),
            _fmt(r.get("load_1_frame_p50_ms"), ".2f"), _fmt(r.get("load_1_frame_p95_ms"), ".2f"),
        ])
        classes.append(" ".join(cls))
    decoder = next((d for d in table.get("decoder", []) if isinstance(d, str)), None)
    note = ('<p class="note">One row per configuration, smallest files first; measurements aggregate over '
            f"episodes; load times through LeRobot's training decoder {_e(decoder or 'n/a')}; a decode hazard is "
            "a configuration that decoder does not read back correctly (never recommended) (sizes and speeds by mean, 5th percentiles and the real-time factor by their worst episode). "
            "x PNG: size relative to LeRobot's old PNG-folder storage.</p>")
    return note + _table(headers, rows, row_classes=classes)


def _rate_quality_section(results: Any, figs: _Figures) -> str:
    return (figs.embed(figures.rate_quality_figure(results, "bits_per_pixel", "ssim_mean"))
            + figs.embed(figures.rate_quality_figure(results, "bits_per_pixel", "psnr_mean")))


def _pareto_section(results: Any, figs: _Figures) -> str:
    parts = ['<p class="note">Marker area grows with encode speed; the dashed line joins the configurations '
             "no other one beats on both axes.</p>"]
    for y, title in (("ssim_mean", "Size vs quality"), ("realtime_factor", "Size vs encode speed"),
                     ("load_1_frame_p50_ms", "Size vs random-access load time")):
        parts.append(figs.embed(figures.pareto_figure(results, "bytes_per_frame", y, title=title)))
    return "".join(parts)


def _constraints_text(rec: Recommendation) -> str:
    c = rec.constraints
    parts = []
    if c.get("min_ssim") is not None:
        parts.append(f"SSIM {c.get('quality_stat', 'mean')} >= {c['min_ssim']:g}")
    if c.get("min_psnr") is not None:
        parts.append(f"PSNR {c.get('quality_stat', 'mean')} >= {c['min_psnr']:g} dB")
    if c.get("required_encode_fps") is not None:
        parts.append(f"encode >= {c['required_encode_fps']:g} fps ({c['cameras']} camera(s) x {c['fps']} fps x "
                     f"{c['headroom']:g} headroom)")
    if c.get("max_load_ms") is not None:
        parts.append(f"load time <= {c['max_load_ms']:g} ms")
    if c.get("codecs"):
        parts.append(f"codecs {', '.join(map(str, c['codecs']))}")
    return "; ".join(parts) or "none"


def _recommendation_section(rec: Recommendation | None, problem: str | None) -> str:
    if rec is None:
        return f'<p class="warn">{_e(problem)}</p>'
    head = (f'<p>Constraints: {_e(_constraints_text(rec))}.</p>')
    if rec.qualified:
        verdict = f'<p class="ok"><b>Recommended: {_e(rec.label)}</b></p>'
        lines = "".join(f"<li>{_e(line)}</li>" for line in rec.rationale)
        return head + verdict + f"<ul>{lines}</ul>"
    fails = "".join(f"<li><b>{_e(k)}</b>: {_e(v)}</li>" for k, v in rec.failures.items())
    return head + '<p class="warn"><b>No measured configuration meets every constraint.</b></p>' + f"<ul>{fails}</ul>"


def _swept_source(results: Any) -> ExportSource | None:
    """The one LeRobot dataset the trials came from, for the re-encode command (None: several, or not one)."""
    if not len(results) or "source" not in results.columns:
        return None
    sources = sorted(results["source"].dropna().astype(str).unique())
    if len(sources) != 1:
        return None
    try:
        return ExportSource.from_location(sources[0])
    except (SourceError, ValueError, OSError):
        return None


def _export_section(rec: Recommendation | None, target: str | None = None, source: ExportSource | None = None) -> str:
    if rec is None or not rec.qualified or rec.config is None:
        return '<p class="note">Nothing to export: no configuration was recommended.</p>'
    settings = ExportSettings.for_choice(rec.config, encoder_threads=rec.encoder_threads, source=source)
    out = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ExportWarning)
        try:
            command = render(target, "cli", settings)
            yaml_text = render(target, "yaml", settings)
            edit = render("lerobot-0.6-edit", "cli", settings) if source is not None and target in (
                None, "lerobot-0.6") else None
        except ValueError as exc:
            return f'<p class="warn">The recommended configuration cannot be exported: {_e(exc)}</p>'
    program = TARGETS[target or default_target()].program
    out.append(f"<h3>{_e(program)} flags</h3>")
    out.append(f"<pre>{_e(command)}</pre>")
    out.append("<h3>YAML (for <code>--config_path</code>)</h3>")
    out.append(f"<pre>{_e(yaml_text)}</pre>")
    if edit is not None:
        out.append("<h3>Re-encode the swept dataset with it (lerobot-edit-dataset)</h3>")
        out.append(f"<pre>{_e(edit)}</pre>")
    for w in caught:
        if issubclass(w.category, ExportWarning):
            out.append(f'<p class="warn">Note: {_e(w.message)}</p>')
    return "".join(out)


def _frame_card(tf: Any, i: int) -> str:
    """Source | encoded | amplified difference for frame ``i``, or what is missing and why."""
    images: list[tuple[str, bytes]] = []
    notes: list[str] = []
    source = encoded = None
    try:
        source = tf.source_frame(i)
        images.append(("source", thumbnail(source)))
    except (FileNotFoundError, OSError, ValueError) as exc:
        notes.append(f"source frame not available: {exc}")
    try:
        encoded = tf.encoded_frame(i)
        images.append(("encoded", thumbnail(encoded)))
    except (FileNotFoundError, OSError, ValueError) as exc:
        notes.append(f"encoded frame not available: {exc}")
    crops: list[tuple[str, bytes]] = []
    if source is not None and encoded is not None:
        difference = tf.difference(i, gain=DIFF_GAIN)
        images.append((f"difference x{DIFF_GAIN:g}", thumbnail(difference)))
        x, y, size = worst_window(source, encoded, CROP_SIZE)
        window = (slice(y, y + size), slice(x, x + size))
        crops = [(f"source {size}x{size} at ({x}, {y}), 1:1", png_bytes(source[window])),
                 ("encoded, 1:1", png_bytes(encoded[window])),
                 (f"difference x{DIFF_GAIN:g}, 1:1", png_bytes(difference[window]))]
    ssim = tf.quality("ssim")[i] if "ssim_frames" in tf.arrays else float("nan")
    psnr = tf.quality("psnr")[i] if "psnr_frames" in tf.arrays else float("nan")
    caption = f"frame {i}: SSIM {_fmt(ssim, '.4f')}, PSNR {_fmt(psnr, '.2f')} dB"
    figs_html = "".join(
        f'<figure><img alt="{_e(name)} frame {i}" src="{data_uri(png)}"><figcaption>{_e(name)}</figcaption></figure>'
        for name, png in images
    )
    crops_html = "".join(
        f'<figure><img class="crop" alt="{_e(name)} frame {i}" src="{data_uri(png)}"><figcaption>{_e(name)}'
        f'</figcaption></figure>' for name, png in crops
    )
    note_html = "".join(f'<p class="note">{_e(n)}</p>' for n in notes)
    crops_row = f'<div class="row">{crops_html}</div>' if crops else ""
    return (f'<div class="frame"><div><b>{_e(caption)}</b></div><div class="row">{figs_html}</div>{crops_row}'
            f'{note_html}</div>')


def _worst_frames_section(
    store: ResultStore, table: Any, picks: list[tuple[str, str]], cache_dir: Any, figs: _Figures, worst: int
) -> str:
    if not picks:
        return ('<p class="note">No configuration to show (no recommendation, and LeRobot\'s default was not '
                "measured).</p>")
    keys = dict(zip(table["label"].astype(str), table["trial_key"])) if len(table) else {}
    parts = ['<p class="note">The lowest-SSIM frames of each configuration\'s hardest episode: source | encoded | '
             f"absolute difference amplified x{DIFF_GAIN:g} (shown enlarged, pixel for pixel).</p>"]
    for label, role in picks:
        parts.append(f"<h3>{_e(role)}: {_e(label)}</h3>")
        key = keys.get(label)
        if not key:
            parts.append('<p class="note">No successful trial of this configuration is stored.</p>')
            continue
        try:
            tf = open_trial(store, key, cache_dir=cache_dir)
            indices = tf.worst_frames(worst) if "ssim_frames" in tf.arrays else []
        except (KeyError, ValueError) as exc:
            parts.append(f'<p class="warn">Cannot open trial {_e(key)}: {_e(exc)}</p>')
            continue
        if not indices:
            parts.append('<p class="note">This trial stored no per-frame quality.</p>')
            continue
        parts.append(f'<p class="note">trial {_e(key)} on {_e(tf.row.get("episode_key"))}</p>')
        parts.append('<div class="frames">' + "".join(_frame_card(tf, i) for i in indices) + "</div>")
        parts.append(figs.embed(figures.frame_quality_figure(tf, worst=worst), height=340))
    return "".join(parts)


def _failures_section(results: Any) -> str:
    if not len(results):
        return '<p class="note">No trial stored.</p>'
    from ..bench.summary import is_hazard

    hazard = results["decode_ok"].map(is_hazard) if "decode_ok" in results.columns else results["status"] != results["status"]
    bad = results[(results["status"] != "ok") | hazard]
    if not len(bad):
        return '<p class="ok">No trial failed and every random-access query returned the right frame.</p>'
    rows = [[r.get("label"), r.get("episode_key"), r.get("status") if r.get("status") != "ok" else "decode hazard",
             r.get("error") if r.get("status") != "ok" else r.get("decode_issue")] for _, r in bad.iterrows()]
    return _table(["configuration", "episode", "status", "error / decode issue"], rows, left=4)


def _depth_section(results: Any, figs: _Figures) -> str:
    """Depth cameras: error in mm vs size per configuration, and the 12-bit quantization floor (the error
    of LeRobot's depth mapping alone, before any codec), so lossy settings are judged against it."""
    from ..bench.summary import summarize

    rows = results[results["kind"] == "depth"] if "kind" in results.columns else results.iloc[0:0]
    ok = rows[rows["status"] == "ok"] if len(rows) else rows
    if not len(ok):
        return ""
    parts = ['<p class="note">Depth error is decoded depth (PyAV <code>gray12le</code>, dequantized, as LeRobot '
             "reads it) against the source depth, in mm over valid pixels; edge pixels are those next to a "
             "depth step over 5 cm. The floor is what the 12-bit quantizer alone costs: no codec setting can "
             "go below it.</p>"]
    for y in ("depth_mean_mm", "depth_edge_mean_mm"):
        parts.append(figs.embed(figures.rate_quality_figure(ok, "bytes_per_frame", y)))
    table = summarize(ok)

    def mm(v: Any) -> str:
        return _fmt(v, ".2f", suffix=" mm")

    body = [[r["label"], _fmt(r.get("bytes_per_frame"), ".1f", 1 / 1000, " KB"), mm(r.get("depth_mean_mm")),
             mm(r.get("depth_p95_mm")), mm(r.get("depth_max_mm")), mm(r.get("depth_edge_mean_mm")),
             _fmt(r.get("depth_frac_over_1cm"), ".2%"), mm(r.get("depth_codec_mean_mm")),
             _fmt(r.get("depth_invalid_kept"), ".1%")] for _, r in table.iterrows()]
    parts.append(_table(["configuration", "size/frame", "mean", "p95", "max", "edge mean", "> 1 cm",
                         "codec adds (mean)", "no-return kept"], body))
    quantizer = [c for c in ("config.depth_min", "config.depth_max", "config.shift", "config.use_log") if c in ok.columns]
    floor_cols = [c for c in ("depth_floor_mean_mm", "depth_floor_p95_mm", "depth_floor_max_mm") if c in ok.columns]
    if floor_cols:
        floors = ok.groupby(["episode_key", *quantizer], dropna=False)[floor_cols].first().reset_index()
        frows = [[r["episode_key"], *[r[c] for c in quantizer], *[mm(r[c]) for c in floor_cols]]
                 for _, r in floors.iterrows()]
        parts.append("<h3>Quantization floor (12-bit mapping, no codec)</h3>")
        parts.append(_table(["episode", *[c.removeprefix("config.") for c in quantizer], "mean", "p95", "max"],
                            frows, left=1))
    return "".join(parts)


def _realtime_section(report: Any, figs: _Figures) -> str:
    if report is None:
        return ('<p class="note">No live real-time check in this report: the recommendation judges encode speed from '
                "single-stream measurements. <code>lerobot_videobench.decide.realtime.check_realtime</code> streams "
                "N cameras at once, as lerobot-record does.</p>")
    cls = "ok" if report.verdict == "realtime" else "warn"
    head = (f'<p class="{cls}"><b>{_e(report.verdict)}</b>: {_e(report.message)}</p>'
            f'<p class="note">{_e(report.label)}; {report.cameras} camera(s) {report.width}x{report.height} @ '
            f"{report.fps} fps for {report.seconds:g} s; frames: {_e(report.frames_source)}; "
            f"queue {report.queue_maxsize}; "
            f"encoder threads {_e(report.encoder_threads)}; CPU cores used {_fmt(report.cpu_cores_used, '.2f')}</p>")
    rows = [[c.get("key"), c.get("frames_fed"), c.get("frames_encoded"), c.get("frames_dropped"),
             c.get("max_queue_depth"), _fmt(c.get("realtime_factor"), ".2f")] for c in report.per_camera]
    tbl = _table(["camera", "fed", "encoded", "dropped", "max queue depth", "encoder x real time"], rows)
    return (head + tbl + figs.embed(figures.queue_depth_figure(report), height=340)
            + figs.embed(figures.realtime_bars_figure(report), height=300))


def _versions_section(results: Any) -> str:
    machine = [
        ("platform", platform.platform()),
        ("machine", platform.machine()),
        ("processor", platform.processor() or "-"),
        ("CPU count", os.cpu_count()),
    ]
    try:
        import plotly

        machine.append(("plotly", plotly.__version__))
    except ImportError:  # pragma: no cover - plotly is a dependency of this module
        pass
    machine += sorted(library_versions().items())
    parts = ["<h3>This machine (where the report was built)</h3>", _table(["", "value"], machine, left=2)]
    if len(results):
        hosts = sorted(results["host"].dropna().astype(str).unique()) if "host" in results.columns else []
        parts.append(f"<h3>Measured on</h3><p>{_e(', '.join(hosts) or 'unknown host')}</p>")
        for column, name in (("versions", "Library versions stored with the results"),
                             ("settings", "Measurement settings stored with the results")):
            if column not in results.columns:
                continue
            seen: dict[str, int] = {}
            for value in results[column]:
                text = json.dumps(value, sort_keys=True, default=str) if isinstance(value, dict) else str(value)
                seen[text] = seen.get(text, 0) + 1
            parts.append(f"<h3>{_e(name)}</h3>")
            for text, n in seen.items():
                try:
                    items = sorted(json.loads(text).items())
                except (ValueError, AttributeError):
                    items = [("value", text)]
                parts.append(f'<p class="note">{n} trial(s):</p>' + _table(["", "value"], items, left=2))
    return "".join(parts)


# ---------------------------------------------------------------------------------------------- build
def build_report(
    store_path: str | os.PathLike,
    out: str | os.PathLike,
    *,
    title: str | None = None,
    constraints: Constraints | None = None,
    min_ssim: float | None = None,
    min_psnr: float | None = None,
    quality_stat: str | None = None,
    cameras: int | None = None,
    fps: int | None = None,
    headroom: float | None = None,
    max_load_ms: float | None = None,
    codecs: list[str] | None = None,
    realtime: Any = None,
    cache_dir: str | os.PathLike | None = None,
    worst: int = WORST_FRAMES,
    keys: Collection[str] | None = None,
    target: str | None = None,
) -> Path:
    """Write one self-contained HTML report of the results in ``store_path`` to ``out``; returns ``out``.

    The recommendation uses ``constraints`` (a :class:`~lerobot_videobench.decide.constraints.Constraints`,
    the one ``recommend`` takes; keyword arguments override its fields). With none, it only requires
    real-time encoding of the source's cameras at its frame rate with the default headroom; its source
    filter restricts the whole report, which refuses a store mixing frame rates or sizes unless allowed.
    ``realtime`` is an optional :class:`~lerobot_videobench.decide.realtime.RealtimeReport` to include;
    ``cache_dir`` is the frame cache the sweep used (for the source frames of the thumbnails);
    ``keys`` restricts the report to those trials (e.g. one sweep's ``SweepSummary.keys``); ``target`` is the
    export target of the config shown (default: the installed LeRobot's, else lerobot-0.6).
    """
    store_path = Path(store_path)
    results = load_results(store_path)
    if keys is not None and len(results):
        results = results[results["key"].isin(set(keys))].reset_index(drop=True)
    overrides = {k: v for k, v in dict(min_ssim=min_ssim, min_psnr=min_psnr, quality_stat=quality_stat,
                                         cameras=cameras, fps=fps, headroom=headroom, max_load_ms=max_load_ms,
                                         codecs=tuple(codecs) if codecs else None).items() if v is not None}
    swept = results  # before the decision's filter: the depth section shows every depth camera swept
    constraints = Constraints.for_results(results, constraints, **overrides)
    results = select_results(results, constraints)
    store = ResultStore(store_path, read_only=True)
    out = Path(out)
    title = title or f"lerobot-videobench report: {store_path.stem}"
    table = figures.config_table(results)
    default_label = _default_label(table) if len(table) else None

    rec: Recommendation | None = None
    problem: str | None = None
    if not len(results):
        problem = "The store holds no trial yet: nothing to recommend from."
    elif not (results["status"] == "ok").any():
        problem = "No trial succeeded: nothing to recommend from (see the failed trials below)."
    else:
        rec = recommend(results, constraints)
    picks: list[tuple[str, str]] = []
    if rec is not None and rec.qualified and rec.label:
        picks.append((rec.label, "Recommended"))
    if default_label and default_label not in [p[0] for p in picks]:
        picks.append((default_label, "LeRobot default"))

    figs = _Figures()
    sections = [
        ("summary", "Summary", _summary_section(table, rec.label if rec else None, default_label)),
        ("recommendation", "Recommendation", _recommendation_section(rec, problem)),
        ("export", "Exported config", _export_section(rec, target, _swept_source(results))),
        ("rate-quality", "Rate-quality", _rate_quality_section(results, figs)),
        ("pareto", "Pareto fronts", _pareto_section(results, figs)),
        ("worst-frames", "Worst frames", _worst_frames_section(store, table, picks, cache_dir, figs, worst)),
        ("depth", "Depth cameras", _depth_section(swept, figs)),
        ("failures", "Failed trials and decode hazards", _failures_section(results)),
        ("realtime", "Real-time check", _realtime_section(realtime, figs)),
        ("versions", "Machine and versions", _versions_section(results)),
    ]
    sections = [s for s in sections if s[0] != "depth" or s[2]]  # the depth section only where depth was swept
    body = "".join(f'<section id="{sid}"><h2>{_e(name)}</h2>{content}</section>' for sid, name, content in sections)
    page = (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body><main>"
        f"{_header(title, results, store_path)}{_nav([(s, n) for s, n, _ in sections])}"
        '<noscript><p class="note">Charts need JavaScript (inlined in this file); '
        "tables and text do not.</p></noscript>"
        f"{body}</main></body></html>\n"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    logger.info("report written to %s (%d bytes, %d figures)", out, out.stat().st_size, figs.count)
    return out
