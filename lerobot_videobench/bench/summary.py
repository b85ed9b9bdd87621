"""Results tables: one row per configuration, aggregated over the episodes it was measured on."""

from __future__ import annotations

from typing import Any

import numpy as np

#: Columns of the per-configuration summary and how they aggregate over episodes.
SUMMARY_COLUMNS: dict[str, str] = {
    "bytes_per_frame": "mean",
    "bits_per_pixel": "mean",
    "size_ratio_png": "mean",
    "ssim_mean": "mean",
    "ssim_p5": "min",
    "psnr_mean": "mean",
    "psnr_p5": "min",
    "encode_fps": "mean",
    "encode_fps_spread": "max",
    "realtime_factor": "min",
    "decode_fps": "mean",
    "decode_fps_spread": "max",
    "load_1_frame_p50_ms": "mean",
    "load_1_frame_p95_ms": "max",
    "load_6_frames_p50_ms": "mean",
    # depth cameras (NaN for RGB): error in mm against the source depth, worst cases pessimistically
    "depth_mean_mm": "mean",
    "depth_median_mm": "mean",
    "depth_p95_mm": "max",
    "depth_p99_mm": "max",
    "depth_max_mm": "max",
    "depth_edge_mean_mm": "mean",
    "depth_edge_max_mm": "max",
    "depth_frac_over_1cm": "mean",
    "depth_frac_over_1pct": "mean",
    "depth_invalid_kept": "min",
    "depth_spurious_invalid": "sum",
    "depth_worst_frame_mean_mm": "max",
    "depth_floor_mean_mm": "mean",  # the 12-bit mapping alone (no codec): the floor under every figure above
    "depth_floor_p95_mm": "max",
    "depth_floor_max_mm": "max",
    "depth_codec_mean_mm": "mean",  # decoded against the quantized codes: what the codec adds (0 = lossless)
    "depth_codec_max_mm": "max",
    "depth_codes_exact": "min",
}
#: Columns that hold depth figures: NaN on RGB rows, and the RGB quality columns are NaN on depth rows.
DEPTH_SUMMARY_COLUMNS: tuple[str, ...] = tuple(c for c in SUMMARY_COLUMNS if c.startswith("depth_"))
#: ``encode_fps`` of the slowest episode: what a real-time judgement must use (cameras differ in size).
ENCODE_FPS_MIN = "encode_fps_min"
#: How many of a configuration's trials were timed while other processes competed for the cores.
CONTENDED_TRIALS = "contended_trials"
#: How many of a configuration's trials came from a lossy source (quality relative to that source).
LOSSY_TRIALS = "lossy_source_trials"
#: Per-configuration columns that say whether LeRobot's training decoders read it back right.
DECODE_COLUMNS = ("decoder", "hazards", "decode_ok", "decode_issue", "error")


def is_hazard(decode_ok: Any) -> bool:
    """A row's ``decode_ok`` says False (None / NaN: not checked, e.g. a failed trial or an old row)."""
    if decode_ok is None or (isinstance(decode_ok, float) and np.isnan(decode_ok)):
        return False
    return not bool(decode_ok)


def exclusions(results: Any) -> tuple[dict[str, str], dict[str, str]]:
    """(failures, hazards): configurations (labels) that failed, or have a decode hazard, on ANY episode,
    each with the reason. Such a configuration is out of every decision: its aggregate would rest on the
    episodes where it happened to work, or on files a training run cannot read correctly. ``results``
    are raw rows or a :func:`summarize` table."""
    if results is None or len(results) == 0:
        return {}, {}
    table = results if "trials" in results.columns and "key" not in results.columns else summarize(results)
    failures: dict[str, str] = {}
    hazards: dict[str, str] = {}
    for _, r in table.iterrows():
        n = int(r["trials"])
        if r.get("failed", 0):
            failures[str(r["label"])] = f"failed on {int(r['failed'])} of {n} episode(s): {r.get('error')}"
        if r.get("hazards", 0) == r.get("hazards", 0) and r.get("hazards", 0):  # not NaN, not 0
            hazards[str(r["label"])] = f"decode hazard on {int(r['hazards'])} of {n} episode(s): {r.get('decode_issue')}"
    return failures, hazards


def usable(table: Any) -> Any:
    """Rows of a per-configuration summary with no failure and no decode hazard on any episode."""
    keep = table["failed"] == 0
    if "hazards" in table.columns:
        keep &= table["hazards"].fillna(0) == 0
    return table[keep]


def summarize(results: Any) -> Any:
    """Per configuration (``label``): trial counts and the aggregated measurements, smallest files first.

    ``hazards`` counts the episodes where a training decoder raised or returned a wrong frame
    (``decode_ok`` is True only when there are none; ``decode_issue`` says what and the remedy).
    Worst-case statistics aggregate pessimistically (the lowest 5th-percentile SSIM over episodes, the
    lowest real-time factor, ``encode_fps_min``: the slowest episode's encode speed), averages by mean.
    """
    import pandas as pd

    if results is None or len(results) == 0:
        return pd.DataFrame(columns=["label", "trials", "failed", "kind", *DECODE_COLUMNS, *SUMMARY_COLUMNS, ENCODE_FPS_MIN])
    df = results.copy()
    df["_ok"] = df["status"] == "ok"
    groups = df.groupby("label", sort=False)
    out = pd.DataFrame({"trials": groups.size(), "failed": groups["_ok"].apply(lambda s: int((~s).sum()))})
    hazard = df["decode_ok"].map(is_hazard) if "decode_ok" in df.columns else pd.Series(False, index=df.index)
    df["_hazard"] = hazard.astype(bool) & df["_ok"]
    out["hazards"] = df.groupby("label", sort=False)["_hazard"].sum().astype(int)
    out["decode_ok"] = out["hazards"] == 0
    out["kind"] = groups["kind"].first().fillna("rgb") if "kind" in df.columns else "rgb"
    for col in ("decode_issue", "error", "decoder"):
        if col in df.columns:
            out[col] = groups[col].agg(lambda s: next((v for v in s if isinstance(v, str) and v), None))
    ok = df[df["_ok"]]
    present = {c: how for c, how in SUMMARY_COLUMNS.items() if c in ok.columns}
    if len(ok) and present:
        agg = ok.groupby("label", sort=False).agg(present)
        out = out.join(agg)
    if len(ok) and "encode_fps" in ok.columns:
        out = out.join(ok.groupby("label", sort=False)["encode_fps"].min().rename(ENCODE_FPS_MIN))
    for src, name in (("contended", CONTENDED_TRIALS), ("source_lossy", LOSSY_TRIALS)):
        if len(ok) and src in ok.columns:
            flags = ok[src].map(lambda v: bool(v) if v == v and v is not None else False)
            out = out.join(flags.groupby(ok["label"], sort=False).sum().astype(int).rename(name))
    for col in ("config.vcodec", "config.crf", "config.g", "config.preset", "config.pix_fmt", "config.fast_decode",
                "config.extra_options", "config.depth_min", "config.depth_max", "config.shift", "config.use_log",
                "encoder_threads"):
        if col in df.columns:
            out[col.removeprefix("config.")] = groups[col].first()
    for col in (*SUMMARY_COLUMNS, ENCODE_FPS_MIN):
        if col not in out.columns:
            out[col] = np.nan
    out = out.reset_index()
    if "bytes_per_frame" in out.columns:
        out = out.sort_values("bytes_per_frame", na_position="last", kind="stable").reset_index(drop=True)
    return out.replace({np.inf: np.nan})
