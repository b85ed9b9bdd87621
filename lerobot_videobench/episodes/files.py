"""Frames from plain files: one clip of a video file (a whole file, or one episode inside a LeRobot v3
concatenated file) and folders of ``frame-NNNNNN.png`` images. Readers are small picklable dataclasses
so an :class:`~.episode.Episode` can travel to a worker process and decode there."""

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
from ..encoding.video_files import mp4_truncation, open_video
from ..errors import SourceError
from .episode import Episode, Provenance, file_source_id

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


def load_png_folder(
    path: str | os.PathLike, *, fps: int = 30, camera: str | None = None, source: str | None = None
) -> Episode:
    """A folder of LeRobot ``frame-NNNNNN.png`` images as one lossless episode (index 0)."""
    from PIL import Image

    p = Path(path)
    files = list_png_frames(p)
    for i, f in enumerate(files):  # 8 bytes each: a wrong file is named now, not in the middle of a sweep
        with open(f, "rb") as fh:
            if fh.read(8) != b"\x89PNG\r\n\x1a\n":
                raise SourceError(f"{f} (frame {i}) is not a PNG file; a PNG folder holds only frame-NNNNNN.png images")
    with Image.open(files[0]) as im:
        width, height = im.size
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


def _png_folder_id(files: list[Path]) -> str:
    """A cheap identity of a PNG folder: every file's name, size and mtime (stat only, no reading), so
    rewriting any frame, not only the first or the last, invalidates the cached fingerprint."""
    h = hashlib.blake2b(digest_size=16)
    for f in files:
        st = f.stat()
        h.update(f"{f.name}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return f"{Path(files[0]).parent.resolve()}|png|{len(files)}|{h.hexdigest()}"
