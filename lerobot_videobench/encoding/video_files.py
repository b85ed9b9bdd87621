"""Reading mp4 files the LeRobot way: stream info, duration, remux concatenation, and frame-exact decoding
by frame index (``round((pts * time_base - from_timestamp) * fps)``) instead of float timestamp matching,
so frames late in long concatenated files do not drift."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import av
import numpy as np

from ..errors import SourceError
from . import pyav_probe
from .config import DepthEncoderConfig, VideoEncoderConfig

logger = logging.getLogger(__name__)


class VideoFileError(SourceError):
    """A file exists but is not a readable video (truncated, corrupt, no video stream)."""


def mp4_truncation(path: str | os.PathLike) -> str | None:
    """Why an MP4/MOV file looks cut short, from its top-level boxes (no decoding), else None.

    A recording killed before it was finalized has no ``moov`` box (written last); a copy cut in the
    middle has a box whose declared size runs past the end of the file."""
    path = Path(path)
    size = path.stat().st_size
    names: list[bytes] = []
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8 or head[4:8] not in (b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide"):
            return None  # not an MP4: nothing to say
        pos = 0
        while pos < size:
            f.seek(pos)
            hdr = f.read(16)
            if len(hdr) < 8:
                return f"it ends inside a box header at byte {pos}"
            box_size, name = int.from_bytes(hdr[:4], "big"), hdr[4:8]
            if box_size == 1 and len(hdr) >= 16:
                box_size = int.from_bytes(hdr[8:16], "big")
            elif box_size == 0:
                box_size = size - pos
            if box_size < 8:
                return None  # not a box structure we understand
            names.append(name)
            if pos + box_size > size:
                return (f"its {name.decode(errors='replace')!r} box needs {pos + box_size} bytes, the file has {size} "
                        f"({pos + box_size - size} missing)")
            pos += box_size
    if b"moov" not in names:
        return "it has no 'moov' index box (the recording was not finalized)"
    return None


@contextmanager
def open_video(path: str | os.PathLike) -> Iterator[av.container.InputContainer]:
    """Open a video for reading with errors that say which file and why (a truncated MP4 says so)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"video file not found: {path}")
    try:
        container = av.open(str(path), "r")
    except av.FFmpegError as exc:
        why = mp4_truncation(path)
        if why:
            raise VideoFileError(f"{path} is truncated: {why}; re-copy or re-record it") from exc
        raise VideoFileError(f"{path} is not a readable video ({exc})") from exc
    try:
        if not container.streams.video:
            raise VideoFileError(f"{path} has no video stream")
        yield container
    finally:
        container.close()


def get_video_info(path: str | os.PathLike, camera_encoder_config: VideoEncoderConfig | None = None) -> dict[str, Any]:
    """LeRobot's per-feature ``info`` block: stream keys first, then ``video.<field>`` from the config.

    Stream values win over config values (``setdefault``), as in LeRobot; ``video.codec`` is the stream's
    canonical name, so libsvtav1 output reads ``av1``.
    """
    with open_video(path) as container:
        stream = container.streams.video[0]
        pix_fmt = stream.codec_context.pix_fmt or (stream.format.name if stream.format else None)
        info: dict[str, Any] = {
            "video.height": stream.height,
            "video.width": stream.width,
            "video.codec": stream.codec_context.codec.canonical_name,
            "video.pix_fmt": pix_fmt,
            "video.is_depth_map": isinstance(camera_encoder_config, DepthEncoderConfig),
            "video.fps": int(stream.base_rate) if stream.base_rate else None,
            "video.channels": pyav_probe.pix_fmt_channels(pix_fmt) if pix_fmt else None,
            "has_audio": bool(container.streams.audio),
        }
        if container.streams.audio:
            audio = container.streams.audio[0]
            info.update(
                {
                    "audio.channels": audio.channels,
                    "audio.codec": audio.codec_context.codec.canonical_name,
                    "audio.bit_rate": audio.bit_rate,
                    "audio.sample_rate": audio.sample_rate,
                    "audio.bit_depth": audio.format.bits if audio.format else None,
                    "audio.channel_layout": audio.layout.name if audio.layout else None,
                }
            )
    if camera_encoder_config is not None:
        for name, value in camera_encoder_config.to_dict().items():
            if name != "vcodec":
                info.setdefault(f"video.{name}", value)
    info["is_depth_map"] = isinstance(camera_encoder_config, DepthEncoderConfig)  # LeRobot 0.6's marker
    return info


def get_video_duration_in_s(path: str | os.PathLike) -> float:
    """Stream duration in seconds (container duration when the stream has none), as LeRobot computes it."""
    with open_video(path) as container:
        stream = container.streams.video[0]
        if stream.duration is not None:
            return float(stream.duration * stream.time_base)
        if container.duration is not None:
            return float(container.duration / av.time_base)
        raise VideoFileError(f"{path} has no duration")


def count_frames(path: str | os.PathLike) -> int:
    """Number of video packets (= frames for our encoders) by demuxing, without decoding.

    A file cut short after its header (a faststart mp4 truncated mid-data) demuxes fewer packets than
    the header lists; that raises ``VideoFileError`` rather than returning a silently short count.
    """
    with open_video(path) as container:
        stream = container.streams.video[0]
        declared = stream.frames
        try:
            n = sum(1 for p in container.demux(stream) if p.size > 0)
        except av.FFmpegError as exc:
            raise VideoFileError(f"{path} cannot be demuxed ({exc})") from exc
        if declared and n < declared:
            raise VideoFileError(f"{path} is truncated: its header lists {declared} frames, {n} could be read")
        return n


def concatenate_video_files(
    input_video_paths: Sequence[str | os.PathLike],
    output_video_path: str | os.PathLike,
    overwrite: bool = True,
    compatibility_check: bool = False,
) -> Path:
    """Remux several mp4 into one without re-encoding (FFmpeg concat demuxer), as LeRobot appends episodes.

    The input time_base is kept on the output stream and the moov atom is put first (faststart).
    ``compatibility_check`` compares height, width, fps, codec and pix_fmt with the first input and
    raises ``ValueError`` naming the file and field that differ (LeRobot checks this when merging).
    """
    inputs = [Path(p) for p in input_video_paths]
    output = Path(output_video_path)
    if not inputs:
        raise ValueError("input_video_paths is empty: nothing to concatenate")
    for p in inputs:
        if not p.is_file():
            raise FileNotFoundError(f"video file not found: {p}")
    if output.exists() and not overwrite:
        raise FileExistsError(f"{output} exists and overwrite=False")
    if compatibility_check:
        keys = ("video.height", "video.width", "video.fps", "video.codec", "video.pix_fmt")
        ref = get_video_info(inputs[0])
        for p in inputs[1:]:
            info = get_video_info(p)
            for k in keys:
                if info.get(k) != ref.get(k):
                    raise ValueError(
                        f"cannot concatenate {p}: {k}={info.get(k)!r} differs from {inputs[0]}'s {ref.get(k)!r}"
                    )
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".concat-") as tmpdir:
        listing = Path(tmpdir) / "inputs.ffconcat"
        lines = ["ffconcat version 1.0"]
        lines += ["file '" + str(p.resolve()).replace("'", "'\\''") + "'" for p in inputs]
        listing.write_text("\n".join(lines) + "\n")
        tmp_out = Path(tmpdir) / "out.mp4"
        try:
            with av.open(str(listing), "r", format="concat", options={"safe": "0"}) as src, av.open(
                str(tmp_out), "w", format="mp4", options={"movflags": "faststart"}
            ) as dst:
                mapping = {}
                for s in src.streams:
                    if s.type in ("video", "audio", "subtitle"):
                        out_stream = dst.add_stream_from_template(template=s, opaque=True)
                        out_stream.time_base = s.time_base
                        mapping[s.index] = out_stream
                for packet in src.demux(*[s for s in src.streams if s.index in mapping]):
                    if packet.dts is None:
                        continue
                    packet.stream = mapping[packet.stream.index]
                    dst.mux(packet)
        except av.FFmpegError as exc:
            raise VideoFileError(f"concatenation failed ({exc}); inputs: {[str(p) for p in inputs]}") from exc
        shutil.move(str(tmp_out), output)
    return output


def frame_index(pts: int, time_base: Any, from_timestamp: float, fps: float) -> int:
    """The episode-relative frame index of a decoded frame: exact for constant frame rate streams."""
    return round((float(pts * time_base) - from_timestamp) * fps)


def iter_video_frames(
    path: str | os.PathLike,
    *,
    from_timestamp: float = 0.0,
    num_frames: int | None = None,
    fps: float | None = None,
    start: int = 0,
    threads: bool = True,
    pix_fmt: str = "rgb24",
) -> Iterator[np.ndarray]:
    """Yield RGB frames ``start, start+1, ...`` of the clip starting at ``from_timestamp`` (an episode in a
    concatenated file), matched by frame index, never by float timestamp.

    Decoding seeks to the keyframe before the first wanted frame. A missing or duplicated index, or
    fewer frames than ``num_frames``, raises ``VideoFileError`` with the counts, so a short video is
    never silently taken for a whole episode. ``pix_fmt="gray12le"`` yields a depth video's 12-bit codes
    (``uint16`` HxW), as LeRobot's depth reader converts them.
    """
    with open_video(path) as container:
        stream = container.streams.video[0]
        if threads:
            stream.thread_type = "AUTO"
        rate = float(fps or stream.average_rate or stream.base_rate)
        tb = stream.time_base
        first_t = from_timestamp + start / rate
        if first_t > 0.5 / rate:
            container.seek(max(0, int((first_t - 0.5 / rate) / tb)), stream=stream, backward=True)
        expected = start
        end = None if num_frames is None else start + num_frames
        try:
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                idx = frame_index(frame.pts, tb, from_timestamp, rate)
                if idx < expected:
                    continue
                if end is not None and idx >= end:
                    break
                if idx != expected:
                    raise VideoFileError(
                        f"{path}: frame {expected} is missing (next decoded frame is {idx}) at "
                        f"from_timestamp={from_timestamp}, fps={rate:g}"
                    )
                yield frame.to_ndarray(format=pix_fmt)
                expected += 1
        except av.FFmpegError as exc:
            raise VideoFileError(f"{path}: decoding failed after frame {expected - 1} ({exc})") from exc
        if end is not None and expected < end:
            raise VideoFileError(
                f"{path}: expected {num_frames} frames from index {start} at from_timestamp={from_timestamp}, "
                f"decoded {expected - start}"
            )


def read_frames(
    path: str | os.PathLike,
    indices: Sequence[int],
    *,
    from_timestamp: float = 0.0,
    fps: float | None = None,
    decoder_threads: int | None = None,
    pix_fmt: str = "rgb24",
) -> list[np.ndarray]:
    """Random access: the RGB frames at ``indices`` (episode-relative), one seek then decode forward,
    the access pattern of LeRobot's PyAV reader for a query of a few timestamps.

    ``decoder_threads`` pins the decoder's thread count (1 is what a dataloader worker usually runs;
    None lets FFmpeg choose, which for AV1 costs thread start-up on every query)."""
    if not len(indices):
        return []
    wanted = set(int(i) for i in indices)
    lo, hi = min(wanted), max(wanted)
    got: dict[int, np.ndarray] = {}
    with open_video(path) as container:
        stream = container.streams.video[0]
        if decoder_threads is not None:
            stream.codec_context.thread_count = decoder_threads
        rate = float(fps or stream.average_rate or stream.base_rate)
        tb = stream.time_base
        target = from_timestamp + lo / rate
        container.seek(max(0, int(round(target / tb)) - 1), stream=stream, backward=True)
        for frame in container.decode(stream):
            if frame.pts is None:
                continue
            idx = frame_index(frame.pts, tb, from_timestamp, rate)
            if idx in wanted and idx not in got:
                got[idx] = frame.to_ndarray(format=pix_fmt)
            if idx >= hi:
                break
    missing = sorted(i for i in wanted if i not in got)
    if missing:
        raise VideoFileError(f"{path}: frames {missing} not found (from_timestamp={from_timestamp}, fps={rate:g})")
    return [got[int(i)] for i in indices]
