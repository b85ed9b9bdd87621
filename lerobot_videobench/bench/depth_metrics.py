"""Depth quality in physical units: per-frame error in millimetres of decoded depth against source depth.

RGB quality (PSNR/SSIM) says nothing about a depth camera: what a policy or a point cloud pays is metric
error, and it concentrates at object edges (where a lossy codec smears a depth step) and at invalid pixels
(0 = no return, which must stay 0-coded). So each frame reports the error distribution over valid pixels,
the error on edge pixels apart, the fractions beyond 1 cm and beyond 1 % of depth, and what happened to
invalid pixels. :func:`quantization_floor` gives the same figures for the 12-bit mapping alone (no codec).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields

import numpy as np

from ..encoding.config import DepthEncoderConfig, depth_encoder_defaults
from ..encoding.depth import dequantize_depth, depth_to_mm, quantize_depth, squeeze_single_channel

#: A pixel is an edge pixel when the source depth changes by more than this many mm to a 4-neighbour.
EDGE_STEP_MM: float = 50.0
#: Statistics a depth constraint may name (``--depth-stat``), all in mm except the fractions.
DEPTH_STATS: tuple[str, ...] = ("mean", "median", "p95", "p99", "max", "edge_mean", "edge_max")


@dataclass(frozen=True)
class DepthFrameError:
    """One frame's depth error against its source (mm; fractions in 0..1).

    Statistics are over valid source pixels (depth > 0). ``edge_*`` are over valid pixels next to a
    depth step larger than :data:`EDGE_STEP_MM` (NaN when the frame has none). ``invalid_kept`` is the
    fraction of invalid source pixels still decoded as code 0 (NaN without invalid pixels);
    ``spurious_invalid`` counts valid pixels the codec turned into code 0 although the quantizer did not.
    """

    mean: float
    median: float
    p95: float
    p99: float
    max: float
    edge_mean: float
    edge_max: float
    frac_over_1cm: float
    frac_over_1pct: float
    valid_pixels: int
    edge_pixels: int
    invalid_pixels: int
    invalid_kept: float
    spurious_invalid: int


def edge_mask(depth_mm: np.ndarray, step_mm: float = EDGE_STEP_MM) -> np.ndarray:
    """Pixels on either side of a depth step larger than ``step_mm`` between two valid 4-neighbours
    (the border of a no-return region is not a depth edge: its error is counted as invalid pixels)."""
    d = depth_mm.astype(np.float64)
    ok = d > 0
    mask = np.zeros(d.shape, dtype=bool)
    dy = (np.abs(np.diff(d, axis=0)) > step_mm) & ok[:-1, :] & ok[1:, :]
    dx = (np.abs(np.diff(d, axis=1)) > step_mm) & ok[:, :-1] & ok[:, 1:]
    mask[:-1, :] |= dy
    mask[1:, :] |= dy
    mask[:, :-1] |= dx
    mask[:, 1:] |= dx
    return mask & (d > 0)


def abs_error_map(source_mm: np.ndarray, decoded_mm: np.ndarray) -> np.ndarray:
    """|decoded - source| in mm per pixel (float64), 0 where the source has no return (depth 0): the map the
    frame viewer and the heat maps show; its statistics are :func:`depth_frame_error`'s."""
    src = np.asarray(source_mm, dtype=np.float64)
    dec = np.asarray(decoded_mm, dtype=np.float64)
    if src.shape != dec.shape:
        raise ValueError(f"source {src.shape} and decoded {dec.shape} depth differ in shape")
    return np.where(src > 0, np.abs(dec - src), 0.0)


def depth_frame_error(
    source: np.ndarray,
    decoded_mm: np.ndarray,
    config: DepthEncoderConfig | None = None,
    *,
    decoded_codes: np.ndarray | None = None,
    source_unit: str | None = None,
    edge_step_mm: float = EDGE_STEP_MM,
) -> DepthFrameError:
    """Error of one decoded depth frame (mm) against its source (``uint16`` mm or float m, or ``source_unit``).

    ``decoded_codes`` (the 12-bit codes read from the video) lets invalid pixels be judged on codes; without
    them a pixel counts as code 0 when it decodes to the depth of code 0.
    """
    config = config or depth_encoder_defaults()
    src = depth_to_mm(source, source_unit)
    dec = squeeze_single_channel(np.asarray(decoded_mm)).astype(np.float64)
    if src.shape != dec.shape:
        raise ValueError(f"decoded depth shape {dec.shape} differs from the source's {src.shape}")
    q = config.quantizer()
    if decoded_codes is None:
        code0_mm = float(dequantize_depth(np.zeros((1, 1), np.uint16), **q)[0, 0])
        dec_zero = dec <= code0_mm
    else:
        dec_zero = squeeze_single_channel(np.asarray(decoded_codes)) == 0
    valid = src > 0
    err = np.abs(dec - src)
    ev = err[valid]
    edges = edge_mask(src, edge_step_mm)
    ee = err[edges]
    nan = float("nan")
    if ev.size:
        p50, p95, p99 = np.percentile(ev, [50, 95, 99])
        stats = (float(ev.mean()), float(p50), float(p95), float(p99), float(ev.max()))
        over_cm = float((ev > 10.0).mean())
        over_pct = float((ev > 0.01 * src[valid]).mean())
    else:
        stats, over_cm, over_pct = (nan,) * 5, nan, nan
    invalid = ~valid
    n_invalid = int(invalid.sum())
    quant_zero = quantize_depth(src.astype(np.float32), **q, input_unit="mm") == 0
    return DepthFrameError(
        *stats,
        edge_mean=float(ee.mean()) if ee.size else nan,
        edge_max=float(ee.max()) if ee.size else nan,
        frac_over_1cm=over_cm,
        frac_over_1pct=over_pct,
        valid_pixels=int(valid.sum()),
        edge_pixels=int(edges.sum()),
        invalid_pixels=n_invalid,
        invalid_kept=float(dec_zero[invalid].mean()) if n_invalid else nan,
        spurious_invalid=int((dec_zero & valid & ~quant_zero).sum()),
    )


@dataclass(frozen=True)
class DepthErrorSummary:
    """Depth error pooled over an episode's frames: each statistic's mean over frames, maxima as maxima,
    plus the worst frame's mean error (``worst_frame_mean``)."""

    mean: float
    median: float
    p95: float
    p99: float
    max: float
    edge_mean: float
    edge_max: float
    frac_over_1cm: float
    frac_over_1pct: float
    invalid_kept: float
    spurious_invalid: int
    worst_frame_mean: float
    frames: int

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def _nanmean(values: Sequence[float]) -> float:
    arr = np.asarray(values, dtype=np.float64)
    return float(np.nanmean(arr)) if np.isfinite(arr).any() else float("nan")


def _nanmax(values: Sequence[float]) -> float:
    arr = np.asarray(values, dtype=np.float64)
    return float(np.nanmax(arr)) if np.isfinite(arr).any() else float("nan")


def summarize_depth_errors(per_frame: Iterable[DepthFrameError]) -> DepthErrorSummary:
    """Pool per-frame errors (means of per-frame statistics; ``max``/``edge_max`` the largest seen)."""
    rows = list(per_frame)
    if not rows:
        raise ValueError("no frames to summarize")
    col = {f.name: [getattr(r, f.name) for r in rows] for f in fields(DepthFrameError)}
    return DepthErrorSummary(
        mean=_nanmean(col["mean"]),
        median=_nanmean(col["median"]),
        p95=_nanmean(col["p95"]),
        p99=_nanmean(col["p99"]),
        max=_nanmax(col["max"]),
        edge_mean=_nanmean(col["edge_mean"]),
        edge_max=_nanmax(col["edge_max"]),
        frac_over_1cm=_nanmean(col["frac_over_1cm"]),
        frac_over_1pct=_nanmean(col["frac_over_1pct"]),
        invalid_kept=_nanmean(col["invalid_kept"]),
        spurious_invalid=int(sum(col["spurious_invalid"])),
        worst_frame_mean=_nanmax(col["mean"]),
        frames=len(rows),
    )


def quantization_floor(
    frames: Iterable[np.ndarray], config: DepthEncoderConfig | None = None, *, source_unit: str | None = None
) -> DepthErrorSummary:
    """The error of the 12-bit mapping alone (quantize then dequantize, no codec): no encoding of this
    quantizer can do better, so it is the floor under every codec figure at this range."""
    config = config or depth_encoder_defaults()
    q = config.quantizer()
    out = []
    for f in frames:
        codes = quantize_depth(f, **q, input_unit=source_unit or "auto")
        out.append(depth_frame_error(f, dequantize_depth(codes, **q), config, decoded_codes=codes,
                                     source_unit=source_unit))
    return summarize_depth_errors(out)


def depth_step_mm(config: DepthEncoderConfig, depth_m: float) -> float:
    """Size in mm of one code step of ``config``'s quantizer at ``depth_m`` (half of it is the floor's max error)."""
    lo, hi, sh = config.depth_min, config.depth_max, config.shift
    if not config.use_log:
        return (hi - lo) / 4095 * 1000.0
    return (depth_m + sh) * (math.log(hi + sh) - math.log(lo + sh)) / 4095 * 1000.0


# ---------------------------------------------------------------------------------------------- result columns
#: Pooled statistic -> unit suffix of its results column (``depth_p95_mm``); fractions and counts have none.
POOLED_UNITS: dict[str, str] = {
    "mean": "_mm", "median": "_mm", "p95": "_mm", "p99": "_mm", "max": "_mm", "edge_mean": "_mm",
    "edge_max": "_mm", "frac_over_1cm": "", "frac_over_1pct": "", "invalid_kept": "", "spurious_invalid": "",
    "worst_frame_mean": "_mm",
}
#: Per-frame statistics kept as arrays (``depth_<stat>_frames``), for the frame viewer's error trace.
FRAME_STATS: tuple[str, ...] = ("mean", "median", "p95", "p99", "max", "edge_mean", "edge_max", "frac_over_1cm",
                                "frac_over_1pct", "invalid_kept", "spurious_invalid")


def depth_column(stat: str, prefix: str = "depth") -> str:
    """Results column of a pooled statistic: ``depth_p95_mm``, ``depth_frac_over_1cm``; ``prefix``
    ``depth_floor`` names the quantization floor's (no codec) figures."""
    if stat not in POOLED_UNITS:
        raise ValueError(f"stat={stat!r}; allowed: {list(POOLED_UNITS)}")
    return f"{prefix}_{stat}{POOLED_UNITS[stat]}"


def depth_columns(summary: DepthErrorSummary, prefix: str = "depth") -> dict[str, float]:
    """The pooled figures of ``summary`` as flat results columns (see :func:`depth_column`)."""
    d = summary.to_dict()
    return {depth_column(stat, prefix): d[stat] for stat in POOLED_UNITS}


def frame_arrays(per_frame: Sequence[DepthFrameError], prefix: str = "depth") -> dict[str, np.ndarray]:
    """Per-frame arrays ``<prefix>_<stat>_frames`` (float64, NaN where a frame has no such pixels)."""
    return {f"{prefix}_{stat}_frames": np.array([getattr(r, stat) for r in per_frame], dtype=np.float64)
            for stat in FRAME_STATS}
