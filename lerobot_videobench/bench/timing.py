"""Timing that does not depend on the source or on luck: staged frames, whole-loop clocks, repeats,
and the machine's load while measuring.

Encode cost is the wall and CPU time of the encoder alone: frames are staged in memory (or, beyond a
memory budget, in a raw file read back from the page cache) *before* the clock starts, so a slow
source (a decoder, a network share) cannot hide inside the figure, and an asynchronous encoder
(SVT-AV1 keeps its threads working while the caller waits) cannot be flattered by subtracting the
caller's wait. Decode speed is the wall time of the whole sequential decode loop, not only the time
spent blocked in ``next()`` while threaded decoding runs ahead. Every figure is checked: CPU seconds
per wall second never exceed the cores this process may use.

Noise: each timing may be repeated (``MeasureSettings.timing_repeats``); the median is the headline,
min/max give the spread. :class:`LoadProbe` records what else ran on the machine meanwhile, and a
figure taken while other processes used more than :data:`CONTENTION_CORES` cores is flagged.
"""

from __future__ import annotations

import logging
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..encoding import VideoEncoderConfig, encode_video_frames, iter_video_frames
from ..encoding.encode import EncodeStats
from ..episodes import Episode

logger = logging.getLogger(__name__)

#: Frames of one episode staged in memory up to this size; larger episodes are staged in a raw file.
STAGE_MEMORY_BUDGET = 384 * 1024 * 1024
#: Other processes using more than this many cores (on average, while a figure was taken) make it "contended".
CONTENTION_CORES = 0.5
#: Allowed excess of CPU over wall x cores before a figure counts as impossible (clock granularity).
CPU_WALL_TOLERANCE = 1.05
#: CPU seconds a figure may carry beyond that: process CPU time also counts the process's other threads
#: (the load probe, the worker's pipe, an exiting pool) for a few ms, which on a 3 ms figure of a tiny
#: frame reads as 2.3 cores on 2. A real impossibility (8.8 cores on 2 over seconds) is far above it.
CPU_SLACK_S = 0.01


def cores_available() -> int:
    """Cores this process may run on (its affinity mask, which containers and ``taskset`` restrict)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class ImpossibleTimingError(RuntimeError):
    """A measured CPU time exceeds wall time x available cores: the accounting, not the encoder, is wrong."""


#: How long a timing waits for the threads a previous figure left behind (an encoder's pool winding down).
SETTLE_TIMEOUT_S = 1.0


def os_thread_count() -> int | None:
    """This process's OS threads (FFmpeg's and SVT-AV1's included), or None where the OS does not say."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


def settle_threads(baseline: int | None, timeout_s: float = SETTLE_TIMEOUT_S) -> None:
    """Wait (at most ``timeout_s``) until the process is back to ``baseline`` OS threads.

    Process CPU time counts every thread: an encoder's threads still tearing down after its last packet
    (SVT-AV1's pool does) would be charged to the next figure, e.g. a 5 ms decode read 2.3 cores on 2.
    """
    if baseline is None:
        return
    deadline = time.monotonic() + timeout_s
    while (n := os_thread_count()) is not None and n > baseline and time.monotonic() < deadline:
        time.sleep(0.005)


def check_cpu_wall(cpu_s: float, wall_s: float, what: str, cores: int | None = None) -> float:
    """CPU seconds per wall second of a figure; raises :class:`ImpossibleTimingError` above the cores
    (beyond :data:`CPU_SLACK_S` of accounting noise)."""
    cores = cores or cores_available()
    ratio = cpu_s / wall_s if wall_s > 0 else float("inf")
    if cpu_s > cores * CPU_WALL_TOLERANCE * max(wall_s, 0.0) + CPU_SLACK_S:
        raise ImpossibleTimingError(
            f"{what}: {cpu_s:.3f} CPU s in {wall_s:.3f} wall s is {ratio:.2f} cores, but only {cores} are available"
        )
    return ratio


# ---------------------------------------------------------------------------------------------- load
@dataclass
class LoadSample:
    """What the machine did while a figure was taken."""

    load_avg_1m: float | None = None
    other_cpu_cores: float | None = None  # average cores used by other processes
    contended: bool = False


class LoadProbe:
    """Context manager measuring the CPU other processes used meanwhile (psutil; load average otherwise)."""

    def __enter__(self) -> LoadProbe:
        self._t0 = time.perf_counter()
        self._own0 = _own_cpu()
        self._sys0 = _system_busy_cpu()
        self.sample = LoadSample()
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self._t0
        own = _own_cpu() - self._own0
        sys1 = _system_busy_cpu()
        s = self.sample
        s.load_avg_1m = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        if self._sys0 is not None and sys1 is not None and wall > 0:
            s.other_cpu_cores = max(0.0, (sys1 - self._sys0 - own) / wall)
            s.contended = s.other_cpu_cores > CONTENTION_CORES
        elif s.load_avg_1m is not None:
            s.contended = s.load_avg_1m > cores_available()


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


def _system_busy_cpu() -> float | None:
    try:
        import psutil
    except ImportError:
        return None
    t = psutil.cpu_times()
    return sum(getattr(t, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq", "steal"))


# ---------------------------------------------------------------------------------------------- staging
@dataclass
class StagedFrames:
    """An episode's frames, read from their source before any clock starts.

    In memory (one array: ``uint8`` RGB or ``uint16`` mm depth) when they fit :data:`STAGE_MEMORY_BUDGET`, else in a raw file that
    was just written (so it sits in the page cache) and is read back one frame at a time: memory stays
    bounded, and the read is a copy from the page cache, not a decode or a disk wait.
    """

    num_frames: int
    shape: tuple[int, ...]
    array: np.ndarray | None = None
    path: Path | None = None
    _tmpdir: Any = field(default=None, repr=False)
    dtype: str = "uint8"

    def __iter__(self) -> Iterator[np.ndarray]:
        if self.array is not None:
            yield from self.array
            return
        assert self.path is not None
        with open(self.path, "rb", buffering=0) as f:
            for _ in range(self.num_frames):
                frame = np.empty(self.shape, dtype=self.dtype)
                f.readinto(memoryview(frame).cast("B"))
                yield frame

    def close(self) -> None:
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self) -> StagedFrames:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def stage_frames(episode: Episode, *, budget_bytes: int = STAGE_MEMORY_BUDGET,
                 work_dir: str | os.PathLike | None = None) -> StagedFrames:
    """Read ``episode``'s frames once, into memory or (beyond ``budget_bytes``) a raw file in ``work_dir``."""
    shape, dtype = episode.frame_shape, episode.frame_dtype
    total = episode.num_frames * int(np.prod(shape)) * np.dtype(dtype).itemsize
    if total <= budget_bytes:
        array = np.empty((episode.num_frames, *shape), dtype=dtype)
        n = 0
        for n, frame in enumerate(episode.iter_frames(), start=1):
            if n > episode.num_frames:
                raise ValueError(f"source gave more than the {episode.num_frames} frames its episode says")
            array[n - 1] = frame
        if n != episode.num_frames:
            raise ValueError(f"source gave {n} frames, episode says {episode.num_frames}")
        return StagedFrames(n, shape, array=array, dtype=dtype)
    tmp = tempfile.TemporaryDirectory(prefix="vb-stage-", dir=work_dir)
    path = Path(tmp.name) / "frames.u8"
    n = 0
    with open(path, "wb") as f:
        for frame in episode.iter_frames():
            f.write(np.ascontiguousarray(frame, dtype=dtype).tobytes())
            n += 1
    if n != episode.num_frames:
        tmp.cleanup()
        raise ValueError(f"source gave {n} frames, episode says {episode.num_frames}")
    return StagedFrames(n, shape, path=path, _tmpdir=tmp, dtype=dtype)


# ---------------------------------------------------------------------------------------------- figures
@dataclass
class Timing:
    """Repeated wall / CPU times of one measured operation over ``frames`` frames."""

    frames: int
    wall_s: list[float]
    cpu_s: list[float]
    load: LoadSample

    @property
    def median_wall_s(self) -> float:
        return statistics.median(self.wall_s)

    @property
    def median_cpu_s(self) -> float:
        return statistics.median(self.cpu_s)

    @property
    def fps(self) -> float:
        """Frames per second of the median run: the headline figure."""
        return self.frames / self.median_wall_s

    @property
    def fps_best(self) -> float:
        return self.frames / min(self.wall_s)

    @property
    def fps_worst(self) -> float:
        return self.frames / max(self.wall_s)

    @property
    def spread(self) -> float | None:
        """(best - worst) / median fps: the measured noise; None for a single run."""
        if len(self.wall_s) < 2:
            return None
        return (self.fps_best - self.fps_worst) / self.fps

    @property
    def cpu_per_wall(self) -> float:
        return self.median_cpu_s / self.median_wall_s


def time_encode(
    staged: StagedFrames,
    video_path: str | os.PathLike,
    fps: int,
    config: VideoEncoderConfig,
    encoder_threads: int | None = None,
    *,
    repeats: int = 1,
) -> tuple[EncodeStats, Timing]:
    """Encode ``staged`` frames ``repeats`` times; the encoder's wall / CPU time per run and the last stats.

    Every run encodes the same frames into ``video_path`` (identical output); the clock covers the
    whole encode (first frame in to last packet muxed), the source being free (staged).
    """
    walls, cpus = [], []
    stats: EncodeStats | None = None
    baseline = os_thread_count()
    with LoadProbe() as probe:
        for _ in range(max(1, int(repeats))):
            settle_threads(baseline)
            stats = encode_video_frames(iter(staged), video_path, fps, config, encoder_threads, overwrite=True)
            check_cpu_wall(stats.cpu_s, stats.wall_s, f"encode of {config.label()}")
            walls.append(stats.wall_s)
            cpus.append(stats.cpu_s)
    settle_threads(baseline)  # the encoder's threads are gone before anything else is timed
    assert stats is not None
    return stats, Timing(stats.frames, walls, cpus, probe.sample)


def time_decode(video_path: str | os.PathLike, num_frames: int, fps: int, *, repeats: int = 1,
                depth_config: Any = None) -> Timing:
    """Wall / CPU time of the whole sequential decode loop to RGB (what a full pass over the file costs).

    Decoding uses the reader the trial compares frames with (``iter_video_frames``: PyAV, threaded
    decoding); the clock spans the loop, so frames decoded ahead by decoder threads are paid for.
    With ``depth_config`` (a ``DepthEncoderConfig``) the loop is LeRobot's depth read path: PyAV
    ``gray12le`` codes dequantized to mm (:func:`~lerobot_videobench.encoding.depth.iter_depth_frames`).
    """
    from ..encoding.depth import iter_depth_frames

    walls, cpus = [], []
    baseline = os_thread_count()
    with LoadProbe() as probe:
        for _ in range(max(1, int(repeats))):
            settle_threads(baseline)
            w0, c0 = time.perf_counter(), time.process_time()
            n = 0
            frames = (iter_video_frames(video_path, num_frames=num_frames, fps=fps) if depth_config is None
                      else iter_depth_frames(video_path, depth_config, num_frames=num_frames, fps=fps))
            for _frame in frames:
                n += 1
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            check_cpu_wall(cpu, wall, f"decode of {video_path}")
            walls.append(wall)
            cpus.append(cpu)
    return Timing(n, walls, cpus, probe.sample)


__all__ = [
    "CONTENTION_CORES",
    "STAGE_MEMORY_BUDGET",
    "ImpossibleTimingError",
    "LoadProbe",
    "LoadSample",
    "StagedFrames",
    "Timing",
    "check_cpu_wall",
    "cores_available",
    "stage_frames",
    "time_decode",
    "time_encode",
]
