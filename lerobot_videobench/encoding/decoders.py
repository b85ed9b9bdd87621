"""Frame access as LeRobot 0.6 trains: one backend per training decode path, in a small registry.

``LeRobotDataset.__getitem__`` calls ``decode_video_frames(path, timestamps, tolerance_s=1e-4, backend)``
with ``return_uint8=True`` (``lerobot-train``). Two backends exist and both are reproduced here, because
load time and even correctness differ between them:

- ``torchcodec`` (LeRobot's default when it imports): one ``VideoDecoder(file, seek_mode="approximate")``
  per mp4, kept open in a per-process LRU cache of 100 decoders, one FFmpeg thread, CPU; the frames of a
  query come from ``get_frames_at([round(ts * average_fps)])`` in one batched call.
- ``pyav`` (the fallback): ``av.open`` on every call, ``seek(first_ts, backward=True)`` to the keyframe,
  decode forward converting every decoded frame to RGB until the last query, nearest frame per query;
  FFmpeg's default decoder threading.

Depth videos (LeRobot 0.6) are always read by the ``pyav`` path as ``gray12le`` 12-bit codes, whatever the
training backend says (``decode_video_frames`` falls back to PyAV for ``is_depth``): ``is_depth=True`` does
the same here, returning ``(N, 1, H, W)`` ``uint16`` codes.

Both then apply LeRobot's tolerance check: every query's nearest returned frame must be within
``tolerance_s`` of it, else :class:`FrameTimestampError` (training skips or crashes on such an item).
torchcodec (and torch) are imported lazily: the package runs without them.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import EncoderUnavailableError, InvalidValueError

logger = logging.getLogger(__name__)

#: LeRobot's default ``tolerance_s`` (``LeRobotDataset`` and ``lerobot-train``).
DEFAULT_TOLERANCE_S = 1e-4
#: The only backend LeRobot 0.6 decodes depth videos with (``decode_video_frames(..., is_depth=True)``).
DEPTH_DECODER = "pyav"
#: LeRobot's ``DEFAULT_DECODER_CACHE_SIZE``: decoders a training process keeps open.
DECODER_CACHE_SIZE = 100


class FrameTimestampError(ValueError):
    """A query's nearest decodable frame is further than ``tolerance_s`` from it (LeRobot's error)."""


@dataclass(frozen=True)
class DecodedFrames:
    """Frames returned for one query, in query order: ``(N, C, H, W)`` uint8 as LeRobot returns them,
    and the presentation time (s) of each returned frame."""

    frames: np.ndarray
    timestamps: tuple[float, ...]

    def hwc(self, i: int) -> np.ndarray:
        """Frame ``i`` as an ``(H, W, 3)`` RGB array (a view)."""
        return self.frames[i].transpose(1, 2, 0)


def _nearest_within_tolerance(
    queries: Sequence[float], loaded: Sequence[float], tolerance_s: float, path: str, backend: str
) -> np.ndarray:
    """Index of the nearest loaded frame per query, raising as LeRobot does when one is out of tolerance."""
    q = np.asarray(queries, dtype=np.float64)[:, None]
    t = np.asarray(loaded, dtype=np.float64)[None, :]
    dist = np.abs(q - t)
    argmin = dist.argmin(axis=1)
    nearest = dist[np.arange(len(q)), argmin]
    bad = ~(nearest < tolerance_s)
    if bad.any():
        raise FrameTimestampError(
            f"{path}: queries {np.round(q[bad, 0], 6).tolist()} have no frame within tolerance_s={tolerance_s} "
            f"(nearest {np.round(t[0, argmin[bad]], 6).tolist()}; backend {backend})"
        )
    return argmin


def _torch() -> Any:
    """torch when it imports (LeRobot always has it), else None: the pyav path then converts with numpy."""
    global _TORCH
    if _TORCH is None:
        try:
            import torch

            _TORCH = torch
        except ImportError:
            _TORCH = False
    return _TORCH or None


_TORCH: Any = None


class PyAVDecoder:
    """LeRobot's ``decode_video_frames_pyav``: open per call, seek back to the keyframe, decode forward."""

    name = "pyav"

    def decode(self, path: str | os.PathLike, timestamps: Sequence[float], tolerance_s: float = DEFAULT_TOLERANCE_S,
               is_depth: bool = False) -> DecodedFrames:
        import av

        path = str(path)
        first_ts, last_ts = min(timestamps), max(timestamps)
        loaded: list[np.ndarray] = []
        loaded_ts: list[float] = []
        torch = _torch()
        with av.open(path) as container:
            stream = container.streams.video[0]
            container.seek(round(first_ts / stream.time_base) - 1, backward=True, any_frame=False, stream=stream)
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                ts = float(frame.pts * stream.time_base)
                # LeRobot converts every decoded frame to a contiguous CHW tensor: the user pays it, per frame
                # decoded after the keyframe, so with long GOPs it is much of the query. torch's permute +
                # contiguous costs ~2.5x numpy's transpose copy: use torch as LeRobot does when it is there.
                if is_depth:  # 12-bit codes, (1, H, W), as LeRobot's depth branch
                    arr = frame.to_ndarray(format="gray12le")
                    loaded.append(torch.from_numpy(arr).unsqueeze(0).contiguous() if torch
                                  else np.ascontiguousarray(arr[None]))
                else:
                    arr = frame.to_ndarray(format="rgb24")
                    loaded.append(torch.from_numpy(arr).permute(2, 0, 1).contiguous() if torch
                                  else np.ascontiguousarray(arr.transpose(2, 0, 1)))
                loaded_ts.append(ts)
                if ts >= last_ts:
                    break
        if not loaded:
            raise FrameTimestampError(f"{path}: no frame could be decoded in [{first_ts}, {last_ts}] (backend pyav)")
        idx = _nearest_within_tolerance(timestamps, loaded_ts, tolerance_s, path, self.name)
        picked = [loaded[i] for i in idx]
        frames = torch.stack(picked).numpy() if torch else np.stack(picked)
        return DecodedFrames(frames, tuple(loaded_ts[i] for i in idx))

    def forget(self, path: str | os.PathLike) -> None:
        """Nothing is kept between calls."""

    def close(self) -> None:
        """Nothing is kept between calls."""


class TorchcodecDecoder:
    """LeRobot's ``decode_video_frames_torchcodec`` with its ``VideoDecoderCache``: one decoder per file,
    opened on a file handle with ``seek_mode="approximate"`` and reused across queries (LRU, 100)."""

    name = "torchcodec"

    def __init__(self, max_size: int = DECODER_CACHE_SIZE) -> None:
        self._video_decoder = _import_torchcodec()
        self.max_size = max_size
        self._cache: OrderedDict[tuple[str, int, int], tuple[Any, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def _get(self, path: str) -> Any:
        st = os.stat(path)  # a rewritten file at the same path must not hit a stale decoder
        key = (path, st.st_mtime_ns, st.st_size)
        with self._lock:
            entry = self._cache.get(key)
            if entry is not None:
                self._cache.move_to_end(key)
                return entry[0]
            handle = open(path, "rb")  # LeRobot passes an fsspec file handle: torchcodec reads through Python
            try:
                decoder = self._video_decoder(handle, seek_mode="approximate", num_ffmpeg_threads=1, device="cpu")
            except Exception:
                handle.close()
                raise
            self._cache[key] = (decoder, handle)
            while len(self._cache) > self.max_size:
                _, (_, old) = self._cache.popitem(last=False)
                old.close()
            return decoder

    def decode(self, path: str | os.PathLike, timestamps: Sequence[float], tolerance_s: float = DEFAULT_TOLERANCE_S) -> DecodedFrames:
        import torch

        path = str(path)
        decoder = self._get(path)
        fps = decoder.metadata.average_fps
        batch = decoder.get_frames_at(indices=[round(ts * fps) for ts in timestamps])
        loaded_ts = batch.pts_seconds.tolist()
        idx = _nearest_within_tolerance(timestamps, loaded_ts, tolerance_s, path, self.name)
        frames = torch.stack([batch.data[i] for i in idx])  # LeRobot stacks the nearest frames: a copy
        return DecodedFrames(frames.numpy(), tuple(loaded_ts[i] for i in idx))

    def forget(self, path: str | os.PathLike) -> None:
        """Close the decoders of ``path`` (before the file is deleted or rewritten)."""
        path = str(path)
        with self._lock:
            for key in [k for k in self._cache if k[0] == path]:
                _, handle = self._cache.pop(key)
                handle.close()

    def close(self) -> None:
        with self._lock:
            for _, handle in self._cache.values():
                handle.close()
            self._cache.clear()


def _import_torchcodec() -> Any:
    try:
        from torchcodec.decoders import VideoDecoder
    except (ImportError, OSError, RuntimeError) as exc:  # installed but unloadable counts as absent (LeRobot)
        raise EncoderUnavailableError(
            f"decoder='torchcodec' is not usable here ({type(exc).__name__}: {exc}); "
            "install the extra: pip install 'lerobot-videobench[torchcodec]' (needs torch and FFmpeg's shared "
            "libraries), or use decoder='pyav'"
        ) from None
    return VideoDecoder


#: Backend name -> factory of a decoder object with ``decode(path, timestamps, tolerance_s)``.
DECODERS: dict[str, Callable[[], Any]] = {"torchcodec": TorchcodecDecoder, "pyav": PyAVDecoder}

_available: dict[str, bool] = {}
_shared: dict[str, Any] = {}
_shared_lock = threading.Lock()


def decoder_available(name: str, *, load: bool = False) -> bool:
    """Whether backend ``name`` can run here. torchcodec: installed (a cheap look-up, so building settings
    does not import torch), or with ``load=True`` also importable (LeRobot's own test)."""
    if name not in DECODERS:
        return False
    if name != "torchcodec":
        return True
    if not load:
        return importlib.util.find_spec("torchcodec") is not None
    if name not in _available:
        try:
            importlib.import_module("torchcodec.decoders")
            _available[name] = True
        except (ImportError, OSError, RuntimeError) as exc:
            logger.debug("torchcodec is not usable: %s", exc)
            _available[name] = False
    return _available[name]


def default_decoder() -> str:
    """LeRobot's ``get_safe_default_video_backend``: torchcodec when it is installed, else pyav (an
    installed torchcodec that fails to load is reported when used, not silently replaced)."""
    return "torchcodec" if decoder_available("torchcodec") else "pyav"


def get_decoder(name: str | None = None) -> Any:
    """The process-wide decoder of backend ``name`` (default: :func:`default_decoder`); shared so the
    torchcodec cache lives as long as the process, as LeRobot's module-level cache does."""
    name = name or default_decoder()
    if name not in DECODERS:
        raise InvalidValueError(f"decoder={name!r}; allowed: {sorted(DECODERS)}")
    with _shared_lock:
        if name not in _shared:
            _shared[name] = DECODERS[name]()
        return _shared[name]


def prepare_decoder(name: str | None = None) -> None:
    """Import what backend ``name`` needs before any query is timed (torchcodec and torch, or torch for the
    pyav path's conversion): a training process has them imported before its first batch, so a one-off
    import of seconds must not land in the first query's load time."""
    get_decoder(name)
    _torch()


def decode_frames(
    path: str | os.PathLike,
    timestamps: Sequence[float],
    *,
    backend: str | None = None,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    is_depth: bool = False,
) -> DecodedFrames:
    """The frames a LeRobot training process gets for ``timestamps`` (seconds into the file) of ``path``.

    ``is_depth``: a depth video, read as LeRobot 0.6 reads it whatever ``backend`` says: PyAV, ``gray12le``
    codes ``(N, 1, H, W)`` (dequantizing them is the caller's step, as in LeRobot's dataset reader)."""
    if not len(timestamps):
        raise InvalidValueError("timestamps is empty: give at least one query timestamp")
    if is_depth:
        return get_decoder(DEPTH_DECODER).decode(path, timestamps, tolerance_s, is_depth=True)
    return get_decoder(backend).decode(path, timestamps, tolerance_s)


def forget_video(path: str | os.PathLike) -> None:
    """Drop every cached decoder of ``path`` (call before deleting the file)."""
    with _shared_lock:
        decoders = list(_shared.values())
    for d in decoders:
        d.forget(path)
