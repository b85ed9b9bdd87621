"""``lerobot-videobench health``: check a LeRobot dataset's videos against its metadata (frame counts,
durations, timestamp drift, encoder consistency); exit status 1 when a problem is found."""

from __future__ import annotations

import argparse

from ._decide_args import fmt_num
from ._output import format_table, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "health",
        help="check a dataset's videos: frames vs episode length, durations, timestamp drift, settings",
        description=(
            "Check every episode and camera of a LeRobot dataset (local root or Hub org/name[@rev]): frames in "
            "the video against the episode length, video duration, timestamp drift, dropped frames, encoder "
            "settings across files and data rows. Exit status 1 when a problem is found."
        ),
    )
    p.add_argument("dataset", help="LeRobot dataset root or Hub repo id (org/name[@revision])")
    p.add_argument("--episodes", type=int, nargs="+", metavar="N", help="episode indices (default: all)")
    p.add_argument("--cameras", nargs="+", metavar="KEY",
                   help="camera keys or short names (default: all, depth cameras included)")
    p.add_argument(
        "--decode", action=argparse.BooleanOptionalAction, default=False,
        help="also decode every frame to prove it decodes (about one full decode); default: demux only",
    )
    p.add_argument("--tolerance-frames", type=float, default=0.5, metavar="X",
                   help="timestamp drift and duration tolerance in frames (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def _drift(e) -> str:
    return "-" if e.drift_frames is None else f"{e.drift_frames:.3f}"


def run(args: argparse.Namespace) -> int:
    from ..decide.health import check_health
    from ..episodes.sources import depth_summary

    report = check_health(
        args.dataset, episodes=args.episodes, cameras=args.cameras, decode=args.decode,
        tolerance_frames=args.tolerance_frames,
    )
    if args.json:
        print_json(report.to_dict())
        return 0 if report.ok else 1
    rows = [
        [e.episode, e.camera.rsplit(".", 1)[-1], e.expected_frames, e.found_frames, e.dropped_estimate,
         fmt_num(e.video_duration_s, 3), fmt_num(e.expected_duration_s, 3), _drift(e),
         "-" if e.data_rows is None else e.data_rows, "ok" if e.ok else "PROBLEM"]
        for e in report.episodes
    ]
    mode = "decoded" if report.decode else "demuxed"
    print(f"{report.source} ({report.version}, {report.fps} fps): {len(report.episode_indices)} episode(s) x "
          f"{len(report.cameras)} camera(s), {len(report.files)} video file(s) {mode} in {report.elapsed_s:.2f} s")
    if rows:
        print(format_table(
            ["episode", "camera", "length", "found", "dropped", "duration_s", "expected_s", "drift_frames",
             "data_rows", "status"], rows,
        ))
    for key, rec in report.recorded_encoder.items():
        stream = rec["stream"]
        recorded = " ".join(f"{k}={'null' if v is None else v}" for k, v in rec["values"].items()) or "nothing"
        measured = (f"{'/'.join(stream['codecs']) or '-'} {'/'.join(stream['pix_fmts']) or '-'}, keyframes up to "
                    f"{stream['max_keyframe_interval'] or '-'} frames apart in {stream['files']} file(s)")
        print(f"recorded encoder {key}: {recorded}")
        print(f"  stream: {measured}")
    for key, d in report.depth.items():
        print(f"depth camera {key}: {depth_summary(d['depth_unit'], d['storage'], d['quantizer'])}")
    for n in report.notes:
        print(f"note: {n}")
    for w in report.warnings:
        print(f"warning: {w}")
    for prob in report.problems:
        print(f"problem: {prob}")
    if report.ok:
        print("healthy: no problem found")
        return 0
    print(f"{len(report.problems)} problem(s) found; "
          f"{report.frames_dropped} of {report.frames_expected} frames missing")
    return 1
