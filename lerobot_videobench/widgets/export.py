"""Export panel: the selected configuration as ``lerobot-record`` flags, YAML, JSON or Python, ready to
copy or save. The text is produced by :mod:`lerobot_videobench.decide.export`, nothing is formatted here."""

from __future__ import annotations

import html
import logging
import os
import warnings
from pathlib import Path
from typing import Any

import ipywidgets as W

from ..decide import export as ex
from ..encoding import VideoEncoderConfig, camera_encoder_defaults
from ._common import Panel, with_hint
from .copy import CopyButton
from .selection import Selection

logger = logging.getLogger(__name__)

#: Format toggle label -> (export format, default file name).
FORMATS: dict[str, tuple[str, str]] = {
    "lerobot-record flags": ("cli", "record_command.sh"),
    "YAML": ("yaml", "camera_encoder.yaml"),
    "JSON": ("json", "camera_encoder.json"),
    "Python": ("python", "camera_encoder.py"),
}
_DEFAULT_NAMES = {name for _, name in FORMATS.values()}


class ExportPanel(Panel):
    """Follows the selection: its config is rebuilt with ``config_from_row`` from the stored row (LeRobot's
    defaults when nothing is selected), with the dataset settings set here."""

    def __init__(self, selection: Selection | None = None, *, store: str | os.PathLike | None = None) -> None:
        super().__init__()
        self.selection = selection or Selection(store_path=str(store or ""))
        self.config: VideoEncoderConfig = camera_encoder_defaults()
        self.origin = "LeRobot's defaults (nothing selected)"

        self.format = W.ToggleButtons(options=list(FORMATS), value="lerobot-record flags", description="Format")
        self.target = W.Dropdown(options=[(t.describe(), name) for name, t in ex.TARGETS.items()],
                                 value=ex.default_target(), description="LeRobot",
                                 layout=W.Layout(width="100%"),
                                 tooltip="which LeRobot the config is for (default: the installed one, else 0.6)")
        self.only_changed = W.Checkbox(value=False, description="only settings that differ from LeRobot's defaults",
                                       indent=False)
        self.encoder_threads = W.BoundedIntText(value=0, min=0, max=256, description="Threads",
                                                layout=W.Layout(width="180px"),
                                                tooltip="--dataset.encoder_threads; 0 = not set")
        self.queue_maxsize = W.BoundedIntText(value=0, min=0, max=10000, description="Queue",
                                              layout=W.Layout(width="180px"),
                                              tooltip="--dataset.encoder_queue_maxsize; 0 = not set")
        # "not set" is a string: a Dropdown whose value is None shows an empty box, not its label
        self.streaming = W.Dropdown(options=[("not set", "not set"), ("true", True), ("false", False)],
                                    value="not set", description="Streaming")
        self.config_html = W.HTML()
        self._text = ""
        self.text_view = W.HTML(layout=W.Layout(width="100%"))
        self.text_view.add_class("vb-export-text")
        self.copy_button = CopyButton()
        self.filename = W.Text(value=FORMATS["lerobot-record flags"][1], description="File")
        self.save_button = W.Button(description="Save", icon="save")

        for w in (self.format, self.target, self.only_changed, self.encoder_threads, self.queue_maxsize, self.streaming):
            w.observe(self.guarded(lambda _: self.render(), "export"), names="value")
        self.format.observe(self.guarded(self._on_format, "export"), names="value")
        self.save_button.on_click(self.guarded(lambda _: self.save(), "save"))
        selection.observe(self.guarded(self._on_selection, "selection"), names=["key", "store_path"])

        self.widget = W.VBox([
            self.config_html,
            self.target,
            self.format,
            W.HBox([with_hint(self.encoder_threads, "0 = not set"), with_hint(self.queue_maxsize, "0 = not set"),
                    self.streaming]),
            self.only_changed,
            self.text_view,
            W.HBox([self.copy_button, self.filename, self.save_button]),
            self.status,
        ])
        with self.guard("selection"):
            self._on_selection()

    # -------------------------------------------------------------- public API
    @property
    def text(self) -> str:
        """The export text shown (and copied / saved)."""
        return self._text

    def kwargs(self) -> dict[str, Any]:
        """The dataset settings passed next to the config."""
        return {
            "encoder_threads": int(self.encoder_threads.value) or None,
            "encoder_queue_maxsize": int(self.queue_maxsize.value) or None,
            "streaming_encoding": None if self.streaming.value == "not set" else self.streaming.value,
            "only_changed": bool(self.only_changed.value),
        }

    def source(self) -> ex.ExportSource | None:
        """The swept dataset (from the selection's store), for the lerobot-edit-dataset target."""
        row = self.selection.row() if self.selection.key else None
        location = (row or {}).get("source")
        if not isinstance(location, str) or not location:
            return None
        try:
            return ex.ExportSource.from_location(location)
        except ValueError:
            return None

    def render(self) -> str:
        """Regenerate the text for the current config, format and settings; export warnings (an encoder
        this machine lacks, settings a target cannot express) go to the status line."""
        kind = FORMATS[self.format.value][0]
        options = self.kwargs()
        only_changed = options.pop("only_changed")
        settings = ex.ExportSettings.for_choice(self.config, **options, source=self.source())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            text = ex.render(self.target.value, kind, settings, only_changed=only_changed)
        self._text = text
        self.text_view.value = (
            "<pre style='white-space:pre-wrap;word-break:break-all;background:#f6f8fa;padding:8px;margin:0;"
            f"border:1px solid #d0d7de;border-radius:4px;user-select:all'>{html.escape(text)}</pre>"
        )
        self.copy_button.text = text
        notes = [str(w.message) for w in caught]
        if notes:
            self.set_status("\n".join(notes), "warn")
        else:
            self.set_status(f"{self.format.value} for {self.config.label()}", "ok")
        return text

    def save(self, path: str | os.PathLike | None = None) -> Path:
        """Write the text to ``path`` (default: the file name box) and return where it went."""
        target = Path(path if path is not None else self.filename.value.strip() or FORMATS[self.format.value][1])
        target = target.expanduser()
        if target.parent and not target.parent.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.text, encoding="utf-8")
        self.set_status(f"saved {len(self.text)} characters to {target.resolve()}", "ok")
        return target

    # -------------------------------------------------------------- callbacks
    def _on_format(self, change: dict) -> None:
        name = self.filename.value.strip()
        if not name or name in _DEFAULT_NAMES:  # follow the format unless the user typed a name
            self.filename.value = FORMATS[change["new"]][1]

    def _on_selection(self, *_: Any) -> None:
        chosen = self.selection.config()
        if chosen is None:
            self.config, self.origin = camera_encoder_defaults(), "LeRobot's defaults (nothing selected)"
        else:
            self.config, threads = chosen
            self.origin = "the selected configuration"
            self.encoder_threads.value = int(threads or 0)
        self.config_html.value = (f"Export: <b>{html.escape(self.config.label())}</b> "
                                  f"<small>({html.escape(self.origin)})</small>")
        self.render()
