"""ipywidgets panels: thin views over the engine (sources, sweeps, decisions, figures), no measurement of
their own. ``Workbench`` puts them in one app; each panel also works alone around a shared ``Selection``."""

from .copy import CopyButton
from .explorer import ExplorerPanel
from .export import ExportPanel
from .frames import FramePanel
from .realtime import RealtimePanel
from .selection import Selection
from .source import SourcePanel
from .sweep import SweepPanel
from .workbench import Workbench

__all__ = [
    "CopyButton",
    "ExplorerPanel",
    "ExportPanel",
    "FramePanel",
    "RealtimePanel",
    "Selection",
    "SourcePanel",
    "SweepPanel",
    "Workbench",
]
