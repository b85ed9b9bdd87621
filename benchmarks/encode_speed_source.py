"""Does the measured encode speed depend on how fast the source delivers frames?

For each codec (LeRobot's defaults otherwise), 150 real frames are measured the way a sweep trial
measures them (``run_trial``: frames staged in memory before the clock starts, wall and CPU of the
encoder alone), once from an in-memory source (A) and once from a source sleeping 15 ms per frame (B,
a slow camera / network share). Rounds alternate A/B; figures are medians over rounds. Target: B
within 20 % of A. For reference, the same slow source through ``encode_video_frames`` directly:
end-to-end fps (C, what the call now reports: it can never exceed the source's rate) and the old
accounting, wall minus the time spent waiting on the source (D: what sweeps used to report).

    vb-bench python benchmarks/encode_speed_source.py [--frames 150] [--rounds 3] [--codecs libsvtav1,h264]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import tempfile
import time
from pathlib import Path

from _machine import describe_machine  # benchmarks/_machine.py (the script folder is on sys.path)

from lerobot_videobench.bench.timing import cores_available
from lerobot_videobench.bench.trial import MeasureSettings, TrialSpec, run_trial
from lerobot_videobench.encoding import VideoEncoderConfig, encode_video_frames, library_versions
from lerobot_videobench.episodes import episode_from_arrays

from encode_overhead import DEFAULT_SOURCE, load_frames  # noqa: E402  (same real frames as that benchmark)

SLEEP_S = 0.015
SETTINGS = MeasureSettings(access_samples=1, png_samples=0)


@dataclasses.dataclass(frozen=True, eq=False)
class SleepyFrames:
    frames: tuple

    def __call__(self):
        for f in self.frames:
            time.sleep(SLEEP_S)
            yield f


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--codecs", default="libsvtav1,h264")
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    args = ap.parse_args()

    frames, described = load_frames(args.source, args.frames)
    fast = episode_from_arrays(frames, fps=30, camera="observation.images.wrist")
    slow = dataclasses.replace(fast, reader=SleepyFrames(tuple(frames)))
    v = library_versions()
    print(f"machine : {describe_machine()}; {cores_available()} cores available to this process")
    print(f"versions: PyAV {v['pyav']}, FFmpeg {v['ffmpeg']}, numpy {v['numpy']}, Python {v['python']}")
    print(f"input   : {described}")
    print(f"method  : {args.rounds} rounds alternating A/B; A = run_trial on frames in memory, B = run_trial on a "
          f"source sleeping {SLEEP_S * 1000:.0f} ms/frame; C/D = encode_video_frames on the slow source "
          "(C end-to-end, D wall minus source wait = the old figure); medians over rounds")
    print()
    header = (f"{'config':<34} {'A fps':>7} {'B fps':>7} {'B/A':>6} {'A cpu/wall':>10} {'B cpu/wall':>10} "
              f"{'C fps':>7} {'D fps':>7} {'D cpu/wall':>10}")
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(prefix="encode-speed-source-") as tmp:
        for vcodec in [c.strip() for c in args.codecs.split(",") if c.strip()]:
            config = VideoEncoderConfig(vcodec=vcodec)
            spec = TrialSpec(config)
            a, b, c, d, a_cw, b_cw, d_cw = [], [], [], [], [], [], []
            for r in range(args.rounds):
                order = [("A", fast), ("B", slow)] if r % 2 == 0 else [("B", slow), ("A", fast)]
                for name, ep in order:
                    res = run_trial(ep, spec, settings=SETTINGS, work_dir=tmp)
                    assert res.ok, res.error
                    (a if name == "A" else b).append(res.encode_fps)
                    (a_cw if name == "A" else b_cw).append(res.encode_cpu_per_wall)
                st = encode_video_frames(slow.iter_frames(), Path(tmp) / "c.mp4", 30, config, overwrite=True)
                c.append(st.encode_fps)
                old_wall = max(st.wall_s - st.source_wall_s, 1e-9)
                d.append(st.frames / old_wall)
                d_cw.append(st.cpu_s / old_wall)
            m = statistics.median
            print(f"{config.label():<34} {m(a):>7.1f} {m(b):>7.1f} {m(b) / m(a):>6.3f} {m(a_cw):>10.2f} "
                  f"{m(b_cw):>10.2f} {m(c):>7.1f} {m(d):>7.1f} {m(d_cw):>10.2f}")
            print(f"  A runs {', '.join(f'{x:.1f}' for x in a)}; B runs {', '.join(f'{x:.1f}' for x in b)} fps")
    print()
    print(f"load average at end {os.getloadavg()[0]:.2f}. Target: B/A within 0.8..1.2; cpu/wall <= "
          f"{cores_available()} (D shows the impossible figures the old accounting produced).")


if __name__ == "__main__":
    main()
