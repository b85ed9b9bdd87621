"""``CopyButton``: ipywidgets has no clipboard API, so a tiny anywidget copies its ``text`` trait in the
browser (Clipboard API, with the ``execCommand`` fallback for non-secure origins) and reports back."""

from __future__ import annotations

import anywidget
import traitlets

_ESM = r"""
function render({ model, el }) {
  const button = document.createElement("button");
  button.className = "jupyter-widgets jupyter-button widget-button vb-copy-button";
  button.title = "Copy to the clipboard";
  const label = () => { button.textContent = model.get("description"); };
  label();
  model.on("change:description", label);
  button.addEventListener("click", async () => {
    const text = model.get("text");
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch (err) {
      const area = document.createElement("textarea");
      area.value = text;
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      area.remove();
    }
    model.set("copies", model.get("copies") + 1);
    model.set("last_result", ok ? "copied" : "failed");
    model.save_changes();
    button.textContent = ok ? "Copied \u2713" : "Copy failed: select the text";
    setTimeout(label, 1500);
  });
  el.appendChild(button);
}
export default { render };
"""


class CopyButton(anywidget.AnyWidget):
    """A button that copies ``text`` to the user's clipboard; ``copies``/``last_result`` are set by the
    browser after each click (what a browser test checks)."""

    _esm = _ESM
    text = traitlets.Unicode("").tag(sync=True)
    description = traitlets.Unicode("Copy").tag(sync=True)
    copies = traitlets.Int(0).tag(sync=True)
    last_result = traitlets.Unicode("").tag(sync=True)
