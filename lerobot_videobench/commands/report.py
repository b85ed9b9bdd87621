"""``lerobot-videobench report``: one self-contained HTML file with a sweep's results, the curves, the
recommendation and its exported config, worst-frame thumbnails and the versions measured with."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..decide.constraints import add_constraint_args, constraints_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write a self-contained HTML report of a results store")
    p.add_argument("store", help="results store written by 'sweep'")
    p.add_argument("--out", help="HTML file to write (default: reports/<store name>.html)")
    p.add_argument("--title", help="report title (default: from the store name)")
    add_constraint_args(p)
    p.add_argument("--cache-dir", metavar="DIR", help="frame cache the sweep used (for the source thumbnails)")
    from .export import add_target_argument

    add_target_argument(p)
    p.add_argument("--json", action="store_true", help="machine-readable output: the report's path and inputs")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..report.html import build_report

    from ..paths import check_writable_file

    constraints = constraints_from_args(args)  # bad thresholds are refused before anything is written
    out = check_writable_file(
        Path(args.out) if args.out else Path("reports") / f"{Path(args.store).stem}.html", "report --out", ".html"
    )
    path = build_report(args.store, out, title=args.title, constraints=constraints,
                        cache_dir=args.cache_dir, target=args.target)
    if args.json:
        from ._output import print_json

        print_json({"report": str(Path(path).resolve()), "store": str(Path(args.store).resolve()),
                    "bytes": Path(path).stat().st_size, "target": args.target})
    else:
        print(path)
    return 0
