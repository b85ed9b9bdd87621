"""Where frames come from: every source (LeRobot datasets local or on the Hub, video files, PNG and TIFF
folders, the built-in sample) yields the same :class:`Episode`: HxWx3 ``uint8`` for an RGB camera, HxW
``uint16`` mm for a depth camera."""

from .episode import (
    ArrayFrames,
    DepthSpec,
    Episode,
    RawFrameFile,
    Provenance,
    default_cache_dir,
    episode_from_arrays,
    file_source_id,
)
from .files import (
    DepthClipFrames,
    DepthImageFrames,
    PngFolderFrames,
    VideoClipFrames,
    load_png_folder,
    load_tiff_folder,
    load_video_file,
)
from .lerobot import LeRobotDataset, ParquetImageFrames
from .recorded import RecordedEncoder, recorded_encoder
from .sample import available_samples, sample_dir
from .sources import (
    CameraInfo,
    SourceInfo,
    SourceKind,
    describe_source,
    load_episodes,
    register_source_kind,
    source_kinds,
)
from .writer import write_lerobot_dataset

__all__ = [
    "ArrayFrames",
    "CameraInfo",
    "DepthClipFrames",
    "DepthImageFrames",
    "DepthSpec",
    "Episode",
    "LeRobotDataset",
    "RawFrameFile",
    "RecordedEncoder",
    "ParquetImageFrames",
    "PngFolderFrames",
    "Provenance",
    "SourceInfo",
    "SourceKind",
    "VideoClipFrames",
    "available_samples",
    "default_cache_dir",
    "describe_source",
    "episode_from_arrays",
    "file_source_id",
    "load_episodes",
    "load_png_folder",
    "load_tiff_folder",
    "load_video_file",
    "recorded_encoder",
    "register_source_kind",
    "sample_dir",
    "source_kinds",
    "write_lerobot_dataset",
]
