"""``lerobot-videobench recommend``: the smallest measured configuration meeting quality, real-time and
load-time constraints, with its rationale and the config ready for ``lerobot-record``."""

from __future__ import annotations

import argparse

from ..decide.constraints import add_constraint_args, constraints_from_args
from ._decide_args import EXPORT_FORMATS, render_config
from ._output import print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("recommend", help="pick the smallest measured config that meets your constraints")
    p.add_argument("store", help="results store written by 'sweep' (or 'search')")
    add_constraint_args(p)
    p.add_argument("--format", choices=EXPORT_FORMATS, default="cli", help="how to print the config (default: cli)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..bench.store import load_results
    from ..decide.pareto import recommend

    results = load_results(args.store)
    rec = recommend(results, constraints_from_args(args, results))
    text = render_config(rec.config, rec.encoder_threads, args.format) if rec.qualified else None
    if args.json:
        print_json({**rec.to_dict(), "export": {"format": args.format, "text": text}})
    else:
        print("\n".join(rec.rationale))
        if text is not None:
            print(f"\nConfig ({args.format}):\n{text}")
    return 0 if rec.qualified else 1
