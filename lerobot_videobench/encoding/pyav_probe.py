"""Everything we ask the local PyAV/FFmpeg build: which encoders exist, their private options and pixel
formats, whether an encoder really opens, and the validation of encoder parameters against that metadata.

Kept in one module (as LeRobot keeps ``pyav_utils.py``) so PyAV quirks stay out of the config and out of
every layer above the encoding core.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import platform
import sys
import tempfile
from collections.abc import Iterator
from fractions import Fraction
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np

logger = logging.getLogger(__name__)

NUMERIC_OPTION_TYPES = ("INT", "INT64", "UINT64", "FLOAT", "DOUBLE")
INTEGER_OPTION_TYPES = ("INT", "INT64", "UINT64")


@functools.cache
def get_codec(name: str) -> av.codec.Codec | None:
    """The write-mode codec called ``name`` in this build, or None when the build lacks it."""
    try:
        return av.codec.Codec(name, "w")
    except Exception:  # UnknownCodecError and friends: absence is an answer, not an error
        return None


def available_encoders(names: list[str] | tuple[str, ...] | str) -> list[str]:
    """The names (input order kept) that this build knows as *video* encoders.

    This is LeRobot's static lookup: nothing is opened, so an encoder whose hardware is missing
    (nvenc without an NVIDIA GPU) still counts as available. Use :func:`probe_encoder` for the truth.
    """
    if isinstance(names, str):
        names = [names]
    return [n for n in names if (c := get_codec(n)) is not None and c.type == "video"]


@functools.cache
def private_options(vcodec: str) -> dict[str, Any]:
    """The encoder's private AVOptions by name (empty when unknown).

    Generic AVCodecContext options (``g``, ``threads``) are not listed here, as in FFmpeg.
    PyAV 18 removed ``Codec.descriptor``; there we know no options and skip their checks.
    """
    codec = get_codec(vcodec)
    descriptor = getattr(codec, "descriptor", None) if codec is not None else None
    if descriptor is None:
        return {}
    return {opt.name: opt for opt in descriptor.options}


@functools.cache
def pixel_formats(vcodec: str) -> tuple[str, ...]:
    """Pixel formats the encoder accepts, in its preferred order (empty when unknown)."""
    codec = get_codec(vcodec)
    if codec is None:
        return ()
    return tuple(f.name for f in (codec.video_formats or []))


@functools.cache
def pix_fmt_channels(pix_fmt: str) -> int:
    """Number of components a pixel format carries (yuv420p 3, gray 1, rgba 4)."""
    try:
        return len(av.VideoFormat(pix_fmt).components)
    except Exception as exc:
        raise ValueError(f"pix_fmt={pix_fmt!r} is not a pixel format FFmpeg knows") from exc


def _describe_option(opt: Any) -> str:
    choices = [c.name for c in (opt.choices or [])]
    kind = opt.type.name
    rng = f" in [{opt.min:g}, {opt.max:g}]" if kind in NUMERIC_OPTION_TYPES and opt.min < opt.max else ""
    return f"{kind}{rng}" + (f", named values {choices}" if choices else "")


def check_option_value(vcodec: str, label: str, value: Any, opt: Any) -> None:
    """Check one option value against its AVOption metadata, LeRobot's rules.

    Numeric options take numbers (bools refused, numeric strings accepted), integer options refuse
    fractional values, ranges apply when ``min < max``; string options with choices must name one.
    ``label`` names the config field the value came from, so the error speaks the user's language.
    """
    kind = opt.type.name
    if kind in NUMERIC_OPTION_TYPES:
        if isinstance(value, bool) or not isinstance(value, (int, float, str, np.integer, np.floating)):
            raise ValueError(
                f"{label}={value!r} is not numeric; {vcodec} option {opt.name!r} expects {_describe_option(opt)}"
            )
        try:
            number = float(value)
        except ValueError as exc:
            raise ValueError(
                f"{label}={value!r} is not numeric; {vcodec} option {opt.name!r} expects {_describe_option(opt)}"
            ) from exc
        if kind in INTEGER_OPTION_TYPES and not number.is_integer():
            raise ValueError(
                f"{label}={value!r} must be a whole number for {vcodec} (option {opt.name!r} is {kind}); "
                "float values are not allowed"
            )
        lo, hi = float(opt.min), float(opt.max)
        if lo < hi and not lo <= number <= hi:
            raise ValueError(f"{label}={value!r} is out of range for {vcodec}; allowed: [{lo:g}, {hi:g}]")
    elif kind == "STRING":
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValueError(f"{label}={value!r} is not a valid string for {vcodec} option {opt.name!r}")
        choices = [c.name for c in (opt.choices or [])]
        if choices and str(value) not in choices:
            raise ValueError(f"{label}={value!r} is not accepted by {vcodec}; allowed: {choices}")
    # DICT, BOOL, FLAGS, ...: FFmpeg parses them at open time; LeRobot does not check them either.


def check_encoder_parameters(
    vcodec: str,
    pix_fmt: str,
    options: dict[str, Any],
    *,
    channels: int | None = None,
    labels: dict[str, str] | None = None,
) -> None:
    """Validate an encoder setup against this build, in LeRobot's order; raise on the first problem.

    1. the encoder exists; 2. ``pix_fmt`` is one of its formats; 3. ``pix_fmt`` carries ``channels``;
    4. ``g`` is a positive int, then every private option is checked (unknown keys pass through).
    ``labels`` maps an option key to the config field it came from (``qp`` -> ``crf`` for nvenc).
    """
    labels = labels or {}
    if get_codec(vcodec) is None:
        raise ValueError(f"vcodec={vcodec!r} is not available in this FFmpeg build (PyAV {av.__version__})")
    formats = pixel_formats(vcodec)
    if formats and pix_fmt not in formats:
        raise ValueError(f"pix_fmt={pix_fmt!r} is not supported by {vcodec}; allowed: {list(formats)}")
    if channels is not None and pix_fmt_channels(pix_fmt) < channels:
        raise ValueError(
            f"pix_fmt={pix_fmt!r} carries {pix_fmt_channels(pix_fmt)} component(s) "
            f"but the source has {channels} channel(s)"
        )
    known = private_options(vcodec)
    for key, value in options.items():
        label = labels.get(key, key)
        if key == "g":
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{label}={value!r} must be a positive integer (GOP size in frames)")
            continue
        if key in known:
            check_option_value(vcodec, label, value, known[key])


@dataclass(frozen=True)
class EncoderProbe:
    """Whether an encoder is in this build and whether it really opens and encodes a frame here."""

    name: str
    present: bool
    opens: bool
    error: str | None = None
    long_name: str | None = None
    canonical_name: str | None = None
    pixel_formats: tuple[str, ...] = field(default_factory=tuple)

    @property
    def status(self) -> str:
        if not self.present:
            return "absent"
        return "works" if self.opens else "fails to open"


@functools.cache
def probe_encoder(name: str, pix_fmt: str | None = None) -> EncoderProbe:
    """Really open ``name`` and encode two tiny frames: the check LeRobot's ``auto`` does not make.

    Hardware encoders are compiled into PyAV wheels whether or not the machine has the device, so a
    name lookup says "available" where the first frame would fail (nvenc without a GPU).
    """
    codec = get_codec(name)
    if codec is None or codec.type != "video":
        return EncoderProbe(name, present=False, opens=False, error="not in this FFmpeg build")
    formats = pixel_formats(name)
    fmt = pix_fmt or ("yuv420p" if not formats or "yuv420p" in formats else formats[0])
    try:
        ctx = av.codec.CodecContext.create(name, "w")
        ctx.width, ctx.height = 64, 48
        ctx.pix_fmt = fmt
        ctx.time_base = Fraction(1, 30)
        ctx.framerate = Fraction(30, 1)
        if codec.name == "libx265":
            ctx.options = {"x265-params": "log-level=error"}  # the probe needs no banner
        img = np.zeros((48, 64, 3), dtype=np.uint8)
        for i in range(2):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format=fmt)
            frame.pts = i
            ctx.encode(frame)
        ctx.encode(None)
        opens, error = True, None
    except Exception as exc:  # the whole point: report why it does not work here
        opens, error = False, f"{type(exc).__name__}: {exc}".strip()
    return EncoderProbe(
        name,
        present=True,
        opens=opens,
        error=error,
        long_name=codec.long_name,
        canonical_name=codec.canonical_name,
        pixel_formats=formats,
    )


def library_versions() -> dict[str, str]:
    """PyAV, FFmpeg and libav* versions: results depend on them, so every result records them."""
    versions = {"pyav": av.__version__, "ffmpeg": str(getattr(av, "ffmpeg_version_info", "unknown"))}
    for lib, ver in av.library_versions.items():
        versions[lib] = ".".join(str(v) for v in ver)
    versions["numpy"] = np.__version__
    versions["python"] = platform.python_version()
    return versions


@contextlib.contextmanager
def _captured_stderr() -> Iterator[list[str]]:
    """Collect what native code writes to file descriptor 2 (x264/x265 print their reasons there)."""
    lines: list[str] = []
    try:
        saved = os.dup(2)
    except OSError:  # no usable fd 2 (some embedded interpreters): nothing to capture
        yield lines
        return
    with tempfile.TemporaryFile(mode="w+b") as sink:
        try:
            sys.stderr.flush()
        except (AttributeError, ValueError):
            pass
        os.dup2(sink.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines.extend(ln.strip() for ln in sink.read().decode("utf-8", "replace").splitlines() if ln.strip())


@functools.lru_cache(maxsize=256)
def _try_open(vcodec: str, pix_fmt: str, options: tuple[tuple[str, str], ...]) -> str | None:
    codec = get_codec(vcodec)
    if codec is None or codec.type != "video":
        return f"{vcodec!r} is not a video encoder in this FFmpeg build (PyAV {av.__version__})"
    ctx = None
    with _captured_stderr() as said:
        try:
            ctx = av.codec.CodecContext.create(vcodec, "w")
            ctx.width, ctx.height = 64, 48
            ctx.pix_fmt = pix_fmt
            ctx.time_base = Fraction(1, 30)
            ctx.framerate = Fraction(30, 1)
            ctx.options = dict(options)
            img = np.zeros((48, 64, 3), dtype=np.uint8)
            for i in range(2):
                frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format=pix_fmt)
                frame.pts = i
                ctx.encode(frame)
            ctx.encode(None)
            error = None
        except Exception as exc:  # the encoder's refusal is the answer
            error = f"{type(exc).__name__}: {exc}".strip()
        finally:
            del ctx  # x265 prints its summary when the context is freed: inside the capture
    if error is None:
        return None
    reasons = [ln for ln in said if "error" in ln.lower() or "invalid" in ln.lower()]
    return "; ".join([*reasons, error])


def open_error(vcodec: str, pix_fmt: str, options: dict[str, Any]) -> str | None:
    """Open ``vcodec`` with exactly these options and encode two tiny 64x48 frames, as the first frame of
    a recording would; the encoder's own reason (e.g. ``x265 [error]: Valid quality based range ...``)
    when it refuses, else None. Cached per (encoder, pix_fmt, options)."""
    return _try_open(vcodec, pix_fmt, tuple(sorted((str(k), str(v)) for k, v in options.items())))
