"""LeRobot 0.6's depth quantizer (``lerobot.datasets.depth_utils``) in numpy alone, plus the ``gray12le``
frame plumbing of its encoder and reader.

Depth is recorded as 12-bit codes: ``uint16`` millimetres or ``float32`` metres -> :func:`quantize_depth`
-> codes 0..4095 in a ``gray12le`` frame -> HEVC (lossless by default). Reading decodes with PyAV as
``gray12le`` and maps codes back with :func:`dequantize_depth`. The arithmetic below repeats LeRobot's
operation for operation (same dtypes, same order), because a float32 rounding step in a different place
moves codes by one; the compatibility suite checks identity against the real package.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, Literal

import av
import numpy as np

from .config import (
    DEFAULT_DEPTH_MAX,
    DEFAULT_DEPTH_MIN,
    DEFAULT_DEPTH_PIX_FMT,
    DEFAULT_DEPTH_SHIFT,
    DEFAULT_DEPTH_USE_LOG,
    DEPTH_METER_UNIT,
    DEPTH_MILLIMETER_UNIT,
    DEPTH_QMAX,
)

MM_PER_METRE = 1000.0
_UINT16_MAX = 65535
DepthUnit = Literal["m", "mm"]


def infer_depth_unit(dtype: Any) -> str:
    """LeRobot's rule: floating-point depth is metres, integer depth millimetres."""
    return DEPTH_METER_UNIT if np.issubdtype(np.dtype(dtype), np.floating) else DEPTH_MILLIMETER_UNIT


def squeeze_single_channel(array: np.ndarray) -> np.ndarray:
    """Drop a leading or trailing singleton channel axis, never an H or W of size 1: ``(1,H,W)``/``(H,W,1)`` -> ``(H,W)``."""
    if array.ndim == 3:
        if array.shape[0] == 1:
            return array[0]
        if array.shape[-1] == 1:
            return array[..., 0]
    return array


def _check_log_params(depth_min: float, shift: float) -> None:
    if depth_min + shift <= 0:
        raise ValueError(
            f"shift={shift!r} must make depth_min + shift positive for logarithmic quantization "
            f"(depth_min={depth_min!r}, sum {depth_min + shift})"
        )


def quantize_depth(
    depth: np.ndarray,
    depth_min: float = DEFAULT_DEPTH_MIN,
    depth_max: float = DEFAULT_DEPTH_MAX,
    shift: float = DEFAULT_DEPTH_SHIFT,
    use_log: bool = DEFAULT_DEPTH_USE_LOG,
    input_unit: str = "auto",
) -> np.ndarray:
    """Depth -> LeRobot's 12-bit codes (``uint16`` in 0..4095), same shape without a singleton channel axis.

    ``input_unit="auto"`` reads floats as metres and integers as millimetres; the mapping runs in that
    unit with ``depth_min``/``depth_max``/``shift`` (always metres) converted to it, as LeRobot does.
    Depth outside the range clips to code 0 or 4095, so an invalid 0 mm pixel becomes code 0.
    """
    if input_unit not in ("auto", DEPTH_METER_UNIT, DEPTH_MILLIMETER_UNIT):
        raise ValueError(f"input_unit={input_unit!r} is not allowed; allowed: 'auto', 'm', 'mm'")
    depth = squeeze_single_channel(np.asarray(depth))
    unit = infer_depth_unit(depth.dtype) if input_unit == "auto" else input_unit
    depth_f = depth.astype(np.float32, order="K")
    scale = 1.0 if unit == DEPTH_METER_UNIT else MM_PER_METRE
    depth_min_u = np.float32(depth_min * scale) if scale != 1.0 else np.float32(depth_min)
    depth_max_u = np.float32(depth_max * scale) if scale != 1.0 else np.float32(depth_max)
    shift_u = np.float32(shift * scale) if scale != 1.0 else np.float32(shift)
    if use_log:
        _check_log_params(depth_min, shift)
        log_min = math.log(float(depth_min_u + shift_u))
        log_max = math.log(float(depth_max_u + shift_u))
        norm = (np.log(depth_f + shift_u) - log_min) / (log_max - log_min)
    else:
        norm = (depth_f - depth_min_u) / (depth_max_u - depth_min_u)
    return np.rint(norm * DEPTH_QMAX).clip(0, DEPTH_QMAX).astype(np.uint16, copy=False)


def dequantize_depth(
    codes: np.ndarray,
    depth_min: float = DEFAULT_DEPTH_MIN,
    depth_max: float = DEFAULT_DEPTH_MAX,
    shift: float = DEFAULT_DEPTH_SHIFT,
    use_log: bool = DEFAULT_DEPTH_USE_LOG,
    output_unit: str = DEPTH_MILLIMETER_UNIT,
) -> np.ndarray:
    """12-bit codes -> depth: ``uint16`` mm (rint) or ``float32`` m clipped to ``[depth_min, depth_max]``.

    The values are LeRobot's ``dequantize_depth(..., output_tensor=False)``; the shape is the input's
    without a singleton channel axis (LeRobot adds one back, channel first by default).
    """
    if output_unit not in (DEPTH_METER_UNIT, DEPTH_MILLIMETER_UNIT):
        raise ValueError(f"output_unit={output_unit!r} is not allowed; allowed: 'm', 'mm'")
    if use_log:
        _check_log_params(depth_min, shift)
    lo, hi, sh = float(depth_min), float(depth_max), float(shift)
    if use_log:
        log_min, log_max = math.log(lo + sh), math.log(hi + sh)
        scale, offset = (log_max - log_min) / DEPTH_QMAX, log_min
    else:
        scale, offset = (hi - lo) / DEPTH_QMAX, lo
    arr = np.asarray(codes)
    if arr.ndim >= 3:
        arr = np.squeeze(arr, axis=-3) if arr.shape[-3] == 1 else np.squeeze(arr, axis=-1)
    buf = np.empty(arr.shape, dtype=np.float32)
    np.multiply(arr, scale, out=buf)
    np.add(buf, offset, out=buf)
    if use_log:
        np.exp(buf, out=buf)
        np.subtract(buf, sh, out=buf)
    np.clip(buf, lo, hi, out=buf)
    if output_unit == DEPTH_METER_UNIT:
        return buf
    np.multiply(buf, MM_PER_METRE, out=buf)
    np.rint(buf, out=buf)
    np.clip(buf, 0.0, _UINT16_MAX, out=buf)
    return buf.astype(np.uint16, copy=False)


def depth_to_mm(depth: np.ndarray, unit: str | None = None) -> np.ndarray:
    """Source depth as float64 millimetres (the unit every depth metric reports), from m or mm."""
    depth = squeeze_single_channel(np.asarray(depth))
    unit = unit or infer_depth_unit(depth.dtype)
    if unit not in (DEPTH_METER_UNIT, DEPTH_MILLIMETER_UNIT):
        raise ValueError(f"depth unit {unit!r} is not allowed; allowed: 'm', 'mm'")
    out = depth.astype(np.float64)
    return out * MM_PER_METRE if unit == DEPTH_METER_UNIT else out


def codes_to_video_frame(codes: np.ndarray, pix_fmt: str = DEFAULT_DEPTH_PIX_FMT) -> av.VideoFrame:
    """A 16-bit gray frame holding ``codes``, filled row by row as LeRobot's ``write_u16_plane`` does
    (the plane's rows are padded, so a flat copy would skew the image)."""
    codes = np.ascontiguousarray(codes, dtype=np.uint16)
    frame = av.VideoFrame.from_ndarray(codes, format=pix_fmt)
    plane = frame.planes[0]
    height, width = codes.shape
    stride = plane.line_size // 2
    np.frombuffer(plane, dtype=np.uint16).reshape(height, stride)[:, :width] = codes
    return frame


def check_depth_frame(frame: Any, index: int, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """An HxW (or HxWx1 / 1xHxW) ``uint16`` mm or float m depth array, or a ``ValueError`` naming the frame."""
    if not isinstance(frame, np.ndarray):
        raise ValueError(f"depth frame {index}: expected a numpy array (uint16 mm or float32 m), got {type(frame).__name__}")
    if not (np.issubdtype(frame.dtype, np.integer) or np.issubdtype(frame.dtype, np.floating)):
        raise ValueError(f"depth frame {index}: dtype {frame.dtype} is not allowed; use uint16 mm or float32 m")
    arr = squeeze_single_channel(frame)
    if arr.ndim != 2:
        raise ValueError(f"depth frame {index}: shape {frame.shape} is not allowed; depth frames are HxW (or HxWx1)")
    if shape is not None and arr.shape != shape:
        raise ValueError(f"depth frame {index}: shape {arr.shape} differs from the first frame's {shape}")
    return arr


def iter_depth_frames(
    path: Any,
    config: Any = None,
    *,
    output_unit: str = DEPTH_MILLIMETER_UNIT,
    from_timestamp: float = 0.0,
    num_frames: int | None = None,
    fps: float | None = None,
    start: int = 0,
) -> Any:
    """Decode a depth video as LeRobot reads it (PyAV, ``gray12le``) and dequantize every frame with
    ``config``'s quantizer (a :class:`~.config.DepthEncoderConfig`; LeRobot's defaults when None)."""
    from .config import DepthEncoderConfig, depth_encoder_defaults
    from .video_files import iter_video_frames

    config = config or depth_encoder_defaults()
    if not isinstance(config, DepthEncoderConfig):
        raise ValueError(f"config must be a DepthEncoderConfig to read depth, got {type(config).__name__}")
    q = config.quantizer()
    for codes in iter_video_frames(
        path, from_timestamp=from_timestamp, num_frames=num_frames, fps=fps, start=start, pix_fmt=DEFAULT_DEPTH_PIX_FMT
    ):
        yield dequantize_depth(codes, **q, output_unit=output_unit)
