"""``lerobot-videobench export``: a chosen encoder config as flags, YAML, JSON or Python for a LeRobot."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import warnings
from typing import Any

from ._config_args import add_encoder_arguments, build_config, given_encoder_fields, int_or_none, overlay_fields


def add_target_argument(p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--target``: one of the export registry's targets (default: the installed LeRobot's, else 0.6)."""
    from ..decide.export import TARGETS

    p.add_argument(
        "--target",
        choices=list(TARGETS),
        default=None,
        help="which LeRobot the config is for (default: the installed lerobot's version, else lerobot-0.6): "
        + "; ".join(t.describe() for t in TARGETS.values()),
    )


def add_source_arguments(p: argparse.ArgumentParser | argparse._ArgumentGroup, *, with_source: bool = True) -> None:
    """Where the swept dataset lives, for ``--target lerobot-0.6-edit`` (``with_source=False`` where the
    command's ``--source`` already means something else, e.g. recommend's store filter)."""
    if with_source:
        p.add_argument("--source", metavar="ID|DIR",
                       help="for lerobot-0.6-edit: the dataset swept (Hub id or local folder)")
    p.add_argument("--repo-id", dest="repo_id", metavar="ORG/NAME", help="for lerobot-0.6-edit: the dataset's repo id")
    p.add_argument("--new-repo-id", dest="new_repo_id", metavar="ORG/NAME",
                   help="for lerobot-0.6-edit: where the result goes (default: LeRobot's {repo_id}_reencoded)")
    p.add_argument("--images", action="store_true", default=False,
                   help="for lerobot-0.6-edit: the source stores images (convert_image_to_video)")


def source_from_args(args: argparse.Namespace, swept: str | None = None, *, from_store: bool = False) -> Any:
    """An :class:`~lerobot_videobench.decide.export.ExportSource` from the options. With ``from_store``,
    ``swept`` (what the store's trials came from; None when several) replaces ``--source`` and is ignored
    when it is not a LeRobot dataset."""
    from ..decide.export import ExportSource

    kind = "image" if getattr(args, "images", False) else None
    if from_store:
        source = swept_source(swept)
        source = dataclasses.replace(source, kind=kind) if source is not None and kind else source
    else:
        location = getattr(args, "source", None)
        source = ExportSource.from_location(location, kind=kind) if location else None
    overrides = {k: getattr(args, k, None) for k in ("repo_id", "new_repo_id") if getattr(args, k, None)}
    if overrides or kind:
        source = dataclasses.replace(source or ExportSource(kind=kind or "video"), **overrides)
    return source


def swept_source(location: str | None) -> Any:
    """The export source for what a sweep read, or None when it is not a LeRobot dataset (a video file,
    the built-in sample): the edit target then asks for ``--repo_id``."""
    from ..decide.export import ExportSource
    from ..errors import SourceError

    if not location:
        return None
    try:
        return ExportSource.from_location(location)
    except SourceError:
        return None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="render an encoder config as lerobot-record / lerobot-edit-dataset flags, YAML, JSON or Python",
        description=(
            "Render a VideoEncoderConfig (validated and opened on two frames first) for LeRobot. Fields not "
            "given keep LeRobot's defaults, or the values of --from FILE (a previous YAML/JSON export)."
        ),
    )
    p.add_argument("--from", dest="from_file", metavar="FILE", help="start from a YAML/JSON export")
    g = add_encoder_arguments(p, vcodec_help="libsvtav1, h264, hevc, libaom-av1 or a hardware encoder (not auto)")
    g.add_argument(
        "--unchecked",
        action="store_true",
        default=False,
        help="the config is for another machine (e.g. videotoolbox, nvenc): do not open the encoder here",
    )
    d = p.add_argument_group("dataset settings (DatasetRecordConfig fields)", argument_default=argparse.SUPPRESS)
    d.add_argument("--encoder-threads", dest="encoder_threads", type=int_or_none, metavar="N|none")
    d.add_argument("--encoder-queue-maxsize", dest="encoder_queue_maxsize", type=int_or_none, metavar="N")
    d.add_argument("--streaming-encoding", dest="streaming_encoding", action=argparse.BooleanOptionalAction)
    add_source_arguments(p.add_argument_group("source (lerobot-0.6-edit)"))
    o = p.add_argument_group("output")
    o.add_argument("--only-changed", action="store_true", help="leave out what equals LeRobot's defaults")
    add_target_argument(o)
    o.add_argument("--format", choices=("cli", "yaml", "json", "python"), default=None,
                   help="cli (default), yaml, json or python")
    o.add_argument("--json", action="store_true", help="machine-readable output: the same as --format json")
    o.add_argument(
        "--encoder-field",
        choices=("rgb_encoder", "camera_encoder", "camera_encoder_config"),
        default=None,
        help="deprecated: use --target (rgb_encoder = lerobot-0.6, camera_encoder, camera_encoder_config)",
    )
    p.set_defaults(func=run)


def _target(args: argparse.Namespace) -> str | None:
    from ..decide.export import FIELD_TARGETS

    if args.encoder_field is None:
        return args.target
    mapped = FIELD_TARGETS[args.encoder_field]
    print(f"warning: --encoder-field is deprecated; use --target {mapped}", file=sys.stderr)
    if args.target not in (None, mapped):
        raise ValueError(f"--encoder-field {args.encoder_field} contradicts --target {args.target}; use --target only")
    return mapped


def _format(args: argparse.Namespace) -> str:
    if args.json and args.format not in (None, "json"):
        raise ValueError(f"--json contradicts --format {args.format}; give one of them")
    return "json" if args.json else (args.format or "cli")


def _settings(args: argparse.Namespace) -> Any:
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
    dataset = {name: getattr(args, name) for name in base.kwargs() if hasattr(args, name)}
    source = source_from_args(args) or base.source
    return dataclasses.replace(base, config=config, source=source, **dataset)


def run(args: argparse.Namespace) -> int:
    from ..decide import export

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", export.ExportWarning)
        text = export.render(_target(args), _format(args), _settings(args), only_changed=args.only_changed)
    for w in caught:
        if issubclass(w.category, export.ExportWarning):
            print(f"warning: {w.message}", file=sys.stderr)
    print(text.rstrip("\n"))
    return 0
