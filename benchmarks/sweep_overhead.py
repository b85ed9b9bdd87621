"""What does a sweep cost on top of the encodes it measures, and does its memory stay flat?

On real 640x480 footage (the SO-101 wrist clip in ``../shared/data``), side by side in one run:

(a) overhead: wall time of ``run_sweep`` (workers=1, fresh store, frame cache warm) against the sum of
    *bare* encode times of the same trials: ``encode_video_frames`` on the same frames held in memory,
    same configs and ``encoder_threads``. Target: <= 1.5x. A trial also decodes the mp4, compares every
    frame (PSNR + SSIM), times random access and estimates the PNG size, so the script also times those
    stages alone on one trial, to show where the time goes.
(b) speed-up of workers=2 over workers=1 on the same sweep (fresh stores).
(c) a cached rerun: ``run_sweep`` call alone, and the whole CLI command in a fresh process. Target < 2 s.
(d) peak RSS of a sweep on 150 vs 600 frames, each in a fresh subprocess with a fresh frame cache:
    the sweep process itself (``VmHWM``) and its worker processes (``RUSAGE_CHILDREN``: the largest
    worker). Target: ratio <= 1.2x. Run first, before this process holds frames in memory.

Rounds alternate the order of the sides (bare first, then sweep first, ...) so drift on a shared
machine hits both; figures are medians over rounds.

    python benchmarks/sweep_overhead.py [--frames 150] [--large-frames 600] [--rounds 3] [--skip-memory]
                                        [--decoder torchcodec|pyav|both]  (default: LeRobot's, as a sweep's)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _machine import describe_machine  # benchmarks/_machine.py (the script folder is on sys.path)

SOURCE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "so101_wrist_chess" / "episode_000000.mp4"

#: Four trials that take a few seconds each on 150 frames of 640x480: LeRobot's default and a smaller
#: file for SVT-AV1, and two h264 points at a fast preset.
GRID = {
    "vcodec": ["libsvtav1", "h264"],
    "crf": {"libsvtav1": [30, 40], "h264": [23, 28]},
    "g": [2],
    "preset": {"libsvtav1": [12], "h264": ["veryfast"]},
}

MEMORY_GRID = {
    "vcodec": ["libsvtav1", "h264"],
    "crf": {"libsvtav1": [30], "h264": [23]},
    "preset": {"h264": ["veryfast"]},
}

MEMORY_CHILD = r"""
import json, resource, sys, time
from lerobot_videobench import load_episodes
from lerobot_videobench.bench import run_sweep

if __name__ == "__main__":  # run_sweep spawns worker processes
    source, frames, store, cache, grid = sys.argv[1:6]
    frames, grid = int(frames), json.loads(grid)
    t0 = time.perf_counter()
    episodes = load_episodes(source, max_frames=frames)
    summary = run_sweep(episodes, grid, store, workers=1, cache_dir=cache)
    print(json.dumps({
        "frames": frames, "wall_s": time.perf_counter() - t0, "ran": summary.ran, "failed": summary.failed,
        # VmHWM, not RUSAGE_SELF: after exec Linux keeps the ru_maxrss of the process that started us
        "self_maxrss_mb": [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")][0] / 1024,
        "workers_maxrss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }))
"""




def bare_encodes(frames, fps: int, plan, out_dir: Path) -> float:
    """Sum of encode_video_frames wall times over the plan's trials, frames in memory."""
    from lerobot_videobench.encoding import encode_video_frames

    total = 0.0
    for spec in plan.specs:
        t0 = time.perf_counter()
        encode_video_frames(frames, out_dir / "bare.mp4", fps, spec.config, spec.encoder_threads, overwrite=True)
        total += time.perf_counter() - t0
    return total


def timed_sweep(episodes, plan, store: Path, workers: int, cache: Path, settings=None) -> tuple[float, object]:
    from lerobot_videobench.bench import run_sweep

    t0 = time.perf_counter()
    summary = run_sweep(episodes, plan, store, workers=workers, cache_dir=cache, settings=settings)
    wall = time.perf_counter() - t0
    if summary.failed or summary.ran != len(plan.specs) * len(episodes):
        raise RuntimeError(f"sweep did not run cleanly: {summary}")
    return wall, summary


def stage_profile(episode, spec, work: Path, settings) -> dict[str, float]:
    """One trial's stages timed alone, as ``run_trial`` runs them on the frame-cached episode a worker sees."""
    from lerobot_videobench.bench import metrics
    from lerobot_videobench.bench.access import DigestingIterator, planned_frames, query_plan, run_random_access
    from lerobot_videobench.bench.timing import stage_frames, time_decode, time_encode
    from lerobot_videobench.bench.trial import estimate_png
    from lerobot_videobench.encoding import iter_video_frames

    s = settings
    video = work / "stage.mp4"
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    staged = stage_frames(episode)
    out["stage frames (from cache)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    time_encode(staged, video, episode.fps, spec.config, spec.encoder_threads)
    out["encode"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    time_decode(video, episode.num_frames, episode.fps)
    out["timed sequential decode"] = time.perf_counter() - t0
    plan = query_plan(episode.num_frames, s.access_samples, s.seed)
    t0 = time.perf_counter()
    digests = DigestingIterator(iter_video_frames(video, num_frames=episode.num_frames, fps=episode.fps),
                                planned_frames(plan))
    metrics.compare_frames(iter(staged), digests, flavour=s.ssim_flavour, with_exact=s.exact_ssim)
    out["decode + PSNR/SSIM + digests"] = time.perf_counter() - t0
    for backend in s.decoders:
        t0 = time.perf_counter()
        run_random_access(video, plan, episode.fps, backend, expected=digests.digests)
        out[f"random access {backend} ({s.access_samples} x 4 patterns, checked)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    estimate_png(episode, s.png_samples)
    out[f"PNG estimate ({s.png_samples} frames, once per episode in a sweep)"] = time.perf_counter() - t0
    staged.close()
    return out


def memory_run(frames: int, work: Path) -> dict:
    script = work / "memory_child.py"
    script.write_text(MEMORY_CHILD)
    run_dir = work / f"mem{frames}"
    run_dir.mkdir()
    cmd = [sys.executable, str(script), str(SOURCE), str(frames), str(run_dir / "r.sqlite"), str(run_dir / "cache"),
           json.dumps(MEMORY_GRID)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--large-frames", type=int, default=600)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--source", type=Path, default=SOURCE)
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--decoder", choices=["torchcodec", "pyav", "both"], default=None,
                    help="training decoder(s) the sweep measures load time with (default: LeRobot's, as a sweep's)")
    args = ap.parse_args()
    if not args.source.is_file():
        print(f"SKIP: {args.source} not found (the real footage lives in ../shared/data next to the checkout)")
        return 0

    import lerobot_videobench as vb
    from lerobot_videobench.bench import MeasureSettings, expand_grid, load_results, run_sweep
    from lerobot_videobench.encoding import library_versions

    v = library_versions()
    settings_default = MeasureSettings(**({"decoder": args.decoder} if args.decoder else {}))
    print(f"machine : {describe_machine()}")
    print(f"python  : {platform.python_version()}; PyAV {v['pyav']}; FFmpeg {v['ffmpeg']}; "
          f"libavcodec {v.get('libavcodec')}")
    work = Path(tempfile.mkdtemp(prefix="vb-sweep-bench-"))
    cache = work / "cache"
    try:
        if not args.skip_memory:
            small, large = memory_run(args.frames, work), memory_run(args.large_frames, work)
            for m in (small, large):
                print(f"(d) {m['frames']} frames: sweep process peak RSS {m['self_maxrss_mb']:.0f} MB, largest worker "
                      f"{m['workers_maxrss_mb']:.0f} MB ({m['ran']} trials, {m['wall_s']:.1f} s incl. load + "
                      "frame cache)")
            print(f"(d) ratio {args.large_frames}/{args.frames} frames: sweep process "
                  f"{large['self_maxrss_mb'] / small['self_maxrss_mb']:.2f}x, worker "
                  f"{large['workers_maxrss_mb'] / small['workers_maxrss_mb']:.2f}x  (target <= 1.2x)")
            labels = ", ".join(s.label for s in expand_grid(MEMORY_GRID).specs)
            print(f"    each in a fresh process and frame cache; grid {labels}")
            print()
        t0 = time.perf_counter()
        episodes = vb.load_episodes(args.source, max_frames=args.frames)
        ep = episodes[0]
        frames = list(ep.iter_frames())
        load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        cached_ep = ep.cached(cache)  # the one-off per episode: fingerprint + raw frame cache
        cache_s = time.perf_counter() - t0
        plan = expand_grid(GRID)
        print(f"input   : {args.source.name}, first {ep.num_frames} frames, {ep.width}x{ep.height} @ {ep.fps} fps "
              f"({'lossy' if ep.lossy else 'lossless'} source); decoded to memory in {load_s:.2f} s; "
              f"frame cache built once in {cache_s:.2f} s (not in the sweep times below)")
        print(f"trials  : {', '.join(s.label for s in plan.specs)}; MeasureSettings defaults, load time through "
              f"decoder={settings_default.decoder}")
        print()

        bare, w1, w2, w1_a10 = [], [], [], []
        for r in range(args.rounds):
            sides = ["bare", "w1", "w2", "a10"] if r % 2 == 0 else ["a10", "w2", "w1", "bare"]
            for side in sides:
                if side == "bare":
                    bare.append(bare_encodes(frames, ep.fps, plan, work))
                elif side == "a10":
                    settings = MeasureSettings(access_samples=10, decoder=settings_default.decoder)
                    wall, _ = timed_sweep(episodes, plan, work / f"a10_r{r}.sqlite", 1, cache, settings)
                    w1_a10.append(wall)
                else:
                    workers = 1 if side == "w1" else 2
                    store = work / f"{side}_r{r}.sqlite"
                    wall, summary = timed_sweep(episodes, plan, store, workers, cache, settings_default)
                    (w1 if workers == 1 else w2).append(wall)
                    if workers == 1:
                        last_w1_store = store
            print(f"round {r + 1}: bare {bare[-1]:.2f} s, sweep w1 {w1[-1]:.2f} s, sweep w2 {w2[-1]:.2f} s, "
                  f"sweep w1 access_samples=10 {w1_a10[-1]:.2f} s")
        mb, m1, m2, ma = (statistics.median(x) for x in (bare, w1, w2, w1_a10))
        print()
        print(f"(a) sweep workers=1 / sum of bare encodes: {m1:.2f} s / {mb:.2f} s = {m1 / mb:.2f}x  (target <= 1.5x)")
        print("    sweep = run_sweep(...) call: plan, claims and store look-ups, spawning 1 worker, 4 trials (frames")
        print("            staged from the frame cache, timed encode, timed sequential decode, decode + PSNR/SSIM per")
        print(f"            frame + digests, random access through decoder={settings_default.decoder} with every")
        print("            returned frame checked, PNG estimate once per episode), 4 committed rows")
        print("    bare  = encode_video_frames(frames in memory, same config, encoder_threads=None) x 4, nothing else")
        print(f"    with MeasureSettings(access_samples=10) instead of 20: {ma:.2f} s / {mb:.2f} s = {ma / mb:.2f}x")
        rows = load_results(last_w1_store)
        inside, enc = float(rows["duration_s"].sum()), float(rows["encode_wall_s"].sum())
        print(f"    last workers=1 sweep {w1[-1]:.2f} s = inside its trials {inside:.2f} s (encode {enc:.2f} s, "
              f"measuring {inside - enc:.2f} s) + outside them {w1[-1] - inside:.2f} s (plan, spawn the worker, store)")
        print(f"(b) speed-up workers=2 over workers=1: {m1:.2f} s / {m2:.2f} s = {m1 / m2:.2f}x "
              f"(encoders already use both cores)")

        t0 = time.perf_counter()
        rerun = run_sweep(episodes, plan, last_w1_store, workers=1, cache_dir=cache, settings=settings_default)
        api_s = time.perf_counter() - t0
        grid_file = work / "grid.json"
        grid_file.write_text(json.dumps(GRID))
        env = {**os.environ, "LEROBOT_VIDEOBENCH_CACHE": str(cache)}
        cli = [sys.executable, "-m", "lerobot_videobench.cli", "sweep", str(args.source),
               "--max-frames", str(args.frames), "--grid", str(grid_file), "--store", str(last_w1_store), "--json",
               "--decoder", settings_default.decoder]
        t0 = time.perf_counter()
        proc = subprocess.run(cli, capture_output=True, text=True, env=env)
        cli_s = time.perf_counter() - t0
        cli_info = json.loads(proc.stdout) if proc.returncode == 0 else {"error": proc.stderr[-500:]}
        print(f"(c) cached rerun: run_sweep call {api_s:.3f} s ({rerun.cached}/{rerun.total} cached, {rerun.ran} ran); "
              f"whole CLI in a fresh process {cli_s:.2f} s (cached {cli_info.get('cached')}, ran {cli_info.get('ran')})"
              f"  (target < 2 s)")

        print()
        print(f"where a trial's time goes ({ep.num_frames} frames, each stage timed alone, in this process):")
        for spec in (plan.specs[0], plan.specs[2]):
            prof = stage_profile(cached_ep, spec, work, settings_default)
            total = sum(v for k, v in prof.items() if not k.startswith("(of which"))
            print(f"  {spec.label}: " + ", ".join(f"{k} {v:.2f} s" for k, v in prof.items()) + f"; sum {total:.2f} s")

        print(f"\nmachine at the end: load avg {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
