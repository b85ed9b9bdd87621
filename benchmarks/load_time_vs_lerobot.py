"""Our load-time figure against LeRobot 0.6's own ``decode_video_frames``, per training decoder.

Five encodings of the same 300 real 640x480 frames (the SO-101 wrist clip in ``../shared/data``):
libsvtav1 g2/g10/g30 (crf30 p12, LeRobot's default at g2) and h264 g2/g30 (crf23 medium). For each
backend (torchcodec: cached decoder; pyav: open per query) the same 1-frame queries (LeRobot's benchmark
pattern, random frames, seed 1337) go through our ``measure_random_access`` path
(``lerobot_videobench.bench.access``) and through ``lerobot.datasets.video_utils.decode_video_frames(...,
return_uint8=True)`` as ``lerobot-train`` calls it, interleaved query by query (order alternating), in
this one process; both decoders are warmed on every file first. Figures are ms per frame: median and
mean over the queries, with the spread (p95). Targets: ours within 25% of LeRobot's on every encoding,
and the encodings in the same order on each backend.

Needs ``lerobot`` (Python >= 3.12, e.g. the compatibility venv):

    PYTHONPATH=. $VENV/bin/python benchmarks/load_time_vs_lerobot.py [--frames 300] [--queries 60]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _machine import describe_machine  # benchmarks/_machine.py (the script folder is on sys.path)

SOURCE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "so101_wrist_chess" / "episode_000000.mp4"
TOLERANCE = 0.25


def encodings():
    from lerobot_videobench.encoding import VideoEncoderConfig

    return {
        "libsvtav1 crf30 g2 p12": VideoEncoderConfig(vcodec="libsvtav1", g=2, crf=30, preset=12),
        "libsvtav1 crf30 g10 p12": VideoEncoderConfig(vcodec="libsvtav1", g=10, crf=30, preset=12),
        "libsvtav1 crf30 g30 p12": VideoEncoderConfig(vcodec="libsvtav1", g=30, crf=30, preset=12),
        "h264 crf23 g2 medium": VideoEncoderConfig(vcodec="h264", g=2, crf=23, preset="medium"),
        "h264 crf23 g30 medium": VideoEncoderConfig(vcodec="h264", g=30, crf=23, preset="medium"),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--queries", type=int, default=60, help="1-frame queries per encoding and backend")
    ap.add_argument("--source", type=Path, default=SOURCE)
    args = ap.parse_args()
    if not args.source.is_file():
        print(f"SKIP: {args.source} not found (the real footage lives in ../shared/data next to the checkout)")
        return 0
    try:
        import lerobot
        from lerobot.datasets import video_utils
    except ImportError as exc:
        print(f"SKIP: the real lerobot is not importable here ({exc}); run in the Python 3.12 venv with lerobot[dataset]")
        return 0
    import logging

    logging.getLogger("lerobot").setLevel(logging.ERROR)
    import torchcodec

    import lerobot_videobench as vb
    from lerobot_videobench.bench.access import query_plan, run_random_access
    from lerobot_videobench.encoding import encode_video_frames, library_versions

    v = library_versions()
    print(f"machine : {describe_machine()}")
    print(f"python  : {platform.python_version()}; lerobot {lerobot.__version__}; torchcodec {torchcodec.__version__}; "
          f"PyAV {v['pyav']}; FFmpeg {v['ffmpeg']}")
    work = Path(tempfile.mkdtemp(prefix="vb-load-bench-"))
    try:
        ep = vb.load_episodes(args.source, max_frames=args.frames)[0]
        frames = list(ep.iter_frames())
        print(f"input   : {args.source.name}, first {len(frames)} frames, {ep.width}x{ep.height} @ {ep.fps} fps")
        videos = {}
        for label, config in encodings().items():
            videos[label] = work / (label.replace(" ", "_") + ".mp4")
            encode_video_frames(frames, videos[label], ep.fps, config, None, overwrite=True)
        plan = query_plan(len(frames), args.queries, 1337)["1_frame"]
        print(f"queries : {len(plan)} random 1-frame queries per encoding and backend (seed 1337), interleaved "
              "query by query with LeRobot's decode_video_frames(return_uint8=True, tolerance_s=1e-4)\n")

        results: dict[str, dict[str, dict[str, list[float]]]] = {}
        for backend in ("torchcodec", "pyav"):
            results[backend] = {}
            for label, path in videos.items():
                ours_ms, theirs_ms = [], []
                fail = {"ours": 0, "lerobot": 0}
                # warm both: the decoder cache (torchcodec) and the file in the page cache
                run_random_access(path, {"w": [[0]]}, ep.fps, backend)
                video_utils.decode_video_frames(path, [0.0], 1e-4, backend, return_uint8=True)
                for k, indices in enumerate(plan):
                    sides = ("ours", "lerobot") if k % 2 == 0 else ("lerobot", "ours")
                    for side in sides:
                        if side == "ours":
                            rep = run_random_access(path, {"q": [indices]}, ep.fps, backend)
                            if rep.raised:
                                fail["ours"] += 1
                            else:
                                ours_ms.append(rep.load_ms["q"]["mean"])
                        else:
                            ts = [i / ep.fps for i in indices]
                            t0 = time.perf_counter()
                            try:
                                video_utils.decode_video_frames(path, ts, 1e-4, backend, return_uint8=True)
                                theirs_ms.append((time.perf_counter() - t0) * 1000 / len(ts))
                            except video_utils.FrameTimestampError:
                                fail["lerobot"] += 1
                results[backend][label] = {"ours": ours_ms, "lerobot": theirs_ms, "fail": fail}

        ok = True
        for backend, rows in results.items():
            print(f"backend {backend}: ms per frame, 1-frame queries (median / mean, p95 in brackets)")
            print(f"  {'encoding':<26} {'ours':>22} {'LeRobot':>22} {'ours/LeRobot':>13}  failed (ours, LeRobot)")
            for label, r in rows.items():
                o, t = np.asarray(r["ours"]), np.asarray(r["lerobot"])
                ratio = np.median(o) / np.median(t)
                ok &= abs(ratio - 1) <= TOLERANCE and r["fail"]["ours"] == r["fail"]["lerobot"]
                print(f"  {label:<26} {np.median(o):6.2f} / {o.mean():6.2f} [{np.percentile(o, 95):6.2f}] "
                      f"{np.median(t):6.2f} / {t.mean():6.2f} [{np.percentile(t, 95):6.2f}] {ratio:12.2f}x  "
                      f"{r['fail']['ours']}, {r['fail']['lerobot']}")
            rank_ours = sorted(rows, key=lambda lb: np.median(rows[lb]["ours"]))
            rank_theirs = sorted(rows, key=lambda lb: np.median(rows[lb]["lerobot"]))
            same = rank_ours == rank_theirs
            ok &= same
            print(f"  ranking (fastest first), ours   : {' < '.join(rank_ours)}")
            print(f"  ranking (fastest first), LeRobot: {' < '.join(rank_theirs)}  -> {'same' if same else 'DIFFERENT'}\n")
        print(f"target: ours within {TOLERANCE:.0%} of LeRobot on every encoding and backend, same ranking: "
              f"{'met' if ok else 'NOT met'}")
        print(f"machine at the end: {describe_machine()}")
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
