"""``lerobot-videobench pareto``: the configurations no other one beats on two or three objectives."""

from __future__ import annotations

import argparse

from ..decide.constraints import add_depth_args, add_source_filter_args, constraints_from_args
from ._decide_args import fmt_sig
from ..bench.columns import column_title, format_size
from ._output import format_table, print_json


def register(sub: argparse._SubParsersAction) -> None:
    from ..decide.pareto import OBJECTIVES

    p = sub.add_parser("pareto", help="print the Pareto front of measured configurations")
    p.add_argument("store", help="results store written by 'sweep'")
    p.add_argument("--objectives", nargs="+", choices=sorted(OBJECTIVES), metavar="NAME",
                   help=f"2 or 3 of {sorted(OBJECTIVES)} (default: bytes_per_frame ssim_mean for RGB cameras, "
                        "bytes_per_frame depth_p95_mm for depth cameras)")
    p.add_argument("--all", action="store_true", help="list dominated configurations too")
    p.add_argument("--codecs", nargs="+", metavar="CODEC", help="only these codecs")
    add_depth_args(p, with_limit=False)
    add_source_filter_args(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..bench.store import load_results
    from ..decide.constraints import decision_kind
    from ..decide.pareto import DEFAULT_OBJECTIVES, OBJECTIVES, pareto_front

    results = load_results(args.store)
    constraints = constraints_from_args(args)
    kind = decision_kind(results, constraints)
    objectives = args.objectives or list(DEFAULT_OBJECTIVES[kind])
    table = pareto_front(results, objectives=objectives, constraints=constraints)
    shown = table if args.all else table[table["pareto"]]
    cols = [OBJECTIVES[o][0] for o in objectives]
    if args.json:
        extra = [c for c in table.columns if c.startswith("depth_") and c not in cols] if kind == "depth" else []
        records = shown[["label", *cols, *extra, "pareto"]].to_dict(orient="records")
        print_json({"kind": kind, "objectives": objectives, "front": records})
        return 0
    rows = [[r["label"], *(format_size(r[c]) if c == "bytes_per_frame" else fmt_sig(r[c]) for c in cols),
             "*" if r["pareto"] else ""] for _, r in shown.iterrows()]
    heads = ["size/frame" if c == "bytes_per_frame" else column_title(c) for c in cols]
    print(format_table(["config", *heads, "front"], rows))
    print(f"\n{int(table['pareto'].sum())} of {len(table)} configurations on the front.")
    return 0
