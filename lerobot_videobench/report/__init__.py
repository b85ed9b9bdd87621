"""Plotly figures shared by the widgets and the reports, frame images, and the standalone HTML report."""

from .figures import (
    frame_quality_figure,
    pareto_figure,
    queue_depth_figure,
    rate_quality_figure,
    realtime_bars_figure,
)
from .html import build_report
from .images import data_uri, png_bytes, thumbnail

__all__ = [
    "build_report",
    "data_uri",
    "frame_quality_figure",
    "pareto_figure",
    "png_bytes",
    "queue_depth_figure",
    "rate_quality_figure",
    "realtime_bars_figure",
    "thumbnail",
]
