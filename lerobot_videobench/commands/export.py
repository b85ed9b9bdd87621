"""``lerobot-videobench export``: a chosen encoder config as flags, YAML, JSON or Python for LeRobot."""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Any

from ._config_args import add_encoder_arguments, build_config, given_encoder_fields, int_or_none, overlay_fields


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
    g = add_encoder_arguments(p, vcodec_help="libsvtav1, h264, hevc, libaom-av1 or a hardware encoder (not auto)")
    g.add_argument(
        "--unchecked",
        action="store_true",
        default=False,
        help="the config is for another machine (e.g. videotoolbox): do not require the encoder here",
    )
    d = p.add_argument_group("dataset settings (DatasetRecordConfig fields)", argument_default=argparse.SUPPRESS)
    d.add_argument("--encoder-threads", dest="encoder_threads", type=int_or_none, metavar="N|none")
    d.add_argument("--encoder-queue-maxsize", dest="encoder_queue_maxsize", type=int_or_none, metavar="N")
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
    given = given_encoder_fields(args)
    if given.get("vcodec") == "auto":
        # Resolving here would export this machine's pick (nvenc on any Linux wheel), not the recorder's.
        raise ValueError("vcodec='auto' is resolved on the recording machine; name the encoder to export")
    try:
        config = build_config(overlay_fields(base.config.to_dict(), given), unchecked=args.unchecked)
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
