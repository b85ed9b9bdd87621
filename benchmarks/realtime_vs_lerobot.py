"""Does our real-time check lose the frames ``lerobot-record`` would lose?

Runs ``check_realtime`` with LeRobot's defaults (libsvtav1, yuv420p, g=2, crf=30, preset 12, queue 30)
on N cameras of real 640x480 frames fed at camera pace (30 fps) for ``--seconds``, once with our
``StreamingVideoEncoder`` (engine ``videobench``) and once with LeRobot 0.6.1's own
``StreamingVideoEncoder`` (engine ``lerobot``), under the same producers. Engines alternate order in
every round (A B, B A, ...) so drift on a shared machine hits both. Prints the frames each dropped side
by side, their ratio, and our verdict against LeRobot's drops: no drop must not read "overloaded",
drops must read "overloaded".

Targets: our drops within a factor 1.5 of LeRobot's (totals over rounds); every verdict matches.

    PYTHONPATH=. $LEROBOT_VENV/bin/python benchmarks/realtime_vs_lerobot.py [--cameras 3 4 5] \\
        [--seconds 15] [--rounds 2] [--source PATH]

Needs ``lerobot`` (Python >= 3.12). Run it on a quiet machine (``vb-bench``): it saturates the cores.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import av
import numpy as np

from _machine import describe_machine  # benchmarks/_machine.py (the script folder is on sys.path)
from lerobot_videobench.decide.realtime import MAX_POOL_FRAMES, check_realtime
from lerobot_videobench.encoding import camera_encoder_defaults, library_versions

DEFAULT_SOURCE = Path("/work/shared/data/so101_wrist_chess/episode_000000.mp4")
ENGINES = ("videobench", "lerobot")
FACTOR = 1.5


def load_frames(source: Path, n: int) -> list[np.ndarray]:
    frames = []
    with av.open(str(source)) as c:
        for frame in c.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24"))
            if len(frames) == n:
                break
    return frames


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cameras", type=int, nargs="+", default=[3, 4, 5])
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("lerobot").setLevel(logging.ERROR)

    import lerobot

    frames = load_frames(args.source, MAX_POOL_FRAMES)
    h, w = frames[0].shape[:2]
    config = camera_encoder_defaults()
    print(f"machine: {describe_machine()}")
    print(f"versions: lerobot {lerobot.__version__}, {library_versions()}")
    print(f"input: {len(frames)} real {w}x{h} frames of {args.source} (cycled ping-pong), {args.fps} fps, "
          f"{args.seconds:g} s per run, {config.label()} (LeRobot defaults), queue 30, encoder_threads None")
    print()
    runs: list[dict] = []
    t_all = time.perf_counter()
    for rnd in range(args.rounds):
        order = ENGINES if rnd % 2 == 0 else ENGINES[::-1]
        for cams in args.cameras:
            for engine in order:
                r = check_realtime(config, cams, w, h, args.fps, args.seconds, frames=frames, engine=engine)
                runs.append({"round": rnd, "cameras": cams, "engine": engine, "fed": r.frames_fed,
                             "dropped": r.frames_dropped, "verdict": r.verdict, "headroom": r.headroom,
                             "cores": r.cpu_cores_used, "wall": r.wall_s})
                print(f"round {rnd} cameras {cams} {engine:10s}: dropped {r.frames_dropped:4d} of {r.frames_fed} "
                      f"({100 * r.frames_dropped / r.frames_fed:.2f}%), verdict {r.verdict}, headroom "
                      f"{r.headroom:.2f}, {r.cpu_cores_used:.2f} cores busy, {r.wall_s:.1f} s", flush=True)
    print(f"\ntotal {time.perf_counter() - t_all:.0f} s\n")

    def pick(rnd: int, cams: int, engine: str) -> dict:
        return next(x for x in runs if (x["round"], x["cameras"], x["engine"]) == (rnd, cams, engine))

    print("| cameras | frames fed per run | LeRobot 0.6.1 dropped | ours dropped | ratio (totals) | our verdicts | verdicts match LeRobot's drops |")
    print("|---|---|---|---|---|---|---|")
    all_ok = True
    for cams in args.cameras:
        theirs = [pick(r, cams, "lerobot") for r in range(args.rounds)]
        ours = [pick(r, cams, "videobench") for r in range(args.rounds)]
        t_sum, o_sum = sum(x["dropped"] for x in theirs), sum(x["dropped"] for x in ours)
        if t_sum == 0 and o_sum == 0:
            ratio, ratio_ok = "both 0", True
        elif t_sum == 0:
            ratio, ratio_ok = "LeRobot 0", False
        else:
            ratio_ok = 1 / FACTOR <= o_sum / t_sum <= FACTOR
            ratio = f"{o_sum / t_sum:.2f}"
        match = [(o["verdict"] == "overloaded") == (t["dropped"] > 0) for o, t in zip(ours, theirs)]
        all_ok &= ratio_ok and all(match)
        print(f"| {cams} | {theirs[0]['fed']} | {' / '.join(str(x['dropped']) for x in theirs)} | "
              f"{' / '.join(str(x['dropped']) for x in ours)} | {ratio}{'' if ratio_ok else ' (outside 1.5x)'} | "
              f"{' / '.join(x['verdict'] for x in ours)} | {sum(match)} of {len(match)} |")
    print(f"\ntargets (drops within {FACTOR}x of LeRobot's, verdicts match): {'met' if all_ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
