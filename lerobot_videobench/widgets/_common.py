"""Shared plumbing of the panels: the display protocol, error reporting, figure replacement and image
helpers (background jobs: :mod:`._background`). Presentation only: every number shown comes from the
engine, and grid text is read by :mod:`lerobot_videobench.bench.grid`."""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import ipywidgets as W
import numpy as np

logger = logging.getLogger(__name__)

#: Colours of the status line.
_STYLES = {
    "info": "color:#444",
    "ok": "color:#1a7f37",
    "warn": "color:#9a6700",
    "error": "color:#b42318;font-weight:600",
}


def status_html(text: str, kind: str = "info") -> str:
    """A one-line status message (escaped), coloured by ``kind`` (info, ok, warn, error)."""
    return f'<div style="{_STYLES.get(kind, _STYLES["info"])};white-space:pre-wrap">{html.escape(text)}</div>'


class Panel:
    """Base of every panel: a root container in ``.widget``, a ``status`` line, and the display protocol
    delegating to ``.widget`` so ``display(panel)`` or a bare ``panel`` as the last line shows it."""

    widget: W.Widget

    def __init__(self) -> None:
        self.status = W.HTML(value="", layout=W.Layout(min_height="1.5em"))
        #: The last error shown in the status line (a string), None when the last action succeeded.
        self.error: str | None = None
        self._lock = threading.RLock()

    # -------------------------------------------------------------- display protocol
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    # -------------------------------------------------------------- status and errors
    def set_status(self, text: str, kind: str = "info") -> None:
        if kind != "error":
            self.error = None
        self.status.value = status_html(text, kind)

    def show_error(self, exc: BaseException, context: str = "") -> None:
        """Render ``exc`` in the status line and log it with its traceback: errors never vanish."""
        message = f"{type(exc).__name__}: {exc}"
        if context:
            message = f"{context}: {message}"
        self.error = message
        self.status.value = status_html(message, "error")
        logger.error("%s", message, exc_info=(type(exc), exc, exc.__traceback__))

    @contextmanager
    def guard(self, context: str = "") -> Iterator[None]:
        """Run a callback body; an exception is shown in the status line instead of escaping into the
        widget machinery (where Jupyter would only log it in the browser console)."""
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - a callback must never raise into ipywidgets
            self.show_error(exc, context)

    def guarded(self, fn: Callable[..., Any], context: str = "") -> Callable[..., Any]:
        """``fn`` wrapped with :meth:`guard`, for ``observe``/``on_click``/``on_click`` of plotly traces."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.guard(context):
                return fn(*args, **kwargs)
            return None

        wrapper.__name__ = getattr(fn, "__name__", "callback")
        return wrapper


def with_hint(widget: W.Widget, hint: str) -> W.HBox:
    """``widget`` followed by a small grey note, e.g. what 0 means in a number box ("0 = auto")."""
    return W.HBox([widget, W.HTML(f"<small style='color:#666;white-space:nowrap'>{html.escape(hint)}</small>")],
                  layout=W.Layout(align_items="center"))


# ------------------------------------------------------------------------------------------ figures
def replace_figure(widget: Any, figure: Any, on_click: Callable[..., Any] | None = None) -> None:
    """Show ``figure`` in ``widget`` (a :class:`~.plot.PlotView`) as a whole, with ``on_click`` as its
    click handler: one state change that any browser view, shown or hidden, draws completely."""
    widget.show(figure, on_click)


def roomy(figure: Any) -> Any:
    """Give a figure with a title and a top legend a taller top margin, so they do not overlap in a panel."""
    figure.update_layout(margin=dict(t=95), title=dict(y=0.98, yanchor="top"))
    return figure


def point_customdata(trace: Any, points: Any) -> Any:
    """The ``customdata`` of the first clicked point (None when nothing was hit)."""
    inds = list(getattr(points, "point_inds", []) or [])
    if not inds or trace.customdata is None:
        return None
    return trace.customdata[inds[0]]


# ------------------------------------------------------------------------------------------ images
#: Anchors of an inferno-like colour map (dark = no difference, bright yellow = large difference).
_CMAP_ANCHORS = np.array(
    [[0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99], [212, 72, 66], [245, 125, 21], [250, 193, 39],
     [252, 255, 164]],
    dtype=np.float64,
)
_LUT = np.stack(
    [np.interp(np.linspace(0, 1, 256), np.linspace(0, 1, len(_CMAP_ANCHORS)), _CMAP_ANCHORS[:, c]) for c in range(3)],
    axis=1,
).round().astype(np.uint8)


def colormap(gray: np.ndarray) -> np.ndarray:
    """Map an HxW uint8 image through the colour map to HxWx3 RGB (a heatmap)."""
    return _LUT[np.asarray(gray, dtype=np.uint8)]


def crop(frame: np.ndarray, x: int, y: int, size: int) -> np.ndarray:
    """A ``size`` x ``size`` window at (x, y), clamped to the frame."""
    h, w = frame.shape[:2]
    size = max(1, min(int(size), h, w))
    x = min(max(0, int(x)), w - size)
    y = min(max(0, int(y)), h - size)
    return frame[y : y + size, x : x + size]


def upscale(image: np.ndarray, target: int = 256) -> np.ndarray:
    """Nearest-neighbour enlargement to about ``target`` pixels wide: every codec artefact stays a
    crisp block instead of being smoothed away by the browser's resampling."""
    factor = max(1, int(target) // max(1, image.shape[1]))
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def outline(frame: np.ndarray, x: int, y: int, size: int, color: tuple[int, int, int] = (255, 0, 0)) -> np.ndarray:
    """A copy of ``frame`` with the zoom window drawn as a 1-pixel rectangle."""
    out = np.array(frame, copy=True)
    h, w = out.shape[:2]
    size = max(1, min(int(size), h, w))
    x = min(max(0, int(x)), w - size)
    y = min(max(0, int(y)), h - size)
    x1, y1 = x + size - 1, y + size - 1
    out[y, x : x1 + 1] = color
    out[y1, x : x1 + 1] = color
    out[y : y1 + 1, x] = color
    out[y : y1 + 1, x1] = color
    return out


def fmt(value: Any, spec: str = ".4g") -> str:
    """A table cell: numbers formatted, NaN/None as a dash, everything else escaped."""
    if value is None:
        return "-"
    if isinstance(value, (float, np.floating)):
        return "-" if np.isnan(value) else format(float(value), spec)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    return html.escape(str(value))
