"""``StreamingVideoEncoder``: encode camera frames while they are recorded, as LeRobot 0.6's
``StreamingVideoEncoder`` / ``_CameraEncoderThread`` do, doing the same work per frame, but with every
frame accounted for.

Behaviour kept from LeRobot, because it decides what a recording loses:

- per episode, one daemon thread and one bounded ``queue.Queue(maxsize=queue_maxsize)`` per camera
  (threads, not processes: no pickling of frames, and PyAV's ``encode`` releases the GIL);
- ``feed_frame`` copies the image (camera drivers reuse buffers), waits at most 0.1 s for room in the
  queue, then **drops** the frame and logs a warning on the 1st and every 10th drop;
- the thread's per-frame work is LeRobot's: CHW (first dim 1 or 3) -> HWC and non-uint8 ->
  ``(x * 255).astype(uint8)``; the mp4 opened lazily on the first frame (its size sets width and height)
  with ``time_base = 1/fps`` and ``config.get_codec_options(encoder_threads, as_strings=True)``;
  ``PIL.Image.fromarray`` then ``av.VideoFrame.from_image``; ``encode`` with PTS = frame counter; mux;
  then the running image statistics (:class:`~.image_stats.RunningQuantileStats` on a downsampled copy)
  that LeRobot writes to ``stats.json``. That last step costs CPU and GIL time in every camera thread,
  so skipping it would make a real-time check under-report drops; the statistics are returned;
- ``finish_episode`` sends a ``None`` sentinel, joins 120 s (then stops the thread and waits 5 s more).

Where we differ on purpose: ``finish_episode`` returns a :class:`CameraStreamResult` per camera (frames
fed, encoded and dropped, queue depth, latency and encode-time statistics, the image statistics)
instead of ``(path, stats)`` and a log line about drops; an encoder thread's error is raised from
``feed_frame``/``finish_episode``; a frame whose size differs from the episode's first frame is an error
(PyAV would silently rescale it); a thread still running after the join timeouts is an error rather
than a silently short video.
"""

from __future__ import annotations

import logging
import queue
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image

from .config import DEFAULT_DEPTH_PIX_FMT, DepthEncoderConfig, VideoEncoderConfig, camera_encoder_defaults, depth_encoder_defaults
from .depth import check_depth_frame, codes_to_video_frame, quantize_depth
from .image_stats import RunningQuantileStats, image_stats_sample

logger = logging.getLogger(__name__)

#: How long ``feed_frame`` waits for room in a full queue before dropping the frame (LeRobot: 0.1 s).
PUT_TIMEOUT_S = 0.1
#: How long ``finish_episode`` waits for each camera thread to drain (LeRobot: 120 s).
FINISH_JOIN_TIMEOUT_S = 120.0
#: Extra wait after asking a thread to stop (LeRobot: 5 s).
STOP_JOIN_TIMEOUT_S = 5.0
#: How long the encoder thread blocks on an empty queue before re-checking its stop flag (LeRobot: 1 s).
GET_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class CameraStreamResult:
    """What one camera's streaming encode produced and cost during one episode.

    ``frames_fed == frames_encoded + frames_dropped`` always holds, and the mp4 holds exactly
    ``frames_encoded`` frames. ``path`` is None when no frame was encoded (no file is created).
    Latency is per frame, from the ``feed_frame`` call until the encoder has taken the frame and its
    ready packets are muxed (queue wait plus encode call); encode time is the thread's work on one
    frame (conversion, ``encode`` call, mux). Both are NaN when nothing was encoded. Encoders with
    lookahead (libaom, SVT, x264 without ``tune=zerolatency``) buffer frames and push back only when
    their buffers fill, so for short episodes much of the work shows up in ``flush_s``;
    ``encode_busy_s`` (all encode calls plus the flush) is the honest cost. ``encode_wall_s`` runs from
    the first frame to the file being closed, idle time included. ``thread_cpu_s`` is the encoder
    thread's own CPU time; codec worker threads (SVT ``lp``, x264 ``threads``) are not included.
    ``stats`` are the running image statistics LeRobot's thread returns for ``stats.json`` (per channel,
    in 0..255 pixel units: ``min``, ``max``, ``mean``, ``std``, ``count``, ``q01``..``q99``; LeRobot's writer
    divides them by 255), None when fewer than 2 frames were encoded.
    """

    key: str
    path: Path | None
    vcodec: str
    fps: int
    width: int
    height: int
    queue_maxsize: int
    frames_fed: int
    frames_encoded: int
    frames_dropped: int
    max_queue_depth: int
    encode_wall_s: float
    encode_busy_s: float
    thread_cpu_s: float
    flush_s: float
    latency_p50_s: float
    latency_p95_s: float
    latency_max_s: float
    encode_p50_s: float
    encode_p95_s: float
    encode_max_s: float
    encode_mean_s: float
    stats: dict[str, np.ndarray] | None = field(default=None, compare=False, repr=False)

    @property
    def drop_rate(self) -> float:
        """Fraction of fed frames that never reached the encoder."""
        return self.frames_dropped / self.frames_fed if self.frames_fed else 0.0

    @property
    def realtime_factor(self) -> float:
        """Encode capacity over demand, ``frames_encoded / encode_busy_s / fps``; below 1 frames pile up."""
        if not self.frames_encoded or not self.encode_busy_s > 0:
            return float("nan")
        return self.frames_encoded / self.encode_busy_s / self.fps


def _to_hwc_uint8(image: np.ndarray) -> np.ndarray:
    """LeRobot's normalisation, as its thread does it: a 3-d array whose first dim is 1 or 3 is CHW and
    becomes HWC (a view), any non-uint8 array becomes ``(x * 255).astype(uint8)``."""
    if image.ndim == 3 and image.shape[0] in (1, 3):
        image = image.transpose(1, 2, 0)
    if image.dtype != np.uint8:
        image = (image * 255).astype(np.uint8)
    return image


def _to_depth(image: np.ndarray, index: int) -> np.ndarray:
    """LeRobot's depth path: CHW (first dim 1) -> HWC, dtype kept (uint16 mm or float m), then HxW."""
    if image.ndim == 3 and image.shape[0] in (1, 3):
        image = np.transpose(image, (1, 2, 0))
    return check_depth_frame(image, index)


def _stats(values: list[float]) -> tuple[float, float, float, float]:
    if not values:
        nan = float("nan")
        return nan, nan, nan, nan
    arr = np.asarray(values, dtype=np.float64)
    p50, p95 = np.percentile(arr, [50, 95])
    return float(p50), float(p95), float(arr.max()), float(arr.mean())


class _CameraWorker:
    """One camera's queue, encoder thread and counters for one episode.

    Feed-side counters are written only by the feeding thread, encode-side ones only by the encoder
    thread, so no lock is needed.
    """

    def __init__(
        self, key: str, path: Path, fps: int, config: VideoEncoderConfig, options: dict[str, str], maxsize: int
    ) -> None:
        self.key = key
        self.path = path
        self.fps = fps
        self.config = config
        self.options = options
        self.queue: queue.Queue[tuple[np.ndarray, float] | None] = queue.Queue(maxsize=maxsize)
        self.stop = threading.Event()
        # feed side
        self.fed = 0
        self.dropped = 0
        self.max_depth = 0
        # encode side
        self.encoded = 0
        self.width = self.height = 0
        self.error: BaseException | None = None
        self.latencies: list[float] = []
        self.encode_times: list[float] = []
        self.wall_s = self.cpu_s = self.flush_s = 0.0
        self.image_stats = RunningQuantileStats()
        self.thread = threading.Thread(target=self._run, name=f"encoder-{key}", daemon=True)

    # ------------------------------------------------------------------ encoder thread
    def _run(self) -> None:
        container = None
        stream = None
        shape: tuple[int, ...] | None = None
        t_start = time.perf_counter()
        cpu_start = time.thread_time()
        try:
            while not self.stop.is_set():
                try:
                    item = self.queue.get(timeout=GET_TIMEOUT_S)
                except queue.Empty:
                    continue
                if item is None:
                    break
                image, t_fed = item
                t0 = time.perf_counter()
                is_depth = isinstance(self.config, DepthEncoderConfig)
                frame = _to_depth(image, self.encoded) if is_depth else _to_hwc_uint8(image)
                if container is None:
                    shape = frame.shape
                    self.height, self.width = int(shape[0]), int(shape[1])
                    t_start, cpu_start = t0, time.thread_time()
                    container = av.open(str(self.path), "w")
                    stream = container.add_stream(self.config.vcodec, self.fps, options=self.options)
                    stream.pix_fmt = self.config.pix_fmt
                    stream.width, stream.height = self.width, self.height
                    stream.time_base = Fraction(1, self.fps)
                elif frame.shape != shape:
                    raise ValueError(
                        f"camera {self.key!r}: frame {self.encoded} has shape {frame.shape}, "
                        f"the episode's first frame {shape}"
                    )
                if is_depth:  # LeRobot's thread quantizes into its default gray12le frame
                    codes = quantize_depth(frame, **self.config.quantizer())
                    video_frame = codes_to_video_frame(codes, DEFAULT_DEPTH_PIX_FMT)
                else:  # LeRobot's PIL round trip
                    video_frame = av.VideoFrame.from_image(Image.fromarray(frame))
                video_frame.pts = self.encoded
                video_frame.time_base = Fraction(1, self.fps)
                container.mux(stream.encode(video_frame))
                # statistics of the frame as fed (depth: its raw unit, one channel); a 2-d RGB frame fails
                # here as in LeRobot's thread
                self.image_stats.update(image_stats_sample(frame[..., None] if is_depth else frame))
                t1 = time.perf_counter()
                self.encoded += 1
                self.encode_times.append(t1 - t0)
                self.latencies.append(t1 - t_fed)
            if stream is not None and not self.stop.is_set():
                t0 = time.perf_counter()
                for packet in stream.encode(None):
                    container.mux(packet)
                self.flush_s = time.perf_counter() - t0
        except BaseException as exc:  # reported to the feeding thread, never swallowed
            self.error = exc
            logger.error("Encoder thread for %s failed: %s: %s", self.key, type(exc).__name__, exc)
        finally:
            if container is not None:
                try:
                    container.close()
                except Exception as exc:
                    if self.error is None:
                        self.error = exc
            self.wall_s = time.perf_counter() - t_start
            self.cpu_s = time.thread_time() - cpu_start

    # ------------------------------------------------------------------ feeding thread
    def error_message(self) -> str:
        return f"{type(self.error).__name__}: {self.error}" if self.error is not None else "thread exited"

    def feed(self, image: Any) -> bool:
        """Queue a copy of ``image``; False when it was dropped because the queue stayed full."""
        if not self.thread.is_alive():
            raise RuntimeError(f"Encoder thread for {self.key!r} is not running ({self.error_message()})")
        copy = np.array(image, copy=True)
        self.fed += 1
        try:
            self.queue.put((copy, time.perf_counter()), timeout=PUT_TIMEOUT_S)
        except queue.Full:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 10 == 0:
                logger.warning(
                    "Encoder queue full for %s, dropped %d frame(s). Consider a faster encoder setting "
                    "(preset, vcodec) or a larger queue_maxsize",
                    self.key,
                    self.dropped,
                )
            return False
        self.max_depth = max(self.max_depth, self.queue.qsize())
        return True

    def send_sentinel(self, timeout_s: float) -> bool:
        """Put the end-of-episode marker; never dropped, but no wait on a thread that already died, and
        no wait beyond ``timeout_s`` on a thread that stopped draining its queue (a stalled encoder):
        the join timeout then reports it. True when the marker was queued."""
        deadline = time.monotonic() + timeout_s
        while self.thread.is_alive() and time.monotonic() < deadline:
            try:
                self.queue.put(None, timeout=PUT_TIMEOUT_S)
                return True
            except queue.Full:
                continue
        return False

    def result(self) -> CameraStreamResult:
        lat50, lat95, latmax, _ = _stats(self.latencies)
        enc50, enc95, encmax, encmean = _stats(self.encode_times)
        return CameraStreamResult(
            key=self.key,
            path=self.path if self.encoded else None,
            vcodec=self.config.vcodec,
            fps=self.fps,
            width=self.width,
            height=self.height,
            queue_maxsize=self.queue.maxsize,
            frames_fed=self.fed,
            frames_encoded=self.encoded,
            frames_dropped=self.dropped,
            max_queue_depth=self.max_depth,
            encode_wall_s=self.wall_s,
            encode_busy_s=float(sum(self.encode_times)) + self.flush_s,
            thread_cpu_s=self.cpu_s,
            flush_s=self.flush_s,
            latency_p50_s=lat50,
            latency_p95_s=lat95,
            latency_max_s=latmax,
            encode_p50_s=enc50,
            encode_p95_s=enc95,
            encode_max_s=encmax,
            encode_mean_s=encmean,
            stats=self.image_stats.get_statistics() if self.encoded >= 2 else None,
        )


class StreamingVideoEncoder:
    """Encode several cameras in real time during recording, one thread and bounded queue each.

    Usage mirrors LeRobot's recorder: ``start_episode(keys, temp_dir)``, ``feed_frame(key, image)`` per
    camera per tick, then ``finish_episode()`` (which returns per-camera results and leaves each mp4 in
    its own temp folder for the caller to move) or ``cancel_episode()``. ``encoder_threads`` is LeRobot's
    global setting (SVT ``lp``, x264/x265/aom ``threads``).
    """

    def __init__(
        self,
        fps: int,
        camera_encoder_config: VideoEncoderConfig | None = None,
        *,
        queue_maxsize: int = 30,
        encoder_threads: int | None = None,
        depth_encoder: DepthEncoderConfig | None = None,
    ) -> None:
        if isinstance(fps, bool) or not isinstance(fps, (int, np.integer)) or fps <= 0:
            raise ValueError(f"fps={fps!r} must be a positive integer (frames per second)")
        if isinstance(queue_maxsize, bool) or not isinstance(queue_maxsize, int) or queue_maxsize < 1:
            raise ValueError(f"queue_maxsize={queue_maxsize!r} must be a positive integer")
        self.fps = int(fps)
        self.config = camera_encoder_config or camera_encoder_defaults()
        self.depth_config = depth_encoder or depth_encoder_defaults()
        self.queue_maxsize = queue_maxsize
        self.encoder_threads = encoder_threads
        self._workers: dict[str, _CameraWorker] = {}
        self._temp_dirs: list[Path] = []

    @property
    def episode_active(self) -> bool:
        return bool(self._workers)

    def start_episode(
        self,
        video_keys: list[str] | tuple[str, ...],
        temp_dir: str | Path,
        depth_video_keys: list[str] | tuple[str, ...] | None = None,
    ) -> None:
        """Start one encoder thread per camera; an episode still running is cancelled first.

        Keys in ``depth_video_keys`` (LeRobot 0.6) use the depth encoder and take depth frames; a
        ``DepthEncoderConfig`` passed as the camera config makes every key a depth camera."""
        if self._workers:
            self.cancel_episode()
        keys = list(video_keys)
        if not keys:
            raise ValueError("video_keys is empty: at least one camera key is needed")
        if len(set(keys)) != len(keys):
            raise ValueError(f"video_keys={keys!r} contains duplicates")
        temp_dir = Path(temp_dir)
        temp_dir.mkdir(parents=True, exist_ok=True)
        depth_keys = set(depth_video_keys or ())
        if depth_keys - set(keys):
            raise ValueError(f"depth_video_keys={sorted(depth_keys - set(keys))!r} are not among video_keys={keys!r}")
        for key in keys:
            config = self.depth_config if key in depth_keys else self.config
            options = config.get_codec_options(self.encoder_threads, as_strings=True)
            folder = Path(tempfile.mkdtemp(dir=temp_dir))
            self._temp_dirs.append(folder)
            path = folder / f"{key.replace('/', '_')}_streaming.mp4"
            worker = _CameraWorker(key, path, self.fps, config, dict(options), self.queue_maxsize)
            self._workers[key] = worker
            worker.thread.start()

    def feed_frame(self, key: str, image: Any) -> bool:
        """Hand one frame (HWC or CHW, uint8 or float in [0, 1]) to ``key``'s encoder thread.

        Returns True when queued, False when dropped after waiting 0.1 s for room. Raises
        ``RuntimeError`` when no episode is active or the camera's thread has died (with its error),
        ``KeyError`` for a camera not started in this episode.
        """
        if not self._workers:
            raise RuntimeError("No active episode: call start_episode() before feed_frame()")
        worker = self._workers.get(key)
        if worker is None:
            raise KeyError(f"camera {key!r} is not part of this episode; keys: {sorted(self._workers)}")
        return worker.feed(image)

    def queue_depths(self) -> dict[str, int]:
        """Frames waiting per camera right now (cheap; meant for sampling during an episode)."""
        return {key: w.queue.qsize() for key, w in self._workers.items()}

    def finish_episode(self) -> dict[str, CameraStreamResult]:
        """Drain every queue, close the mp4 files and return each camera's result.

        Raises ``RuntimeError`` if a camera's thread failed or did not finish within the join timeouts;
        the episode's temp folders are then removed.
        """
        if not self._workers:
            raise RuntimeError("No active episode: call start_episode() before finish_episode()")
        workers = self._workers
        for w in workers.values():
            if w.dropped:
                logger.warning("Episode finished with %d dropped frame(s) for %s", w.dropped, w.key)
            w.send_sentinel(FINISH_JOIN_TIMEOUT_S)
        problems = []
        for w in workers.values():
            w.thread.join(timeout=FINISH_JOIN_TIMEOUT_S)
            if w.thread.is_alive():
                w.stop.set()
                w.thread.join(timeout=STOP_JOIN_TIMEOUT_S)
                problems.append(
                    f"{w.key}: encoder did not finish within {FINISH_JOIN_TIMEOUT_S:g} s "
                    f"({w.encoded} of {w.fed - w.dropped} queued frames encoded)"
                )
            elif w.error is not None:
                problems.append(f"{w.key}: {w.error_message()}")
        if problems:
            self._discard()
            raise RuntimeError("Streaming encode failed: " + "; ".join(problems))
        results = {key: w.result() for key, w in workers.items()}
        self._workers = {}
        self._temp_dirs = []
        return results

    def cancel_episode(self) -> None:
        """Stop every thread (5 s join each) and delete the episode's temp folders and files."""
        for w in self._workers.values():
            w.stop.set()
        self._discard()

    def close(self) -> None:
        """Cancel any active episode."""
        if self._workers:
            self.cancel_episode()

    def __enter__(self) -> StreamingVideoEncoder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _discard(self) -> None:
        for w in self._workers.values():
            w.stop.set()
            try:
                w.queue.put_nowait(None)  # wake a thread idling in get(); a full queue means it is busy
            except queue.Full:
                pass
        for w in self._workers.values():
            w.thread.join(timeout=STOP_JOIN_TIMEOUT_S)
            if w.thread.is_alive():
                logger.warning("Encoder thread for %s still running after stop; abandoning it", w.key)
        for folder in self._temp_dirs:
            shutil.rmtree(folder, ignore_errors=True)
        self._workers = {}
        self._temp_dirs = []
