"""``lerobot-videobench export``: a chosen encoder config as flags, YAML, JSON or Python for LeRobot."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from typing import Any

_NONE = ("none", "null")
_ENCODER_OPTIONS = ("vcodec", "pix_fmt", "g", "crf", "preset", "fast_decode", "extra_options")


def _int_or_none(text: str) -> int | None:
    if text.lower() in _NONE:
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer (or 'none')") from None


def _number_or_none(text: str) -> int | float | None:
    if text.lower() in _NONE:
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(f"{text!r} is not a number (or 'none')")


def _preset(text: str) -> int | str | None:
    """SVT presets are integers, x264/x265 presets names: an integer string becomes an int."""
    if text.lower() in _NONE:
        return None
    try:
        return int(text)
    except ValueError:
        return text


def _mapping(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON ({exc}); e.g. '{{\"tune\": \"film\", \"bf\": 2}}'") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object, e.g. '{\"tune\": \"film\"}'")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    from ..decide.export import DEFAULT_ENCODER_FIELD, TARGETS

    p = sub.add_parser(
        "export",
        help="render an encoder config as lerobot-record flags, YAML, JSON or Python",
        description=(
            "Render a VideoEncoderConfig (validated first) for LeRobot. Fields not given keep LeRobot's "
            "defaults, or the values of --from FILE (a previous YAML/JSON export)."
        ),
    )
    p.add_argument("--from", dest="from_file", metavar="FILE", help="start from a YAML/JSON export")
    # Options not given stay absent from the namespace (SUPPRESS), so "--g none" differs from no --g.
    g = p.add_argument_group("encoder config (VideoEncoderConfig fields)", argument_default=argparse.SUPPRESS)
    g.add_argument("--vcodec", help="libsvtav1, h264, hevc, libaom-av1 or a hardware encoder (not auto)")
    g.add_argument("--pix-fmt", dest="pix_fmt")
    g.add_argument("--g", type=_int_or_none, metavar="N|none", help="GOP size in frames")
    g.add_argument("--crf", type=_number_or_none, metavar="X|none", help="quality (integer, or float for x264/x265)")
    g.add_argument("--preset", type=_preset, metavar="P|none", help="integer (SVT) or name (x264/x265)")
    g.add_argument("--fast-decode", dest="fast_decode", type=int, metavar="N")
    g.add_argument("--extra-options", dest="extra_options", type=_mapping, metavar="JSON")
    g.add_argument(
        "--unchecked",
        action="store_true",
        default=False,
        help="the config is for another machine (e.g. videotoolbox): do not require the encoder here",
    )
    d = p.add_argument_group("dataset settings (DatasetRecordConfig fields)", argument_default=argparse.SUPPRESS)
    d.add_argument("--encoder-threads", dest="encoder_threads", type=_int_or_none, metavar="N|none")
    d.add_argument("--encoder-queue-maxsize", dest="encoder_queue_maxsize", type=_int_or_none, metavar="N")
    d.add_argument("--streaming-encoding", dest="streaming_encoding", action=argparse.BooleanOptionalAction)
    o = p.add_argument_group("output")
    o.add_argument("--only-changed", action="store_true", help="leave out what equals LeRobot's defaults")
    o.add_argument("--target", choices=TARGETS, default="record", help="record (default), edit-dataset, legacy (0.4.x)")
    o.add_argument("--format", choices=("cli", "yaml", "json", "python"), default="cli")
    o.add_argument(
        "--encoder-field",
        default=DEFAULT_ENCODER_FIELD,
        help="name of the encoder block in your LeRobot: camera_encoder_config (default), camera_encoder (upstream PR #3455) or rgb_encoder (LeRobot >= PR #3644)",
    )
    p.set_defaults(func=run)


def _settings(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """Overlay the options given (absent ones are suppressed) on --from FILE or LeRobot's defaults."""
    from ..decide.export import ExportSettings, read_settings
    from ..encoding.config import VideoEncoderConfig

    base = read_settings(args.from_file) if args.from_file else ExportSettings(VideoEncoderConfig())
    fields = base.config.to_dict()
    given = {name: getattr(args, name) for name in _ENCODER_OPTIONS if hasattr(args, name)}
    if given.get("vcodec") == "auto":
        # Resolving here would export this machine's pick (nvenc on any Linux wheel), not the recorder's.
        raise ValueError("vcodec='auto' is resolved on the recording machine; name the encoder to export")
    if "vcodec" in given and given["vcodec"] != fields["vcodec"] and "preset" not in given:
        fields["preset"] = None  # the new codec's own default, not the old codec's preset
    fields.update(given)
    build = VideoEncoderConfig.unchecked if args.unchecked else VideoEncoderConfig
    try:
        config = build(**fields)
    except TypeError as exc:
        raise ValueError(str(exc)) from exc
    except ValueError as exc:
        if args.unchecked or "not available in this FFmpeg build" not in str(exc):
            raise
        raise ValueError(f"{exc}; add --unchecked to export a config for another machine") from exc
    dataset = base.kwargs()
    dataset.update({name: getattr(args, name) for name in dataset if hasattr(args, name)})
    return config, dataset


def run(args: argparse.Namespace) -> int:
    from ..decide import export

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", export.ExportWarning)
        config, dataset = _settings(args)
        common: dict[str, Any] = {**dataset, "only_changed": args.only_changed}
        if args.format == "cli":
            text = export.to_shell(config, target=args.target, encoder_field=args.encoder_field, **common)
        elif args.format == "python":
            if args.target != "record":
                raise ValueError("--format python builds a VideoEncoderConfig: use it with --target record")
            text = export.to_python(config, **common)
        else:
            render = export.to_yaml if args.format == "yaml" else export.to_json
            text = render(config, target=args.target, encoder_field=args.encoder_field, **common)
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    print(text.rstrip("\n"))
    return 0
