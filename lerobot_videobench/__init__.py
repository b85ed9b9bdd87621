"""lerobot-videobench: choose how LeRobot camera streams are encoded, by measurement.

The public API is re-exported here; internals live in the layer packages (``encoding`` -> ``episodes``
-> ``bench`` -> ``decide`` -> ``report``/``widgets``), lower layers never importing upper ones.
"""

from .encoding import (
    HW_VIDEO_CODECS,
    LIBSVTAV1_DEFAULT_PRESET,
    VALID_VIDEO_CODECS,
    CameraStreamResult,
    EncodeStats,
    EncoderProbe,
    StreamingVideoEncoder,
    VideoEncoderConfig,
    VideoFileError,
    camera_encoder_defaults,
    concatenate_video_files,
    encode_video_frames,
    get_video_duration_in_s,
    get_video_info,
    iter_video_frames,
    probe_encoder,
    read_frames,
)
from .episodes import Episode, SourceInfo, describe_source, load_episodes
from .bench import MeasureSettings, ResultStore, TrialResult, TrialSpec, expand_grid, load_results, run_sweep, summarize
from .decide import (
    Constraints,
    check_health,
    check_realtime,
    pareto_front,
    recommend,
    search_crf,
    to_cli_args,
    to_json,
    to_python,
    to_yaml,
)

__version__ = "0.1.0"

__all__ = [
    "Constraints",
    "MeasureSettings",
    "ResultStore",
    "TrialResult",
    "TrialSpec",
    "check_health",
    "check_realtime",
    "expand_grid",
    "load_results",
    "pareto_front",
    "recommend",
    "run_sweep",
    "search_crf",
    "summarize",
    "to_cli_args",
    "to_json",
    "to_python",
    "to_yaml",
    "Episode",
    "SourceInfo",
    "describe_source",
    "load_episodes",
    "HW_VIDEO_CODECS",
    "LIBSVTAV1_DEFAULT_PRESET",
    "VALID_VIDEO_CODECS",
    "CameraStreamResult",
    "EncodeStats",
    "EncoderProbe",
    "StreamingVideoEncoder",
    "VideoEncoderConfig",
    "VideoFileError",
    "camera_encoder_defaults",
    "concatenate_video_files",
    "encode_video_frames",
    "get_video_duration_in_s",
    "get_video_info",
    "iter_video_frames",
    "probe_encoder",
    "read_frames",
]
