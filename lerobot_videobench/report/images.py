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
