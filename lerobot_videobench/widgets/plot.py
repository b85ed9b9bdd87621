"""``PlotView``: a plotly figure as a widget that is always drawn from its whole state.

Why not plotly's ``FigureWidget``: it streams incremental trace messages (add/delete by index) that its
browser view applies to whatever it has drawn; a view that is hidden (a Workbench tab that is not shown,
which is what Run All leaves) or still rendering gets out of step and stops drawing ("indices must be
valid indices for gd.data"). And every ``FigureWidget`` carries its own 5 MB copy of plotly.js in the
notebook's saved widget state.

``PlotView`` holds the figure as one JSON trait: the browser calls ``Plotly.react`` with the complete
figure on every change and when it first renders, so hidden or late views draw what the kernel has.
plotly.js (the plotly.py package's own bundle) travels once per page, as a message of one shared library
model, not once per plot, and never into the notebook's saved widget state. Clicks on points come back
to Python as ``on_click(trace, points)`` callbacks, with the same ``(trace, points)`` arguments as
plotly's ``FigureWidget`` handlers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import ipywidgets as W
import plotly
import plotly.graph_objects as go
import traitlets
from plotly.callbacks import Points

_PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

_ESM = r"""
function plotlyFrom(model) {
  if (window.Plotly && window.Plotly.react) return Promise.resolve(window.Plotly);
  const ref = String(model.get("library") || "").replace(/^IPY_MODEL_/, "");
  // one request per page and library model (a new kernel has a new one), however many plots render
  if (!window.__vbPlotly || window.__vbPlotly.ref !== ref) {
    const promise = (async () => {
      const lib = await model.widget_manager.get_model(ref);
      // plotly.js comes as a message, not as model state: saved widget state stays small
      const source = await new Promise((resolve) => {
        const onMessage = (content) => {
          if (content && content.event === "source") { lib.off("msg:custom", onMessage); resolve(content.source); }
        };
        lib.on("msg:custom", onMessage);
        lib.send({ event: "need-source" });
      });
      if (!(window.Plotly && window.Plotly.react)) {
        // plotly.min.js is a UMD bundle: without module loaders in scope it sets window.Plotly
        new Function("define", "exports", "module", source)(undefined, undefined, undefined);
      }
      return window.Plotly;
    })();
    window.__vbPlotly = { ref, promise };
    promise.catch(() => { if (window.__vbPlotly && window.__vbPlotly.promise === promise) window.__vbPlotly = null; });
  }
  return window.__vbPlotly.promise;
}

async function render({ model, el }) {
  const Plotly = await plotlyFrom(model);
  const div = document.createElement("div");
  div.className = "vb-plot";
  el.appendChild(div);
  let queue = Promise.resolve();
  const draw = () => {
    queue = queue.then(() => {
      const fig = JSON.parse(model.get("figure_json") || "{}");
      const layout = fig.layout || {};
      layout.autosize = true;
      return Plotly.react(div, fig.data || [], layout, { responsive: true, displaylogo: false });
    }).then(() => {
      model.set("drawn", model.get("drawn") + 1);
      model.save_changes();
    }).catch((err) => console.error("vb-plot:", err));
    return queue;
  };
  await draw();
  div.on("plotly_click", (ev) => {
    const pts = (ev && ev.points) || [];
    if (!pts.length) return;
    const p = pts[0];
    model.send({ event: "click", trace: p.curveNumber, point: (p.pointIndex ?? p.pointNumber) });
  });
  model.on("change:figure_json", draw);
  // a view drawn in a hidden tab has no width: lay it out again when it becomes visible
  const resize = new ResizeObserver(() => { if (div.offsetWidth > 0) Plotly.Plots.resize(div); });
  resize.observe(el);
  return () => { resize.disconnect(); model.off("change:figure_json", draw); Plotly.purge(div); };
}
export default { render };
"""


class _PlotlyLibrary(W.Widget):
    """plotly.js for every :class:`PlotView`: sent to a page when its first plot asks for it, as a custom
    message rather than a synced trait, so a notebook saved with its widget state does not carry 5 MB of
    JavaScript (messages are not state)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_msg(self._on_message)

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("event") == "need-source":
            self.send({"event": "source", "source": _PLOTLY_JS.read_text(encoding="utf-8")})


_library: _PlotlyLibrary | None = None
_library_lock = threading.Lock()


def _shared_library() -> _PlotlyLibrary:
    global _library
    with _library_lock:
        if _library is None or _library.comm is None:
            _library = _PlotlyLibrary()
        return _library


class PlotView(anywidget.AnyWidget):
    """A figure shown in the notebook and replaced as a whole by :meth:`show`.

    ``figure`` is a ``go.Figure`` kept in the kernel (read ``data``/``layout`` as with a FigureWidget);
    ``on_click(trace, points)`` is called when a point is clicked in the browser (or by :meth:`click`).
    """

    _esm = _ESM
    figure_json = traitlets.Unicode("{}").tag(sync=True)
    library = traitlets.Instance(_PlotlyLibrary).tag(sync=True, **W.widget_serialization)
    #: How many times a browser view finished drawing (for tests and diagnostics).
    drawn = traitlets.Int(0).tag(sync=True)

    def __init__(self, figure: go.Figure | None = None, on_click: Callable[..., Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(library=_shared_library(), **kwargs)
        self.figure: go.Figure = go.Figure()
        self.on_click = on_click
        self._lock = threading.Lock()
        self.on_msg(self._on_message)
        if figure is not None:
            self.show(figure, on_click)

    @property
    def data(self) -> tuple[Any, ...]:
        return self.figure.data

    @property
    def layout(self) -> Any:
        return self.figure.layout

    def show(self, figure: go.Figure, on_click: Callable[..., Any] | None = None) -> None:
        """Replace the whole figure (and, if given, the click handler): one message, one redraw."""
        with self._lock:
            self.figure = go.Figure(figure)
            if on_click is not None:
                self.on_click = on_click
            self.figure_json = self.figure.to_json()

    def update_layout(self, **changes: Any) -> None:
        """Change the layout (e.g. move a marker line) and redraw from the whole figure."""
        with self._lock:
            self.figure.update_layout(**changes)
            self.figure_json = self.figure.to_json()

    def click(self, trace_index: int, point_index: int) -> None:
        """Dispatch a click on point ``point_index`` of trace ``trace_index``, as the browser does."""
        trace = self.figure.data[trace_index]
        xs = list(trace.x) if trace.x is not None else []
        ys = list(trace.y) if trace.y is not None else []
        points = Points([point_index], [xs[point_index] if point_index < len(xs) else None],
                        [ys[point_index] if point_index < len(ys) else None], trace.name, trace_index)
        if self.on_click is not None:
            self.on_click(trace, points)

    def _on_message(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("event") == "click":
            try:
                self.click(int(content["trace"]), int(content["point"]))
            except (IndexError, KeyError, TypeError, ValueError):
                return
