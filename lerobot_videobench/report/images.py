"""Frames as PNG bytes: what the widgets hand to ``ipywidgets.Image`` and the report inlines as data URIs.

PNG keeps the compression artefacts exactly as decoded (a JPEG thumbnail would add its own).
"""

from __future__ import annotations

import base64
import io

import numpy as np


def _as_image(frame: np.ndarray):  # -> PIL.Image.Image
    from PIL import Image

    arr = np.asarray(frame)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise ValueError(f"frame shape {arr.shape} must be HxW, HxWx3 or HxWx4")
    if arr.dtype != np.uint8:
        if np.issubdtype(arr.dtype, np.floating) and arr.size and float(np.nanmax(arr)) <= 1.0:
            arr = arr * 255.0
        arr = np.clip(np.nan_to_num(arr), 0, 255).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(arr))


def png_bytes(frame: np.ndarray) -> bytes:
    """Encode an HxW (grey), HxWx3 (RGB) or HxWx4 frame as PNG; non-uint8 input is clipped to 0..255."""
    buf = io.BytesIO()
    _as_image(frame).save(buf, format="PNG")
    return buf.getvalue()


def thumbnail(frame: np.ndarray, max_width: int = 320) -> bytes:
    """PNG of ``frame`` scaled down (never up) to at most ``max_width`` pixels wide, aspect kept."""
    if max_width < 1:
        raise ValueError(f"max_width={max_width!r} must be a positive integer")
    from PIL import Image

    image = _as_image(frame)
    if image.width > max_width:
        height = max(1, round(image.height * max_width / image.width))
        image = image.resize((max_width, height), Image.LANCZOS)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def data_uri(png: bytes) -> str:
    """``data:image/png;base64,...``: an image the HTML report carries inside itself."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def worst_window(source: np.ndarray, encoded: np.ndarray, size: int = 128) -> tuple[int, int, int]:
    """``(x, y, size)`` of the ``size`` x ``size`` window (clamped to the frame) where ``encoded`` differs
    most from ``source`` (sum of absolute differences): the crop a report shows pixel for pixel."""
    a = np.asarray(source, dtype=np.int32)
    b = np.asarray(encoded, dtype=np.int32)
    diff = np.abs(a - b)
    if diff.ndim == 3:
        diff = diff.sum(axis=2)
    h, w = diff.shape
    size = max(1, min(int(size), h, w))
    table = np.zeros((h + 1, w + 1), dtype=np.int64)
    table[1:, 1:] = diff.cumsum(0).cumsum(1)
    sums = table[size:, size:] - table[:-size, size:] - table[size:, :-size] + table[:-size, :-size]
    y, x = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return int(x), int(y), size


def _colour_table(scale: str) -> np.ndarray:
    """A 256-entry RGB lookup table sampled from a plotly colour scale (the same colours the plots use)."""
    import plotly.colors as pc

    rgb = pc.sample_colorscale(scale, list(np.linspace(0.0, 1.0, 256)))
    return np.array([pc.unlabel_rgb(c) for c in rgb], dtype=np.float64).round().astype(np.uint8)


_TABLES: dict[str, np.ndarray] = {}


def colour_map(values: np.ndarray, vmin: float, vmax: float, scale: str = "Turbo",
               invalid: np.ndarray | None = None) -> np.ndarray:
    """HxW values -> HxWx3 ``uint8`` through ``scale`` over ``[vmin, vmax]``; ``invalid`` pixels are black.

    Depth and depth error are not images: a grey ramp hides mm-scale steps, a colour scale with fixed
    limits makes two frames (source, decoded) comparable pixel for pixel.
    """
    if scale not in _TABLES:
        _TABLES[scale] = _colour_table(scale)
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"values shape {v.shape} must be HxW")
    span = float(vmax) - float(vmin)
    t = np.zeros_like(v) if span <= 0 else (v - float(vmin)) / span
    idx = np.clip(np.nan_to_num(t * 255.0), 0, 255).astype(np.uint8)
    out = _TABLES[scale][idx]
    if invalid is not None:
        out[np.asarray(invalid, dtype=bool)] = 0
    return out


def depth_scale(depth_mm: np.ndarray) -> tuple[float, float]:
    """Colour limits for a depth frame: its valid (non-zero) 1st-99th percentile, so one far outlier does
    not flatten the scene. Use the source's limits for the decoded frame too, to compare them."""
    d = np.asarray(depth_mm, dtype=np.float64)
    valid = d[d > 0]
    if not valid.size:
        return 0.0, 1.0
    lo, hi = np.percentile(valid, [1, 99])
    return float(lo), float(hi)


def error_scale(error_mm: np.ndarray, valid: np.ndarray) -> float:
    """Top of an error heat map: the p99 error over valid pixels, at least 1 mm."""
    e = np.asarray(error_mm, dtype=np.float64)[np.asarray(valid, dtype=bool)]
    return max(1.0, float(np.percentile(e, 99))) if e.size else 1.0


def depth_colour(depth_mm: np.ndarray, vmin_mm: float | None = None, vmax_mm: float | None = None) -> np.ndarray:
    """Colour-mapped depth (Turbo, near = blue); no-return pixels (0) black. Limits default to
    :func:`depth_scale` of this frame."""
    d = np.asarray(depth_mm, dtype=np.float64)
    lo, hi = depth_scale(d)
    return colour_map(d, lo if vmin_mm is None else vmin_mm, hi if vmax_mm is None else vmax_mm, "Turbo",
                      invalid=d <= 0)


def depth_error_heatmap(source_mm: np.ndarray, decoded_mm: np.ndarray, vmax_mm: float | None = None) -> np.ndarray:
    """|decoded - source| in mm as a heat map (black = 0 .. yellow = ``vmax_mm``, default
    :func:`error_scale`); pixels invalid in the source are shown dark blue when decoded non-zero (a lost
    no-return marker), black otherwise."""
    from ..bench.depth_metrics import abs_error_map

    err = abs_error_map(source_mm, decoded_mm)
    valid = np.asarray(source_mm) > 0
    out = colour_map(err, 0.0, error_scale(err, valid) if vmax_mm is None else vmax_mm, "Inferno")
    out[~valid] = 0
    out[~valid & (np.asarray(decoded_mm) > 0)] = (20, 40, 160)
    return out
