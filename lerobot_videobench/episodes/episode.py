"""``Episode``: one camera of one episode, whatever its source, as a re-iterable stream of frames.

Frames are produced by a *frame reader*: a small picklable callable (a dataclass with ``__call__``)
returning a fresh iterator of arrays each time, so an episode can be shipped to a worker process or a
Dask worker and read there, and memory never grows with episode length. An RGB camera yields HxWx3
``uint8``; a depth camera (``Episode.depth`` set) yields HxW ``uint16`` millimetres whatever its source
stored (metres, mm, LeRobot's 12-bit quantized video), so every layer above handles one depth layout.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

FrameReader = Callable[[], Iterator[np.ndarray]]


def default_cache_dir() -> Path:
    """``$LEROBOT_VIDEOBENCH_CACHE`` or ``~/.cache/lerobot-videobench``."""
    env = os.environ.get("LEROBOT_VIDEOBENCH_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "lerobot-videobench"


@dataclass(frozen=True)
class Provenance:
    """Where an episode's frames come from and how they were stored there.

    ``lossy`` is True when the source frames were already compressed with loss (a video dataset, an
    mp4), so quality figures are relative to that source and optimistic near its own settings.
    """

    source: str
    kind: str
    path: str | None = None
    codec: str | None = None
    pix_fmt: str | None = None
    encoder_settings: dict[str, Any] = field(default_factory=dict)
    lossy: bool = True
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kind": self.kind,
            "path": self.path,
            "codec": self.codec,
            "pix_fmt": self.pix_fmt,
            "encoder_settings": dict(self.encoder_settings),
            "lossy": self.lossy,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class DepthSpec:
    """What makes an episode a depth camera, and how its source stored depth.

    Frames are always yielded as HxW ``uint16`` millimetres (0 = no return). ``source_unit`` is what the
    source held (``"mm"`` or ``"m"``, LeRobot's ``depth_unit``); ``quantizer`` holds the source video's
    recorded ``depth_min`` / ``depth_max`` / ``shift`` / ``use_log`` when the depth was already 12-bit
    quantized by LeRobot (its frames are then lossy at the quantizer's resolution), else ``None``.
    """

    source_unit: str = "mm"
    quantizer: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"source_unit": self.source_unit, "quantizer": dict(self.quantizer) if self.quantizer else None}


#: Frame layouts of the two kinds of camera: (trailing shape after H, W; dtype).
RGB_LAYOUT: tuple[tuple[int, ...], str] = ((3,), "uint8")
DEPTH_LAYOUT: tuple[tuple[int, ...], str] = ((), "uint16")


def layout_tag(width: int, height: int, depth: bool) -> str:
    """The header hashed before the frame bytes: RGB keeps its historical ``WxHx3`` (fingerprints of
    stored results stay valid); depth says so, so equal bytes never alias an RGB episode."""
    return f"{width}x{height}x1-u16mm" if depth else f"{width}x{height}x3"


@dataclass(frozen=True, eq=False)
class _Limited:
    reader: FrameReader
    n: int

    def __call__(self) -> Iterator[np.ndarray]:
        return itertools.islice(self.reader(), self.n)


@dataclass(frozen=True, eq=False)
class RawFrameFile:
    """Frames read back from the raw frame cache: a file of shape (N, H, W, 3) ``uint8`` (RGB) or
    (N, H, W) ``uint16`` (depth, mm), named by ``dtype``.

    Sequential passes read one frame at a time into a fresh array (the OS page cache makes repeat
    passes cheap) rather than through a memory map, whose touched pages would count in the reader's
    resident memory until the pass ends and make it grow with episode length. Random access (the
    frame viewer) maps the same file: see :meth:`frame`.
    """

    path: str
    shape: tuple[int, ...]
    dtype: str = "uint8"

    def __call__(self) -> Iterator[np.ndarray]:
        frame_shape = self.shape[1:]
        with open(self.path, "rb", buffering=0) as f:
            for _ in range(self.shape[0]):
                frame = np.empty(frame_shape, dtype=self.dtype)
                if f.readinto(memoryview(frame).cast("B")) != frame.nbytes:
                    raise ValueError(f"frame cache {self.path} is shorter than its {self.shape[0]} frames")
                yield frame

    def frame(self, index: int) -> np.ndarray:
        """Frame ``index`` through a memory map (random access without reading the others)."""
        return np.array(np.memmap(self.path, dtype=self.dtype, mode="r", shape=self.shape)[index])


@dataclass(frozen=True, eq=False)
class Episode:
    """One (episode, camera) pair: shape, rate, provenance and a re-iterable frame stream.

    ``depth`` is set for a depth camera: frames are then HxW ``uint16`` mm instead of HxWx3 RGB.

    ``source_id`` is a cheap identity of where the frames are (path, size, mtime, episode, camera,
    frame limit); :meth:`fingerprint` is the content hash of the frames themselves, remembered on
    disk under ``source_id`` so a rerun does not decode again just to know what it is measuring.
    """

    camera: str
    episode_index: int
    fps: int
    width: int
    height: int
    num_frames: int
    provenance: Provenance
    reader: FrameReader = field(repr=False)
    source_id: str = ""
    depth: DepthSpec | None = None

    @property
    def is_depth(self) -> bool:
        return self.depth is not None

    @property
    def frame_shape(self) -> tuple[int, ...]:
        """Shape of one frame: (H, W, 3) for RGB, (H, W) for depth."""
        tail, _ = DEPTH_LAYOUT if self.is_depth else RGB_LAYOUT
        return (self.height, self.width, *tail)

    @property
    def frame_dtype(self) -> str:
        return (DEPTH_LAYOUT if self.is_depth else RGB_LAYOUT)[1]

    @property
    def key(self) -> str:
        """Short unique name within a source, e.g. ``ep0/observation.images.top``."""
        return f"ep{self.episode_index}/{self.camera}"

    @property
    def lossy(self) -> bool:
        return self.provenance.lossy

    def iter_frames(self) -> Iterator[np.ndarray]:
        """A fresh iterator over the frames (HxWx3 uint8 RGB, or HxW uint16 mm depth), read on the fly."""
        return self.reader()

    def __iter__(self) -> Iterator[np.ndarray]:
        return self.iter_frames()

    def __len__(self) -> int:
        return self.num_frames

    def limited(self, max_frames: int | None) -> Episode:
        """The first ``max_frames`` frames (all when None or larger than the episode)."""
        if max_frames is None or max_frames >= self.num_frames:
            return self
        if max_frames < 1:
            raise ValueError(f"max_frames={max_frames!r} must be a positive integer")
        return replace(
            self,
            num_frames=int(max_frames),
            reader=_Limited(self.reader, int(max_frames)),
            source_id=f"{self.source_id}|first{int(max_frames)}",
        )

    # ------------------------------------------------------------------ content identity and cache
    def fingerprint(self, cache_dir: str | os.PathLike | None = None) -> str:
        """BLAKE2b of the frames' bytes and shape (hex, 32 chars), cached on disk by ``source_id``."""
        index = _fingerprint_index(cache_dir)
        if self.source_id:
            hit = index.get(self.source_id)
            if hit:
                return hit
        h = hashlib.blake2b(digest_size=16)
        h.update(layout_tag(self.width, self.height, self.is_depth).encode())
        n = 0
        for frame in self.iter_frames():
            h.update(np.ascontiguousarray(frame).data)
            n += 1
        if n != self.num_frames:
            raise ValueError(f"{self.key}: read {n} frames, episode says {self.num_frames}")
        digest = h.hexdigest()
        if self.source_id:
            index.put(self.source_id, digest)
        return digest

    def cached(self, cache_dir: str | os.PathLike | None = None) -> Episode:
        """This episode backed by a content-addressed raw frame file on disk.

        A sweep reads each episode many times (once per configuration, twice per trial); decoding
        a lossy source every time costs more than reading raw frames from the page cache.
        The file is written once per content hash and reused across runs.
        """
        if isinstance(self.reader, RawFrameFile):
            return self
        root = Path(cache_dir) if cache_dir else default_cache_dir()
        digest = self.fingerprint(root)
        shape = (self.num_frames, *self.frame_shape)
        from . import frame_cache

        target = frame_cache.entry_path(root, digest, self.is_depth)
        if target.exists() and frame_cache.verified(target, digest, shape):  # size and content hash
            frame_cache.touch(target)
        else:
            try:
                self._write_cache(target, shape)
            except OSError as exc:
                from ..paths import disk_full, is_disk_full

                if is_disk_full(exc):
                    raise disk_full(target.parent, "the frame cache", "set LEROBOT_VIDEOBENCH_CACHE (or --cache-dir) to "
                                    "a disk with room, lower LEROBOT_VIDEOBENCH_CACHE_MAX_GB, or pass "
                                    "--no-frame-cache") from exc
                raise
            frame_cache.evict(root, keep=target)
        return replace(self, reader=RawFrameFile(str(target), shape, self.frame_dtype))

    def _write_cache(self, target: Path, shape: tuple[int, ...]) -> None:
        """Write the raw frames to ``target`` through a temporary file (a kill leaves no partial entry)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}-{threading.get_ident()}.tmp")
        try:
            with open(tmp, "wb") as f:
                n = 0
                for frame in self.iter_frames():
                    if frame.shape != shape[1:] or frame.dtype != np.dtype(self.frame_dtype):
                        # read back with the episode's shape, such frames would be silently scrambled
                        raise ValueError(
                            f"{self.key}: frame {n} is {frame.dtype} {frame.shape}, the episode says "
                            f"{self.frame_dtype} {shape[1:]} (width={self.width}, height={self.height})"
                        )
                    f.write(np.ascontiguousarray(frame).data)
                    n += 1
            if n != self.num_frames:
                raise ValueError(f"{self.key}: read {n} frames, episode says {self.num_frames}")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    def describe(self) -> dict[str, Any]:
        """Plain-data summary (no frames) for tables, JSON output and result rows."""
        return {
            "key": self.key,
            "episode_index": self.episode_index,
            "camera": self.camera,
            "fps": self.fps,
            "width": self.width,
            "height": self.height,
            "num_frames": self.num_frames,
            "source_id": self.source_id,
            "is_depth": self.is_depth,
            **({"depth_source_unit": self.depth.source_unit, "depth_source_quantizer": self.depth.quantizer}
               if self.depth else {}),
            **{f"source_{k}": v for k, v in self.provenance.to_dict().items()},
        }


class _FingerprintIndex:
    """``source_id`` -> content hash, one small JSON file per id (safe for concurrent writers)."""

    def __init__(self, root: Path) -> None:
        self.root = root / "fingerprints"

    def _path(self, source_id: str) -> Path:
        return self.root / (hashlib.sha1(source_id.encode()).hexdigest() + ".json")

    def get(self, source_id: str) -> str | None:
        try:
            data = json.loads(self._path(source_id).read_text())
        except (OSError, ValueError):
            return None
        return data.get("fingerprint") if data.get("source_id") == source_id else None

    def put(self, source_id: str, digest: str) -> None:
        path = self._path(source_id)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}-{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps({"source_id": source_id, "fingerprint": digest}))
            os.replace(tmp, path)
        except OSError as exc:  # a read-only cache only costs a re-hash next time
            logger.debug("cannot cache fingerprint: %s", exc)


def _fingerprint_index(cache_dir: str | os.PathLike | None) -> _FingerprintIndex:
    return _FingerprintIndex(Path(cache_dir) if cache_dir else default_cache_dir())


def file_source_id(path: str | os.PathLike, *parts: Any) -> str:
    """A cheap identity for frames read from a file: resolved path, size and mtime, plus ``parts``."""
    p = Path(path).resolve()
    st = p.stat()
    return "|".join([str(p), str(st.st_size), str(st.st_mtime_ns), *[str(x) for x in parts]])


@dataclass(frozen=True, eq=False)
class ArrayFrames:
    """Frames held in memory (tests, synthetic content, the real-time check): a list of arrays."""

    frames: tuple[np.ndarray, ...]

    def __call__(self) -> Iterator[np.ndarray]:
        return iter(self.frames)


def episode_from_arrays(
    frames: list[np.ndarray] | np.ndarray,
    fps: int = 30,
    *,
    camera: str = "camera",
    episode_index: int = 0,
    source: str = "arrays",
    lossy: bool = False,
    depth_unit: str | None = None,
) -> Episode:
    """Wrap in-memory frames as an :class:`Episode` (tests and synthetic content).

    HxWx3 ``uint8`` frames are RGB. HxW (or HxWx1) frames are depth: integer mm or float m, LeRobot's
    rule, unless ``depth_unit`` says; they are held as ``uint16`` mm.
    """
    frames = tuple(np.asarray(f) for f in frames)
    if not frames:
        raise ValueError("frames is empty: an episode needs at least one frame")
    depth = None
    first = frames[0]
    if first.ndim == 2 or (first.ndim == 3 and (first.shape[-1] == 1 or (first.shape[0] == 1 and first.shape[-1] != 3))):
        from ..encoding.depth import check_depth_frame, depth_to_mm, infer_depth_unit

        unit = depth_unit or infer_depth_unit(frames[0].dtype)
        frames = tuple(
            np.clip(np.rint(depth_to_mm(check_depth_frame(f, i), unit)), 0, 65535).astype(np.uint16)
            for i, f in enumerate(frames)
        )
        depth = DepthSpec(source_unit=unit)
    h, w = frames[0].shape[:2]
    digest = hashlib.blake2b(b"".join(np.ascontiguousarray(f).tobytes() for f in frames), digest_size=16)
    return Episode(
        camera=camera,
        episode_index=episode_index,
        fps=int(fps),
        width=int(w),
        height=int(h),
        num_frames=len(frames),
        provenance=Provenance(source=source, kind="arrays", lossy=lossy),
        reader=ArrayFrames(frames),
        source_id=f"arrays:{digest.hexdigest()}" + (":depth" if depth else ""),
        depth=depth,
    )
