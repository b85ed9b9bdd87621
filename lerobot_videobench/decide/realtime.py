"""Can this machine stream-encode N cameras at W x H @ fps with this configuration while recording?

We answer by doing it: one producer thread per camera feeds frames at camera pace into the same
:class:`~lerobot_videobench.encoding.StreamingVideoEncoder` LeRobot records with (bounded queue,
0.1 s put timeout, then drop), while a sampler records queue depths. Every frame is accounted for:
fed = encoded + dropped, per camera.
"""

from __future__ import annotations

import itertools
import os
import math
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..encoding import VideoEncoderConfig, camera_encoder_defaults
from ..encoding.streaming import CameraStreamResult, _to_hwc_uint8
from ..encoding.streaming_engines import streaming_engine
from ..episodes import Episode
from .constraints import DEFAULT_HEADROOM

#: Distinct frames kept in memory and cycled (ping-pong, so motion stays continuous).
MAX_POOL_FRAMES = 120
#: Frames rendered when synthetic footage is asked for (rendering costs ~0.15 s per 640x480 frame).
SYNTHETIC_POOL_FRAMES = 16
#: Queue-depth sampling period in seconds.
SAMPLE_PERIOD_S = 0.05


@dataclass
class RealtimeReport:
    """The outcome of a real-time check, per camera and overall.

    ``headroom`` is the smaller of two capacity-over-demand factors measured while all cameras ran
    together: the slowest camera's encode capacity (frames encoded per second of encoder calls, over
    fps: what the recording thread sees) and the machine's CPU headroom (cores available over cores
    the encoders kept busy). The second matters for encoders such as SVT-AV1 whose ``encode`` call
    returns at once while their own threads do the work, so the first factor alone would flatter
    them. ``verdict`` is
    ``realtime`` (no drop and headroom >= ``required_headroom``), ``marginal`` (no drop, headroom
    between 1 and the requirement) or ``overloaded`` (frames dropped, or encoders slower than the
    cameras so that a longer episode would overflow the queues).
    """

    config: dict[str, Any]
    label: str
    cameras: int
    width: int
    height: int
    fps: int
    seconds: float
    encoder_threads: int | None
    queue_maxsize: int
    frames_source: str
    engine: str = "videobench"
    per_camera: list[dict[str, Any]] = field(default_factory=list)
    queue_depth_t: list[float] = field(default_factory=list)
    queue_depth: dict[str, list[int]] = field(default_factory=dict)
    wall_s: float = 0.0
    cpu_cores_used: float = 0.0
    cpu_cores_available: int = 0
    capacity_headroom: float = float("nan")
    cpu_headroom: float = float("nan")
    producer_max_lag_s: float = 0.0
    frames_fed: int = 0
    frames_encoded: int = 0
    frames_dropped: int = 0
    headroom: float = float("nan")
    required_headroom: float = DEFAULT_HEADROOM
    verdict: str = ""
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict == "realtime"

    @property
    def margin(self) -> float:
        """Headroom over the required headroom, minus 1 (+0.08: 8 % to spare; negative: short)."""
        return self.headroom / self.required_headroom - 1 if self.required_headroom else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "margin": self.margin}


def _rgb(frame: Any) -> np.ndarray:
    """HxWx3 uint8 from what a camera may hand over: LeRobot's normalisation (CHW -> HWC, float in
    [0, 1] -> x*255) plus gray -> RGB and RGBA -> RGB, so the encoder sees the frames a recording would."""
    arr = _to_hwc_uint8(np.asarray(frame))
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4):
        raise ValueError(f"frames: a frame has shape {np.asarray(frame).shape}; expected HxWx3 (or CHW, gray, RGBA)")
    if arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    return np.ascontiguousarray(arr[:, :, :3])


def _check_even(pix_fmt: str, width: int, height: int) -> None:
    """Chroma-subsampled formats (yuv420p, nv12...) need even sizes; the encoder would fail in its thread."""
    import av

    try:
        fmt = av.VideoFormat(pix_fmt)
    except (ValueError, av.FFmpegError):
        return  # unknown here: the config's validation has the last word
    if fmt.chroma_width(2) < 2 and width % 2:
        raise ValueError(f"width={width} must be even for pix_fmt={pix_fmt!r} (chroma is subsampled horizontally)")
    if fmt.chroma_height(2) < 2 and height % 2:
        raise ValueError(f"height={height} must be even for pix_fmt={pix_fmt!r} (chroma is subsampled vertically)")


def _resize(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    if frame.shape[1] == width and frame.shape[0] == height:
        return frame
    from PIL import Image

    return np.asarray(Image.fromarray(frame).resize((width, height), Image.BILINEAR))


#: Sensor noise (8-bit levels) of the default "camera-like" footage. The clean built-in sample flatters
#: encoders (SVT-AV1 default at 640x480, measured side by side: sample 76 fps, real SO-101 wrist clip
#: 53 fps, tabletop with sigma 5 noise 60 fps): noise is what real cameras add and encoders pay for.
CAMERA_NOISE_SIGMA = 5.0
#: ``frames`` names: the default camera-like footage, the clean synthetic scene, the built-in sample.
FRAME_SOURCES = ("camera", "synthetic", "sample")


def _frame_pool(frames: Any, width: int, height: int, fps: int) -> tuple[list[np.ndarray], str]:
    """Up to :data:`MAX_POOL_FRAMES` frames at W x H from an Episode (the user's footage: use it when you
    have it), arrays, or rendered footage: ``None`` / ``"camera"`` (tabletop with camera-like sensor
    noise, the default: closest to real clips), ``"synthetic"`` (clean) or ``"sample"`` (the built-in
    sample, which flatters encoders)."""
    if isinstance(frames, str) and frames not in FRAME_SOURCES:
        raise ValueError(
            f"frames={frames!r}: give an Episode, a list of HxWx3 frames, or one of {list(FRAME_SOURCES)} (None: "
            "'camera'); load a source's episode with load_episodes() first"
        )
    if frames is None:
        frames = "camera"
    if frames == "sample":
        from ..episodes import load_episodes

        frames = load_episodes("sample", episodes=[0], max_frames=MAX_POOL_FRAMES)[0]
    if isinstance(frames, str) and frames in ("synthetic", "camera"):
        from ..episodes.synthetic import TabletopScene

        noise = {"camera": {"noise_sigma": CAMERA_NOISE_SIGMA}, "synthetic": {}}[frames]
        scene = TabletopScene(top_size=(width + width % 2, height + height % 2), fps=fps, subframes=2, **noise)
        pool = [np.ascontiguousarray(f[:height, :width]) for f in scene.frames("top", SYNTHETIC_POOL_FRAMES)]
        what = f"camera-like tabletop (sensor noise sigma {CAMERA_NOISE_SIGMA:g})" if frames == "camera" else \
            "synthetic tabletop"
        return pool, f"{what} {width}x{height}"
    if isinstance(frames, Episode):
        source = f"{frames.provenance.source} {frames.key} resized to {width}x{height}"
        it = frames.iter_frames()
    else:
        source = f"{len(frames) if hasattr(frames, '__len__') else 'given'} frames resized to {width}x{height}"
        it = iter(frames)
    pool = [_resize(_rgb(f), width, height) for f in itertools.islice(it, MAX_POOL_FRAMES)]
    if not pool:
        raise ValueError(
            "frames is empty: give an Episode, a list of HxWx3 uint8 frames, None (built-in sample) or 'synthetic'"
        )
    return pool, source


def _ping_pong(n: int) -> list[int]:
    return list(range(n)) + list(range(n - 2, 0, -1)) if n > 2 else list(range(n))


def check_realtime(
    config: VideoEncoderConfig | None,
    cameras: int,
    width: int,
    height: int,
    fps: int,
    seconds: float,
    encoder_threads: int | None = None,
    queue_maxsize: int = 30,
    frames: Any = None,
    *,
    required_headroom: float | None = None,
    engine: str = "videobench",
) -> RealtimeReport:
    """Stream-encode ``cameras`` x ``seconds`` of W x H frames at ``fps`` and report drops and headroom.

    ``frames`` is an :class:`Episode` (e.g. the user's footage, resized), a list of RGB frames, None
    for the built-in sample, or ``"synthetic"`` for rendered tabletop footage; frames are resized to
    W x H. Producers never skip a frame: a producer blocked by a full queue (0.1 s, then a drop) falls
    behind and catches up, as LeRobot's record loop would. The check therefore takes about ``seconds``
    + 0.1 s per frame dropped by the slowest camera, + the time to encode what is left in the queues
    (at most ``queue_maxsize`` frames per camera) and flush; an encoder that cannot drain within
    LeRobot's 120 s join raises ``RuntimeError``.

    ``engine`` picks the streaming encoder: ``"videobench"`` (ours: LeRobot's per-frame work, measured
    per frame) or ``"lerobot"`` (LeRobot's own ``StreamingVideoEncoder``; needs the ``lerobot`` package;
    no per-frame timings, so its headroom is the CPU headroom alone).
    """
    config = config or camera_encoder_defaults()
    for name, value in (("cameras", cameras), ("width", width), ("height", height), ("fps", fps), ("queue_maxsize", queue_maxsize)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}={value!r} must be a positive integer")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float, np.number)) or not (
        seconds > 0 and math.isfinite(seconds)
    ):
        raise ValueError(f"seconds={seconds!r} must be a positive finite number")
    if encoder_threads is not None and (
        isinstance(encoder_threads, bool) or not isinstance(encoder_threads, (int, np.integer)) or encoder_threads < 1
    ):
        raise ValueError(f"encoder_threads={encoder_threads!r} must be a positive integer or None")
    if required_headroom is None:
        required_headroom = DEFAULT_HEADROOM
    if not required_headroom >= 1:
        raise ValueError(f"required_headroom={required_headroom!r} must be >= 1 (encode capacity over demand)")
    encoder_factory = streaming_engine(engine)
    _check_even(config.pix_fmt, int(width), int(height))
    from ..encoding.limits import check_encoder_opens

    # before any thread starts: a config that cannot open is refused with what to use instead
    check_encoder_opens(config, int(width), int(height), encoder_threads)
    pool, source = _frame_pool(frames, int(width), int(height), int(fps))
    order = _ping_pong(len(pool))
    n_frames = max(1, int(round(seconds * fps)))
    keys = [f"observation.images.cam{i}" for i in range(cameras)]
    report = RealtimeReport(
        config=config.to_dict(), label=config.label(), cameras=cameras, width=width, height=height, fps=fps,
        seconds=seconds, encoder_threads=encoder_threads, queue_maxsize=queue_maxsize, frames_source=source,
        engine=engine, required_headroom=required_headroom, queue_depth={k: [] for k in keys},
    )
    lags = dict.fromkeys(keys, 0.0)
    errors: list[BaseException] = []
    done = threading.Event()

    with tempfile.TemporaryDirectory(prefix="vb-realtime-") as tmp, encoder_factory(
        fps, config, queue_maxsize=queue_maxsize, encoder_threads=encoder_threads
    ) as encoder:
        encoder.start_episode(keys, tmp)
        t0 = time.perf_counter() + 0.05
        cpu0 = time.process_time()

        def produce(key: str, phase: int) -> None:
            try:
                for k in range(n_frames):
                    deadline = t0 + k / fps
                    delay = deadline - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                    else:
                        lags[key] = max(lags[key], -delay)
                    encoder.feed_frame(key, pool[order[(k + phase) % len(order)]])
            except BaseException as exc:  # surfaced after the join
                errors.append(exc)

        def sample() -> None:
            while not done.is_set():
                depths = encoder.queue_depths()
                report.queue_depth_t.append(round(time.perf_counter() - t0, 4))
                for k in keys:
                    report.queue_depth[k].append(int(depths.get(k, 0)))
                done.wait(SAMPLE_PERIOD_S)

        producers = [threading.Thread(target=produce, args=(k, 7 * i), daemon=True) for i, k in enumerate(keys)]
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        for p in producers:
            p.start()
        for p in producers:
            p.join()
        try:
            results = encoder.finish_episode() if not errors else {}
        finally:
            done.set()
            sampler.join()
        wall = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
    if errors:
        raise RuntimeError(f"a camera producer failed: {errors[0]}") from errors[0]

    report.wall_s = wall
    report.cpu_cores_used = cpu / wall if wall > 0 else float("nan")
    report.producer_max_lag_s = max(lags.values())
    per: list[CameraStreamResult] = [results[k] for k in keys]
    report.per_camera = [
        {**{k: v for k, v in asdict(r).items() if k not in ("path", "stats")}, "drop_rate": r.drop_rate, "realtime_factor": r.realtime_factor}
        for r in per
    ]
    report.frames_fed = sum(r.frames_fed for r in per)
    report.frames_encoded = sum(r.frames_encoded for r in per)
    report.frames_dropped = sum(r.frames_dropped for r in per)
    factors = [r.realtime_factor for r in per if r.realtime_factor == r.realtime_factor]
    report.capacity_headroom = min(factors) if factors else float("nan")
    report.cpu_cores_available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if report.cpu_cores_used > 0:
        report.cpu_headroom = report.cpu_cores_available / report.cpu_cores_used
    known = [h for h in (report.capacity_headroom, report.cpu_headroom) if h == h]
    report.headroom = min(known) if known else float("nan")
    if report.frames_dropped:
        report.verdict = "overloaded"
        report.message = (
            f"{report.frames_dropped} of {report.frames_fed} frames dropped "
            f"({100 * report.frames_dropped / report.frames_fed:.1f}%): this machine cannot stream-encode "
            f"{cameras} x {width}x{height}@{fps} with {report.label}; try a faster preset, h264, fewer threads "
            "per camera, or streaming_encoding=false."
        )
    elif report.headroom < 1.0:
        report.verdict = "overloaded"
        report.message = (
            f"No frame dropped in {seconds:g} s, but the headroom is {report.headroom:.2f}x (encoder capacity "
            f"{report.capacity_headroom:.2f}x, {report.cpu_cores_used:.2f} of {report.cpu_cores_available} cores "
            "busy): the queues only absorbed the backlog; a longer episode will drop frames."
        )
    elif report.headroom >= required_headroom:
        report.verdict = "realtime"
        report.message = (
            f"No frame dropped; headroom {report.headroom:.1f}x (required {required_headroom:g}x): the slowest "
            f"camera's encoder has {report.capacity_headroom:.1f}x the capacity it needs, and the encoders kept "
            f"{report.cpu_cores_used:.2f} of {report.cpu_cores_available} cores busy."
        )
    else:
        report.verdict = "marginal"
        report.message = (
            f"No frame dropped, but the headroom is only {report.headroom:.2f}x (required {required_headroom:g}x; "
            f"encoder capacity {report.capacity_headroom:.2f}x, {report.cpu_cores_used:.2f} of "
            f"{report.cpu_cores_available} cores busy): a busier recording loop or a longer episode may drop frames."
        )
    return report
