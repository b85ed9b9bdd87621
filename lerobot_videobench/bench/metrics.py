"""Per-frame PSNR and SSIM of decoded RGB frames against their source RGB frames.

Quality is measured on what the policy sees: HxWx3 uint8 RGB, every frame, pooled afterwards (mean,
5th percentile, minimum). Two SSIM flavours exist because they answer different questions and their
values are not interchangeable:

- ``"fast"``: FFmpeg's ``ssim`` filter run through a PyAV filter graph on planar RGB. With PSNR it runs
  about 25x faster than scikit-image SSIM on RGB (``benchmarks/metrics_speed.py``), so every frame of
  every trial can be scored.
- ``"exact"``: scikit-image ``structural_similarity`` called exactly as LeRobot's old video benchmark
  did, for comparison with published figures.

Every result names its flavour (``SSIM_FLAVOURS``); never compare values across flavours.
"""

from __future__ import annotations

import gc
import os
import re
import tempfile
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import av
import numpy as np

__all__ = [
    "PSNR_POOL_CAP_DB",
    "SSIM_FLAVOURS",
    "FrameComparer",
    "FrameQuality",
    "compare_frames",
    "mse",
    "pool",
    "psnr",
    "ssim",
]

SSIM_FLAVOURS: dict[str, str] = {
    "fast": (
        "FFmpeg ssim filter (libavfilter via PyAV; x264's integer SSIM) on planar RGB (gbrp) uint8 frames: "
        "per R, G, B plane, SSIM of every 8x8 window on a 4 px grid (overlapping, uniform weights, rows and "
        "columns past the last multiple of 4 ignored) from integer window sums, with sample (n-1) "
        "(co)variances, C2=(0.03*255)^2 and C1=(0.01*255)^2/64 (x264's constants); plane value = mean over "
        "windows; frame value = mean of the three plane values (FFmpeg's 'All'), 6 decimals"
    ),
    "exact": (
        "skimage.metrics.structural_similarity(data_range=1.0, channel_axis=0) on float32 CHW frames in "
        "[0, 1] (7x7 uniform window, sample covariance, mean over channels, 3 px border cropped): "
        "LeRobot's old video benchmark definition"
    ),
}
"""Allowed SSIM flavours and what each computes; store the key (and this text) with every result."""

PSNR_POOL_CAP_DB = 100.0
"""Ceiling applied to per-frame PSNR before pooling, so identical frames (``inf`` dB) pool to a finite,
JSON-valid figure. The highest finite PSNR of an HxW RGB frame (one value off by one) is
10*log10(255**2 * 3*H*W): 92.6 dB at 96x96, 107.8 dB at 640x480; so the cap only touches identical or
all-but-identical frames. Per-frame arrays keep ``inf``."""

_PEAK_SQ = 255.0 * 255.0
_GBRP_FROM_RGB = (1, 2, 0)  # gbrp plane i holds this RGB channel
_FAST_MIN_SIDE = 8  # FFmpeg's ssim needs at least one 8x8 window
_EXACT_MIN_SIDE = 7  # skimage's default 7x7 window
_ALL_RE = re.compile(r"All:(\S+)")


# ----------------------------------------------------------------------------------------------- input


def _check_pair(ref: Any, dist: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    """Both arguments as NxHxWx3 uint8 batches, and whether the caller passed single frames."""
    for name, arr in (("ref", ref), ("dist", dist)):
        if not isinstance(arr, np.ndarray):
            raise ValueError(f"{name}: expected a uint8 numpy array, got {type(arr).__name__}")
        if arr.dtype != np.uint8:
            raise ValueError(f"{name}: dtype {arr.dtype} is not allowed; frames must be uint8 RGB")
        if arr.ndim not in (3, 4) or arr.shape[-1] != 3:
            raise ValueError(f"{name}: shape {arr.shape} is not allowed; expected HxWx3 or NxHxWx3 RGB")
    if ref.shape != dist.shape:
        raise ValueError(f"ref shape {ref.shape} differs from dist shape {dist.shape}")
    single = ref.ndim == 3
    if single:
        ref, dist = ref[None], dist[None]
    return ref, dist, single


def _check_side(shape: tuple[int, ...], flavour: str) -> None:
    minimum = _FAST_MIN_SIDE if flavour == "fast" else _EXACT_MIN_SIDE
    h, w = shape[-3], shape[-2]
    if min(h, w) < minimum:
        raise ValueError(f"frames of {w}x{h} are too small for the {flavour!r} SSIM flavour (min side {minimum})")


def _check_flavour(flavour: str) -> None:
    if flavour not in SSIM_FLAVOURS:
        raise ValueError(f"flavour={flavour!r} is not allowed; choose one of {sorted(SSIM_FLAVOURS)}")


def _shape_out(values: np.ndarray, single: bool) -> np.ndarray:
    return values.reshape(()) if single else values


# ------------------------------------------------------------------------------------------ PSNR / MSE


def _sse(a: np.ndarray, b: np.ndarray) -> int:
    """Exact sum of squared errors of two uint8 frames, in integers.

    ``a - b`` fits int16; reinterpreted as uint16 its square modulo 2**16 is exact because
    ``|a - b|**2 <= 65025``. Each image row then sums exactly in uint32 (row length < 66051 values).
    """
    d = np.subtract(a, b, dtype=np.int16).view(np.uint16)
    np.multiply(d, d, out=d)
    rows = d.reshape(d.shape[0], -1)
    if rows.shape[1] > 66_000:  # a row could overflow uint32
        return int(rows.sum(dtype=np.uint64))
    return int(rows.sum(axis=1, dtype=np.uint32).sum(dtype=np.uint64))


def _mse_frames(ref: Sequence[np.ndarray], dist: Sequence[np.ndarray]) -> np.ndarray:
    # One frame at a time: the temporaries stay in cache, which beats a whole-batch expression.
    return np.array([_sse(a, b) / a.size for a, b in zip(ref, dist)], dtype=np.float64)


def _psnr_from_mse(mse_values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(_PEAK_SQ / mse_values)


def mse(ref: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """Per-frame mean squared error in uint8 units over all pixels and the three channels.

    Divide by 255**2 for LeRobot's ``avg_mse`` (skimage ``mean_squared_error`` on [0, 1] floats).
    Shape: ``()`` for one HxWx3 frame, ``(N,)`` for an NxHxWx3 batch.
    """
    r, d, single = _check_pair(ref, dist)
    return _shape_out(_mse_frames(r, d), single)


def psnr(ref: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """Per-frame PSNR in dB of ``dist`` against ``ref`` (uint8 RGB, MAX=255, MSE over all three channels).

    This equals skimage ``peak_signal_noise_ratio(ref, dist, data_range=255)`` and, up to float32
    rounding, LeRobot's ``data_range=1.0`` on [0, 1] floats. The squared error is summed exactly in
    integers. Identical frames give ``inf`` (kept honest here; ``pool`` caps it at
    ``PSNR_POOL_CAP_DB``). Shape: ``()`` for one HxWx3 frame, ``(N,)`` for an NxHxWx3 batch.
    """
    r, d, single = _check_pair(ref, dist)
    return _shape_out(_psnr_from_mse(_mse_frames(r, d)), single)


# ----------------------------------------------------------------------------------------------- SSIM


class _GbrpFrames:
    """A small ring of reusable planar-RGB frames filled straight from HxWx3 arrays.

    Frames PyAV allocates itself are not reference-counted, so the buffer source would copy each one
    on ``push``; after ``make_writable`` they are, and pushing only takes a reference. Reusing a ring
    of them also saves an allocation per frame (together about half the cost of the fast path).
    ``make_writable`` copies again only if FFmpeg still holds the buffer, so a reused frame is never
    written while the graph can read it.
    """

    def __init__(self, width: int, height: int, size: int = 3) -> None:
        self._frames = [av.VideoFrame(width, height, "gbrp") for _ in range(size)]
        self._next = 0

    def fill(self, rgb: np.ndarray, pts: int) -> av.VideoFrame:
        frame = self._frames[self._next]
        self._next = (self._next + 1) % len(self._frames)
        frame.make_writable()
        h, w = rgb.shape[:2]
        for plane, channel in zip(frame.planes, _GBRP_FROM_RGB):
            np.frombuffer(plane, np.uint8).reshape(h, plane.line_size)[:, :w] = rgb[..., channel]
        frame.pts = pts
        return frame


def _drain(sink: Any) -> None:
    while True:
        try:
            sink.pull()
        except (av.BlockingIOError, av.EOFError):
            return


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class _FastSsimGraph:
    """One FFmpeg ``ssim`` graph fed pair by pair; ``close()`` returns the per-frame values in order.

    PyAV 15 does not expose frame metadata, so the values come from the filter's ``stats_file`` (one
    line per frame). FFmpeg closes that file only when the graph is freed, so ``close()`` drops the
    graph before reading it. No frames are buffered here: each pair is pushed as it arrives.
    """

    def __init__(self, width: int, height: int, rings: tuple[_GbrpFrames, _GbrpFrames] | None = None) -> None:
        fd, self._stats = tempfile.mkstemp(prefix="videobench-ssim-", suffix=".log")
        os.close(fd)
        self._cleanup = weakref.finalize(self, _remove, self._stats)
        self._rings = rings or (_GbrpFrames(width, height), _GbrpFrames(width, height))
        self._pushed = 0
        graph = av.filter.Graph()
        self._src_ref = graph.add_buffer(width=width, height=height, format="gbrp", time_base="1/30")
        self._src_dist = graph.add_buffer(width=width, height=height, format="gbrp", time_base="1/30")
        node = graph.add("ssim", stats_file=self._stats)
        self._sink = graph.add("buffersink")
        # ssim's first input is "main" (the distorted frame), the second the reference; SSIM is symmetric.
        self._src_dist.link_to(node, 0, 0)
        self._src_ref.link_to(node, 0, 1)
        node.link_to(self._sink)
        graph.configure()
        self._graph: Any = graph

    @property
    def pushed(self) -> int:
        return self._pushed

    def push(self, ref: np.ndarray, dist: np.ndarray) -> None:
        self._src_dist.push(self._rings[1].fill(dist, self._pushed))
        self._src_ref.push(self._rings[0].fill(ref, self._pushed))
        self._pushed += 1
        _drain(self._sink)

    def close(self) -> np.ndarray:
        try:
            self._src_dist.push(None)
            self._src_ref.push(None)
            _drain(self._sink)
            # Dropping the last references frees the graph, which makes FFmpeg close the stats file.
            self._graph = self._src_ref = self._src_dist = self._sink = None
            values = self._read_values()
            if len(values) < self._pushed:  # something still held the graph: collect it and read again
                gc.collect()
                values = self._read_values()
        finally:
            self._cleanup()
        if len(values) != self._pushed:
            raise RuntimeError(f"FFmpeg ssim reported {len(values)} values for {self._pushed} frame pairs")
        return np.array(values, dtype=np.float64)

    def _read_values(self) -> list[float]:
        with open(self._stats, encoding="ascii") as fh:
            return [float(m.group(1)) for m in map(_ALL_RE.search, fh) if m]


def _ssim_fast_frames(ref: Sequence[np.ndarray], dist: Sequence[np.ndarray]) -> np.ndarray:
    """FFmpeg ``ssim`` over pairs of equal-shape frames, one filter graph per call."""
    if len(ref) == 0:
        return np.empty(0, dtype=np.float64)
    h, w = ref[0].shape[:2]
    graph = _FastSsimGraph(w, h)
    for a, b in zip(ref, dist):
        graph.push(a, b)
    return graph.close()


def _ssim_exact_one(a: np.ndarray, b: np.ndarray) -> float:
    """skimage SSIM of one frame pair, on the inputs LeRobot built: float32 CHW in [0, 1]."""
    from skimage.metrics import structural_similarity

    af = a.transpose(2, 0, 1).astype(np.float32) / 255
    bf = b.transpose(2, 0, 1).astype(np.float32) / 255
    return float(structural_similarity(af, bf, data_range=1.0, channel_axis=0))


def _ssim_exact_frames(ref: Sequence[np.ndarray], dist: Sequence[np.ndarray]) -> np.ndarray:
    return np.array([_ssim_exact_one(a, b) for a, b in zip(ref, dist)], dtype=np.float64)


_SSIM_IMPL = {"fast": _ssim_fast_frames, "exact": _ssim_exact_frames}


def ssim(ref: np.ndarray, dist: np.ndarray, flavour: str = "fast") -> np.ndarray:
    """Per-frame SSIM of ``dist`` against ``ref`` (uint8 RGB), in the named flavour (``SSIM_FLAVOURS``).

    ``"fast"`` is FFmpeg's 8x8-window SSIM per RGB plane, averaged over R, G, B (min side 8);
    ``"exact"`` reproduces LeRobot's skimage call (min side 7). The two give different numbers for
    the same frames (sample clip at crf 40: 0.947 fast, 0.965 exact); compare within one flavour only.
    Shape: ``()`` for one HxWx3 frame, ``(N,)`` for a batch, in frame order. An unknown flavour raises
    ``ValueError`` naming the allowed ones.
    """
    _check_flavour(flavour)
    r, d, single = _check_pair(ref, dist)
    _check_side(r.shape, flavour)
    return _shape_out(_SSIM_IMPL[flavour](r, d), single)


# -------------------------------------------------------------------------------------------- pooling


def pool(values: Iterable[float] | np.ndarray, cap: float | None = None) -> dict[str, float]:
    """Pooled statistics of per-frame values: ``mean``, ``p5`` (5th percentile, linear), ``min``, ``max``.

    ``cap`` clips values from above first (use ``PSNR_POOL_CAP_DB`` for PSNR so ``inf`` frames pool to a
    finite number and JSON stays valid). The mean is the mean of per-frame values, as LeRobot averaged
    per-frame PSNR and SSIM. NaN or (uncapped) infinite values and empty input raise ``ValueError``.
    """
    arr = np.asarray(values, dtype=np.float64).ravel()
    if arr.size == 0:
        raise ValueError("cannot pool an empty sequence of per-frame values")
    if cap is not None:
        arr = np.minimum(arr, cap)
    if not np.all(np.isfinite(arr)):
        raise ValueError("per-frame values contain NaN or inf; pass cap= (e.g. PSNR_POOL_CAP_DB for PSNR)")
    return {
        "mean": float(arr.mean()),
        "p5": float(np.percentile(arr, 5)),
        "min": float(arr.min()),
        "max": float(arr.max()),
    }


# ------------------------------------------------------------------------------------------ streaming


@dataclass
class FrameQuality:
    """Per-frame quality of one decoded stream against its source, in frame order.

    ``ssim`` is in ``flavour``; ``ssim_exact`` is filled only when the exact flavour was asked for in
    addition to the fast one. ``mse`` is in uint8 units (divide by 255**2 for [0, 1] floats).
    """

    flavour: str
    psnr: np.ndarray
    ssim: np.ndarray
    mse: np.ndarray
    ssim_exact: np.ndarray | None = None

    @property
    def frames(self) -> int:
        return int(self.psnr.size)

    def summary(self) -> dict[str, Any]:
        """JSON-ready pooled figures, naming the SSIM flavour (PSNR capped at ``PSNR_POOL_CAP_DB``)."""
        out: dict[str, Any] = {
            "frames": self.frames,
            "ssim_flavour": self.flavour,
            "psnr_cap_db": PSNR_POOL_CAP_DB,
            "psnr": pool(self.psnr, cap=PSNR_POOL_CAP_DB),
            "ssim": pool(self.ssim),
            "mse": pool(self.mse),
        }
        if self.ssim_exact is not None:
            out["ssim_exact"] = pool(self.ssim_exact)
        return out


class FrameComparer:
    """Per-frame quality over a stream of frame pairs, without holding the stream in memory: ``add``
    frames (single or batches) as they are decoded, then ``result()``.

    Each pair is scored as it arrives (PSNR in numpy, fast SSIM pushed into a live FFmpeg graph), so
    memory does not depend on episode length. ``chunk`` is the number of pairs per FFmpeg graph: its
    values are read back when the chunk closes. ``with_exact`` also computes the exact flavour (about
    30x slower than the fast path).
    """

    def __init__(self, flavour: str = "fast", *, with_exact: bool = False, chunk: int = 32) -> None:
        _check_flavour(flavour)
        if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
            raise ValueError(f"chunk={chunk!r} must be a positive integer (frame pairs per FFmpeg graph)")
        self.flavour = flavour
        self.with_exact = with_exact
        self.chunk = chunk
        self._shape: tuple[int, ...] | None = None
        self._mse: list[float] = []
        self._ssim: list[float] = []
        self._exact: list[float] = []
        self._graph: _FastSsimGraph | None = None
        self._rings: tuple[_GbrpFrames, _GbrpFrames] | None = None

    @property
    def frames(self) -> int:
        """Frame pairs added so far."""
        return len(self._mse)

    def add(self, ref: np.ndarray, dist: np.ndarray) -> None:
        """Add one frame pair (HxWx3) or a batch (NxHxWx3); all frames must share the first one's shape."""
        r, d, _ = _check_pair(ref, dist)
        if self._shape is None:
            _check_side(r.shape, self.flavour)
            if self.with_exact:
                _check_side(r.shape, "exact")
            self._shape = r.shape[1:]
        elif r.shape[1:] != self._shape:
            raise ValueError(f"frame {self.frames}: shape {r.shape[1:]} differs from the first frame's {self._shape}")
        for a, b in zip(r, d):
            if self.flavour == "fast":
                self._push_fast(a, b)
            else:
                self._ssim.append(_ssim_exact_one(a, b))
            if self.with_exact and self.flavour == "fast":
                self._exact.append(_ssim_exact_one(a, b))
            self._mse.append(_sse(a, b) / a.size)

    def _push_fast(self, a: np.ndarray, b: np.ndarray) -> None:
        if self._graph is None:
            h, w = a.shape[:2]
            if self._rings is None:
                self._rings = (_GbrpFrames(w, h), _GbrpFrames(w, h))
            self._graph = _FastSsimGraph(w, h, self._rings)
        self._graph.push(a, b)
        if self._graph.pushed >= self.chunk:
            self._close_graph()

    def _close_graph(self) -> None:
        if self._graph is not None:
            graph, self._graph = self._graph, None
            self._ssim.extend(graph.close().tolist())

    def result(self) -> FrameQuality:
        """Everything scored so far (closing the open FFmpeg graph, if any)."""
        self._close_graph()
        mse_values = np.array(self._mse, dtype=np.float64)
        ssim_values = np.array(self._ssim, dtype=np.float64)
        exact = None
        if self.with_exact:
            exact = ssim_values.copy() if self.flavour == "exact" else np.array(self._exact, dtype=np.float64)
        return FrameQuality(self.flavour, _psnr_from_mse(mse_values), ssim_values, mse_values, exact)


def compare_frames(
    ref_frames: Iterable[np.ndarray],
    dist_frames: Iterable[np.ndarray],
    flavour: str = "fast",
    with_exact: bool = False,
    chunk: int = 32,
) -> FrameQuality:
    """Per-frame PSNR/SSIM of two frame streams (source, decoded), consumed in lockstep; only the current
    pair is held in memory (``chunk``: pairs per FFmpeg graph, see ``FrameComparer``).

    Frames are matched by position; a length mismatch raises ``ValueError`` with the counts, as a
    decoded video that is shorter than its episode must never be scored as if it were whole.
    """
    comparer = FrameComparer(flavour, with_exact=with_exact, chunk=chunk)
    ref_it: Iterator[np.ndarray] = iter(ref_frames)
    dist_it: Iterator[np.ndarray] = iter(dist_frames)
    end = object()
    while True:
        a = next(ref_it, end)
        b = next(dist_it, end)
        if a is end and b is end:
            break
        if a is end or b is end:
            n = comparer.frames
            longer, shorter = ("distorted", "reference") if a is end else ("reference", "distorted")
            raise ValueError(
                f"frame streams differ in length: the {shorter} stream ended after {n} frames, "
                f"the {longer} stream has at least {n + 1}"
            )
        _check_single(a, b, comparer.frames)
        comparer.add(a, b)
    return comparer.result()


def _check_single(a: Any, b: Any, index: int) -> None:
    for name, arr in (("reference", a), ("distorted", b)):
        if isinstance(arr, np.ndarray) and arr.ndim != 3:
            raise ValueError(f"frame {index}: {name} frame has shape {arr.shape}; streams must yield HxWx3 frames")
    try:
        _check_pair(a, b)
    except ValueError as exc:
        raise ValueError(f"frame {index}: {exc}") from None

