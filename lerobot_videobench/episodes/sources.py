"""``load_episodes`` and ``describe_source``: one entry point for every kind of source, dispatched
through a small registry (papermill-style): each :class:`SourceKind` says whether it ``matches`` a
source string and knows how to ``load`` and ``describe`` it. New kinds are added with
:func:`register_source_kind`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..encoding import get_video_info
from ..encoding.encode import FRAME_FILE_RE
from .episode import Episode
from ..encoding.encode import DEPTH_FRAME_FILE_RE
from .files import encoder_settings, is_lossless, load_png_folder, load_tiff_folder, load_video_file
from .lerobot import (
    LeRobotDataset,
    _sniff_image,
    check_camera_kind,
    load_hub_episodes,
    open_hub_dataset,
    parse_repo_id,
)
from .recorded import RecordedEncoder
from .sample import is_sample, sample_path

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------- descriptions
@dataclass(frozen=True)
class CameraInfo:
    """One camera of a source as recorded there: resolution, rate, storage and encoder settings.

    A depth camera has ``kind="depth"``, the ``depth_unit`` its source holds (``mm`` or ``m``; None when
    not recorded) and, for LeRobot's 12-bit quantized video, the ``depth_quantizer`` it was recorded with
    (``depth_min``, ``depth_max``, ``shift``, ``use_log``; None for image storage, which is not quantized).
    """

    key: str
    width: int
    height: int
    fps: int
    storage: str  # "video" or "image"
    codec: str | None = None
    pix_fmt: str | None = None
    encoder_settings: dict[str, Any] = field(default_factory=dict)
    lossy: bool | None = None  # None: unknown without reading frames
    recorded_encoder: RecordedEncoder | None = None  # what info.json records (LeRobot datasets only)
    kind: str = "rgb"  # "rgb" or "depth"
    depth_unit: str | None = None
    depth_quantizer: dict[str, Any] | None = None

    @property
    def is_depth(self) -> bool:
        return self.kind == "depth"

    def depth_summary(self) -> str:
        """Unit, storage and quantizer on one line, as ``inspect``, ``health`` and the source panel show them."""
        return depth_summary(self.depth_unit, self.storage, self.depth_quantizer, self.codec)


def depth_summary(unit: str | None, storage: str, quantizer: dict[str, Any] | None, codec: str | None = None) -> str:
    """``unit=mm, 12-bit quantized video: depth_min=0.01 m ...`` or ``unit=m, image storage, not quantized``."""
    text = f"unit={unit or 'not recorded'}, "
    if quantizer:
        q = quantizer
        return text + (f"12-bit quantized video: depth_min={q['depth_min']:g} m depth_max={q['depth_max']:g} m "
                       f"shift={q['shift']:g} m use_log={str(bool(q['use_log'])).lower()}")
    return text + f"{storage} storage, not quantized" + (f" ({codec} frames)" if codec else "")


@dataclass(frozen=True)
class SourceInfo:
    """What ``lerobot-videobench inspect`` shows: a source's episodes, cameras and how it was stored."""

    source: str
    kind: str
    fps: int
    episodes: list[int]
    total_frames: int
    cameras: list[CameraInfo]
    version: str | None = None
    path: str | None = None
    notes: tuple[str, ...] = ()
    #: Episodes the metadata lists but whose files are not on disk (a partial download; local datasets).
    missing_episodes: list[int] = field(default_factory=list)

    @property
    def num_episodes(self) -> int:
        return len(self.episodes)

    @property
    def duration_hours(self) -> float:
        """Recorded time (all episodes, one camera)."""
        return self.total_frames / self.fps / 3600.0 if self.fps else 0.0

    @property
    def video_hours(self) -> float:
        """Hours of video over all cameras: what a re-encode would have to process."""
        return self.duration_hours * len(self.cameras)

    @property
    def rgb_cameras(self) -> list[CameraInfo]:
        return [c for c in self.cameras if not c.is_depth]

    @property
    def depth_cameras(self) -> list[CameraInfo]:
        return [c for c in self.cameras if c.is_depth]

    @property
    def lossy(self) -> bool | None:
        """True when any camera is stored with loss, None when it cannot be told from metadata."""
        flags = [c.lossy for c in self.cameras]
        if any(f is True for f in flags):
            return True
        return None if any(f is None for f in flags) else False

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(
            num_episodes=self.num_episodes, duration_hours=self.duration_hours, video_hours=self.video_hours,
            lossy=self.lossy, notes=list(self.notes),
        )
        return d


# ---------------------------------------------------------------------------------------- registry
@dataclass(frozen=True)
class SourceKind:
    """A kind of source: ``matches(source)`` decides, ``load``/``describe`` do the work."""

    name: str
    matches: Callable[[str], bool]
    load: Callable[..., list[Episode]]
    describe: Callable[[str], SourceInfo]


_KINDS: list[SourceKind] = []


def register_source_kind(kind: SourceKind, *, first: bool = False) -> None:
    """Add a kind of source; ``first`` puts it before the built-in ones (they are tried in order)."""
    global _KINDS
    _KINDS = [k for k in _KINDS if k.name != kind.name]
    _KINDS.insert(0, kind) if first else _KINDS.append(kind)


def source_kinds() -> list[str]:
    return [k.name for k in _KINDS]


def _kind_for(source: str) -> SourceKind:
    for kind in _KINDS:
        if kind.matches(source):
            return kind
    p = Path(source).expanduser()
    if p.is_dir():
        raise ValueError(
            f"{source} is a folder but neither a LeRobot dataset (meta/info.json) "
            "nor a folder of frame-NNNNNN.png images (RGB or 16-bit depth) or frame-NNNNNN.tiff depth frames"
        )
    raise FileNotFoundError(
        f"source not found: {source!r} is not an existing file or folder, 'sample[:name]', "
        "or a Hub dataset id (org/name)"
    )


# ---------------------------------------------------------------------------------------- LeRobot kinds
def partial_download_note(missing: list[int], total: int) -> str:
    """The one summary line for episodes listed in meta but absent on disk."""
    from .lerobot import _ranges

    return (f"partial download: {len(missing)} of {total} episodes listed in meta have no files on disk "
            f"(episodes {_ranges(missing)}); they are not read or checked")


def _dataset_describe(ds: LeRobotDataset, kind: str, source: str, *, local: bool = True) -> SourceInfo:
    cams = []
    for key, feat in ds.cameras.items():
        h, w = ds.shape(key)
        info = ds.feature_info(key)
        if feat["dtype"] == "video":
            codec, pix_fmt, settings = info.get("video.codec"), info.get("video.pix_fmt"), encoder_settings(info)
            lossy: bool | None = not is_lossless(codec, pix_fmt, settings)
        else:
            codec, pix_fmt, settings, lossy = None, None, {}, None
            first = sorted(ds.episodes)[0]
            files = [ds.root / p for p in ds.data_relpaths(first)]
            if all(f.is_file() for f in files):
                from .lerobot import ParquetImageFrames

                reader = ParquetImageFrames(tuple(map(str, files)), key, first, 1, str(ds.root))
                codec, lossy = _sniff_image(reader.first_bytes())
        recorded = ds.recorded_encoder(key) if feat["dtype"] == "video" else None
        depth: dict[str, Any] = {}
        if ds.is_depth(key):
            quantizer = ds.depth_quantizer(key) if feat["dtype"] == "video" else None
            depth = {"kind": "depth", "depth_unit": ds.depth_unit(key), "depth_quantizer": quantizer}
            if quantizer is not None:
                lossy = True  # 12-bit quantized before the codec, lossless or not
        cams.append(CameraInfo(key, w, h, ds.fps, feat["dtype"], codec, pix_fmt, settings, lossy, recorded, **depth))
    total = sum(int(r["length"]) for r in ds.episodes.values())
    missing = ds.missing_episodes() if local else []
    notes = ds.notes + ((partial_download_note(missing, len(ds.episodes)),) if missing else ())
    return SourceInfo(source, kind, ds.fps, sorted(ds.episodes), total, cams, ds.version, str(ds.root), notes,
                      missing)


def _is_local_dataset(source: str) -> bool:
    return (Path(source).expanduser() / "meta" / "info.json").is_file()


def _load_local(source: str, episodes: Any, cameras: Any, max_frames: int | None, **kw: Any) -> list[Episode]:
    return LeRobotDataset.open(Path(source).expanduser(), source=source).load(
        episodes, cameras, max_frames, kind=kw.get("kind"))


def _describe_local(source: str) -> SourceInfo:
    ds = LeRobotDataset.open(Path(source).expanduser(), source=source)
    return _dataset_describe(ds, "lerobot", source)


def _load_sample(source: str, episodes: Any, cameras: Any, max_frames: int | None, **kw: Any) -> list[Episode]:
    return LeRobotDataset.open(sample_path(source), source=source).load(
        episodes, cameras, max_frames, kind=kw.get("kind"))


def _describe_sample(source: str) -> SourceInfo:
    info = _dataset_describe(LeRobotDataset.open(sample_path(source), source=source), "sample", source)
    return SourceInfo(**{**asdict(info), "cameras": info.cameras, "notes": (*info.notes, "synthetic footage")})


def _is_hub(source: str) -> bool:
    return parse_repo_id(source) is not None and not Path(source).expanduser().exists()


def _load_hub(source: str, episodes: Any, cameras: Any, max_frames: int | None, **kw: Any) -> list[Episode]:
    repo_id, revision = parse_repo_id(source)  # type: ignore[misc]
    return load_hub_episodes(repo_id, revision, episodes, cameras, max_frames, source=source, token=kw.get("token"),
                             kind=kw.get("kind"))


def _describe_hub(source: str) -> SourceInfo:
    repo_id, revision = parse_repo_id(source)  # type: ignore[misc]
    return _dataset_describe(open_hub_dataset(repo_id, revision, source=source), "hub", source, local=False)


# ---------------------------------------------------------------------------------------- file kinds
def _only_episode_zero(source: str, episodes: Any) -> None:
    if episodes is None:
        return
    wanted = [episodes] if isinstance(episodes, int) else list(episodes)
    bad = [e for e in wanted if e != 0]
    if bad:
        raise ValueError(f"episode {bad[0]} out of range; {source} is a single episode (episode 0)")


def _check_camera(ep: Episode, cameras: Any, kind: str | None = None) -> None:
    """A single-camera source: ``cameras`` may only name its camera, ``kind`` only its kind."""
    own = "depth" if ep.is_depth else "rgb"
    if kind in ("rgb", "depth") and kind != own:
        raise ValueError(f"{ep.provenance.source} holds one {own} camera ({ep.camera!r}) and no {kind} camera "
                         f"(kind={kind!r})")
    if cameras is None:
        return
    wanted = [cameras] if isinstance(cameras, str) else list(cameras)
    for c in wanted:
        if c != ep.camera:
            raise ValueError(f"camera {c!r} not found in {ep.provenance.source}; available: [{ep.camera!r}]")


def _is_png_folder(source: str) -> bool:
    p = Path(source).expanduser()
    return p.is_dir() and any(FRAME_FILE_RE.match(n) for n in os.listdir(p))


def _load_png(source: str, episodes: Any, cameras: Any, max_frames: int | None, **kw: Any) -> list[Episode]:
    _only_episode_zero(source, episodes)
    ep = load_png_folder(Path(source).expanduser(), fps=kw.get("fps") or 30, source=source)
    _check_camera(ep, cameras, kw.get("kind"))
    return [ep.limited(max_frames)]


def _folder_info(ep: Episode, kind: str) -> SourceInfo:
    depth = {"kind": "depth", "depth_unit": ep.depth.source_unit} if ep.depth else {}
    cam = CameraInfo(ep.camera, ep.width, ep.height, ep.fps, "image", ep.provenance.codec, None, {}, False, **depth)
    return SourceInfo(ep.provenance.source, kind, ep.fps, [0], ep.num_frames, [cam], None, ep.provenance.path,
                      ("fps assumed (30); images carry no frame rate", *ep.provenance.notes))


def _describe_png(source: str) -> SourceInfo:
    return _folder_info(load_png_folder(Path(source).expanduser(), source=source), "png-folder")


def _is_tiff_folder(source: str) -> bool:
    p = Path(source).expanduser()
    return p.is_dir() and any(DEPTH_FRAME_FILE_RE.match(n) for n in os.listdir(p))


def _load_tiff(source: str, episodes: Any, cameras: Any, max_frames: int | None, **kw: Any) -> list[Episode]:
    _only_episode_zero(source, episodes)
    ep = load_tiff_folder(Path(source).expanduser(), fps=kw.get("fps") or 30, source=source)
    _check_camera(ep, cameras, kw.get("kind"))
    return [ep.limited(max_frames)]


def _describe_tiff(source: str) -> SourceInfo:
    return _folder_info(load_tiff_folder(Path(source).expanduser(), source=source), "tiff-folder")


def _is_video_file(source: str) -> bool:
    return Path(source).expanduser().is_file()


def _load_video(source: str, episodes: Any, cameras: Any, max_frames: int | None, **kw: Any) -> list[Episode]:
    _only_episode_zero(source, episodes)
    ep = load_video_file(Path(source).expanduser(), source=source, fps=kw.get("fps"))
    _check_camera(ep, cameras, kw.get("kind"))
    return [ep.limited(max_frames)]


def _describe_video(source: str) -> SourceInfo:
    ep = load_video_file(Path(source).expanduser(), source=source)
    info = get_video_info(Path(source).expanduser())
    cam = CameraInfo(ep.camera, ep.width, ep.height, ep.fps, "video", ep.provenance.codec, ep.provenance.pix_fmt,
                     encoder_settings(info), ep.lossy)
    return SourceInfo(source, "video-file", ep.fps, [0], ep.num_frames, [cam], None, ep.provenance.path)


for _kind in (
    SourceKind("sample", is_sample, _load_sample, _describe_sample),
    SourceKind("lerobot", _is_local_dataset, _load_local, _describe_local),
    SourceKind("png-folder", _is_png_folder, _load_png, _describe_png),
    SourceKind("tiff-folder", _is_tiff_folder, _load_tiff, _describe_tiff),
    SourceKind("video-file", _is_video_file, _load_video, _describe_video),
    SourceKind("hub", _is_hub, _load_hub, _describe_hub),
):
    register_source_kind(_kind)


# ---------------------------------------------------------------------------------------- public API
def load_episodes(
    source: str | os.PathLike,
    episodes: int | Sequence[int] | None = None,
    cameras: str | Sequence[str] | None = None,
    max_frames: int | None = None,
    *,
    fps: int | None = None,
    token: Any = None,
    kind: str | None = None,
) -> list[Episode]:
    """Episodes of ``source``, one :class:`Episode` per (episode, camera), episode-major.

    ``source`` is a local LeRobot dataset root (v3.0 or v2.1, video or image storage, RGB and depth
    cameras), a Hub dataset id ``org/name[@revision]``, a video file, a folder of ``frame-NNNNNN.png``
    images (8-bit RGB or 16-bit depth in mm), a folder of ``frame-NNNNNN.tiff`` depth frames, or
    ``sample`` / ``sample:<name>``. ``cameras`` accepts full keys or short names (``top``). Everything
    is checked (episodes, cameras, files, frame counts) before anything is returned, so errors come first
    and a failed call leaves nothing half-done. ``fps`` sets the rate of an image folder (30 by default)
    or overrides a video file's; ``token`` is passed to ``huggingface_hub``.

    ``kind`` picks cameras by kind: ``"rgb"``, ``"depth"`` (HxW ``uint16`` mm frames) or ``"all"``. Left
    unset, named ``cameras`` are returned whatever their kind and, when none are named, only the RGB
    cameras (a source with depth cameras only returns those): RGB settings are never applied to a depth
    camera nobody asked for.
    """
    check_camera_kind(kind)
    if max_frames is not None and (isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 1):
        raise ValueError(f"max_frames={max_frames!r} must be a positive integer or None")
    if fps is not None and (isinstance(fps, bool) or not isinstance(fps, int) or fps < 1):
        raise ValueError(f"fps={fps!r} must be a positive integer (frames per second) or None")
    src = os.fspath(source)
    source_kind = _kind_for(src)
    logger.debug("source %r is a %s", src, source_kind.name)
    return source_kind.load(src, episodes, cameras, max_frames, fps=fps, token=token, kind=kind)


def describe_source(source: str | os.PathLike) -> SourceInfo:
    """Metadata of ``source`` without decoding frames (a Hub dataset: ``meta/`` only)."""
    src = os.fspath(source)
    return _kind_for(src).describe(src)


__all__ = [
    "CameraInfo",
    "SourceInfo",
    "SourceKind",
    "describe_source",
    "load_episodes",
    "register_source_kind",
    "source_kinds",
]
