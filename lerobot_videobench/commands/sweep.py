"""``lerobot-videobench sweep``: measure a grid of encoder settings on episodes of a source."""

from __future__ import annotations

import argparse
import sys

from ._config_args import add_decoder_argument, measure_settings
from ..bench.columns import format_size
from ._output import format_table, print_json


def add_source_arguments(p: argparse.ArgumentParser) -> None:
    """SOURCE plus episode/camera/frame selection, shared by the commands that read episodes."""
    p.add_argument("source", help="LeRobot dataset root, Hub repo id (org/name[@rev]), video file, PNG folder "
                   "(8-bit RGB or 16-bit depth in mm), TIFF depth folder, or 'sample'")
    p.add_argument("--episodes", type=int, nargs="+", metavar="N", help="episode indices (default: all)")
    p.add_argument("--cameras", nargs="+", metavar="KEY", help="camera keys (default: every camera of the grid's kind, RGB or depth)")
    p.add_argument("--max-frames", type=int, metavar="N", help="use only the first N frames of each episode")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep", help="measure a grid of encoder settings on episodes (resumable)")
    add_source_arguments(p)
    p.add_argument("--grid", default="quick",
                   help="quick | default | thorough | depth | a YAML file (default: quick). RGB grids run on the "
                        "source's RGB cameras, a depth grid ('depth', or a YAML with kind: depth) on its depth "
                        "cameras only (LeRobot 0.6 depth_encoder: hevc / libaom-av1, 12-bit gray)")
    p.add_argument("--store", default="videobench_results.sqlite", help="SQLite results store (default: %(default)s)")
    p.add_argument("--workers", type=int, help="local worker processes (default: cores/2)")
    p.add_argument("--scheduler", metavar="ADDR", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--timeout", type=float, default=600.0, help="per-trial timeout in seconds (default: %(default)s)")
    p.add_argument("--exact-ssim", action="store_true", help="also compute LeRobot's scikit-image SSIM (slow)")
    p.add_argument("--access-samples", type=int, default=20, metavar="N",
                   help="random-access queries per LeRobot pattern (default: %(default)s; fewer = faster sweeps)")
    p.add_argument("--repeats", type=int, default=1, metavar="N",
                   help="time each encode and decode N times (median and spread; default: %(default)s)")
    add_decoder_argument(p)
    p.add_argument("--retry-failed", action="store_true", help="run again the trials stored as failed")
    p.add_argument("--no-frame-cache", action="store_true", help="decode the source for every trial")
    p.add_argument("--cache-dir", metavar="DIR",
                   help="raw frame cache (default: $LEROBOT_VIDEOBENCH_CACHE or ~/.cache/lerobot-videobench; bounded "
                        "by $LEROBOT_VIDEOBENCH_CACHE_MAX_GB, default 4; see 'cache info')")
    p.add_argument("--no-keep-videos", action="store_true",
                   help="delete each encoded mp4 after measuring (default: kept in <store>_videos/ for the frame viewer)")
    p.add_argument("--export", metavar="FILE", help="also write all results to FILE (.parquet or .csv)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..bench.grid import expand_grid
    from ..bench.runner import run_sweep
    from ..bench.store import export_results
    from ..bench.summary import summarize
    from ..episodes import load_episodes

    from ..paths import check_writable_file

    if args.export:  # before the sweep, not after it
        check_writable_file(args.export, "sweep --export", ".csv")
    plan = expand_grid(args.grid)
    for bad in plan.invalid:
        print(f"skipped invalid grid entry {bad.settings}: {bad.reason}", file=sys.stderr)
    if not plan.specs:
        raise ValueError(f"grid {args.grid!r} has no valid configuration on this machine")
    from ..bench.store import ResultStore

    store = ResultStore(args.store)  # a file that is not a results store is refused before any work
    # the grid's kind picks the cameras: a depth grid measures the depth cameras, an RGB grid the RGB ones
    episodes = load_episodes(args.source, episodes=args.episodes, cameras=args.cameras, max_frames=args.max_frames,
                             kind=None if args.cameras else plan.kind)
    summary = run_sweep(
        episodes, plan, store, workers=args.workers, scheduler=args.scheduler,
        progress=not args.json and sys.stderr.isatty(), timeout_s=args.timeout,
        settings=measure_settings(args, exact_ssim=args.exact_ssim, access_samples=args.access_samples,
                                  timing_repeats=args.repeats),
        retry_failed=args.retry_failed,
        cache_frames=not args.no_frame_cache, cache_dir=args.cache_dir, keep_videos=not args.no_keep_videos,
    )
    results = summary.results()
    table = summarize(results)
    notes = sweep_notes(summary, results, table)
    if args.export:
        export_results(args.store, args.export)
    info = {
        "store": str(summary.store_path), "trials": summary.total, "cached": summary.cached, "ran": summary.ran,
        "failed": summary.failed, "cached_failed": summary.cached_failed, "shared": summary.shared,
        "invalid_grid_entries": len(plan.invalid), "wall_s": round(summary.wall_s, 2),
    }
    if args.json:
        print_json({**info, "notes": notes, "summary": table.to_dict(orient="records")})
        return 0 if not summary.failed else 1
    depth = table[table["kind"] == "depth"] if "kind" in table.columns else table.iloc[0:0]
    rgb = table.drop(depth.index)
    if len(rgb):
        _print_rgb(rgb)
    if len(depth):
        print(depth_table(depth))
    hazards = [(d["label"], d["decode_issue"]) for d in table.to_dict(orient="records") if d.get("hazards")]
    for label, issue in hazards:
        print(f"decode hazard: {label}: {issue}")
    failed = f"{info['failed']} failed" + (f", {summary.cached_failed} of them stored earlier (--retry-failed runs them "
                                           "again)" if summary.cached_failed else "")
    shared = f", {summary.shared} measured by another sweep" if summary.shared else ""
    print(f"\n{info['trials']} trials ({info['cached']} cached, {info['ran']} ran{shared}, {failed}) "
          f"in {info['wall_s']} s; store: {info['store']}")
    for note in notes:
        print(note)
    return 0 if not summary.failed else 1


def _print_rgb(table: object) -> None:
    rows = []
    for r in table.itertuples(index=False):
        d = r._asdict()
        rows.append([
            d["label"], f"{d['trials'] - d['failed']}/{d['trials']}", format_size(d.get("bytes_per_frame")),
            _fmt(d.get("bits_per_pixel"), 3), _fmt(d.get("ssim_mean"), 4), _fmt(d.get("ssim_p5"), 4),
            _fmt(d.get("psnr_mean"), 2), _fps(d.get("encode_fps")) + _spread(d.get("encode_fps_spread")),
            _fmt(d.get("realtime_factor"), 1, suffix="x"),
            _fmt(d.get("load_1_frame_p50_ms"), 1), _decode_cell(d),
        ])
    decoder = next((d for d in table.get("decoder", []) if isinstance(d, str)), "-")
    print(format_table(
        ["config", "ok", "size/frame", "bpp", "SSIM", "SSIM p5", "PSNR", "enc fps", "realtime",
         f"load ms ({decoder})", "decode"], rows
    ))


def depth_table(table: object) -> str:
    """Depth rows: size, error in mm against the source depth (and the codec's own share), speed, load time
    through PyAV (LeRobot's only depth decoder), then the quantization floor of each quantizer."""
    rows = []
    for d in table.to_dict(orient="records"):
        rows.append([
            d["label"], f"{d['trials'] - d['failed']}/{d['trials']}", format_size(d.get("bytes_per_frame")),
            _fmt(d.get("bits_per_pixel"), 3), _fmt(d.get("depth_mean_mm"), 2), _fmt(d.get("depth_p95_mm"), 1),
            _fmt(d.get("depth_max_mm"), 0), _fmt(d.get("depth_edge_mean_mm"), 1),
            _fmt(d.get("depth_frac_over_1cm"), 2, scale=100, suffix="%"), _fmt(d.get("depth_codec_max_mm"), 0),
            _fps(d.get("encode_fps")) + _spread(d.get("encode_fps_spread")),
            _fmt(d.get("load_1_frame_p50_ms"), 1), _decode_cell(d),
        ])
    out = [format_table(["depth config", "ok", "size/frame", "bpp", "mean mm", "p95 mm", "max mm", "edge mm",
                         "> 1 cm", "codec max mm", "enc fps", "load ms (pyav)", "decode"], rows)]
    floors = {}
    for d in table.to_dict(orient="records"):
        q = str(d["label"]).rsplit(" depth[", 1)[-1].rstrip("]") if " depth[" in str(d["label"]) else "?"
        if d.get("depth_floor_mean_mm") == d.get("depth_floor_mean_mm") and q not in floors:
            floors[q] = d
    for q, d in floors.items():
        out.append(f"quantization floor at {q} (12-bit mapping alone, no codec): mean {_fmt(d['depth_floor_mean_mm'], 2)}"
                   f" mm, p95 {_fmt(d.get('depth_floor_p95_mm'), 1)} mm, max {_fmt(d.get('depth_floor_max_mm'), 0)} mm")
    return "\n".join(out)


def sweep_notes(summary: object, results: object, table: object) -> list[str]:
    """What the figures rest on: timing noise, contention, other sweeps on the store, a lossy source."""
    from ..decide.lossy import lossy_source_notes

    notes = list(getattr(summary, "notes", []) or [])
    if len(table) and "contended_trials" in table.columns:
        contended = int(table["contended_trials"].fillna(0).sum())
        if contended:
            notes.append(f"Contended: {contended} trial(s) were timed while other processes used the cores; "
                         "their speed figures may be low.")
    if len(table) and "encode_fps_spread" in table.columns and table["encode_fps_spread"].isna().all():
        notes.append("Encode and decode speeds were timed once per trial (--repeats 1): their noise is not measured.")
    notes.extend(lossy_source_notes(results))
    return notes


def _spread(value: object) -> str:
    if value is None or value != value:
        return ""
    return f" ±{float(value) * 50:.0f}%"


def _decode_cell(d: dict) -> str:
    """``ok`` / ``HAZARD`` (LeRobot's training decoders misread it on some episode) / ``-`` (not checked)."""
    if d.get("hazards"):
        return "HAZARD"
    return "ok" if d["trials"] > d["failed"] else "-"


def _fps(value: object) -> str:
    """A speed in frames/s: whole numbers from 10 fps, one decimal below (a slow encoder is not "0")."""
    v = float(value) if value is not None and value == value else float("nan")
    return _fmt(v, 0 if v != v or v >= 10 else 1)


def _fmt(value: object, digits: int, scale: float = 1.0, suffix: str = "") -> str:
    if value is None or value != value:  # None or NaN
        return "-"
    return f"{float(value) * scale:.{digits}f}{suffix}"
