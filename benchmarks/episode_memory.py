"""Peak memory of iterating an episode does not grow with its length.

Builds a LeRobot v3.0 dataset (one camera, 640x480, 30 fps, LeRobot's default encoder: libsvtav1 crf 30
g 2 preset 12) holding a 150-frame and a 600-frame episode concatenated in one mp4, then iterates each
episode in a fresh subprocess and reports its peak RSS while iterating (Linux ``VmHWM``, reset after
loading with ``/proc/self/clear_refs``; ``ru_maxrss`` would carry the parent's peak over ``fork``),
the RSS before iterating, and
the ratio of the peaks. The 600-frame episode comes second in the file, so it also exercises seeking
into a concatenated file.

    python benchmarks/episode_memory.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CHILD = r"""
import gc, json, sys, time
import lerobot_videobench as lv

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])  # KiB

(ep,) = lv.load_episodes(sys.argv[1], episodes=[int(sys.argv[2])])
gc.collect()
with open("/proc/self/clear_refs", "w") as f:  # reset the peak (VmHWM) to the current RSS
    f.write("5")
before = status("VmRSS")
t0 = time.perf_counter()
n, checksum = 0, 0
for frame in ep.iter_frames():
    checksum += int(frame[::97, ::89].sum())
    n += 1
wall = time.perf_counter() - t0
print(json.dumps({"frames": n, "expected": ep.num_frames, "rss_before_kib": before, "peak_kib": status("VmHWM"),
                  "wall_s": wall}))
"""


def frames(n: int, seed: int, w: int = 640, h: int = 480):
    """Moving texture with noise: every frame differs, as in camera footage."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    tex = rng.random((h // 8 + 2, w // 8 + 2)).astype(np.float32)
    tex = np.kron(tex, np.ones((8, 8), np.float32))
    for i in range(n):
        shift = (i * 3) % 8
        base = tex[shift : shift + h, shift : shift + w] * 160 + 40 + 30 * np.sin((xx + 4 * i) / 37.0)
        img = base[..., None] * np.array([1.0, 0.85, 0.7], np.float32) + rng.normal(0, 2, (h, w, 1))
        yield np.clip(img, 0, 255).astype(np.uint8)


def main() -> None:
    from lerobot_videobench.encoding import library_versions
    from lerobot_videobench.episodes.writer import write_lerobot_dataset

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", type=Path, help="write the dataset here and keep it (reused when present)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="episode-memory-"))
    root = work / "ds"
    lengths = (150, 600)
    if not (root / "meta" / "info.json").is_file():
        t0 = time.perf_counter()
        cam = "observation.images.top"
        write_lerobot_dataset(root, [{cam: lambda n=n, e=e: frames(n, e)} for e, n in enumerate(lengths)], 30,
                              overwrite=True)
        print(f"built {root} in {time.perf_counter() - t0:.1f} s")
    v = library_versions()
    print(f"machine: {platform.machine()} {platform.processor() or ''} Python {platform.python_version()}, "
          f"PyAV {v.get('pyav')}, FFmpeg {v.get('ffmpeg')}")
    print("input: LeRobot v3.0 dataset, 1 camera 640x480 @ 30 fps, libsvtav1 crf30 g2 preset12 yuv420p; "
          "episodes of 150 and 600 frames concatenated in one mp4; each iterated in a fresh process")
    results = {}
    for ep, n in enumerate(lengths):
        cmd = [sys.executable, "-c", CHILD, str(root), str(ep)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        assert r["frames"] == r["expected"] == n, r
        results[n] = r
        peak, before = r["peak_kib"] / 1024, r["rss_before_kib"] / 1024
        print(f"  {n:4d} frames: peak RSS {peak:7.1f} MiB (before iterating {before:6.1f} MiB, "
              f"+{peak - before:5.1f} MiB), {n / r['wall_s']:.0f} frames/s")
    ratio = results[600]["peak_kib"] / results[150]["peak_kib"]
    grow = (results[600]["peak_kib"] - results[600]["rss_before_kib"]) / max(
        1, results[150]["peak_kib"] - results[150]["rss_before_kib"]
    )
    print(f"peak RSS ratio 600/150 frames: {ratio:.3f} (target <= 1.2); growth-while-iterating ratio {grow:.2f}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if ratio <= 1.2 else 1)


if __name__ == "__main__":
    main()
