"""Streaming encoders a real-time check can run, by name: ``videobench`` (our
:class:`~.streaming.StreamingVideoEncoder`, which does LeRobot's per-frame work and measures every frame)
and ``lerobot`` (LeRobot's own ``StreamingVideoEncoder``, when the ``lerobot`` package is installed).

Both are driven through the same small interface (``start_episode``, ``feed_frame`` -> queued?,
``queue_depths``, ``finish_episode`` -> ``{key: CameraStreamResult}``, ``cancel_episode``, ``close``), so
the same producers and verdict apply and a difference in drops can only come from the encoder.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import EncoderUnavailableError, InvalidValueError
from .config import VideoEncoderConfig, camera_encoder_defaults
from .streaming import CameraStreamResult, StreamingVideoEncoder
from .video_files import count_frames, get_video_info

_NAN = float("nan")


class LeRobotStreamingEncoder:
    """LeRobot 0.6's ``StreamingVideoEncoder`` behind our interface.

    LeRobot's encoder returns ``(path, stats)`` per camera and keeps its drop counter private, so drops
    are read from that counter (``_dropped_frames``) around each ``feed_frame`` and the frames encoded are
    counted in the mp4; ``finish_episode`` checks fed = encoded + dropped. Per-frame timings are not
    observable from outside LeRobot's thread: those fields are NaN (the real-time verdict then rests on
    drops and CPU headroom). Needs ``lerobot`` (0.6.x, Python >= 3.12).
    """

    def __init__(
        self,
        fps: int,
        camera_encoder_config: VideoEncoderConfig | None = None,
        *,
        queue_maxsize: int = 30,
        encoder_threads: int | None = None,
    ) -> None:
        try:
            from lerobot.configs.video import RGBEncoderConfig
            from lerobot.datasets.video_utils import StreamingVideoEncoder as _LeRobotEncoder
        except ImportError as exc:
            raise EncoderUnavailableError(
                f"engine='lerobot' needs the lerobot package (0.6.x, Python >= 3.12: "
                f"pip install 'lerobot[dataset]>=0.6,<0.7'); importing it failed: {exc}"
            ) from exc
        self.fps = int(fps)
        self.config = camera_encoder_config or camera_encoder_defaults()
        self.queue_maxsize = queue_maxsize
        self._encoder = _LeRobotEncoder(
            self.fps, rgb_encoder=RGBEncoderConfig(**self.config.to_dict()), queue_maxsize=queue_maxsize,
            encoder_threads=encoder_threads,
        )
        self._fed: dict[str, int] = {}
        self._max_depth: dict[str, int] = {}
        self._t_start = 0.0

    @property
    def episode_active(self) -> bool:
        return bool(self._fed)

    def start_episode(self, video_keys: list[str] | tuple[str, ...], temp_dir: str | os.PathLike) -> None:
        temp = Path(temp_dir)
        temp.mkdir(parents=True, exist_ok=True)
        keys = list(video_keys)
        self._encoder.start_episode(keys, temp)
        self._fed = dict.fromkeys(keys, 0)
        self._max_depth = dict.fromkeys(keys, 0)
        self._t_start = time.perf_counter()

    def _dropped(self, key: str) -> int:
        return int(self._encoder._dropped_frames.get(key, 0))

    def feed_frame(self, key: str, image: Any) -> bool:
        if key not in self._fed:
            raise KeyError(f"camera {key!r} is not part of this episode; keys: {sorted(self._fed)}")
        before = self._dropped(key)
        self._encoder.feed_frame(key, image)
        self._fed[key] += 1
        self._max_depth[key] = max(self._max_depth[key], self._encoder._frame_queues[key].qsize())
        return self._dropped(key) == before

    def queue_depths(self) -> dict[str, int]:
        return {key: q.qsize() for key, q in dict(self._encoder._frame_queues).items()}

    def finish_episode(self) -> dict[str, CameraStreamResult]:
        dropped = {key: self._dropped(key) for key in self._fed}
        outputs = self._encoder.finish_episode()
        wall = time.perf_counter() - self._t_start
        results = {}
        for key, fed in self._fed.items():
            path, stats = outputs[key]
            encoded = count_frames(path) if path is not None and Path(path).is_file() else 0
            info = get_video_info(path) if encoded else {}
            if fed != encoded + dropped[key]:
                raise RuntimeError(
                    f"{key}: LeRobot's encoder was fed {fed} frames, dropped {dropped[key]}, but its mp4 holds {encoded}"
                )
            results[key] = CameraStreamResult(
                key=key, path=Path(path) if encoded else None, vcodec=self.config.vcodec, fps=self.fps,
                width=int(info.get("video.width") or 0), height=int(info.get("video.height") or 0), queue_maxsize=self.queue_maxsize, frames_fed=fed, frames_encoded=encoded,
                frames_dropped=dropped[key], max_queue_depth=self._max_depth[key], encode_wall_s=wall,
                encode_busy_s=_NAN, thread_cpu_s=_NAN, flush_s=_NAN, latency_p50_s=_NAN, latency_p95_s=_NAN,
                latency_max_s=_NAN, encode_p50_s=_NAN, encode_p95_s=_NAN, encode_max_s=_NAN, encode_mean_s=_NAN,
                stats=stats,
            )
        self._fed = {}
        return results

    def cancel_episode(self) -> None:
        self._encoder.cancel_episode()
        self._fed = {}

    def close(self) -> None:
        self._encoder.close()
        self._fed = {}

    def __enter__(self) -> LeRobotStreamingEncoder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


#: Engine name -> factory ``(fps, config, *, queue_maxsize, encoder_threads)``.
STREAMING_ENGINES: dict[str, Callable[..., Any]] = {
    "videobench": StreamingVideoEncoder,
    "lerobot": LeRobotStreamingEncoder,
}


def streaming_engine(name: str) -> Callable[..., Any]:
    """The factory of streaming engine ``name``; unknown names are refused with the allowed ones."""
    try:
        return STREAMING_ENGINES[name]
    except (KeyError, TypeError):
        raise InvalidValueError(f"engine={name!r} is not a streaming engine; allowed: {sorted(STREAMING_ENGINES)}") from None


__all__ = ["STREAMING_ENGINES", "LeRobotStreamingEncoder", "streaming_engine"]
