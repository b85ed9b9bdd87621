"""What an encoder accepts here, checked before work starts: the smallest frame size (SVT-AV1 kills
the process with SIGFPE below it, so no error could be reported afterwards) and whether the encoder
really opens with a config's options (a bad preset, ``auto`` resolving to nvenc without a GPU)."""

from __future__ import annotations

import contextlib
import os
from fractions import Fraction

import av
import numpy as np

from ..errors import EncoderUnavailableError, InvalidValueError
from .config import HW_VIDEO_CODECS, VideoEncoderConfig

#: Smallest (width, height) each encoder accepts, measured with PyAV 15.1 / SVT-AV1 3.x (the LeRobot
#: pin) by encoding 3 frames per size and preset 0..12: libsvtav1 dies of SIGFPE for widths 2..24 at
#: every height, and refuses to open (a clean error) for heights under 4.
MIN_FRAME_SIZE: dict[str, tuple[int, int]] = {"libsvtav1": (25, 4)}


def check_frame_size(vcodec: str, width: int, height: int) -> None:
    """Refuse a frame size the encoder cannot take, naming the minimum (before the encoder is opened)."""
    low = MIN_FRAME_SIZE.get(vcodec)
    if low and (width < low[0] or height < low[1]):
        raise InvalidValueError(
            f"{width}x{height} frames are too small for {vcodec}: it needs at least {low[0]}x{low[1]} (width x height; "
            "smaller frames crash its encoder); use larger frames or another vcodec such as h264"
        )


@contextlib.contextmanager
def _native_stderr_silenced():
    """Encoders print their own complaint (``x264 [error]: invalid preset``) on fd 2; the error we raise
    says it in one line, so the banner is dropped while the probe runs (before any thread starts)."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _open_error(config: VideoEncoderConfig, width: int, height: int, encoder_threads: int | None) -> str | None:
    with _native_stderr_silenced():
        return _try_open(config, width, height, encoder_threads)


def _try_open(config: VideoEncoderConfig, width: int, height: int, encoder_threads: int | None) -> str | None:
    try:
        ctx = av.codec.CodecContext.create(config.vcodec, "w")
        ctx.width, ctx.height = width, height
        ctx.pix_fmt = config.pix_fmt
        ctx.time_base = Fraction(1, 30)
        ctx.framerate = Fraction(30, 1)
        ctx.options = config.get_codec_options(encoder_threads, as_strings=True)
        img = np.zeros((height, width, 3), dtype=np.uint8)
        for i in range(2):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format=config.pix_fmt)
            frame.pts = i
            ctx.encode(frame)
        ctx.encode(None)
    except Exception as exc:  # noqa: BLE001 - the reason is the answer
        return f"{type(exc).__name__}: {exc}"
    return None


def check_encoder_opens(
    config: VideoEncoderConfig, width: int = 64, height: int = 48, encoder_threads: int | None = None
) -> None:
    """Open the encoder with ``config``'s options and encode two frames; raise
    :class:`EncoderUnavailableError` saying what to use instead when it does not work here."""
    check_frame_size(config.vcodec, width, height)
    error = _open_error(config, int(width), int(height), encoder_threads)
    if error is None:
        return
    if config.vcodec in HW_VIDEO_CODECS:
        from .config import resolve_auto_vcodec

        hint = (f"{config.vcodec} is a hardware encoder without a working device here (vcodec='auto' picks it by "
                f"name only); use vcodec={resolve_auto_vcodec(check_opens=True)!r} or another software encoder")
    else:
        hint = f"check the options (preset={config.preset!r}, pix_fmt={config.pix_fmt!r}, extra_options)"
    raise EncoderUnavailableError(
        f"encoder {config.vcodec} does not open with {config.label()} ({error}); {hint}; "
        "`lerobot-videobench probe` lists the encoders that work on this machine"
    )
