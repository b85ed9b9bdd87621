"""The LeRobot-faithful encoder core: config, option mapping and validation, encode, streaming encoder,
concatenation and video info. Knows nothing of sweeps, pandas or widgets."""

import os

# SVT-AV1 prints its banner and config at info level on every encoder open; keep errors only.
os.environ.setdefault("SVT_LOG", "1")

from .config import (  # noqa: E402
    HW_VIDEO_CODECS,
    LIBSVTAV1_DEFAULT_PRESET,
    SOFTWARE_VIDEO_CODECS,
    VALID_VIDEO_CODECS,
    VIDEO_CODECS_ALIASES,
    VIDEO_ENCODER_INFO_FIELD_NAMES,
    DepthEncoderConfig,
    VideoEncoderConfig,
    camera_encoder_defaults,
    depth_encoder_defaults,
    encoder_config_from_video_info,
    is_depth_info,
    resolve_auto_vcodec,
)
from .depth import dequantize_depth, iter_depth_frames, quantize_depth  # noqa: E402
from .decoders import DECODERS, FrameTimestampError, decode_frames, default_decoder  # noqa: E402
from .encode import EncodeStats, encode_video_frames, list_png_frames  # noqa: E402
from .pyav_probe import EncoderProbe, library_versions, probe_encoder  # noqa: E402
from .streaming import CameraStreamResult, StreamingVideoEncoder  # noqa: E402
from .video_files import (  # noqa: E402
    VideoFileError,
    concatenate_video_files,
    count_frames,
    get_video_duration_in_s,
    get_video_info,
    iter_video_frames,
    read_frames,
)

__all__ = [
    "HW_VIDEO_CODECS",
    "LIBSVTAV1_DEFAULT_PRESET",
    "SOFTWARE_VIDEO_CODECS",
    "VALID_VIDEO_CODECS",
    "VIDEO_CODECS_ALIASES",
    "VIDEO_ENCODER_INFO_FIELD_NAMES",
    "CameraStreamResult",
    "DepthEncoderConfig",
    "depth_encoder_defaults",
    "dequantize_depth",
    "encoder_config_from_video_info",
    "is_depth_info",
    "iter_depth_frames",
    "quantize_depth",
    "DECODERS",
    "FrameTimestampError",
    "EncodeStats",
    "EncoderProbe",
    "StreamingVideoEncoder",
    "VideoEncoderConfig",
    "VideoFileError",
    "camera_encoder_defaults",
    "concatenate_video_files",
    "count_frames",
    "decode_frames",
    "default_decoder",
    "encode_video_frames",
    "get_video_duration_in_s",
    "get_video_info",
    "iter_video_frames",
    "library_versions",
    "list_png_frames",
    "probe_encoder",
    "read_frames",
    "resolve_auto_vcodec",
]
