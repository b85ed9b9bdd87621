"""lerobot-videobench: choose how LeRobot camera streams are encoded, by measurement.

The public API is the names below, importable from the top level (``import lerobot_videobench as vb``;
``vb.run_sweep``, ``vb.Recommendation``, ``vb.Workbench``...). As in huggingface_hub they are loaded
lazily: ``import lerobot_videobench`` costs nothing and needs neither ipywidgets nor plotly; a name's
module is imported on first use. The layer packages (``encoding`` -> ``episodes`` -> ``bench`` ->
``decide`` -> ``report``/``widgets``) and their modules are internals whose paths may change;
``__all__`` and the table below are the contract.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("lerobot-videobench")
except PackageNotFoundError:  # a source checkout that was never installed
    __version__ = "0.0.0+unknown"

#: Public name -> the module that defines it (relative to this package).
_LAZY: dict[str, str] = {
    # encoding: the LeRobot-faithful core
    "HW_VIDEO_CODECS": ".encoding.config",
    "LIBSVTAV1_DEFAULT_PRESET": ".encoding.config",
    "VALID_VIDEO_CODECS": ".encoding.config",
    "VideoEncoderConfig": ".encoding.config",
    "camera_encoder_defaults": ".encoding.config",
    "DepthEncoderConfig": ".encoding.config",
    "depth_encoder_defaults": ".encoding.config",
    "encoder_config_from_video_info": ".encoding.config",
    "EncodeStats": ".encoding.encode",
    "encode_video_frames": ".encoding.encode",
    "EncoderProbe": ".encoding.pyav_probe",
    "probe_encoder": ".encoding.pyav_probe",
    "CameraStreamResult": ".encoding.streaming",
    "StreamingVideoEncoder": ".encoding.streaming",
    "VideoFileError": ".encoding.video_files",
    "concatenate_video_files": ".encoding.video_files",
    "get_video_duration_in_s": ".encoding.video_files",
    "get_video_info": ".encoding.video_files",
    "iter_video_frames": ".encoding.video_files",
    "read_frames": ".encoding.video_files",
    # episodes: where frames come from
    "Episode": ".episodes.episode",
    "DepthSpec": ".episodes.episode",
    "episode_from_arrays": ".episodes.episode",
    "CameraInfo": ".episodes.sources",
    "SourceInfo": ".episodes.sources",
    "describe_source": ".episodes.sources",
    "load_episodes": ".episodes.sources",
    "write_lerobot_dataset": ".episodes.writer",
    # bench: measuring configurations
    "GridPlan": ".bench.grid",
    "expand_grid": ".bench.grid",
    "SweepEvent": ".bench.runner",
    "SweepSummary": ".bench.runner",
    "run_sweep": ".bench.runner",
    "ResultStore": ".bench.store",
    "load_results": ".bench.store",
    "summarize": ".bench.summary",
    "MeasureSettings": ".bench.trial",
    "TrialResult": ".bench.trial",
    "TrialSpec": ".bench.trial",
    "TrialFrames": ".bench.frames",
    "open_trial": ".bench.frames",
    # decide: turning results into a choice
    "BDResult": ".decide.compare",
    "bd_rate": ".decide.compare",
    "Constraints": ".decide.constraints",
    "ExportSettings": ".decide.export",
    "ExportSource": ".decide.export",
    "render": ".decide.export",
    "format_command": ".decide.export",
    "from_json": ".decide.export",
    "from_yaml": ".decide.export",
    "to_cli_args": ".decide.export",
    "to_json": ".decide.export",
    "to_python": ".decide.export",
    "to_yaml": ".decide.export",
    "HealthReport": ".decide.health",
    "check_health": ".decide.health",
    "Recommendation": ".decide.pareto",
    "pareto_front": ".decide.pareto",
    "recommend": ".decide.pareto",
    "RealtimeReport": ".decide.realtime",
    "check_realtime": ".decide.realtime",
    "SearchResult": ".decide.search",
    "search_crf": ".decide.search",
    # report and notebook faces
    "build_report": ".report.html",
    "frame_quality_figure": ".report.figures",
    "pareto_figure": ".report.figures",
    "queue_depth_figure": ".report.figures",
    "rate_quality_figure": ".report.figures",
    "realtime_bars_figure": ".report.figures",
    "depth_colour": ".report.images",
    "depth_error_heatmap": ".report.images",
    "png_bytes": ".report.images",
    "Workbench": ".widgets.workbench",
    "ExplorerPanel": ".widgets.explorer",
    "ExportPanel": ".widgets.export",
    "FramePanel": ".widgets.frames",
    "RealtimePanel": ".widgets.realtime",
    "Selection": ".widgets.selection",
    "SourcePanel": ".widgets.source",
    "SweepPanel": ".widgets.sweep",
    # errors
    "VideobenchError": ".errors",
    "InvalidValueError": ".errors",
    "SourceError": ".errors",
    "SourceNotFoundError": ".errors",
    "StoreError": ".errors",
    "EncoderUnavailableError": ".errors",
    "EnvironmentFailure": ".errors",
    "DiskFullError": ".errors",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(__all__))


if TYPE_CHECKING:  # static type checkers and IDEs see real imports
    from .bench.frames import TrialFrames, open_trial
    from .bench.grid import GridPlan, expand_grid
    from .bench.runner import SweepEvent, SweepSummary, run_sweep
    from .bench.store import ResultStore, load_results
    from .bench.summary import summarize
    from .bench.trial import MeasureSettings, TrialResult, TrialSpec
    from .decide.compare import BDResult, bd_rate
    from .decide.constraints import Constraints
    from .decide.export import (
        ExportSettings,
        ExportSource,
        format_command,
        from_json,
        from_yaml,
        render,
        to_cli_args,
        to_json,
        to_python,
        to_yaml,
    )
    from .decide.health import HealthReport, check_health
    from .decide.pareto import Recommendation, pareto_front, recommend
    from .decide.realtime import RealtimeReport, check_realtime
    from .decide.search import SearchResult, search_crf
    from .encoding.config import (
        HW_VIDEO_CODECS,
        LIBSVTAV1_DEFAULT_PRESET,
        VALID_VIDEO_CODECS,
        DepthEncoderConfig,
        VideoEncoderConfig,
        camera_encoder_defaults,
        depth_encoder_defaults,
        encoder_config_from_video_info,
    )
    from .encoding.encode import EncodeStats, encode_video_frames
    from .encoding.pyav_probe import EncoderProbe, probe_encoder
    from .encoding.streaming import CameraStreamResult, StreamingVideoEncoder
    from .encoding.video_files import (
        VideoFileError,
        concatenate_video_files,
        get_video_duration_in_s,
        get_video_info,
        iter_video_frames,
        read_frames,
    )
    from .episodes.episode import Episode
    from .episodes.sources import CameraInfo, SourceInfo, describe_source, load_episodes
    from .episodes.writer import write_lerobot_dataset
    from .errors import (
        DiskFullError,
        EncoderUnavailableError,
        EnvironmentFailure,
        InvalidValueError,
        SourceError,
        SourceNotFoundError,
        StoreError,
        VideobenchError,
    )
    from .report.figures import (
        frame_quality_figure,
        pareto_figure,
        queue_depth_figure,
        rate_quality_figure,
        realtime_bars_figure,
    )
    from .report.html import build_report
    from .report.images import png_bytes
    from .widgets.explorer import ExplorerPanel
    from .widgets.export import ExportPanel
    from .widgets.frames import FramePanel
    from .widgets.realtime import RealtimePanel
    from .widgets.selection import Selection
    from .widgets.source import SourcePanel
    from .widgets.sweep import SweepPanel
    from .widgets.workbench import Workbench
