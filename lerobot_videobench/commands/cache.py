"""``lerobot-videobench cache info|clear``: the raw frame cache a sweep fills (where, how big, its bound)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._output import print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "cache", help="show or clear the raw frame cache sweeps decode episodes into",
        description=(
            "Sweeps decode each episode once into raw RGB frames (frames x width x height x 3 bytes) that every "
            "trial reads. The cache lives in $LEROBOT_VIDEOBENCH_CACHE or ~/.cache/lerobot-videobench (or "
            "--cache-dir) and is bounded by $LEROBOT_VIDEOBENCH_CACHE_MAX_GB (default 4): the least recently used "
            "entries are removed first."
        ),
    )
    p.add_argument("action", choices=("info", "clear"), help="info: where and how big; clear: remove every entry")
    p.add_argument("--cache-dir", metavar="DIR", help="the cache folder (default: the one sweeps use)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..episodes.episode import default_cache_dir
    from ..episodes.frame_cache import cache_info, clear_cache

    root = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    if args.action == "clear":
        freed = clear_cache(root)
        if args.json:
            print_json({"root": str(root), "freed_bytes": freed})
        else:
            print(f"cleared {root}: {freed / 1e6:.1f} MB freed")
        return 0
    info = cache_info(root)
    if args.json:
        print_json(info.to_dict())
    else:
        print(f"frame cache: {info.root}")
        print(f"  {info.entries} episode(s), {info.bytes / 1e6:.1f} MB of {info.max_bytes / 1e9:g} GB allowed "
              "($LEROBOT_VIDEOBENCH_CACHE_MAX_GB)")
        if info.orphans:
            print(f"  {info.orphans} leftover(s) of killed runs (removed by the next sweep or 'cache clear')")
    return 0
