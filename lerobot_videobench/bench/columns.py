"""What the results columns mean to a reader: one readable name with its unit per column, so the CLI
tables, the explorer and the reports label sizes, rates and times the same way."""

from __future__ import annotations

from typing import Any

#: Column -> (short readable name with unit, how a size/number is shown).
COLUMNS: dict[str, str] = {
    "label": "configuration",
    "vcodec": "codec",
    "crf": "crf",
    "g": "g (GOP)",
    "preset": "preset",
    "pix_fmt": "pix_fmt",
    "encoder_threads": "threads",
    "bytes_per_frame": "KB/frame",
    "bits_per_pixel": "bpp",
    "ssim_mean": "SSIM",
    "ssim_p5": "SSIM p5",
    "psnr_mean": "PSNR dB",
    "psnr_p5": "PSNR p5 dB",
    "encode_fps": "encode fps",
    "realtime_factor": "real-time x",
    "decode_fps": "decode fps",
    "load_1_frame_p50_ms": "load ms p50",
    "load_1_frame_p95_ms": "load ms p95",
    "load_6_frames_p50_ms": "load 6 ms p50",
    "depth_mean_mm": "depth mean mm",
    "depth_median_mm": "depth median mm",
    "depth_p95_mm": "depth p95 mm",
    "depth_p99_mm": "depth p99 mm",
    "depth_max_mm": "depth max mm",
    "depth_edge_mean_mm": "edge mean mm",
    "depth_edge_max_mm": "edge max mm",
    "depth_frac_over_1cm": "> 1 cm",
    "depth_frac_over_1pct": "> 1 %",
    "depth_invalid_kept": "invalid kept",
    "depth_spurious_invalid": "spurious invalid px",
    "depth_floor_mean_mm": "floor mean mm",
    "depth_floor_p95_mm": "floor p95 mm",
    "depth_floor_max_mm": "floor max mm",
    "depth_codec_mean_mm": "codec mean mm",
    "depth_codec_max_mm": "codec max mm",
    "depth_codes_exact": "codes exact",
    "kind": "camera kind",
    "trials": "trials",
    "failed": "failed",
}
#: Columns shown scaled: bytes as KB (1 KB = 1000 bytes).
SCALE: dict[str, float] = {"bytes_per_frame": 1e-3}


def column_title(column: str) -> str:
    """The readable name of ``column`` with its unit (the column name itself when unknown)."""
    return COLUMNS.get(column, column)


def format_size(num_bytes: Any) -> str:
    """``364 B``, ``12.35 KB``, ``3.20 MB``: small sizes in bytes, never "0 KB"."""
    try:
        value = float(num_bytes)
    except (TypeError, ValueError):
        return "-"
    if value != value:
        return "-"
    if abs(value) < 1000:
        return f"{value:.0f} B"
    if abs(value) < 1e6:
        return f"{value / 1e3:.2f} KB"
    return f"{value / 1e6:.2f} MB"
