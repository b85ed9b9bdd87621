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
}
#: ``encode_fps`` of the slowest episode: what a real-time judgement must use (cameras differ in size).
ENCODE_FPS_MIN = "encode_fps_min"
#: How many of a configuration's trials were timed while other processes competed for the cores.
CONTENDED_TRIALS = "contended_trials"
#: How many of a configuration's trials came from a lossy source (quality relative to that source).
LOSSY_TRIALS = "lossy_source_trials"


def summarize(results: Any) -> Any:
    """Per configuration (``label``): trial counts and the aggregated measurements, smallest files first.

    Worst-case statistics aggregate pessimistically (the lowest 5th-percentile SSIM over episodes, the
    lowest real-time factor, ``encode_fps_min``: the slowest episode's encode speed), averages by mean.
    """
    import pandas as pd

    if results is None or len(results) == 0:
        return pd.DataFrame(columns=["label", "trials", "failed", *SUMMARY_COLUMNS, ENCODE_FPS_MIN])
    df = results.copy()
    df["_ok"] = df["status"] == "ok"
    groups = df.groupby("label", sort=False)
    out = pd.DataFrame({"trials": groups.size(), "failed": groups["_ok"].apply(lambda s: int((~s).sum()))})
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
                "config.extra_options", "encoder_threads"):
        if col in df.columns:
            out[col.removeprefix("config.")] = groups[col].first()
    for col in (*SUMMARY_COLUMNS, ENCODE_FPS_MIN):
        if col not in out.columns:
            out[col] = np.nan
    out = out.reset_index()
    if "bytes_per_frame" in out.columns:
        out = out.sort_values("bytes_per_frame", na_position="last", kind="stable").reset_index(drop=True)
    return out.replace({np.inf: np.nan})
