"""``lerobot-videobench recommend``: the smallest measured configuration meeting quality, real-time and
load-time constraints, with its rationale and the config ready for ``lerobot-record``."""

from __future__ import annotations

import argparse

from ..decide.constraints import add_constraint_args, constraints_from_args
from ._decide_args import EXPORT_FORMATS, render_config
from ._output import print_json
from .export import add_source_arguments, add_target_argument, source_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("recommend", help="pick the smallest measured config that meets your constraints")
    p.add_argument("store", help="results store written by 'sweep' (or 'search')")
    add_constraint_args(p)
    p.add_argument("--format", choices=EXPORT_FORMATS, default="cli", help="how to print the config (default: cli)")
    add_target_argument(p)
    add_source_arguments(p.add_argument_group("source (lerobot-0.6-edit)"), with_source=False)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..bench.store import load_results
    from ..decide.pareto import recommend

    results = load_results(args.store)
    rec = recommend(results, constraints_from_args(args, results))
    swept = sorted(results["source"].dropna().astype(str).unique()) if "source" in results else []
    text = render_config(rec.config, rec.encoder_threads, args.format, args.target,
                         source_from_args(args, swept[0] if len(swept) == 1 else None,
                                          from_store=True)) if rec.qualified else None
    if args.json:
        print_json({**rec.to_dict(), "export": {"format": args.format, "target": args.target, "text": text}})
    else:
        print("\n".join(rec.rationale))
        if text is not None:
            print(f"\nConfig ({args.format}):\n{text}")
    return 0 if rec.qualified else 1
