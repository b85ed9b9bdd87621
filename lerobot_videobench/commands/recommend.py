"""``lerobot-videobench recommend``: the smallest measured configuration meeting quality, real-time and
load-time constraints, with its rationale and the config ready for ``lerobot-record``."""

from __future__ import annotations

import argparse

from ._decide_args import EXPORT_FORMATS, render_config
from ._output import print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("recommend", help="pick the smallest measured config that meets your constraints")
    p.add_argument("store", help="results store written by 'sweep' (or 'search')")
    p.add_argument("--min-ssim", type=float, metavar="X", help="minimum SSIM (0..1)")
    p.add_argument("--min-psnr", type=float, metavar="DB", help="minimum PSNR in dB")
    p.add_argument("--quality-stat", choices=("mean", "p5"), default="mean",
                   help="per-frame statistic the quality limits apply to (default: %(default)s)")
    p.add_argument("--cameras", type=int, default=1, metavar="N", help="cameras recorded at once (default: 1)")
    p.add_argument("--fps", type=int, default=30, help="camera frame rate (default: 30)")
    p.add_argument("--headroom", type=float, default=1.5,
                   help="required encoder speed over cameras x fps (default: %(default)s)")
    p.add_argument("--max-load-ms", type=float, metavar="MS", help="maximum random-access load time per frame")
    p.add_argument("--codecs", nargs="+", metavar="CODEC", help="only these codecs (e.g. libsvtav1 h264)")
    p.add_argument("--format", choices=EXPORT_FORMATS, default="cli", help="how to print the config (default: cli)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..bench.store import load_results
    from ..decide.pareto import recommend
    from ._decide_args import check_positive_int, check_unit_interval

    check_unit_interval("--min-ssim", args.min_ssim)
    check_positive_int("--cameras", args.cameras)

    rec = recommend(
        load_results(args.store), min_ssim=args.min_ssim, min_psnr=args.min_psnr, cameras=args.cameras,
        fps=args.fps, headroom=args.headroom, max_load_ms=args.max_load_ms, codecs=args.codecs,
        quality_stat=args.quality_stat,
    )
    text = render_config(rec.config, rec.encoder_threads, args.format) if rec.qualified else None
    if args.json:
        print_json({**rec.to_dict(), "export": {"format": args.format, "text": text}})
    else:
        print("\n".join(rec.rationale))
        if text is not None:
            print(f"\nConfig ({args.format}):\n{text}")
    return 0 if rec.qualified else 1
