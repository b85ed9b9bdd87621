"""Frames from plain files: one clip of a video file (a whole file, or one episode inside a LeRobot v3
concatenated file), folders of ``frame-NNNNNN.png`` images (8-bit RGB, or single-channel 16-bit depth
in mm) and folders of LeRobot's ``frame-NNNNNN.tiff`` depth frames (``uint16`` mm or ``float32`` m).
Readers are small picklable dataclasses so an :class:`~.episode.Episode` can travel to a worker
process and decode there."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import av
import numpy as np

from ..encoding import VideoFileError, get_video_info, iter_video_frames, list_png_frames
from ..encoding.config import DEPTH_METER_UNIT, DEPTH_MILLIMETER_UNIT
from ..encoding.video_files import mp4_truncation, open_video
from ..errors import SourceError
from .episode import DepthSpec, Episode, Provenance, file_source_id

logger = logging.getLogger(__name__)

#: ``info`` keys that describe the stream, not the encoder settings that produced it.
_STREAM_KEYS = {"video.height", "video.width", "video.codec", "video.pix_fmt", "video.fps", "video.channels",
                "video.is_depth_map", "is_depth_map", "has_audio"}
_RGB_PIX_FMTS = {"gbrp", "rgb24", "bgr24", "rgba", "bgra", "bgr0", "rgb0", "gbrap"}


@dataclass(frozen=True, eq=False)
class VideoClipFrames:
    """Frames ``start .. start+num_frames-1`` of the clip starting at ``from_timestamp`` in ``path``,
    found by frame index (never by float timestamp); a short clip raises ``VideoFileError`` with counts."""

    path: str
    from_timestamp: float = 0.0
    num_frames: int | None = None
    fps: float | None = None
    start: int = 0

    def __call__(self) -> Iterator[np.ndarray]:
        return iter_video_frames(
            self.path, from_timestamp=self.from_timestamp, num_frames=self.num_frames, fps=self.fps, start=self.start
        )


@dataclass(frozen=True, eq=False)
class VideoFileFrames:
    """The first ``num_frames`` frames of a whole file in decoding order (plain files may have a variable
    frame rate, so no index matching); fewer frames raise ``VideoFileError`` with the counts."""

    path: str
    num_frames: int

    def __call__(self) -> Iterator[np.ndarray]:
        n = 0
        with open_video(self.path) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            try:
                for frame in container.decode(stream):
                    if n >= self.num_frames:
                        break
                    yield frame.to_ndarray(format="rgb24")
                    n += 1
            except av.FFmpegError as exc:
                raise VideoFileError(f"{self.path}: decoding failed after frame {n - 1} ({exc})") from exc
        if n < self.num_frames:
            raise VideoFileError(f"{self.path}: expected {self.num_frames} frames, decoded {n}")


@dataclass(frozen=True, eq=False)
class PngFolderFrames:
    """Frames read one PNG at a time from a list of files."""

    paths: tuple[str, ...]

    def __call__(self) -> Iterator[np.ndarray]:
        from PIL import Image, UnidentifiedImageError

        for i, p in enumerate(self.paths):
            try:
                with Image.open(p) as im:
                    frame = np.asarray(im.convert("RGB"))
            except (UnidentifiedImageError, OSError, SyntaxError) as exc:
                raise SourceError(f"{p} (frame {i}) is not a readable PNG image: {exc}") from exc
            yield frame


# ---------------------------------------------------------------------------------------- depth images
#: Pillow modes of single-channel depth images, and the unit LeRobot's rule gives each (integer depth is
#: millimetres, floating-point depth metres). ``I`` is what some Pillow builds give a 16-bit PNG.
DEPTH_IMAGE_MODES = {"I;16": DEPTH_MILLIMETER_UNIT, "I;16L": DEPTH_MILLIMETER_UNIT, "I;16B": DEPTH_MILLIMETER_UNIT,
                     "I": DEPTH_MILLIMETER_UNIT, "F": DEPTH_METER_UNIT}
DEPTH_UNITS = (DEPTH_MILLIMETER_UNIT, DEPTH_METER_UNIT)


def depth_image_unit(mode: str, where: str) -> str:
    """The unit of a depth image of Pillow ``mode`` (``mm`` for 16-bit, ``m`` for float32), or a
    ``SourceError`` naming the image: an 8-bit or colour image cannot hold depth."""
    unit = DEPTH_IMAGE_MODES.get(mode)
    if unit is None:
        kind = "an 8-bit" if mode in ("L", "P", "1", "LA") else f"a {mode}"
        raise SourceError(
            f"{where} is {kind} image (Pillow mode {mode!r}); depth frames are single-channel 16-bit (mm) "
            "or float32 (m) images"
        )
    return unit


def check_depth_unit(unit: Any, where: str) -> str:
    """A recorded ``depth_unit`` (``mm`` or ``m``), or a ``SourceError`` naming where it was read."""
    if unit not in DEPTH_UNITS:
        raise SourceError(f"{where}: depth_unit={unit!r} is not a depth unit LeRobot writes; allowed: 'mm', 'm'")
    return unit


def depth_to_uint16_mm(depth: np.ndarray, unit: str) -> np.ndarray:
    """Source depth (``mm`` or ``m``) as the HxW ``uint16`` mm every depth episode yields: rounded to
    the millimetre, non-finite or negative values 0 (no return), beyond 65.535 m clipped."""
    from ..encoding.depth import depth_to_mm

    mm = depth_to_mm(depth, unit)
    if np.issubdtype(depth.dtype, np.integer) and unit == DEPTH_MILLIMETER_UNIT:
        return np.clip(mm, 0, 65535).astype(np.uint16) if depth.dtype != np.uint16 else np.ascontiguousarray(depth)
    mm = np.where(np.isfinite(mm), mm, 0.0)
    return np.clip(np.rint(mm), 0, 65535).astype(np.uint16)


def decode_depth_image(data: bytes | str | os.PathLike, where: str, unit: str | None = None) -> np.ndarray:
    """A 16-bit PNG or a TIFF (``uint16`` or ``float32``), from bytes or a file, as ``uint16`` mm.

    ``unit`` is the recorded ``depth_unit`` (None: LeRobot's rule from the image's dtype). Errors are
    one ``SourceError`` line naming ``where``."""
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as im:
            mode = im.mode
            stored = depth_image_unit(mode, where)
            arr = np.array(im)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, SourceError):
            raise
        raise SourceError(f"{where} is not a readable depth image: {exc}") from exc
    if arr.ndim != 2:
        raise SourceError(f"{where}: shape {arr.shape} is not a single-channel depth image")
    if mode == "I":
        if arr.size and (arr.min() < 0 or arr.max() > 65535):
            raise SourceError(f"{where}: 32-bit integer depth outside 0..65535 mm is not a 16-bit depth image")
        arr = arr.astype(np.uint16)
    return depth_to_uint16_mm(arr, unit or stored)


@dataclass(frozen=True, eq=False)
class DepthImageFrames:
    """Depth frames read one image file at a time (16-bit PNG or TIFF), yielded as ``uint16`` mm."""

    paths: tuple[str, ...]
    unit: str | None = None

    def __call__(self) -> Iterator[np.ndarray]:
        for i, p in enumerate(self.paths):
            yield decode_depth_image(p, f"{p} (frame {i})", self.unit)


@dataclass(frozen=True, eq=False)
class DepthClipFrames:
    """A LeRobot depth video clip decoded as LeRobot reads it (PyAV ``gray12le``) and dequantized with the
    recorded quantizer (``depth_min``/``depth_max``/``shift``/``use_log``) to ``uint16`` mm."""

    path: str
    quantizer: dict[str, Any]
    from_timestamp: float = 0.0
    num_frames: int | None = None
    fps: float | None = None
    start: int = 0

    def __call__(self) -> Iterator[np.ndarray]:
        from ..encoding.config import DepthEncoderConfig
        from ..encoding.depth import iter_depth_frames

        return iter_depth_frames(
            self.path, DepthEncoderConfig(**self.quantizer), output_unit=DEPTH_MILLIMETER_UNIT,
            from_timestamp=self.from_timestamp, num_frames=self.num_frames, fps=self.fps, start=self.start,
        )


def encoder_settings(info: dict[str, Any]) -> dict[str, Any]:
    """The ``video.<field>`` encoder settings of an ``info`` block (stream keys removed)."""
    return {k[len("video."):]: v for k, v in info.items() if k.startswith("video.") and k not in _STREAM_KEYS}


def is_lossless(codec: str | None, pix_fmt: str | None, settings: dict[str, Any]) -> bool:
    """Whether a stream returns the RGB frames it was given, bit for bit.

    Only RGB-plane formats qualify (RGB -> YUV conversion rounds), with an encoder in lossless mode
    (x265 ``lossless=1``, AV1 ``lossless=1``, x264 qp/crf 0) or an intrinsically lossless codec.
    """
    if codec in ("ffv1", "png", "rawvideo", "huffyuv", "utvideo", "qtrle"):
        return True
    if pix_fmt not in _RGB_PIX_FMTS:
        return False
    extra = settings.get("extra_options") or {}
    if not isinstance(extra, dict):
        return False
    if str(extra.get("lossless", "")) in ("1", "True") or "lossless=1" in str(extra.get("x265-params", "")):
        return True
    return codec == "h264" and settings.get("crf") == 0


_X265_LOSSLESS = re.compile(rb"(?:^|\s)lossless(?=\s)")


def stream_says_lossless(path: str | os.PathLike) -> bool:
    """Whether x265 wrote ``lossless`` among the options it records in the stream (SEI/extradata)."""
    with open_video(path) as container:
        stream = container.streams.video[0]
        blobs = [bytes(stream.codec_context.extradata or b"")]
        try:
            blobs.append(bytes(next(container.demux(stream))))
        except (StopIteration, av.FFmpegError):
            pass
    return any(_X265_LOSSLESS.search(b) for b in blobs)


@lru_cache(maxsize=64)
def _packet_times(path: str, size: int, mtime_ns: int) -> tuple[np.ndarray, float]:
    """Presentation times (s) of every video packet, by demuxing without decoding; cached per file."""
    with open_video(path) as container:
        stream = container.streams.video[0]
        tb = float(stream.time_base)
        try:
            pts = [p.pts for p in container.demux(stream) if p.size > 0 and p.pts is not None]
        except av.FFmpegError as exc:
            raise VideoFileError(f"{path} cannot be demuxed, is it truncated? ({exc})") from exc
    return np.sort(np.asarray(pts, dtype=np.float64)) * tb, tb


def frames_in_clip(path: str | os.PathLike, from_timestamp: float, length: int, fps: float) -> int:
    """How many frames of indices ``0 .. length-1`` the clip at ``from_timestamp`` really holds.

    Cheap (demux only) so every episode is checked when it is loaded, before any work depends on it.
    """
    p = Path(path)
    st = p.stat()
    times, _ = _packet_times(str(p.resolve()), st.st_size, st.st_mtime_ns)
    idx = np.rint((times - from_timestamp) * fps)
    return int(np.count_nonzero((idx >= 0) & (idx < length)))


def load_video_file(
    path: str | os.PathLike, *, camera: str | None = None, source: str | None = None, fps: int | None = None
) -> Episode:
    """A whole video file as one episode (index 0); the camera is the file's stem unless named."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"video file not found: {p}")
    info = get_video_info(p)
    why = mp4_truncation(p)
    if why:  # an index at the front opens fine, but the frames past the cut are gone
        raise VideoFileError(f"{p} is truncated: {why}; re-copy or re-record it")
    with open_video(p) as container:
        stream = container.streams.video[0]
        rate = fps or (float(stream.average_rate) if stream.average_rate else None) or info.get("video.fps")
        # frames past the stream's duration are cut by the edit list: the decoder drops them
        end = float(((stream.start_time or 0) + stream.duration) * stream.time_base) if stream.duration else None
    if not rate:
        raise VideoFileError(f"{p}: cannot tell the frame rate")
    times, _ = _packet_times(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns)
    n = int(np.count_nonzero(times < end - 1e-9)) if end is not None else len(times)
    if n == 0:
        raise VideoFileError(f"{p} holds no video frames")
    codec, pix_fmt = info.get("video.codec"), info.get("video.pix_fmt")
    settings = {"extra_options": {"x265-params": "lossless=1"}} if codec == "hevc" and stream_says_lossless(p) else {}
    fractional = abs(rate - round(rate)) > 1e-3
    return Episode(
        camera=camera or p.stem,
        episode_index=0,
        fps=int(round(rate)),
        width=int(info["video.width"]),
        height=int(info["video.height"]),
        num_frames=n,
        provenance=Provenance(
            source=source or str(path), kind="video-file", path=str(p.resolve()), codec=codec, pix_fmt=pix_fmt,
            lossy=not is_lossless(codec, pix_fmt, settings),
            notes=(f"fractional frame rate {rate:g} rounded",) if fractional else (),
        ),
        reader=VideoFileFrames(str(p.resolve()), n),
        source_id=file_source_id(p, "video", n),
    )


def _image_headers(files: list[Path], ext: str) -> list[tuple[str, tuple[int, int]]]:
    """(Pillow mode, (width, height)) of every file, from its header only (Pillow opens lazily), so a
    wrong file is named at load time, not in the middle of a sweep."""
    from PIL import Image, UnidentifiedImageError

    magic = {"png": (b"\x89PNG\r\n\x1a\n",), "tiff": (b"II*\x00", b"MM\x00*")}[ext]
    out = []
    for i, f in enumerate(files):
        with open(f, "rb") as fh:
            if not fh.read(8).startswith(magic):
                raise SourceError(
                    f"{f} (frame {i}) is not a {ext.upper()} file; the folder holds frame-NNNNNN.{ext} images"
                )
        try:
            with Image.open(f) as im:
                out.append((im.mode, im.size))
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise SourceError(f"{f} (frame {i}) is not a readable {ext.upper()} image: {exc}") from exc
    return out


def _check_depth_folder(files: list[Path], headers: list[tuple[str, tuple[int, int]]]) -> str:
    """Every frame single-channel depth of one size and one unit; returns the unit (``mm`` or ``m``)."""
    unit0, size0 = depth_image_unit(headers[0][0], f"{files[0]} (frame 0)"), headers[0][1]
    for i, (f, (mode, size)) in enumerate(zip(files, headers)):
        unit = depth_image_unit(mode, f"{f} (frame {i}) in a depth folder")
        if size != size0:
            raise SourceError(
                f"{f} (frame {i}) is {size[0]}x{size[1]}, frame 0 is {size0[0]}x{size0[1]}; "
                "every frame of a depth folder must have the same size"
            )
        if unit != unit0:
            raise SourceError(
                f"{f} (frame {i}) holds depth in {unit}, frame 0 in {unit0} (Pillow modes {mode!r} and "
                f"{headers[0][0]!r}); a depth folder must use one dtype"
            )
    return unit0


def load_png_folder(
    path: str | os.PathLike, *, fps: int = 30, camera: str | None = None, source: str | None = None
) -> Episode:
    """A folder of LeRobot ``frame-NNNNNN.png`` images as one lossless episode (index 0).

    8-bit images are RGB; single-channel 16-bit PNGs (what depth cameras' tools write) are a depth
    camera in millimetres, and then every frame must be one."""
    p = Path(path)
    files = list_png_frames(p)
    headers = _image_headers(files, "png")
    width, height = headers[0][1]
    depth = headers[0][0] in DEPTH_IMAGE_MODES
    if depth:
        unit = _check_depth_folder(files, headers)
        return _depth_folder_episode(p, files, unit, "png-folder", "png", fps, camera, source, (width, height))
    return Episode(
        camera=camera or p.name,
        episode_index=0,
        fps=int(fps),
        width=width,
        height=height,
        num_frames=len(files),
        provenance=Provenance(source=source or str(path), kind="png-folder", path=str(p.resolve()), codec="png",
                              lossy=False),
        reader=PngFolderFrames(tuple(str(f) for f in files)),
        source_id=_png_folder_id(files),
    )


def load_tiff_folder(
    path: str | os.PathLike, *, fps: int = 30, camera: str | None = None, source: str | None = None
) -> Episode:
    """A folder of LeRobot ``frame-NNNNNN.tiff`` depth frames (what LeRobot writes for a depth camera when
    video is off: ``uint16`` mm or ``float32`` m) as one lossless depth episode (index 0)."""
    p = Path(path)
    files = list_png_frames(p, depth=True)
    headers = _image_headers(files, "tiff")
    unit = _check_depth_folder(files, headers)
    return _depth_folder_episode(p, files, unit, "tiff-folder", "tiff", fps, camera, source, headers[0][1])


def _depth_folder_episode(
    p: Path, files: list[Path], unit: str, kind: str, codec: str, fps: int, camera: str | None,
    source: str | None, size: tuple[int, int],
) -> Episode:
    notes = ("float32 metres rounded to whole millimetres",) if unit == DEPTH_METER_UNIT else ()
    return Episode(
        camera=camera or p.name,
        episode_index=0,
        fps=int(fps),
        width=int(size[0]),
        height=int(size[1]),
        num_frames=len(files),
        provenance=Provenance(source=source or str(p), kind=kind, path=str(p.resolve()), codec=codec, lossy=False,
                              notes=notes),
        reader=DepthImageFrames(tuple(str(f) for f in files), unit),
        source_id=_png_folder_id(files) + "|depth",
        depth=DepthSpec(source_unit=unit),
    )


def _png_folder_id(files: list[Path]) -> str:
    """A cheap identity of a PNG folder: every file's name, size and mtime (stat only, no reading), so
    rewriting any frame, not only the first or the last, invalidates the cached fingerprint."""
    h = hashlib.blake2b(digest_size=16)
    for f in files:
        st = f.stat()
        h.update(f"{f.name}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return f"{Path(files[0]).parent.resolve()}|{Path(files[0]).suffix[1:]}|{len(files)}|{h.hexdigest()}"
