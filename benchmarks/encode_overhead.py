"""How much does ``encode_video_frames`` cost on top of the encoder itself?

Encodes the same in-memory 640x480 frames with the same LeRobot options twice per round: once through
``lerobot_videobench.encode_video_frames`` (A) and once through a bare PyAV loop (B: ``av.open``,
``add_stream(vcodec, fps, options=...)``, ``VideoFrame.from_ndarray``, ``encode``, ``mux``). Rounds
alternate the order (AB, BA, ...) so drift on a shared machine hits both sides; the figures are medians
over rounds. Target: A's throughput within 5 % of B's.

    python benchmarks/encode_overhead.py [--frames 150] [--rounds 7] [--codecs libsvtav1,h264]

Frames are the first ``--frames`` of ``/work/shared/data/so101_wrist_chess/episode_000000.mp4``
(``--source``) when present, else synthetic moving noise.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path


import av
import numpy as np

from lerobot_videobench.encoding import VideoEncoderConfig, encode_video_frames, library_versions
from _machine import describe_machine  # benchmarks/_machine.py (the script folder is on sys.path)

DEFAULT_SOURCE = Path("/work/shared/data/so101_wrist_chess/episode_000000.mp4")
FPS = 30


def load_frames(source: Path, n: int) -> tuple[list[np.ndarray], str]:
    """``n`` RGB 640x480 frames in memory, and a description of where they came from."""
    if source.is_file():
        frames = []
        with av.open(str(source)) as c:
            stream = c.streams.video[0]
            for frame in c.decode(stream):
                frames.append(frame.to_ndarray(format="rgb24"))
                if len(frames) == n:
                    break
        h, w = frames[0].shape[:2]
        return frames, f"{source} (first {len(frames)} frames, {w}x{h}, decoded to RGB in memory)"
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (480, 640 + n, 3), dtype=np.uint8)
    frames = [np.ascontiguousarray(base[:, i : i + 640]) for i in range(n)]
    return frames, f"synthetic panning noise ({n} frames, 640x480): {source} not found"


def bare_pyav(frames: list[np.ndarray], path: Path, config: VideoEncoderConfig) -> None:
    """The encoder and nothing else: what encode_video_frames is measured against."""
    options = config.get_codec_options(None, as_strings=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(config.vcodec, FPS, options=options)
        stream.pix_fmt = config.pix_fmt
        stream.height, stream.width = frames[0].shape[:2]
        for f in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def videobench(frames: list[np.ndarray], path: Path, config: VideoEncoderConfig) -> None:
    encode_video_frames(frames, path, FPS, config, overwrite=True)


def timed(fn, frames: list[np.ndarray], path: Path, config: VideoEncoderConfig) -> tuple[float, float]:
    path.unlink(missing_ok=True)
    w0, c0 = time.perf_counter(), time.process_time()
    fn(frames, path, config)
    return time.perf_counter() - w0, time.process_time() - c0




def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--codecs", default="libsvtav1,h264", help="comma-separated; LeRobot defaults otherwise")
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    args = ap.parse_args()

    frames, described = load_frames(args.source, args.frames)
    v = library_versions()
    print(f"machine : {describe_machine()}")
    print(f"versions: PyAV {v['pyav']}, FFmpeg {v['ffmpeg']}, libavcodec {v.get('libavcodec')}, "
          f"numpy {v['numpy']}, Python {v['python']}")
    print(f"input   : {described}")
    print(f"method  : {args.rounds} rounds, order alternating AB/BA; A = encode_video_frames, B = bare PyAV loop; "
          "medians over rounds")
    print()
    header = f"{'config':<44} {'A fps':>8} {'B fps':>8} {'A/B':>7} {'paired A/B':>11} {'A cpu s':>8} {'B cpu s':>8}"
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(prefix="encode-overhead-") as tmp:
        out = Path(tmp)
        for vcodec in [c.strip() for c in args.codecs.split(",") if c.strip()]:
            config = VideoEncoderConfig(vcodec=vcodec)
            timed(bare_pyav, frames[:10], out / "warm.mp4", config)  # warm up caches and the codec library
            a_wall, b_wall, a_cpu, b_cpu = [], [], [], []
            for r in range(args.rounds):
                order = [("A", videobench), ("B", bare_pyav)]
                if r % 2:
                    order.reverse()
                for name, fn in order:
                    wall, cpu = timed(fn, frames, out / f"{name}.mp4", config)
                    (a_wall if name == "A" else b_wall).append(wall)
                    (a_cpu if name == "A" else b_cpu).append(cpu)
            n = len(frames)
            a_fps, b_fps = n / statistics.median(a_wall), n / statistics.median(b_wall)
            paired = statistics.median(b / a for a, b in zip(a_wall, b_wall))
            print(f"{config.label():<44} {a_fps:>8.1f} {b_fps:>8.1f} {a_fps / b_fps:>7.3f} {paired:>11.3f} "
                  f"{statistics.median(a_cpu):>8.2f} {statistics.median(b_cpu):>8.2f}")
            print(f"  options {config.get_codec_options(as_strings=True)}")
            walls = "; ".join(f"{k} walls " + ", ".join(f"{x:.2f}" for x in w) + " s" for k, w in (("A", a_wall), ("B", b_wall)))
            print(f"  {walls}")
    print()
    print(f"load average at end {os.getloadavg()[0]:.2f}. A/B = ratio of median throughputs; paired A/B = median over "
          "rounds of (B wall / A wall). Target: A/B >= 0.95.")


if __name__ == "__main__":
    main()
