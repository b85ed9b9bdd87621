"""``lerobot-videobench compare``: Bjontegaard delta rate / quality of codecs or presets against a baseline."""

from __future__ import annotations

import argparse

from ..decide.constraints import add_source_filter_args, constraints_from_args
from ._decide_args import fmt_num
from ._output import format_table, print_json


def register(sub: argparse._SubParsersAction) -> None:
    from ..decide.compare import METHODS, METRICS, RATES

    p = sub.add_parser("compare", help="BD-rate and BD-quality of codecs/presets against a baseline")
    p.add_argument("store", help="results store written by 'sweep'")
    p.add_argument("--baseline", required=True,
                   help="baseline curve, e.g. vcodec=libsvtav1 or 'vcodec=h264,preset=medium'")
    p.add_argument("--test", nargs="+", metavar="CURVE", help="curves to compare (default: all others)")
    p.add_argument("--group-by", default="vcodec", help="comma-separated columns defining a curve (default: vcodec)")
    p.add_argument("--metric", choices=list(METRICS), default="psnr_mean")
    p.add_argument("--rate", choices=RATES, default="bitrate_kbps")
    p.add_argument("--method", choices=METHODS, default="akima", help="interpolation (default: akima)")
    add_source_filter_args(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..bench.store import load_results
    from ..decide.compare import bd_rate

    group_by = [c.strip() for c in args.group_by.split(",") if c.strip()]
    results = bd_rate(load_results(args.store), baseline=args.baseline, test=args.test, group_by=group_by,
                      metric=args.metric, rate=args.rate, method=args.method,
                      constraints=constraints_from_args(args))
    if args.json:
        print_json({"baseline": args.baseline, "group_by": group_by, "results": [r.to_dict() for r in results]})
        return 0
    if not results:
        print("no other curve to compare with the baseline")
        return 0
    name = results[0].bd_quality_name
    rows = [[r.test, f"{r.n_test}/{r.n_baseline}", fmt_num(r.bd_rate_pct, 1, "%"), fmt_num(r.bd_quality, 4),
             f"{r.quality_overlap_fraction:.0%}"] for r in results]
    print(f"baseline: {results[0].baseline}; {args.metric} vs {args.rate}, {args.method} interpolation; "
          "negative BD-rate = fewer bits at equal quality")
    print(format_table(["test", "points", "BD-rate", name, "overlap"], rows))
    for r in results:
        if r.warning:
            print(f"warning ({r.test}): {r.warning}")
    return 0
