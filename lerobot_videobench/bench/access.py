"""Random access as a LeRobot training process does it: load time per frame, and whether it is right.

Queries follow LeRobot's benchmark patterns (:data:`ACCESS_PATTERNS`) at random frames drawn with a fixed
seed; each query is a list of timestamps (``from_timestamp + frame_index / fps``) decoded by one of
LeRobot's training backends (:mod:`lerobot_videobench.encoding.decoders`). Only the decode call is timed.
When the digests of the sequential decode are given, every returned frame is also compared with the frame
of the same index: a query that raises, or returns another frame, is a *decode hazard* (training on
such a file crashes or learns from the wrong frames), named with its symptom and known remedy.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..encoding.decoders import DEFAULT_TOLERANCE_S, FrameTimestampError, decode_frames, default_decoder

#: LeRobot's benchmark query patterns: offsets (relative to a random index) of the frames loaded together.
ACCESS_PATTERNS: dict[str, tuple[int, ...]] = {
    "1_frame": (0,),
    "2_frames": (-1, 0),
    "2_frames_4_space": (-5, 0),
    "6_frames": (-5, -4, -3, -2, -1, 0),
}

#: ``MeasureSettings.decoder`` values -> the backends a trial measures (the first gives ``load_ms``).
DECODER_CHOICES: dict[str, tuple[str, ...]] = {
    "torchcodec": ("torchcodec",),
    "pyav": ("pyav",),
    "both": ("torchcodec", "pyav"),
}


def query_plan(num_frames: int, samples: int, seed: int) -> dict[str, list[list[int]]]:
    """Frame indices of every query, per pattern: ``samples`` random positions drawn with ``seed``."""
    if num_frames < 1:
        raise ValueError(f"num_frames={num_frames!r} must be >= 1")
    rng = random.Random(seed)
    low = min(5, num_frames - 1)
    plan: dict[str, list[list[int]]] = {}
    for name, offsets in ACCESS_PATTERNS.items():
        queries = []
        for _ in range(samples):
            idx = rng.randint(low, num_frames - 1)
            queries.append(sorted({min(max(idx + o, 0), num_frames - 1) for o in offsets}))
        plan[name] = queries
    return plan


def planned_frames(plan: Mapping[str, list[list[int]]]) -> set[int]:
    """Every frame index some query of ``plan`` returns (the frames whose digests are needed)."""
    return {i for queries in plan.values() for q in queries for i in q}


def frame_digest(frame: np.ndarray, *, channels_first: bool = False) -> bytes:
    """Identity of a decoded frame, compared bit for bit (SHA-1 of its pixels).

    Hashed in the channels-first layout LeRobot's training decoders return (``C x H x W``; 2-D depth codes
    count as one channel), so the many frames random-access queries return are hashed in place, and only
    the reference frames of the sequential decode (``H x W x C``, each needed once) are rearranged.
    """
    if not channels_first:
        frame = frame[None] if frame.ndim == 2 else frame.transpose(2, 0, 1)
    return hashlib.sha1(np.ascontiguousarray(frame)).digest()


#: Untimed correctness probes per trial and decoder: the frame just before each keyframe (at most this many,
#: evenly spread). An open GOP loses exactly those frames after a seek; random queries alone hit them by
#: chance (none of 80 at g=40 on 150 frames), so they are asked for directly.
KEYFRAME_PROBES = 16


def keyframe_probes(video_path: str | Path, fps: float, num_frames: int, limit: int = KEYFRAME_PROBES) -> list[list[int]]:
    """One-frame queries ``[k - 1]`` for keyframes ``k > 0`` of the file (read from its packets, no decode)."""
    import av

    with av.open(str(video_path)) as container:
        stream = container.streams.video[0]
        keys = sorted({round(float(pkt.pts * stream.time_base) * fps) for pkt in container.demux(stream)
                       if pkt.is_keyframe and pkt.pts is not None})
    before = [k - 1 for k in keys if 0 < k <= num_frames]
    if len(before) > limit:
        before = [before[round(i)] for i in np.linspace(0, len(before) - 1, num=limit)]
    return [[i] for i in dict.fromkeys(before)]


class DigestingIterator:
    """Passes frames through and keeps the digest of those whose index is in ``wanted``: the sequential
    decode of the quality pass supplies the reference frames, with no second full decode."""

    def __init__(self, frames: Iterable[np.ndarray], wanted: set[int]) -> None:
        self._it = iter(frames)
        self._wanted = wanted
        self._index = 0
        self.digests: dict[int, bytes] = {}

    def __iter__(self) -> Iterator[np.ndarray]:
        return self

    def __next__(self) -> np.ndarray:
        frame = next(self._it)
        if self._index in self._wanted:
            self.digests[self._index] = frame_digest(frame)
        self._index += 1
        return frame


@dataclass
class AccessReport:
    """What one backend did on one file: per-pattern load time and every kind of wrong answer."""

    backend: str
    load_ms: dict[str, dict[str, float]] = field(default_factory=dict)  # pattern -> {p50, p95, mean, failed}
    queries: int = 0
    raised: int = 0  # queries that raised (FrameTimestampError or another error)
    timestamp_errors: int = 0  # of which FrameTimestampError: a frame out of tolerance_s
    wrong_frames: int = 0  # frames returned within tolerance whose pixels are another frame's
    first_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.raised == 0 and self.wrong_frames == 0


def _stats(samples_ms: list[float], failed: int) -> dict[str, float]:
    if not samples_ms:
        return {"p50": float("nan"), "p95": float("nan"), "mean": float("nan"), "failed": failed}
    arr = np.asarray(samples_ms, dtype=np.float64)
    return {"p50": float(np.percentile(arr, 50)), "p95": float(np.percentile(arr, 95)), "mean": float(arr.mean()),
            "failed": failed}


def run_random_access(
    video_path: str | Path,
    plan: Mapping[str, list[list[int]]],
    fps: float,
    backend: str,
    *,
    from_timestamp: float = 0.0,
    expected: Mapping[int, bytes] | None = None,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    depth_quantizer: Mapping[str, Any] | None = None,
    probes: list[list[int]] | None = None,
) -> AccessReport:
    """Run ``plan``'s queries through ``backend``, timing each decode call (ms per returned frame);
    with ``expected`` digests (frame index -> :func:`frame_digest`), check every returned frame.

    ``depth_quantizer`` (a ``DepthEncoderConfig.quantizer()``) marks a depth video: each query is what
    LeRobot 0.6's dataset reader does for a depth key, PyAV ``gray12le`` decode then ``dequantize_depth``
    to mm, both timed (``backend`` is then ignored, as LeRobot ignores it); digests are of the 12-bit codes.
    ``probes`` are extra queries (:func:`keyframe_probes`) checked like the others but not timed.
    """
    from ..encoding.decoders import DEPTH_DECODER
    from ..encoding.depth import dequantize_depth

    is_depth = depth_quantizer is not None
    if is_depth:
        backend = DEPTH_DECODER
    report = AccessReport(backend)
    from ..encoding.decoders import prepare_decoder

    prepare_decoder(backend)  # imports outside the clock (the first query of a worker paid them)
    patterns = list(plan.items()) + ([(None, probes)] if probes else [])
    for name, queries in patterns:
        per_frame_ms: list[float] = []
        failed = 0
        for indices in queries:
            report.queries += 1
            timestamps = [from_timestamp + i / fps for i in indices]
            t0 = time.perf_counter()
            try:
                got = decode_frames(video_path, timestamps, backend=backend, tolerance_s=tolerance_s, is_depth=is_depth)
                if is_depth:
                    dequantize_depth(got.frames, **depth_quantizer)
            except Exception as exc:  # a query that raises is what the training loop would see
                failed += 1
                report.raised += 1
                report.timestamp_errors += isinstance(exc, FrameTimestampError)
                report.first_error = report.first_error or f"{type(exc).__name__}: {exc}"
                continue
            per_frame_ms.append((time.perf_counter() - t0) * 1000 / len(indices))
            if expected is not None:
                for k, i in enumerate(indices):
                    want = expected.get(i)
                    if want is not None and frame_digest(got.frames[k], channels_first=True) != want:
                        report.wrong_frames += 1
        if name is not None:
            report.load_ms[name] = _stats(per_frame_ms, failed)
    return report


def measure_random_access(
    video_path: str | Path,
    num_frames: int,
    fps: float,
    samples: int,
    seed: int,
    backend: str | None = None,
    *,
    from_timestamp: float = 0.0,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> dict[str, dict[str, float]]:
    """Per-frame load time (ms) of LeRobot's query patterns through a LeRobot training backend.

    ``backend`` is ``"torchcodec"`` or ``"pyav"`` (default: torchcodec when it imports, as LeRobot).
    Returns, per pattern, ``{"p50", "p95", "mean"}`` over the queries that succeeded and ``"failed"``,
    the number of queries that raised (e.g. LeRobot's ``FrameTimestampError``).
    """
    backend = backend or default_decoder()
    plan = query_plan(num_frames, samples, seed)
    return run_random_access(video_path, plan, fps, backend, from_timestamp=from_timestamp,
                             tolerance_s=tolerance_s).load_ms


# ---------------------------------------------------------------------- hazards
#: Remedies known to make x265 output decodable by LeRobot's training decoders.
REMEDY_NO_BFRAMES = 'extra_options={"bf": 0}'
REMEDY_CLOSED_GOP = 'extra_options={"x265-params": "open-gop=0"}'
X265_CODECS = ("hevc", "libx265")


def describe_hazard(report: AccessReport, config: Mapping[str, Any]) -> str | None:
    """``backend: symptom; remedy`` for a backend that gave a wrong answer, or None when it did not."""
    if report.ok:
        return None
    n = report.queries
    x265 = config.get("vcodec") in X265_CODECS
    extra = config.get("extra_options") or {}
    params = str(extra.get("x265-params", "") or "")
    closed_gop = REMEDY_CLOSED_GOP
    if params and "open-gop=0" not in params:  # keep the user's x265-params (a depth config's lossless=1)
        closed_gop = f'extra_options={{"x265-params": "{params}:open-gop=0"}}'
    if config.get("depth_min") is not None:  # depth: LeRobot decodes it with PyAV only, B-frames never trip it
        remedy = closed_gop if x265 and "open-gop=0" not in params else None
        fix = f"fix: {remedy}" if remedy else "no known remedy: choose another configuration"
        what = (f"{report.timestamp_errors} of {n} queries raise FrameTimestampError (frames lost after a seek)"
                if report.timestamp_errors else f"{report.raised} of {n} queries raise ({report.first_error})"
                if report.raised else f"{report.wrong_frames} returned frame(s) differ from the sequential decode")
        return f"{report.backend}: {what}; {fix}"
    if report.timestamp_errors and report.backend == "torchcodec":
        symptom = f"{report.timestamp_errors} of {n} queries raise FrameTimestampError (frames come back with other timestamps)"
        remedy = REMEDY_NO_BFRAMES if x265 and extra.get("bf") != 0 else closed_gop if x265 else None
    elif report.timestamp_errors:
        symptom = f"{report.timestamp_errors} of {n} queries raise FrameTimestampError (frames lost after a seek)"
        remedy = closed_gop if x265 and "open-gop=0" not in params else (
            REMEDY_NO_BFRAMES if x265 else None)
    elif report.raised:
        symptom = f"{report.raised} of {n} queries raise ({report.first_error})"
        remedy = None
    else:
        symptom = f"{report.wrong_frames} returned frame(s) differ from the sequential decode (wrong frame)"
        remedy = REMEDY_NO_BFRAMES if x265 and extra.get("bf") != 0 else None
    fix = f"fix: {remedy}" if remedy else "no known remedy: choose another configuration"
    return f"{report.backend}: {symptom}; {fix}"
