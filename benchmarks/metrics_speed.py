"""Metric throughput: our PSNR + SSIM against scikit-image on the same 640x480 RGB frames.

Targets (issue "Metrics"): fast PSNR+SSIM >= 20x the throughput of scikit-image RGB SSIM (LeRobot's
definition), and the exact flavour within 1e-6 of scikit-image.

Inputs: the first ``--frames`` frames of ``../shared/data/so101_wrist_chess/episode_000000.mp4``
(synthetic moving texture if absent); distorted frames = those frames encoded with libsvtav1 crf 40
(LeRobot's other defaults: yuv420p, g=2, preset 12) through ``encode_video_frames`` and decoded again.
Every method is timed in every round, interleaved, so load from other users hits both sides alike; the
ratio is taken per round and its median reported. Wall and CPU (process) time are both shown because
FFmpeg may use more than one thread.

    python benchmarks/metrics_speed.py [--frames 60] [--rounds 3] [--fast-passes 10]
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import skimage
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from lerobot_videobench.bench import metrics
from lerobot_videobench.encoding import VideoEncoderConfig, encode_video_frames, iter_video_frames

CLIP = Path(__file__).resolve().parents[2] / "shared" / "data" / "so101_wrist_chess" / "episode_000000.mp4"


def source_frames(n: int) -> tuple[np.ndarray, str]:
    if CLIP.exists():
        return np.stack(list(itertools.islice(iter_video_frames(CLIP), n))), f"{CLIP} (first {n} frames)"
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:480, 0:640].astype(np.float32)
    texture = rng.normal(0, 20, (480, 700, 3)).astype(np.float32)
    frames = []
    for i in range(n):
        base = 128 + 80 * np.sin((xx + 3 * i) / 23)[..., None] * np.cos(yy / 31)[..., None]
        frames.append(np.clip(base + texture[:, i : i + 640], 0, 255).astype(np.uint8))
    return np.stack(frames), f"synthetic moving texture, {n} frames"


def distorted(ref: np.ndarray, workdir: Path) -> tuple[np.ndarray, str]:
    config = VideoEncoderConfig(vcodec="libsvtav1", crf=40)
    stats = encode_video_frames(list(ref), workdir / "crf40.mp4", 30, config, overwrite=True)
    dist = np.stack(list(iter_video_frames(stats.path)))
    bpp = 8 * stats.bytes / (ref.shape[0] * ref.shape[1] * ref.shape[2])
    preset = stats.options.get("preset")
    return dist, f"libsvtav1 crf=40 {config.pix_fmt} g={config.g} preset={preset}, {bpp:.3f} bits/pixel"


def lerobot_ssim(ref: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """LeRobot's old benchmark: float32 CHW in [0, 1], conversion included as it did per frame."""
    out = []
    for a, b in zip(ref, dist):
        af = a.transpose(2, 0, 1).astype(np.float32) / 255
        bf = b.transpose(2, 0, 1).astype(np.float32) / 255
        out.append(structural_similarity(af, bf, data_range=1.0, channel_axis=0))
    return np.array(out)


def skimage_psnr(ref: np.ndarray, dist: np.ndarray) -> np.ndarray:
    return np.array([peak_signal_noise_ratio(a, b, data_range=255) for a, b in zip(ref, dist)])


def ours_fast(ref: np.ndarray, dist: np.ndarray) -> metrics.FrameQuality:
    """The trial path: both streams consumed frame by frame, 32 pairs at a time, PSNR + fast SSIM."""
    return metrics.compare_frames(iter(ref), iter(dist), flavour="fast", chunk=32)


def ours_exact(ref: np.ndarray, dist: np.ndarray) -> np.ndarray:
    return metrics.ssim(ref, dist, flavour="exact")


def timed(
    fn: Callable[[np.ndarray, np.ndarray], object], ref: np.ndarray, dist: np.ndarray, repeat: int = 1
) -> tuple[float, float]:
    """(wall fps, CPU fps) over ``repeat`` passes over all frames."""
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        fn(ref, dist)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    return repeat * len(ref) / wall, repeat * len(ref) / max(cpu, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--fast-passes", type=int, default=10, help="passes per round for the fast methods")
    args = parser.parse_args()

    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    lavfi = ".".join(map(str, av.library_versions["libavfilter"]))
    print("== metrics_speed ==")
    print(f"machine : nproc={affinity} cpu_count={os.cpu_count()} {platform.machine()}")
    print(f"load avg: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (before)")
    print(
        f"versions: python {platform.python_version()}, numpy {np.__version__}, scikit-image {skimage.__version__}, "
        f"PyAV {av.__version__} (libavfilter {lavfi})"
    )
    with tempfile.TemporaryDirectory() as tmp:
        ref, ref_desc = source_frames(args.frames)
        dist, dist_desc = distorted(ref, Path(tmp))
    n, h, w = ref.shape[:3]
    print(f"inputs  : reference = {ref_desc}, {w}x{h} RGB uint8")
    print(f"          distorted = {dist_desc}, decoded with PyAV to rgb24")

    # (function, passes per round): the fast methods repeat so that every method is timed over a window
    # of about a second, and a burst of load from other users cannot land on one side only.
    methods: dict[str, tuple[Callable[[np.ndarray, np.ndarray], object], int]] = {
        "skimage SSIM RGB (LeRobot def.)": (lerobot_ssim, 1),
        "skimage PSNR RGB uint8": (skimage_psnr, args.fast_passes),
        "ours fast PSNR+SSIM (streamed)": (ours_fast, args.fast_passes),
        "ours exact SSIM": (ours_exact, 1),
    }
    for fn, passes in methods.values():  # warm up imports, FFmpeg and the heap (the first pass is slower)
        fn(ref, dist) if passes > 1 else fn(ref[:8], dist[:8])
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in methods}
    for _ in range(args.rounds):
        for name, (fn, passes) in methods.items():
            results[name].append(timed(fn, ref, dist, passes))

    print(
        f"\nthroughput, {n} frame pairs x {args.rounds} interleaved rounds "
        f"({args.fast_passes} passes/round for the fast methods; median [min-max]):"
    )
    print(f"  {'method':34s} {'wall fps':>24s} {'CPU fps':>24s}")
    for name, runs in results.items():
        walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
        print(
            f"  {name:34s} {statistics.median(walls):9.1f} [{min(walls):6.1f}-{max(walls):6.1f}]"
            f" {statistics.median(cpus):9.1f} [{min(cpus):6.1f}-{max(cpus):6.1f}]"
        )
    base, fast = results["skimage SSIM RGB (LeRobot def.)"], results["ours fast PSNR+SSIM (streamed)"]
    wall_ratios = [f[0] / b[0] for f, b in zip(fast, base)]
    cpu_ratios = [f[1] / b[1] for f, b in zip(fast, base)]
    wall_ratio, cpu_ratio = statistics.median(wall_ratios), statistics.median(cpu_ratios)
    print(
        f"\nratio fast(PSNR+SSIM) / skimage RGB SSIM: "
        f"wall {wall_ratio:.1f}x [{min(wall_ratios):.1f}-{max(wall_ratios):.1f}], "
        f"CPU {cpu_ratio:.1f}x [{min(cpu_ratios):.1f}-{max(cpu_ratios):.1f}]  (target >= 20x: "
        f"{'MET' if min(wall_ratio, cpu_ratio) >= 20 else 'NOT MET'})"
    )

    exact, reference = ours_exact(ref, dist), lerobot_ssim(ref, dist)
    diff = float(np.max(np.abs(exact - reference)))
    psnr_diff = float(np.max(np.abs(metrics.psnr(ref, dist) - skimage_psnr(ref, dist))))
    print(f"per-round wall ratios: {' '.join(f'{r:.1f}' for r in wall_ratios)}")
    print(f"max |exact SSIM - skimage| = {diff:.2e} (target <= 1e-6: {'MET' if diff <= 1e-6 else 'NOT MET'})")
    print(f"max |PSNR - skimage PSNR|  = {psnr_diff:.2e} dB")
    q = ours_fast(ref, dist)
    print(
        f"values  : PSNR mean {q.psnr.mean():.2f} dB; SSIM fast mean {q.ssim.mean():.4f}, "
        f"exact mean {exact.mean():.4f} (different definitions, never compare across flavours)"
    )
    print(f"load avg: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (after)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
