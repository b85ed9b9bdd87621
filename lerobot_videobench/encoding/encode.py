"""``encode_video_frames``: a PNG folder or RGB arrays -> one mp4, the way LeRobot's batch path does it,
with the cost measured (wall and CPU seconds, time spent waiting for source frames)."""

from __future__ import annotations

import logging
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np

from .config import DepthEncoderConfig, VideoEncoderConfig, camera_encoder_defaults
from .depth import check_depth_frame, codes_to_video_frame, quantize_depth
from .limits import check_frame_size

logger = logging.getLogger(__name__)

FRAME_FILE_RE = re.compile(r"^frame-(\d{6})\.png$")
#: LeRobot writes depth frames as ``frame-NNNNNN.tiff`` (uint16 mm or float32 m) when video is off.
DEPTH_FRAME_FILE_RE = re.compile(r"^frame-(\d{6})\.tiff$")


@dataclass(frozen=True)
class EncodeStats:
    """What one encode cost and produced.

    ``wall_s`` runs from the first frame pulled to the last packet muxed. ``source_wall_s`` is the part
    of it the caller spent pulling frames from the input (PNG decoding, a source decoder); it is *not*
    subtracted from the encoder's time: an asynchronous encoder (SVT-AV1's threads) keeps encoding
    while the caller waits, so ``wall_s - source_wall_s`` overstates its speed (a source sleeping
    15 ms per frame made ~90 fps read ~400). :attr:`encode_fps` is therefore end-to-end; it is the
    encoder's own speed when the frames were staged in memory first (``bench.timing`` does that).
    ``cpu_s`` is process CPU time (all encoder threads) minus the calling thread's CPU time inside the
    frame source.
    """

    path: Path
    frames: int
    bytes: int
    width: int
    height: int
    fps: int
    vcodec: str
    pix_fmt: str
    options: dict[str, str] = field(default_factory=dict)
    wall_s: float = 0.0
    cpu_s: float = 0.0
    source_wall_s: float = 0.0
    skipped: bool = False

    @property
    def encode_wall_s(self) -> float:
        """Wall time of the encode, source included (see the class docstring for why)."""
        return max(self.wall_s, 1e-9)

    @property
    def encode_fps(self) -> float:
        """Frames per second, first frame in to last packet out (the encoder's own with staged frames)."""
        return self.frames / self.encode_wall_s if self.frames else 0.0

    @property
    def cpu_per_wall(self) -> float:
        """CPU seconds per wall second: never above the cores available."""
        return self.cpu_s / self.encode_wall_s


def list_png_frames(imgs_dir: Path, *, depth: bool = False) -> list[Path]:
    """LeRobot's ``frame-NNNNNN.png`` files of a folder (``.tiff`` for depth), sorted by frame index."""
    imgs_dir = Path(imgs_dir)
    if not imgs_dir.is_dir():
        raise FileNotFoundError(f"frames folder not found: {imgs_dir}")
    pattern = DEPTH_FRAME_FILE_RE if depth else FRAME_FILE_RE
    found = [(int(m.group(1)), imgs_dir / n) for n in os.listdir(imgs_dir) if (m := pattern.match(n))]
    if not found:
        raise FileNotFoundError(f"no frame-NNNNNN.{'tiff' if depth else 'png'} images in {imgs_dir}")
    found.sort()
    first, ext = found[0][0], "tiff" if depth else "png"
    for expected, (index, _) in enumerate(found, start=first):
        if index != expected:  # a dropped or deleted frame would silently shorten the episode
            from ..errors import SourceError

            raise SourceError(
                f"{ext.upper()} sequence in {imgs_dir} has a gap: frame-{expected:06d}.{ext} is missing "
                f"(frames {first}..{found[-1][0]} expected, {len(found)} present); renumber or restore the frames"
            )
    return [p for _, p in found]


def _tiff_frames(paths: list[Path]) -> Iterator[np.ndarray]:
    from PIL import Image

    for p in paths:
        with Image.open(p) as im:
            yield np.array(im)


def _png_frames(paths: list[Path]) -> Iterator[np.ndarray]:
    from PIL import Image  # Pillow comes with scikit-image; imported here to keep import time low

    for p in paths:
        with Image.open(p) as im:
            yield np.asarray(im.convert("RGB"))


def check_rgb_frame(frame: Any, index: int, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """An HxWx3 uint8 array, or a ``ValueError`` saying which frame and what was wrong."""
    if not isinstance(frame, np.ndarray):
        raise ValueError(f"frame {index}: expected an HxWx3 uint8 numpy array, got {type(frame).__name__}")
    if frame.dtype != np.uint8:
        raise ValueError(f"frame {index}: dtype {frame.dtype} is not allowed; frames must be uint8 RGB (HxWx3)")
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"frame {index}: shape {frame.shape} is not allowed; frames must be HxWx3 RGB")
    if shape is not None and frame.shape != shape:
        raise ValueError(f"frame {index}: shape {frame.shape} differs from the first frame's {shape}")
    return frame


def encode_video_frames(
    frames: str | os.PathLike | Iterable[np.ndarray],
    video_path: str | os.PathLike,
    fps: int,
    camera_encoder_config: VideoEncoderConfig | None = None,
    encoder_threads: int | None = None,
    *,
    overwrite: bool = False,
) -> EncodeStats:
    """Encode frames into ``video_path`` with LeRobot's options (``get_codec_options(threads, as_strings=True)``).

    ``frames`` is a folder of ``frame-NNNNNN.png`` (LeRobot's layout) or an iterable of HxWx3 uint8
    arrays. With a :class:`DepthEncoderConfig` they are depth frames (``frame-NNNNNN.tiff``, or HxW
    ``uint16`` mm / ``float32`` m arrays) quantized to 12-bit codes first, as LeRobot 0.6 does. As in LeRobot an existing output is kept when ``overwrite`` is False (a warning is logged
    and the returned stats say ``skipped``). The mp4 is written to a temporary file and renamed, so a
    failure leaves no partial output.
    """
    config = camera_encoder_config or camera_encoder_defaults()
    is_depth = isinstance(config, DepthEncoderConfig)
    video_path = Path(video_path)
    if isinstance(fps, bool) or not isinstance(fps, (int, np.integer)) or fps <= 0:
        raise ValueError(f"fps={fps!r} must be a positive integer (frames per second)")
    if video_path.exists() and not overwrite:
        logger.warning("Video file already exists: %s; skipping encoding (overwrite=False)", video_path)
        from .video_files import count_frames, get_video_info

        info = get_video_info(video_path)
        return EncodeStats(
            video_path, count_frames(video_path), video_path.stat().st_size, info.get("video.width", 0),
            info.get("video.height", 0), fps, config.vcodec, config.pix_fmt, skipped=True,
        )
    source: Iterable[np.ndarray]
    if isinstance(frames, (str, os.PathLike)):
        files = list_png_frames(Path(frames), depth=is_depth)
        source = _tiff_frames(files) if is_depth else _png_frames(files)
    else:
        source = frames
    options = config.get_codec_options(encoder_threads, as_strings=True)
    video_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(suffix=".mp4", prefix=f".{video_path.stem}-", dir=video_path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    source_wall = source_cpu = 0.0
    n = 0
    shape: tuple[int, ...] | None = None
    try:
        with av.open(str(tmp), "w", format="mp4") as container:
            stream = None
            it = iter(source)
            while True:
                t0, c0 = time.perf_counter(), time.thread_time()
                try:
                    frame = next(it)
                except StopIteration:
                    break
                finally:
                    source_wall += time.perf_counter() - t0
                    source_cpu += time.thread_time() - c0
                frame = check_depth_frame(frame, n, shape) if is_depth else check_rgb_frame(frame, n, shape)
                if stream is None:
                    shape = frame.shape
                    check_frame_size(config.vcodec, shape[1], shape[0])
                    stream = container.add_stream(config.vcodec, int(fps), options=options)
                    stream.pix_fmt = config.pix_fmt
                    stream.height, stream.width = shape[0], shape[1]
                if is_depth:
                    vf = codes_to_video_frame(quantize_depth(frame, **config.quantizer()), config.pix_fmt)
                else:
                    vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
                for packet in stream.encode(vf):
                    container.mux(packet)
                n += 1
            if stream is None:
                raise ValueError("frames is empty: at least one frame is needed to encode a video")
            for packet in stream.encode():
                container.mux(packet)
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0 - source_cpu
        os.replace(tmp, video_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    assert shape is not None
    return EncodeStats(
        video_path, n, video_path.stat().st_size, shape[1], shape[0], int(fps), config.vcodec, config.pix_fmt,
        dict(options), wall, cpu, source_wall,
    )
