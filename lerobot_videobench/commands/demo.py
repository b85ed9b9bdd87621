"""``lerobot-videobench demo``: the whole workbench on the built-in sample in a few minutes: sweep a small
grid, recommend a configuration, print its ``lerobot-record`` flags and write ``reports/demo.html``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._config_args import add_decoder_argument, measure_settings
from ._output import print_json

#: The demo grid: LeRobot's default, a smaller and a larger crf, a longer GOP, and h264 for comparison.
DEMO_GRID: dict = {
    "vcodec": ["libsvtav1", "h264"],
    "crf": {"libsvtav1": [25, 30, 40], "h264": [18, 23, 28]},
    "g": [2, 10],
    "preset": {"libsvtav1": [12], "h264": ["veryfast"]},
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="sweep the built-in sample, recommend, print flags, write reports/demo.html")
    p.add_argument("--source", default="sample", help="what to sweep (default: the built-in sample)")
    p.add_argument("--max-frames", type=int, default=90, help="frames per episode (default: %(default)s)")
    p.add_argument("--store", default="reports/demo.sqlite", help="results store (default: %(default)s)")
    p.add_argument("--out", default="reports/demo.html", help="HTML report (default: %(default)s)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default: 1, for honest encode timing)")
    p.add_argument("--min-ssim", type=float, default=0.95, help="quality floor, fast SSIM mean (default: %(default)s)")
    p.add_argument("--cameras", type=int, help="cameras recorded at once (default: the source's camera count)")
    add_decoder_argument(p)
    from .export import add_target_argument

    add_target_argument(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..bench import expand_grid, run_sweep, summarize
    from ..decide.constraints import Constraints
    from ..decide.export import ExportSettings, default_target, render, to_cli_args
    from ..decide.pareto import recommend
    from ..episodes import load_episodes
    from ..report.html import build_report

    from ..paths import check_writable_file

    Constraints(min_ssim=args.min_ssim, cameras=args.cameras)  # bad values refused before the sweep, not after
    check_writable_file(args.out, "demo --out", ".html")
    episodes = load_episodes(args.source, max_frames=args.max_frames)
    plan = expand_grid(DEMO_GRID)
    say = (lambda *a: print(*a, file=sys.stderr)) if args.json else print
    say(f"Sweeping {len(plan)} configurations x {len(episodes)} episode-cameras of {args.source!r} "
        f"({args.max_frames} frames each); results in {args.store}")
    summary = run_sweep(episodes, plan, args.store, workers=args.workers, progress=sys.stderr.isatty(),
                        settings=measure_settings(args))
    results = summary.results()
    # one Constraints for the printed choice and the report: fps and camera count are the source's own
    constraints = Constraints.for_results(results, Constraints(min_ssim=args.min_ssim, cameras=args.cameras))
    rec = recommend(results, constraints)
    report = build_report(args.store, args.out, title=f"lerobot-videobench demo ({args.source})",
                          constraints=constraints, keys=summary.keys, target=args.target)
    settings = ExportSettings(rec.config, encoder_threads=rec.encoder_threads) if rec.qualified else None
    flags = to_cli_args(settings, target=args.target) if settings is not None else []
    if args.json:
        print_json({"sweep": {"trials": summary.total, "cached": summary.cached, "failed": summary.failed,
                              "wall_s": summary.wall_s},
                    "summary": summarize(results).to_dict(orient="records"),
                    "recommendation": rec.to_dict(), "target": args.target or default_target(), "flags": flags, "report": str(report)})
        return 0 if rec.qualified else 1
    print(f"\n{summary.total} trials ({summary.cached} cached, {summary.failed} failed) in {summary.wall_s:.1f} s\n")
    print(f"Recommendation ({constraints.describe()}):")
    for line in rec.rationale:
        print(f"  {line}")
    if rec.qualified:
        print("\nRecord with:\n" + render(args.target, "cli", settings).rstrip("\n"))
    print(f"\nReport: {Path(report).resolve()}")
    return 0 if rec.qualified else 1
