"""Before a config leaves the workbench: does the encoder really open with it, and does it mean what it says?

LeRobot validates option *metadata* (types, ranges, named choices) when a config is built, but some values
pass that check and fail at the first frame (x265 ``crf`` above 51, an x264 preset name that does not
exist, an ``extra_options`` value the encoder rejects), and some are accepted and silently clamped by the
encoder, so they measure exactly like another config (x264 ``crf=60`` is ``crf=51``). :func:`preflight`
opens the encoder with the config's own options on two tiny frames and lists the clamps; the export
refuses the first kind and warns about the second.

Works on any encoder config with ``vcodec``, ``pix_fmt`` and ``get_codec_options`` (RGB or depth).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import EncoderUnavailableError, InvalidValueError
from . import pyav_probe

__all__ = ["Preflight", "built_unchecked", "clamp_notes", "preflight"]


@dataclass(frozen=True)
class Preflight:
    """What the preflight found: ``opened`` is False when the open was skipped (``notes`` say why);
    ``notes`` also carry the clamp warnings (values that encode like another config)."""

    vcodec: str
    opened: bool
    notes: tuple[str, ...] = field(default_factory=tuple)


def built_unchecked(config: Any) -> bool:
    """Whether the config was built with ``unchecked(...)``: meant for another machine's encoder."""
    return bool(getattr(config, "_built_unchecked", False))


# ---------------------------------------------------------------------------------------------- clamps
def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _crf_clamps(encoder: str, top: float | None, unset_like: int) -> Callable[[Any], list[str]]:
    def check(config: Any) -> list[str]:
        crf = _number(config.crf)
        if crf is None:
            return []
        if crf < 0:
            return [f"crf={config.crf!r}: {encoder} treats a negative crf as unset and uses its default, so this "
                    f"encodes exactly like crf={unset_like}"]
        if top is not None and crf > top:
            return [f"crf={config.crf!r}: {encoder} clamps crf to {top:g}, so this encodes exactly like crf={top:g}"]
        return []

    return check


def _fast_decode_tune(config: Any) -> list[str]:
    fd = config.fast_decode
    if isinstance(fd, int) and fd not in (0, 1):
        return [f"fast_decode={fd!r}: {config.vcodec} only has tune=fastdecode (on/off), so this encodes exactly "
                "like fast_decode=1"]
    return []


def _fast_decode_svt(config: Any) -> list[str]:
    fd = config.fast_decode
    if isinstance(fd, int) and not 0 <= fd <= 2:
        same = 2 if fd > 2 else 0
        return [f"fast_decode={fd!r}: LeRobot clamps it to SVT-AV1's 0..2, so this encodes exactly like "
                f"fast_decode={same}"]
    return []


def _fast_decode_ignored(config: Any) -> list[str]:
    fd = config.fast_decode
    if isinstance(fd, int) and fd != 0:
        return [f"fast_decode={fd!r} has no effect on {config.vcodec} (LeRobot maps it to no option), so this "
                "encodes exactly like fast_decode=0"]
    return []


def _videotoolbox_q(config: Any) -> list[str]:
    crf = _number(config.crf)
    if crf is None or 0 <= crf <= 49.5:
        return []
    same = 0 if crf < 0 else 49.5
    return [f"crf={config.crf!r}: LeRobot maps crf to q:v=100-2*crf clamped to 1..100, so this encodes exactly "
            f"like crf={same:g}"]


#: Per encoder: checks that name values the encoder (or LeRobot's mapping) silently clamps. Measured here:
#: x264 crf 60 and 51, crf -1 and 23, x265 crf -1 and 28, libaom crf -1 and 32 give byte-identical streams.
CLAMPS: dict[str, tuple[Callable[[Any], list[str]], ...]] = {
    "h264": (_crf_clamps("x264", 51, 23), _fast_decode_tune),
    "hevc": (_crf_clamps("x265", None, 28), _fast_decode_tune),  # crf > 51 fails to open: refused, not warned
    "libsvtav1": (_fast_decode_svt,),
    "libaom-av1": (_crf_clamps("libaom", None, 32), _fast_decode_ignored),
    "h264_videotoolbox": (_videotoolbox_q, _fast_decode_ignored),
    "hevc_videotoolbox": (_videotoolbox_q, _fast_decode_ignored),
    "h264_nvenc": (_fast_decode_ignored,),
    "hevc_nvenc": (_fast_decode_ignored,),
    "h264_vaapi": (_fast_decode_ignored,),
    "h264_qsv": (_fast_decode_ignored,),
}


def clamp_notes(config: Any) -> list[str]:
    """Values LeRobot accepts but that encode exactly like another config, one sentence each."""
    return [note for check in CLAMPS.get(config.vcodec, ()) for note in check(config)]


# ---------------------------------------------------------------------------------------------- the open
def preflight(config: Any, *, encoder_threads: int | None = None, what: str | None = None) -> Preflight:
    """Open the config's encoder with its own options on two 64x48 frames; refuse what would fail.

    Raises :class:`~lerobot_videobench.errors.InvalidValueError` when the encoder opens bare but refuses
    these options (the message carries the encoder's reason), and
    :class:`~lerobot_videobench.errors.EncoderUnavailableError` when the encoder does not open on this
    machine at all (nvenc without a GPU). A config built with ``unchecked(...)`` whose encoder does not
    work here is not opened; the returned notes say so. ``what`` names the config in messages
    (``rgb_encoder``, ``depth_encoder``).
    """
    vcodec, pix_fmt = config.vcodec, config.pix_fmt
    where = f"{what}: " if what else ""
    notes = [where + note for note in clamp_notes(config)]
    bare = pyav_probe.probe_encoder(vcodec, pix_fmt) if pyav_probe.available_encoders(vcodec) else None
    if bare is None or not bare.opens:
        reason = "is not in this machine's FFmpeg build" if bare is None else f"does not open here ({bare.error})"
        if built_unchecked(config):
            note = (f"{where}vcodec={vcodec!r} {reason}: built with unchecked(), so it was not opened and its "
                    "options were not checked against the encoder; LeRobot checks them when the recording starts")
            return Preflight(vcodec, opened=False, notes=(note, *notes))
        raise EncoderUnavailableError(
            f"{where}vcodec={vcodec!r} {reason}; to export a config for another machine build it with "
            "VideoEncoderConfig.unchecked(...) (CLI: --unchecked)"
        )
    options = config.get_codec_options(encoder_threads, as_strings=True)
    error = pyav_probe.open_error(vcodec, pix_fmt, options)
    if error is not None:
        shown = ", ".join(f"{k}={v}" for k, v in options.items())
        raise InvalidValueError(f"{where}{vcodec} refuses these options at the first frame ({shown}): {error}")
    return Preflight(vcodec, opened=True, notes=tuple(notes))
