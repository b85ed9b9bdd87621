"""``lerobot-videobench realtime``: can this machine stream-encode N cameras at W x H @ fps with this
config while recording? Runs the streaming encoder at camera pace and counts every frame; exit status 1
when overloaded."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys

from ..decide.constraints import DEFAULT_HEADROOM
from ._config_args import add_encoder_arguments, config_from_args
from ._decide_args import fmt_num
from ._output import format_table, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "realtime",
        help="check that N cameras can be stream-encoded in real time with a config (drops, headroom)",
        description=(
            "Feed frames at camera pace into LeRobot's streaming encoder (one thread and bounded queue per "
            "camera, 0.1 s wait then drop) and report frames fed/encoded/dropped, queue depth, latency, CPU "
            "and a verdict. Config fields not given keep LeRobot's defaults. Exit status 1 when overloaded."
        ),
    )
    p.add_argument("--cameras", type=int, default=2, metavar="N",
                   help="cameras recorded together (default: %(default)s)")
    p.add_argument("--width", type=int, default=640, metavar="W", help="frame width (default: %(default)s)")
    p.add_argument("--height", type=int, default=480, metavar="H", help="frame height (default: %(default)s)")
    p.add_argument("--fps", type=int, default=30, help="camera rate (default: %(default)s)")
    p.add_argument("--seconds", type=float, default=10.0, metavar="S",
                   help="length of the test episode (default: %(default)s)")
    p.add_argument("--encoder-threads", type=int, metavar="T",
                   help="LeRobot's encoder_threads (default: the codec decides)")
    p.add_argument("--queue-maxsize", type=int, default=30, metavar="Q",
                   help="LeRobot's encoder_queue_maxsize (default: %(default)s)")
    p.add_argument("--engine", choices=["videobench", "lerobot"], default="videobench",
                   help="streaming encoder: ours (LeRobot's per-frame work, timed per frame) or LeRobot's own "
                        "StreamingVideoEncoder (needs the lerobot package) (default: %(default)s)")
    p.add_argument("--headroom", type=float, default=DEFAULT_HEADROOM, metavar="X",
                   help="encode capacity over demand required for a 'realtime' verdict (default: %(default)s)")
    f = p.add_argument_group("frames (default: camera-like synthetic footage with sensor noise; best: --source)")
    f.add_argument("--source", help="take frames from this source (dataset root, Hub repo id, video file, ...)")
    f.add_argument("--episode", type=int, default=0, metavar="N", help="episode of --source (default: %(default)s)")
    f.add_argument("--camera", metavar="KEY", help="camera of --source (default: its first)")
    f.add_argument("--synthetic", action="store_true", help="clean rendered footage (no sensor noise; flatters)")
    f.add_argument("--sample", action="store_true", help="the built-in sample (flatters encoders)")
    add_encoder_arguments(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def _frames(args: argparse.Namespace):
    if sum(bool(x) for x in (args.synthetic, args.source, getattr(args, "sample", False))) > 1:
        raise ValueError("--synthetic, --sample and --source are exclusive: choose where the frames come from")
    if args.synthetic:
        return "synthetic"
    if getattr(args, "sample", False):
        return "sample"
    if not args.source:
        return None
    from ..decide.realtime import MAX_POOL_FRAMES
    from ..episodes import load_episodes

    return load_episodes(args.source, episodes=[args.episode], cameras=args.camera, max_frames=MAX_POOL_FRAMES)[0]


class _DropWarnings(logging.Filter):
    """Counts the streaming encoder's per-camera "queue full" warnings instead of printing each one: the
    command prints one summary line, and the table has the per-camera figures."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith(("Encoder queue full", "Episode finished with")):
            self.count += 1
            return False
        return True


@contextlib.contextmanager
def _quiet_drop_warnings():
    log = logging.getLogger("lerobot_videobench.encoding.streaming")
    flt = _DropWarnings()
    log.addFilter(flt)
    try:
        yield flt
    finally:
        log.removeFilter(flt)


def run(args: argparse.Namespace) -> int:
    from ..decide.realtime import check_realtime

    config = config_from_args(args)
    frames = _frames(args)
    with _quiet_drop_warnings() as dropped_warnings:
        try:
            report = check_realtime(
                config, args.cameras, args.width, args.height, args.fps, args.seconds,
                encoder_threads=args.encoder_threads, queue_maxsize=args.queue_maxsize, frames=frames,
                required_headroom=args.headroom, engine=args.engine,
            )
        except RuntimeError as exc:  # the streaming encoder failed or never finished: one line, no traceback
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if dropped_warnings.count:
        dropped = sum(c["frames_dropped"] for c in report.per_camera)
        cams = sum(1 for c in report.per_camera if c["frames_dropped"])
        print(f"warning: encoder queue full: {dropped} frame(s) dropped on {cams} camera(s) "
              f"(per camera below)", file=sys.stderr)
    status = 1 if report.verdict == "overloaded" else 0
    if args.json:
        print_json({**report.to_dict(), "ok": report.ok})
        return status
    print(f"{report.cameras} x {report.width}x{report.height} @ {report.fps} fps for {report.seconds:g} s with "
          f"{report.label} ({report.engine} encoder); queue {report.queue_maxsize}, encoder_threads "
          f"{'auto' if report.encoder_threads is None else report.encoder_threads}; "
          f"frames: {report.frames_source}")
    rows = [
        [c["key"].rsplit(".", 1)[-1], c["frames_fed"], c["frames_encoded"], c["frames_dropped"],
         f"{c['max_queue_depth']}/{c['queue_maxsize']}", fmt_num(c["latency_p95_s"] * 1000, 1),
         fmt_num(c["encode_mean_s"] * 1000, 1), fmt_num(c["realtime_factor"], 2)]
        for c in report.per_camera
    ]
    print(format_table(["camera", "fed", "encoded", "dropped", "max queue", "latency p95 ms", "encode ms",
                        "capacity x"], rows))
    print(f"CPU cores used: {report.cpu_cores_used:.2f}; wall {report.wall_s:.2f} s; "
          f"producer max lag {1000 * report.producer_max_lag_s:.0f} ms")
    print(f"verdict: {report.verdict} "
          f"(headroom {fmt_num(report.headroom, 2)}x, required {report.required_headroom:g}x: margin "
          f"{report.margin:+.0%})")
    print(report.message)
    return status
