"""``lerobot-videobench probe``: which LeRobot encoders this machine really has, and what ``auto`` does."""

from __future__ import annotations

import argparse

from ._output import format_table, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("probe", help="which encoders exist and really open here; what LeRobot's 'auto' picks")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..encoding.capabilities import encoder_capabilities

    caps = encoder_capabilities()
    if args.json:
        print_json(caps.to_dict())
        return 0
    rows = []
    for p in caps.encoders:
        fmts = ", ".join(p.pixel_formats[:6]) + (" ..." if len(p.pixel_formats) > 6 else "")
        rows.append([p.name, "yes" if p.present else "no", p.status, fmts, p.error or ""])
    print(format_table(["encoder", "in build", "status", "pixel formats", "why not"], rows))
    print()
    print(f"LeRobot vcodec='auto' picks here: {caps.lerobot_auto} ({'works' if caps.lerobot_auto_works else 'FAILS'})")
    print(f"First encoder of auto's list that really opens: {caps.working_auto}")
    v = caps.versions
    print(f"PyAV {v['pyav']}, FFmpeg {v['ffmpeg']} (libavcodec {v.get('libavcodec', '?')})")
    for w in caps.warnings:
        print(f"WARNING: {w}")
    return 0
