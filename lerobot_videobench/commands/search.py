"""``lerobot-videobench search``: the highest crf meeting an SSIM/PSNR target, in few encodes."""

from __future__ import annotations

import argparse
import sys

from ._config_args import add_decoder_argument, int_or_none, measure_settings, preset
from ._decide_args import EXPORT_FORMATS, fmt_num, render_config
from ._output import format_table, print_json
from .export import add_target_argument, swept_source
from .sweep import add_source_arguments


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="find the highest crf whose quality meets a target (few encodes)")
    add_source_arguments(p)
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--target-ssim", type=float, metavar="X", help="SSIM target (0..1)")
    target.add_argument("--target-psnr", type=float, metavar="DB", help="PSNR target in dB")
    target.add_argument("--max-depth-error-mm", type=float, metavar="MM",
                        help="depth cameras: error limit in mm on --depth-stat (x265 lossless off; default codec hevc)")
    from ..bench.depth_metrics import DEPTH_STATS

    p.add_argument("--depth-stat", choices=DEPTH_STATS, default="p95",
                   help="depth error statistic; the worst episode must stay within the limit (default: %(default)s)")
    p.add_argument("--stat", choices=("mean", "p5"), default="mean",
                   help="per-frame statistic; the worst episode must meet the target (default: %(default)s)")
    p.add_argument("--vcodec", help="libsvtav1 (default for RGB), h264, hevc (default for depth), libaom-av1")
    p.add_argument("--g", type=int_or_none, default=2, metavar="N|none", help="GOP size (default: 2)")
    p.add_argument("--preset", type=preset, metavar="P", help="integer (SVT) or name (x264/x265)")
    p.add_argument("--pix-fmt", default="yuv420p")
    p.add_argument("--fast-decode", type=int, default=0)
    p.add_argument("--encoder-threads", type=int_or_none, metavar="N")
    p.add_argument("--crf-min", type=int, metavar="N", help="lowest crf to consider (default: the codec's)")
    p.add_argument("--crf-max", type=int, metavar="N", help="highest crf to consider (default: the codec's)")
    p.add_argument("--store", default="videobench_results.sqlite",
                   help="results store shared with 'sweep' (default: %(default)s)")
    p.add_argument("--format", choices=EXPORT_FORMATS, default="cli", help="how to print the config (default: cli)")
    add_decoder_argument(p)
    add_target_argument(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..decide.search import CRF_RANGES, search_crf
    from ..episodes import load_episodes

    from ._decide_args import check_unit_interval

    check_unit_interval("--target-ssim", args.target_ssim)
    depth = args.max_depth_error_mm is not None
    args.vcodec = args.vcodec or ("hevc" if depth else "libsvtav1")
    crf_range = None
    if args.crf_min is not None or args.crf_max is not None:
        lo, hi = CRF_RANGES.get({"av1": "libsvtav1"}.get(args.vcodec, args.vcodec), (None, None))
        crf_range = (args.crf_min if args.crf_min is not None else lo, args.crf_max if args.crf_max is not None else hi)
        if None in crf_range:
            raise ValueError(f"vcodec={args.vcodec!r} has no default crf range: give both --crf-min and --crf-max")
    episodes = load_episodes(args.source, episodes=args.episodes, cameras=args.cameras, max_frames=args.max_frames,
                             kind="depth" if depth and not args.cameras else None)
    try:
        result = search_crf(
            episodes, vcodec=args.vcodec, g=args.g, preset=args.preset, pix_fmt=args.pix_fmt,
            fast_decode=args.fast_decode, encoder_threads=args.encoder_threads, target_ssim=args.target_ssim,
            target_psnr=args.target_psnr, stat=args.stat, crf_range=crf_range, store=args.store,
            settings=measure_settings(args), max_depth_error_mm=args.max_depth_error_mm, depth_stat=args.depth_stat,
        )
    except RuntimeError as exc:  # a probe's encode failed: the store keeps the failed trial and its error
        print(f"error: {exc}", file=sys.stderr)
        return 2
    text = render_config(result.config, args.encoder_threads, args.format, args.target,
                         swept_source(args.source)) if result.found else None
    notes = _notes(args.store, episodes)
    if args.json:
        print_json({**result.to_dict(), "store": args.store, "notes": notes,
                    "export": {"format": args.format, "target": args.target, "text": text}})
        return 0 if result.found else 1
    rows = [[p.crf, fmt_num(p.quality, 2 if depth else 5, " mm" if depth else ""), "cache" if p.from_cache else "encoded"]
            for p in sorted(result.probes, key=lambda p: p.crf)]
    print(format_table(["crf", result.column, "source"], rows))
    print(f"\n{result.message}")
    if result.found and result.bytes_per_frame is not None:
        from ..bench.columns import format_size

        print(f"resulting size: {format_size(result.bytes_per_frame)} per frame at crf {result.crf}")
    for crf, issue in result.hazards.items():
        print(f"decode hazard at crf {crf}: {issue}")
    print(f"{result.encodes} encode(s) run, {result.cached} reused from {args.store}; a full crf grid "
          f"{result.crf_range[0]}..{result.crf_range[1]} costs {result.full_grid_encodes}.")
    for note in notes:
        print(note)
    if text is not None:
        print(f"\nConfig ({args.format}):\n{text}")
    return 0 if result.found else 1


def _notes(store: str, episodes: list) -> list[str]:
    """Lossy-source notes on the searched episodes' trials in the store."""
    from ..bench.store import load_results
    from ..decide.lossy import lossy_source_notes

    results = load_results(store)
    if not len(results):
        return []
    fps = {ep.fingerprint() for ep in episodes}
    return lossy_source_notes(results[results["source_fingerprint"].isin(fps)])
