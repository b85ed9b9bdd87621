"""Pareto fronts over measured configurations, and the constrained recommendation.

Both work on the per-configuration table (:func:`~lerobot_videobench.bench.summary.summarize`): a
configuration measured on several episodes is judged on its aggregate (mean size, worst real-time
factor, ...), never on its best episode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..bench.summary import summarize
from ..encoding import VideoEncoderConfig, camera_encoder_defaults

#: Objective name -> (column of the summary table, "min" or "max").
OBJECTIVES: dict[str, tuple[str, str]] = {
    "bytes_per_frame": ("bytes_per_frame", "min"),
    "bits_per_pixel": ("bits_per_pixel", "min"),
    "ssim_mean": ("ssim_mean", "max"),
    "ssim_p5": ("ssim_p5", "max"),
    "psnr_mean": ("psnr_mean", "max"),
    "psnr_p5": ("psnr_p5", "max"),
    "realtime_factor": ("realtime_factor", "max"),
    "encode_fps": ("encode_fps", "max"),
    "load_ms": ("load_1_frame_p50_ms", "min"),
    "load_1_frame_p95_ms": ("load_1_frame_p95_ms", "min"),
    "load_6_frames_p50_ms": ("load_6_frames_p50_ms", "min"),
}


def pareto_mask(values: np.ndarray, senses: list[str]) -> np.ndarray:
    """Rows of ``values`` (n x k) not dominated by any other row; ``senses`` says min or max per column.

    A row dominates another when it is at least as good on every objective and better on one. Rows
    with a NaN objective are never on the front.
    """
    v = np.asarray(values, dtype=np.float64).copy()
    for j, sense in enumerate(senses):
        if sense == "max":
            v[:, j] = -v[:, j]
        elif sense != "min":
            raise ValueError(f"sense={sense!r} must be 'min' or 'max'")
    valid = ~np.isnan(v).any(axis=1)
    mask = valid.copy()
    for i in np.flatnonzero(valid):
        others = v[valid]
        dominated = np.all(others <= v[i], axis=1) & np.any(others < v[i], axis=1)
        mask[i] = not dominated.any()
    return mask


def _per_config(results: Any) -> Any:
    """Accept raw results (one row per trial) or an already summarised table."""
    if results is None or len(results) == 0:
        raise ValueError("results are empty: run a sweep first")
    if "trials" in results.columns and "key" not in results.columns:
        return results
    return summarize(results)


def pareto_front(results: Any, objectives: tuple[str, ...] | list[str] = ("bytes_per_frame", "ssim_mean")) -> Any:
    """Per-configuration table with a boolean ``pareto`` column, for two or three objectives.

    Objectives are names of :data:`OBJECTIVES` (e.g. ``bytes_per_frame``, ``ssim_p5``, ``realtime_factor``,
    ``load_ms``). The front is sorted by the first objective.
    """
    objectives = list(objectives)
    unknown = [o for o in objectives if o not in OBJECTIVES]
    if unknown or not 2 <= len(objectives) <= 3:
        raise ValueError(f"objectives={objectives} must be 2 or 3 names among {sorted(OBJECTIVES)}")
    table = _per_config(results)
    table = table[table["trials"] > table["failed"]].copy() if "failed" in table else table.copy()
    cols = [OBJECTIVES[o][0] for o in objectives]
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise ValueError(f"results lack the columns {missing} needed for objectives {objectives}")
    table["pareto"] = pareto_mask(table[cols].to_numpy(dtype=float), [OBJECTIVES[o][1] for o in objectives])
    return table.sort_values(cols[0], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------- recommendation
@dataclass
class Recommendation:
    """The chosen configuration (or why none qualifies), with the reasoning a user can check."""

    qualified: bool
    config: VideoEncoderConfig | None
    encoder_threads: int | None
    label: str | None
    metrics: dict[str, Any] = field(default_factory=dict)
    constraints: dict[str, Any] = field(default_factory=dict)
    binding: list[str] = field(default_factory=list)
    runners_up: list[dict[str, Any]] = field(default_factory=list)
    vs_default: dict[str, float] | None = None
    failures: dict[str, str] = field(default_factory=dict)
    rationale: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "qualified": self.qualified,
            "config": self.config.to_dict() if self.config else None,
            "encoder_threads": self.encoder_threads,
            "label": self.label,
            "metrics": self.metrics,
            "constraints": self.constraints,
            "binding": self.binding,
            "runners_up": self.runners_up,
            "vs_default": self.vs_default,
            "failures": self.failures,
            "rationale": self.rationale,
        }


def config_from_row(row: Any) -> tuple[VideoEncoderConfig, int | None]:
    """Rebuild the ``VideoEncoderConfig`` (and threads) of a results row (``config.*`` columns or short names)."""
    get = row.get if hasattr(row, "get") else (lambda k, d=None: getattr(row, k, d))
    fields_ = {}
    for name in ("vcodec", "pix_fmt", "g", "crf", "preset", "fast_decode", "extra_options"):
        value = get(f"config.{name}", get(name, None))
        if isinstance(value, float) and np.isnan(value):
            value = None
        if isinstance(value, (np.integer,)):
            value = int(value)
        if isinstance(value, float) and value.is_integer() and name in ("g", "fast_decode"):
            value = int(value)
        if isinstance(value, float) and value.is_integer() and name in ("crf", "preset") and get("config.vcodec", get("vcodec")) == "libsvtav1":
            value = int(value)
        if value is not None:
            fields_[name] = value
    if "g" not in fields_:
        fields_["g"] = None
    threads = get("encoder_threads", None)
    threads = None if threads is None or (isinstance(threads, float) and np.isnan(threads)) else int(threads)
    return VideoEncoderConfig.unchecked(**fields_), threads


def _is_default(row: Any) -> bool:
    config, threads = config_from_row(row)
    return config == camera_encoder_defaults() and threads is None


def recommend(
    results: Any,
    *,
    min_ssim: float | None = None,
    min_psnr: float | None = None,
    cameras: int = 1,
    fps: int = 30,
    headroom: float = 1.5,
    max_load_ms: float | None = None,
    codecs: list[str] | None = None,
    quality_stat: str = "mean",
) -> Recommendation:
    """The smallest-bytes configuration meeting every constraint, with a rationale.

    Constraints: SSIM / PSNR (``quality_stat`` ``mean`` or ``p5`` of the per-frame values), real-time
    encoding of ``cameras`` streams at ``fps`` with a ``headroom`` factor (the configuration's measured
    single-stream encode fps on its slowest episode must reach ``cameras * fps * headroom``; check it live with
    ``check_realtime``), random-access load time (1-frame query, p95 ms), and allowed codecs.
    When nothing qualifies, each failing constraint says the best value measured and the gap.
    """
    if quality_stat not in ("mean", "p5"):
        raise ValueError(f"quality_stat={quality_stat!r} must be 'mean' or 'p5'")
    for name, value in (("cameras", cameras), ("fps", fps)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}={value!r} must be a positive integer")
    if not headroom > 0:
        raise ValueError(f"headroom={headroom!r} must be > 0 (1.5 means 50% spare encoder capacity)")
    if min_ssim is not None and not 0.0 <= min_ssim <= 1.0:
        raise ValueError(f"min_ssim={min_ssim!r} is outside [0, 1]")
    if min_psnr is not None and not min_psnr == min_psnr:
        raise ValueError(f"min_psnr={min_psnr!r} must be a number of dB")
    table = _per_config(results)
    table = table[table["trials"] > table["failed"]].reset_index(drop=True)
    if not len(table):
        raise ValueError("no successful trial in the results: nothing to recommend from")
    ssim_col, psnr_col = f"ssim_{quality_stat}", f"psnr_{quality_stat}"
    need_fps = cameras * fps * headroom
    checks: dict[str, tuple[str, str, float]] = {}  # name -> (column, sense, threshold)
    if min_ssim is not None:
        checks["min_ssim"] = (ssim_col, "max", float(min_ssim))
    if min_psnr is not None:
        checks["min_psnr"] = (psnr_col, "max", float(min_psnr))
    # judged on the slowest episode (a wrist camera's speed says nothing of the top camera's)
    realtime_col = "encode_fps_min" if "encode_fps_min" in table.columns else "encode_fps"
    checks["realtime"] = (realtime_col, "max", float(need_fps))
    if max_load_ms is not None:
        load_col = "load_1_frame_p95_ms" if "load_1_frame_p95_ms" in table.columns else "load_1_frame_p50_ms"
        checks["max_load_ms"] = (load_col, "min", float(max_load_ms))

    measured = table  # before the codec filter: LeRobot's default stays the reference when filtered out
    if codecs:
        codecs = [("libsvtav1" if c == "av1" else c) for c in codecs]
        table = table[table["vcodec"].isin(codecs)].reset_index(drop=True)
        if not len(table):
            return Recommendation(False, None, None, None, constraints={"codecs": codecs},
                                  failures={"codecs": f"no measured configuration uses {codecs}"},
                                  rationale=[f"No measured configuration uses codecs {codecs}."])

    passes = {}
    for name, (col, sense, thr) in checks.items():
        vals = table[col].astype(float)
        passes[name] = (vals >= thr) if sense == "max" else (vals <= thr)
    ok = np.ones(len(table), dtype=bool)
    for m in passes.values():
        ok &= m.fillna(False).to_numpy()
    constraints = {
        "min_ssim": min_ssim, "min_psnr": min_psnr, "quality_stat": quality_stat, "cameras": cameras, "fps": fps,
        "headroom": headroom, "required_encode_fps": need_fps, "max_load_ms": max_load_ms, "codecs": codecs,
        "ssim_flavour": _flavour(results),
    }
    by_size = table.assign(_ok=ok).sort_values("bytes_per_frame", kind="stable")
    if not ok.any():
        failures = {}
        for name, (col, sense, thr) in checks.items():
            vals = table[col].astype(float)
            best = vals.max() if sense == "max" else vals.min()
            if passes[name].any():
                continue
            gap = thr - best if sense == "max" else best - thr
            failures[name] = f"{col} best measured {best:.4g}, needs {'>=' if sense == 'max' else '<='} {thr:.4g} (short by {gap:.4g})"
        if not failures:
            failures["combination"] = "each constraint is met by some configuration, but no configuration meets all"
        lines = ["No measured configuration meets every constraint."] + [f"{k}: {v}" for k, v in failures.items()]
        return Recommendation(False, None, None, None, constraints=constraints, failures=failures, rationale=lines)

    winner = by_size[by_size["_ok"]].iloc[0]
    config, threads = config_from_row(winner)
    smaller = by_size[by_size["bytes_per_frame"] < winner["bytes_per_frame"]]
    binding = sorted({name for name in checks for i in smaller.index if not bool(passes[name].fillna(False)[i])})
    runners = by_size[by_size["_ok"]].iloc[1:4]
    metric_cols = ["bytes_per_frame", "bits_per_pixel", "size_ratio_png", ssim_col, psnr_col, "encode_fps",
                   "encode_fps_min", "realtime_factor", "load_1_frame_p50_ms", "load_1_frame_p95_ms"]
    pick = lambda r: {c: (None if c not in r or r[c] != r[c] else float(r[c])) for c in metric_cols}  # noqa: E731
    rec = Recommendation(True, config, threads, str(winner["label"]), metrics=pick(winner), constraints=constraints,
                         binding=binding, runners_up=[{"label": str(r["label"]), **pick(r)} for _, r in runners.iterrows()])
    defaults = measured[[_is_default(r) for _, r in measured.iterrows()]]
    if len(defaults):
        d = defaults.iloc[0]
        rec.vs_default = {
            "bytes": _ratio(winner["bytes_per_frame"], d["bytes_per_frame"]),
            ssim_col: _ratio(winner[ssim_col], d[ssim_col]),
            psnr_col: _ratio(winner[psnr_col], d[psnr_col]),
            "encode_fps": _ratio(winner["encode_fps"], d["encode_fps"]),
            "load_ms": _ratio(winner.get("load_1_frame_p50_ms"), d.get("load_1_frame_p50_ms")),
        }
    rec.rationale = _rationale(rec, checks, smaller, passes, len(table))
    return rec


def _flavour(results: Any) -> str | None:
    if "ssim_flavour" in getattr(results, "columns", []):
        vals = results["ssim_flavour"].dropna().unique()
        return str(vals[0]) if len(vals) else None
    return None


def _ratio(a: Any, b: Any) -> float:
    try:
        a, b = float(a), float(b)
    except (TypeError, ValueError):
        return float("nan")
    return a / b if b else float("nan")


def _rationale(rec: Recommendation, checks: dict, smaller: Any, passes: dict, n: int) -> list[str]:
    m = rec.metrics
    c = rec.constraints
    encode = m["encode_fps"] if m.get("encode_fps_min") is None else m["encode_fps_min"]
    lines = [f"{rec.label}: the smallest of the configurations meeting every constraint ({n} measured)."]
    lines.append(
        f"size {m['bytes_per_frame'] / 1000:.1f} KB/frame ({m['bits_per_pixel']:.3f} bpp), SSIM {c['quality_stat']} "
        f"{m.get('ssim_' + c['quality_stat']) or float('nan'):.4f}, PSNR {m.get('psnr_' + c['quality_stat']) or float('nan'):.2f} dB, "
        f"encode {encode:.0f} fps on its slowest episode (needs {c['required_encode_fps']:.0f} for {c['cameras']} "
        f"camera(s) at {c['fps']} fps x{c['headroom']:g})"
    )
    if rec.binding:
        lines.append(f"Binding constraints (they rule out {len(smaller)} smaller configuration(s)): {', '.join(rec.binding)}.")
    else:
        lines.append("No constraint binds: this is the smallest configuration measured.")
    if rec.runners_up:
        ups = ", ".join(f"{r['label']} ({r['bytes_per_frame'] / 1000:.1f} KB/frame)" for r in rec.runners_up)
        lines.append(f"Runners-up: {ups}.")
    if rec.vs_default:
        v = rec.vs_default
        q = "ssim_" + c["quality_stat"]
        lines.append(
            f"Against LeRobot's default (libsvtav1 crf30 g2 p12) on the same episodes: bytes x{v['bytes']:.2f}, "
            f"SSIM x{v[q]:.4f}, encode fps x{v['encode_fps']:.2f}, load time x{v['load_ms']:.2f}."
        )
    else:
        lines.append("LeRobot's default configuration was not measured on these episodes; add it to compare.")
    return lines
