"""Encoder-config options shared by the subcommands that take one config (``export``, ``realtime``):
``--vcodec --pix-fmt --g --crf --preset --fast-decode --extra-options`` parsed the same way everywhere,
overlaid on a base config (LeRobot's defaults unless a command starts from something else)."""

from __future__ import annotations

import argparse
import json
from typing import Any

_NONE = ("none", "null")
#: ``VideoEncoderConfig`` fields these options set (``video_backend`` has only one allowed value).
ENCODER_OPTIONS = ("vcodec", "pix_fmt", "g", "crf", "preset", "fast_decode", "extra_options")


def int_or_none(text: str) -> int | None:
    if text.lower() in _NONE:
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer (or 'none')") from None


def number_or_none(text: str) -> int | float | None:
    if text.lower() in _NONE:
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(f"{text!r} is not a number (or 'none')")


def preset(text: str) -> int | str | None:
    """SVT presets are integers, x264/x265 presets names: an integer string becomes an int."""
    if text.lower() in _NONE:
        return None
    try:
        return int(text)
    except ValueError:
        return text


def mapping(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON ({exc}); e.g. '{{\"tune\": \"film\", \"bf\": 2}}'") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object, e.g. '{\"tune\": \"film\"}'")
    return value


def add_encoder_arguments(
    p: argparse.ArgumentParser,
    *,
    title: str = "encoder config (VideoEncoderConfig fields)",
    vcodec_help: str = "libsvtav1, h264, hevc, libaom-av1, auto or a hardware encoder",
) -> argparse._ArgumentGroup:
    """Add the config options as a group; options not given stay absent from the namespace
    (``SUPPRESS``), so ``--g none`` differs from no ``--g``. Returns the group for extra options."""
    g = p.add_argument_group(title, argument_default=argparse.SUPPRESS)
    g.add_argument("--vcodec", help=vcodec_help)
    g.add_argument("--pix-fmt", dest="pix_fmt")
    g.add_argument("--g", type=int_or_none, metavar="N|none", help="GOP size in frames")
    g.add_argument("--crf", type=number_or_none, metavar="X|none", help="quality (integer, or float for x264/x265)")
    g.add_argument("--preset", type=preset, metavar="P|none", help="integer (SVT) or name (x264/x265)")
    g.add_argument("--fast-decode", dest="fast_decode", type=int, metavar="N")
    g.add_argument("--extra-options", dest="extra_options", type=mapping, metavar="JSON")
    return g


def given_encoder_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The config options present on the command line."""
    return {name: getattr(args, name) for name in ENCODER_OPTIONS if hasattr(args, name)}


def overlay_fields(base: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """``given`` over ``base``; a new codec without ``--preset`` gets its own default preset, not the
    old codec's (SVT's 12 means nothing to x264)."""
    fields = dict(base)
    if "vcodec" in given and given["vcodec"] != fields.get("vcodec") and "preset" not in given:
        fields["preset"] = None
    fields.update(given)
    return fields


def build_config(fields: dict[str, Any], *, unchecked: bool = False) -> Any:
    """A validated ``VideoEncoderConfig`` (``unchecked``: for another machine's FFmpeg); bad field
    names and values become ``ValueError`` (exit status 2)."""
    from ..encoding.config import VideoEncoderConfig

    build = VideoEncoderConfig.unchecked if unchecked else VideoEncoderConfig
    try:
        return build(**fields)
    except TypeError as exc:
        raise ValueError(str(exc)) from exc


def config_from_args(args: argparse.Namespace, base: Any = None) -> Any:
    """The config the options describe, over ``base`` (LeRobot's defaults when None)."""
    from ..encoding.config import VideoEncoderConfig

    base_fields = (base or VideoEncoderConfig()).to_dict()
    return build_config(overlay_fields(base_fields, given_encoder_fields(args)))


def add_decoder_argument(p: argparse.ArgumentParser) -> None:
    """``--decoder torchcodec|pyav|both``: the LeRobot training decoder(s) load time is measured through."""
    # validated by MeasureSettings (one clear line naming the allowed values), so parsing imports nothing
    p.add_argument("--decoder", metavar="torchcodec|pyav|both", default=None,
                   help="LeRobot training decoder(s) for load time and decode checks (default: LeRobot's: "
                        "torchcodec when installed, else pyav)")


def measure_settings(args: argparse.Namespace, **fields: Any) -> Any:
    """``MeasureSettings`` from the given fields plus ``--decoder`` when it was given."""
    from ..bench.trial import MeasureSettings

    if getattr(args, "decoder", None):
        fields["decoder"] = args.decoder
    return MeasureSettings(**fields)
