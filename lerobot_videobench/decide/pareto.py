"""Pareto fronts over measured configurations, and the constrained recommendation.

Both work on the per-configuration table (:func:`~lerobot_videobench.bench.summary.summarize`): a
configuration measured on several episodes is judged on its aggregate (mean size, worst real-time
factor, ...), never on its best episode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..bench.summary import exclusions, summarize, usable
from ..encoding import DepthEncoderConfig, VideoEncoderConfig, camera_encoder_defaults, depth_encoder_defaults
from ..errors import InvalidValueError
from .constraints import Constraints, decision_kind, depth_stat_column, left_out_kind_note, select_results
from .lossy import lossy_source_notes

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
    # depth cameras: error in mm against the source depth (smaller is better)
    "depth_mean_mm": ("depth_mean_mm", "min"),
    "depth_median_mm": ("depth_median_mm", "min"),
    "depth_p95_mm": ("depth_p95_mm", "min"),
    "depth_p99_mm": ("depth_p99_mm", "min"),
    "depth_max_mm": ("depth_max_mm", "min"),
    "depth_edge_mean_mm": ("depth_edge_mean_mm", "min"),
    "depth_edge_max_mm": ("depth_edge_max_mm", "min"),
}
#: Default objectives per camera kind: size against quality (SSIM for RGB, p95 error in mm for depth).
DEFAULT_OBJECTIVES: dict[str, tuple[str, ...]] = {"rgb": ("bytes_per_frame", "ssim_mean"),
                                                   "depth": ("bytes_per_frame", "depth_p95_mm")}


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


def pareto_front(
    results: Any,
    objectives: tuple[str, ...] | list[str] | None = None,
    *,
    constraints: Constraints | None = None,
) -> Any:
    """Per-configuration table with a boolean ``pareto`` column, for two or three objectives.

    Objectives are names of :data:`OBJECTIVES` (e.g. ``bytes_per_frame``, ``ssim_p5``, ``realtime_factor``,
    ``load_ms``). The front is sorted by the first objective. A configuration that failed or has a decode
    hazard on any episode stays in the table (``excluded`` says why) but is never on the front.
    ``constraints`` selects the trials (source,
    episodes, camera; codecs) and, like every decision, refuses a store mixing frame rates or differently
    sized sources unless it allows mixing. RGB and depth cameras are never on one front: the selection is
    of one kind (``constraints.kind``, else the store's; RGB when it holds both), and ``objectives``
    default to :data:`DEFAULT_OBJECTIVES` of that kind (depth: size against p95 error in mm).
    """
    kind = decision_kind(results, constraints) if results is not None and len(results) else "rgb"
    if objectives is None:
        objectives = DEFAULT_OBJECTIVES[kind]
    objectives = list(objectives)
    wrong = [o for o in objectives if (o.startswith("depth_") and kind == "rgb")
             or (o.split("_")[0] in ("ssim", "psnr") and kind == "depth")]
    if wrong:
        raise InvalidValueError(
            f"objectives {wrong} do not measure {kind} cameras; " + (
                "depth objectives need --kind depth and depth results" if kind == "rgb"
                else "depth cameras are judged on depth_*_mm errors, e.g. depth_p95_mm"))
    unknown = [o for o in objectives if o not in OBJECTIVES]
    if unknown or not 2 <= len(objectives) <= 3:
        raise ValueError(f"objectives={objectives} must be 2 or 3 names among {sorted(OBJECTIVES)}")
    if results is not None and len(results):
        results = select_results(results, constraints)
    table = _per_config(results)
    table = table[table["trials"] > table["failed"]].copy() if "failed" in table else table.copy()
    if constraints is not None and constraints.codecs and "vcodec" in table.columns:
        table = table[table["vcodec"].isin(list(constraints.codecs))].copy()
    cols = [OBJECTIVES[o][0] for o in objectives]
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise ValueError(f"results lack the columns {missing} needed for objectives {objectives}")
    failures, hazards = exclusions(table)
    table["excluded"] = [hazards.get(lb) or failures.get(lb) for lb in table["label"]]
    values = table[cols].to_numpy(dtype=float, copy=True)
    values[table["excluded"].notna().to_numpy()] = np.nan  # NaN rows are never on the front
    table["pareto"] = pareto_mask(values, [OBJECTIVES[o][1] for o in objectives])
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
    failures: dict[str, str] = field(default_factory=dict)  # unmet constraints, and configs that failed
    hazards: dict[str, str] = field(default_factory=dict)  # configs LeRobot's decoders cannot read right
    rationale: list[str] = field(default_factory=list)
    ties: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

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
            "hazards": self.hazards,
            "rationale": self.rationale,
            "ties": self.ties,
            "notes": self.notes,
        }


def config_from_row(row: Any) -> tuple[VideoEncoderConfig, int | None]:
    """Rebuild the ``VideoEncoderConfig`` (and threads) of a results row (``config.*`` columns or short names)."""
    get = row.get if hasattr(row, "get") else (lambda k, d=None: getattr(row, k, d))
    fields_ = {}
    depth_min = get("config.depth_min", get("depth_min", None))
    is_depth = get("kind", None) == "depth" or (isinstance(depth_min, (int, float)) and depth_min == depth_min)
    names = ("vcodec", "pix_fmt", "g", "crf", "preset", "fast_decode", "extra_options")
    if is_depth:
        names += ("depth_min", "depth_max", "shift", "use_log")
    for name in names:
        value = get(f"config.{name}", get(name, None))
        if isinstance(value, float) and np.isnan(value):
            value = None
        if isinstance(value, (np.integer,)):
            value = int(value)
        if isinstance(value, float) and value.is_integer() and name in ("g", "fast_decode"):
            value = int(value)
        if isinstance(value, float) and value.is_integer() and name in ("crf", "preset") and get("config.vcodec", get("vcodec")) == "libsvtav1":
            value = int(value)
        if isinstance(value, (np.bool_,)):
            value = bool(value)
        if isinstance(value, np.floating):
            value = float(value)
        if name == "use_log" and isinstance(value, float):
            value = bool(value)
        if name == "extra_options" and value is None and is_depth:
            value = {}  # stored explicitly: None would bring back the lossless default
        if value is not None:
            fields_[name] = value
    if "g" not in fields_:
        fields_["g"] = None
    threads = get("encoder_threads", None)
    threads = None if threads is None or (isinstance(threads, float) and np.isnan(threads)) else int(threads)
    cls = DepthEncoderConfig if is_depth else VideoEncoderConfig
    return cls.unchecked(**fields_), threads


def constraint_checks(table: Any, constraints: Constraints, *, realtime: bool = True) -> dict[str, tuple[str, str, float]]:
    """Each limit of ``constraints`` as ``name -> (column, "max"|"min", threshold)`` on a per-configuration
    table: the checks :func:`recommend` applies (``realtime=False`` leaves the real-time one out).

    Real time is judged on the slowest episode (a wrist camera's speed says nothing of the top camera's),
    the load limit on the p95 of 1-frame loads when measured.
    """
    c = constraints
    checks: dict[str, tuple[str, str, float]] = {}
    if c.max_depth_error_mm is not None:
        checks["max_depth_error_mm"] = (depth_stat_column(c.depth_stat), "min", float(c.max_depth_error_mm))
    if c.min_ssim is not None:
        checks["min_ssim"] = (f"ssim_{c.quality_stat}", "max", float(c.min_ssim))
    if c.min_psnr is not None:
        checks["min_psnr"] = (f"psnr_{c.quality_stat}", "max", float(c.min_psnr))
    if realtime:
        realtime_col = "encode_fps_min" if "encode_fps_min" in table.columns else "encode_fps"
        checks["realtime"] = (realtime_col, "max", float(c.required_encode_fps))
    if c.max_load_ms is not None:
        load_col = "load_1_frame_p95_ms" if "load_1_frame_p95_ms" in table.columns else "load_1_frame_p50_ms"
        checks["max_load_ms"] = (load_col, "min", float(c.max_load_ms))
    return checks


def check_passes(table: Any, checks: dict[str, tuple[str, str, float]]) -> dict[str, Any]:
    """Per check, a boolean Series: which rows of ``table`` meet it (a missing column or value meets nothing)."""
    import pandas as pd

    passes = {}
    for name, (col, sense, thr) in checks.items():
        if col not in table.columns:
            passes[name] = pd.Series(False, index=table.index)
            continue
        vals = table[col].astype(float)
        passes[name] = ((vals >= thr) if sense == "max" else (vals <= thr)).fillna(False)
    return passes


def meeting_constraints(table: Any, constraints: Constraints, *, realtime: bool = True) -> Any:
    """The rows of a per-configuration table that use an allowed codec and meet every limit of
    ``constraints`` (``realtime=False``: every limit but real time), in their order, re-indexed.

    What the Explorer's filters show; :func:`recommend` picks the smallest of the same rows (after also
    leaving out configurations that failed or misread). Unset ``cameras``/``fps`` need resolving first
    (:meth:`Constraints.for_results`) when ``realtime`` is asked for.
    """
    if table is None or not len(table):
        return table
    mask = np.ones(len(table), dtype=bool)
    if constraints.codecs and "vcodec" in table.columns:
        mask &= table["vcodec"].astype(str).isin(list(constraints.codecs)).to_numpy()
    for passed in check_passes(table, constraint_checks(table, constraints, realtime=realtime)).values():
        mask &= passed.to_numpy(dtype=bool)
    return table[mask].reset_index(drop=True)


def smallest(table: Any) -> Any:
    """The row with the fewest bytes per frame (None for an empty table): the fallback choice when no
    configuration qualifies, so a view still shows something."""
    if table is None or not len(table):
        return None
    return table.sort_values("bytes_per_frame", na_position="last", kind="stable").iloc[0]


def _is_default(row: Any) -> bool:
    """LeRobot's default for the row's kind (RGB: libsvtav1 crf30 g2; depth: hevc gray12le lossless)."""
    config, threads = config_from_row(row)
    default = depth_encoder_defaults() if isinstance(config, DepthEncoderConfig) else camera_encoder_defaults()
    return config == default and threads is None


def recommend(
    results: Any,
    constraints: Constraints | None = None,
    *,
    min_ssim: float | None = None,
    min_psnr: float | None = None,
    cameras: int | None = None,
    fps: int | None = None,
    headroom: float | None = None,
    max_load_ms: float | None = None,
    codecs: list[str] | None = None,
    quality_stat: str | None = None,
) -> Recommendation:
    """The smallest-bytes configuration meeting every constraint, with a rationale.

    ``constraints`` (a :class:`~lerobot_videobench.decide.constraints.Constraints`; keyword arguments
    override its fields) says: SSIM / PSNR (``quality_stat`` ``mean`` or ``p5`` of the per-frame values),
    real-time encoding of ``cameras`` streams at ``fps`` with a ``headroom`` factor (the configuration's
    measured single-stream encode fps on its slowest episode must reach ``cameras * fps * headroom``;
    check it live with ``check_realtime``), random-access load time (1-frame query, p95 ms), allowed
    codecs, and which source / episodes / camera of the store to decide on. Unset ``fps`` and ``cameras``
    are the selected trials' own (their frame rate, their camera count).
    When nothing qualifies, each failing constraint says the best value measured and the gap.
    """
    overrides = {k: v for k, v in dict(min_ssim=min_ssim, min_psnr=min_psnr, cameras=cameras, fps=fps,
                                         headroom=headroom, max_load_ms=max_load_ms, quality_stat=quality_stat,
                                         codecs=tuple(codecs) if codecs else None).items() if v is not None}
    if results is None or len(results) == 0:
        raise InvalidValueError("results are empty: run a sweep first")
    c = Constraints.for_results(results, constraints, **overrides)
    kind = decision_kind(results, c)
    selected = select_results(results, c)
    table = _per_config(selected)
    if not (table["trials"] > table["failed"]).any():
        raise InvalidValueError("no successful trial in the results: nothing to recommend from")
    # a configuration that failed or misreads on ANY episode is out: its figures would rest on the rest
    failed_configs, hazards = exclusions(table)
    excluded = _excluded_lines(failed_configs, hazards)
    table = usable(table).reset_index(drop=True)
    quality_stat = c.quality_stat
    ssim_col, psnr_col = f"ssim_{quality_stat}", f"psnr_{quality_stat}"
    quality_cols = [ssim_col, psnr_col] if kind == "rgb" else [depth_stat_column(c.depth_stat), "depth_max_mm"]
    need_fps = c.required_encode_fps
    checks = constraint_checks(table, c)

    constraints_out = {**c.to_dict(), "kind": kind, "required_encode_fps": need_fps,
                       "ssim_flavour": _flavour(selected) if kind == "rgb" else None}
    measured = table  # before the codec filter: LeRobot's default stays the reference when filtered out
    if c.codecs:
        codecs = list(c.codecs)
        table = table[table["vcodec"].isin(codecs)].reset_index(drop=True)
    if not len(table):
        why = f"no usable measured configuration uses {list(c.codecs)}" if c.codecs else \
            "every measured configuration failed or has a decode hazard"
        return Recommendation(False, None, None, None, constraints=constraints_out,
                              failures={"codecs" if c.codecs else "usable": why, **failed_configs}, hazards=hazards,
                              rationale=[f"No recommendation: {why}."] + excluded)

    passes = check_passes(table, checks)
    ok = np.ones(len(table), dtype=bool)
    for m in passes.values():
        ok &= m.fillna(False).to_numpy()
    constraints = constraints_out
    by_size = table.assign(_ok=ok).sort_values("bytes_per_frame", kind="stable")
    if not ok.any():
        failures = {}
        for name, (col, sense, thr) in checks.items():
            vals = table[col].astype(float)
            best = vals.max() if sense == "max" else vals.min()
            if passes[name].any():
                continue
            gap = thr - best if sense == "max" else best - thr
            unit = " mm" if col.endswith("_mm") else ""
            failures[name] = (f"{col} best measured {best:.4g}{unit}, needs {'>=' if sense == 'max' else '<='} "
                              f"{thr:.4g}{unit} (short by {gap:.4g}{unit})")
        if not failures:
            failures["combination"] = "each constraint is met by some configuration, but no configuration meets all"
        lines = ["No measured configuration meets every constraint."] + [f"{k}: {v}" for k, v in failures.items()]
        notes = _measurement_notes(selected, table)
        return Recommendation(False, None, None, None, constraints=constraints, failures={**failures, **failed_configs},
                              hazards=hazards, rationale=lines + excluded + notes, notes=notes)

    winner = by_size[by_size["_ok"]].iloc[0]
    config, threads = config_from_row(winner)
    smaller = by_size[by_size["bytes_per_frame"] < winner["bytes_per_frame"]]
    binding = sorted({name for name in checks for i in smaller.index if not bool(passes[name].fillna(False)[i])})
    runners = by_size[by_size["_ok"]].iloc[1:4]
    quality_metrics = [ssim_col, psnr_col] if kind == "rgb" else list(dict.fromkeys(
        [depth_stat_column(c.depth_stat), "depth_mean_mm", "depth_p95_mm", "depth_max_mm", "depth_edge_mean_mm",
         "depth_frac_over_1cm", "depth_invalid_kept", "depth_floor_p95_mm", "depth_floor_max_mm",
         "depth_codec_max_mm"]))
    metric_cols = ["bytes_per_frame", "bits_per_pixel", "size_ratio_png", *quality_metrics, "encode_fps",
                   "encode_fps_min", "realtime_factor", "load_1_frame_p50_ms", "load_1_frame_p95_ms"]
    pick = lambda r: {c: (None if c not in r or r[c] != r[c] else float(r[c])) for c in metric_cols}  # noqa: E731
    rec = Recommendation(True, config, threads, str(winner["label"]), metrics=pick(winner), constraints=constraints,
                         binding=binding, runners_up=[{"label": str(r["label"]), **pick(r)} for _, r in runners.iterrows()],
                         failures=failed_configs, hazards=hazards)
    everything = _per_config(selected)  # the default is the reference even when it is itself excluded
    defaults = everything[[_is_default(r) for _, r in everything.iterrows()]]
    if len(defaults):
        rec.vs_default = _vs_default(selected, winner, defaults.iloc[0], *quality_cols)
    rec.ties, noise_lines = _speed_ties(winner, smaller, checks, passes)
    rec.notes = _measurement_notes(selected, table)
    if note := left_out_kind_note(select_results(results, c.replace(kind=None)) if c.kind else results, c):
        rec.notes.append(note)
    rec.rationale = _rationale(rec, checks, smaller, passes, len(table)) + excluded + noise_lines + rec.notes
    return rec


def _noise(row: Any) -> float | None:
    """Relative spread of a configuration's encode timing (max over its trials), None when not measured."""
    value = row.get("encode_fps_spread") if hasattr(row, "get") else None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if value == value else None


def _speed_ties(winner: Any, smaller: Any, checks: dict, passes: dict) -> tuple[list[dict[str, Any]], list[str]]:
    """Configurations the real-time limit separates from the winner by less than their timing noise.

    A smaller configuration failing *only* the real-time check, by less than its measured spread, is
    tied with the winner: the measurement cannot tell them apart, and the rationale says so. Likewise a
    winner passing by less than its own spread.
    """
    col, _, need = checks["realtime"]
    ties: list[dict[str, Any]] = []
    lines: list[str] = []
    for i, r in smaller.iterrows():
        failing = [n for n in checks if not bool(passes[n].fillna(False)[i])]
        noise = _noise(r)
        fps = float(r[col]) if r[col] == r[col] else float("nan")
        if failing == ["realtime"] and noise is not None and fps >= need * (1 - noise):
            ties.append({"label": str(r["label"]), "encode_fps": fps, "required_encode_fps": need,
                         "spread": noise, "bytes_per_frame": float(r["bytes_per_frame"])})
    for t in ties:
        lines.append(
            f"Tied within measured noise: {t['label']} is smaller ({t['bytes_per_frame'] / 1000:.1f} KB/frame) and "
            f"misses real time by {need - t['encode_fps']:.0f} fps ({t['encode_fps']:.0f} of {need:.0f}), less than "
            f"its timing spread (±{t['spread']:.0%}); the measurement cannot separate it from {winner['label']}: "
            "check both live (realtime) or re-time them (sweep --repeats 5)."
        )
    fps, noise = float(winner[col]), _noise(winner)
    margin = fps / need - 1 if need else float("inf")
    if noise is None:
        lines.append(f"Real-time margin of {winner['label']}: {margin:+.0%} ({fps:.0f} fps for {need:.0f} needed); encode "
                     "speed was timed once per trial, so its noise is not measured (sweep --repeats 3 measures it).")
    elif margin < noise:
        lines.append(f"{winner['label']} passes real time by {margin:+.0%}, within its timing spread (±{noise:.0%}): "
                     "confirm with the live real-time check before relying on it.")
    return ties, lines


def _measurement_notes(selected: Any, table: Any) -> list[str]:
    """What the figures rest on: contention while timing, and a lossy source."""
    notes = []
    if "contended_trials" in table.columns and "trials" in table.columns:
        contended, total = int(table["contended_trials"].fillna(0).sum()), int((table["trials"] - table["failed"]).sum())
        if contended:
            notes.append(f"Contended: {contended} of {total} trials were timed while other processes used the cores; "
                         "their speed figures may be low (re-measure on a quiet machine, e.g. one worker).")
    notes.extend(lossy_source_notes(selected))
    return notes


def _excluded_lines(failures: dict[str, str], hazards: dict[str, str]) -> list[str]:
    lines = []
    if failures:
        lines.append(f"Excluded {len(failures)} configuration(s) that failed on some episode: "
                     + "; ".join(f"{k} ({v})" for k, v in failures.items()) + ".")
    if hazards:
        lines.append(f"Excluded {len(hazards)} configuration(s) that LeRobot's training decoders do not read back "
                     "correctly (decode hazards): " + "; ".join(f"{k} ({v})" for k, v in hazards.items()) + ".")
    return lines


def _vs_default(results: Any, winner: Any, default: Any, ssim_col: str, psnr_col: str) -> dict[str, float] | None:
    """Winner / default ratios on the episodes BOTH measured successfully (raw rows), so a config measured
    on fewer or other episodes is not compared with an average over different footage."""
    if "key" in results.columns:  # raw rows: restrict both to their common successful episodes
        ep_col = "source_fingerprint" if "source_fingerprint" in results.columns else "episode_key"
        ok = results[results["status"] == "ok"]
        eps = [set(ok.loc[ok["label"] == r["label"], ep_col]) for r in (winner, default)]
        common = eps[0] & eps[1]
        if not common:
            return None
        both = summarize(ok[ok["label"].isin([winner["label"], default["label"]]) & ok[ep_col].isin(common)])
        pick = {str(r["label"]): r for _, r in both.iterrows()}
        winner, default = pick[str(winner["label"])], pick[str(default["label"])]
        episodes = len(common)
    else:
        episodes = None
    return {
        "bytes": _ratio(winner["bytes_per_frame"], default["bytes_per_frame"]),
        ssim_col: _ratio(winner[ssim_col], default[ssim_col]),
        psnr_col: _ratio(winner[psnr_col], default[psnr_col]),
        "encode_fps": _ratio(winner["encode_fps"], default["encode_fps"]),
        "load_ms": _ratio(winner.get("load_1_frame_p50_ms"), default.get("load_1_frame_p50_ms")),
        "episodes": episodes,
    }


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


def _mm(value: Any, digits: int = 1) -> str:
    return "-" if value is None or value != value else f"{float(value):.{digits}f} mm"


def _rationale(rec: Recommendation, checks: dict, smaller: Any, passes: dict, n: int) -> list[str]:
    m = rec.metrics
    c = rec.constraints
    depth = c.get("kind") == "depth"
    encode = m["encode_fps"] if m.get("encode_fps_min") is None else m["encode_fps_min"]
    lines = [f"{rec.label}: the smallest of the configurations meeting every constraint ({n} measured)."]
    speed = (f"encode {encode:.0f} fps on its slowest episode (needs {c['required_encode_fps']:.0f} for {c['cameras']} "
             f"camera(s) at {c['fps']} fps x{c['headroom']:g})")
    if depth:
        stat = c["depth_stat"]
        lines.append(
            f"size {m['bytes_per_frame'] / 1000:.1f} KB/frame ({m['bits_per_pixel']:.3f} bpp), depth error against the "
            f"source: {stat} {_mm(m.get(depth_stat_column(stat)))}, mean {_mm(m.get('depth_mean_mm'), 2)}, max "
            f"{_mm(m.get('depth_max_mm'), 0)}, edge mean {_mm(m.get('depth_edge_mean_mm'))}, "
            f"{100 * (m.get('depth_frac_over_1cm') or 0):.2f} % of pixels off by > 1 cm; {speed}")
        lines.append(
            f"Quantization floor (the 12-bit mapping alone, no codec) of its quantizer: p95 "
            f"{_mm(m.get('depth_floor_p95_mm'))}, max {_mm(m.get('depth_floor_max_mm'), 0)}; the codec adds up to "
            f"{_mm(m.get('depth_codec_max_mm'), 0)}.")
    else:
        lines.append(
            f"size {m['bytes_per_frame'] / 1000:.1f} KB/frame ({m['bits_per_pixel']:.3f} bpp), SSIM {c['quality_stat']} "
            f"{m.get('ssim_' + c['quality_stat']) or float('nan'):.4f}, PSNR {m.get('psnr_' + c['quality_stat']) or float('nan'):.2f} dB, "
            + speed
        )
    if rec.binding:
        lines.append(f"Binding constraints (they rule out {len(smaller)} smaller configuration(s)): {', '.join(rec.binding)}.")
    else:
        lines.append("No constraint binds: this is the smallest configuration measured.")
    if rec.runners_up:
        ups = ", ".join(f"{r['label']} ({r['bytes_per_frame'] / 1000:.1f} KB/frame)" for r in rec.runners_up)
        lines.append(f"Runners-up: {ups}.")
    if rec.vs_default and depth:
        v = rec.vs_default
        lines.append(
            f"Against LeRobot's depth default (hevc gray12le lossless, g2) on the {v['episodes'] or ''} episode(s) both "
            f"measured: bytes x{v['bytes']:.2f}, encode fps x{v['encode_fps']:.2f}, load time x{v['load_ms']:.2f}.")
    elif rec.vs_default:
        v = rec.vs_default
        q = "ssim_" + c["quality_stat"]
        lines.append(
            f"Against LeRobot's default (libsvtav1 crf30 g2 p12) on the {v['episodes'] or ''} episode(s) both "
            f"measured: bytes x{v['bytes']:.2f}, "
            f"SSIM x{v[q]:.4f}, encode fps x{v['encode_fps']:.2f}, load time x{v['load_ms']:.2f}."
        )
    else:
        lines.append("LeRobot's default configuration was not measured on these episodes; add it to compare.")
    return lines
