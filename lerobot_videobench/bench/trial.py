"""One trial: one encoder configuration on one episode -> a :class:`TrialResult`.

The trial measures what a LeRobot user pays and gets: bytes on disk (and against raw RGB and LeRobot's
old PNG-folder baseline), encoder wall/CPU time and real-time factor, sequential decode speed,
random-access load time for LeRobot's query patterns through its training decoders (every returned frame
checked against the sequential decode: a wrong answer is a decode hazard), and per-frame PSNR/SSIM of
decoded RGB against the source RGB. Source frames are read twice (encode, compare); everything else once.

A depth camera (an episode with ``depth``, measured with a ``DepthEncoderConfig``) runs LeRobot 0.6's depth
path: quantize to 12-bit codes, encode ``gray12le``; read back as LeRobot does (PyAV ``gray12le`` then
``dequantize_depth``, whatever the training backend: LeRobot never uses torchcodec for depth), and quality
is error in mm against the source depth (:mod:`.depth_metrics`) instead of PSNR/SSIM, beside the
quantization floor (the 12-bit mapping alone) and the codec's own error (decoded against quantized codes).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import socket
import tempfile
import time
import traceback
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..encoding import DepthEncoderConfig, VideoEncoderConfig, iter_video_frames, library_versions
from ..episodes import Episode
from ..episodes.history import stream_profile
from ..errors import EncoderUnavailableError, InvalidValueError
from ..encoding.decoders import DEPTH_DECODER, decoder_available, default_decoder, forget_video
from . import depth_metrics, metrics
from .access import (  # noqa: F401  (ACCESS_PATTERNS, measure_random_access: re-exported here)
    ACCESS_PATTERNS,
    DECODER_CHOICES,
    DigestingIterator,
    describe_hazard,
    keyframe_probes,
    measure_random_access,
    planned_frames,
    query_plan,
    run_random_access,
)
from .timing import stage_frames, time_decode, time_encode

logger = logging.getLogger(__name__)

#: Bumped when what a trial measures changes, so stored results of older definitions are not reused.
TRIAL_SCHEMA = 4  # 2: load time through LeRobot's training decoders, decode correctness; 3: encode timed on
# staged frames, decode timed over the whole loop, timing repeats; 4: keyframe probes in the decode check

#: Status of a trial the machine failed (a full disk): returned to the runner, never stored.
ENVIRONMENT_STATUS = "environment"


@dataclass(frozen=True)
class MeasureSettings:
    """How a trial measures; part of the result key, so changing it re-measures.

    ``ssim_flavour`` names the SSIM used for the headline figures; ``exact_ssim`` also computes the
    scikit-image SSIM of LeRobot's old benchmark (slow: ~100 ms per 640x480 frame).
    ``access_samples`` random queries per pattern, drawn with ``seed`` as LeRobot did (1337), decoded
    through LeRobot's training ``decoder``: ``torchcodec`` (its default when it imports, else ``pyav``),
    ``pyav`` or ``both``; every returned frame is checked against the sequential decode.
    ``png_samples`` frames are PNG-encoded (Pillow, default compress level 6, as LeRobot's benchmark
    dumped them) to estimate the PNG-folder size and PNG load time.
    ``timing_repeats`` runs of the encode (re-encoding the staged frames) and of the sequential decode
    are timed; the median is the figure, best/worst give its spread. 1 keeps a sweep's cost at one
    encode per trial; raise it where a decision hangs on speed.
    """

    ssim_flavour: str = "fast"
    exact_ssim: bool = False
    access_samples: int = 20
    decoder: str = field(default_factory=default_decoder)
    seed: int = 1337
    png_samples: int = 4
    timing_repeats: int = 1

    def __post_init__(self) -> None:
        if self.ssim_flavour not in metrics.SSIM_FLAVOURS:
            raise ValueError(f"ssim_flavour={self.ssim_flavour!r}; allowed: {sorted(metrics.SSIM_FLAVOURS)}")
        for name, low in (("access_samples", 1), ("png_samples", 0), ("timing_repeats", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name}={value!r} must be an integer >= {low}")
        if self.decoder not in DECODER_CHOICES:
            raise InvalidValueError(f"decoder={self.decoder!r}; allowed: {list(DECODER_CHOICES)}")
        if "torchcodec" in DECODER_CHOICES[self.decoder] and not decoder_available("torchcodec"):
            raise EncoderUnavailableError(
                f"decoder={self.decoder!r} needs torchcodec, which is not installed here; install the extra "
                "(pip install 'lerobot-videobench[torchcodec]') or use decoder='pyav'"
            )

    @property
    def decoders(self) -> tuple[str, ...]:
        """The backends measured, in order (the first one's figures are ``load_ms``)."""
        return DECODER_CHOICES[self.decoder]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TrialSpec:
    """A configuration to measure: the encoder config plus the global ``encoder_threads``."""

    config: VideoEncoderConfig
    encoder_threads: int | None = None

    @property
    def label(self) -> str:
        threads = f" t{self.encoder_threads}" if self.encoder_threads is not None else ""
        return self.config.label() + threads

    def to_dict(self) -> dict[str, Any]:
        return {"config": self.config.to_dict(), "encoder_threads": self.encoder_threads}


@dataclass
class TrialResult:
    """Everything one trial measured (flat scalars for tables, per-frame arrays for the frame viewer).

    Failed trials keep their identity and ``error``; measurements taken before the failure (the size of
    an encode whose decode failed) are kept for diagnosis, the rest stay ``None``. Every aggregate
    (summaries, fronts, recommendations, comparisons) uses ``ok`` trials only.
    """

    key: str
    status: str  # "ok" | "failed" | "timeout"
    label: str
    episode_key: str
    episode_index: int
    camera: str
    source: str
    source_fingerprint: str
    source_lossy: bool
    config: dict[str, Any]
    encoder_threads: int | None
    frames: int
    width: int
    height: int
    fps: int
    settings: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    # size
    bytes: int | None = None
    bytes_per_frame: float | None = None
    bits_per_pixel: float | None = None
    bitrate_kbps: float | None = None
    compression_ratio_raw: float | None = None
    png_bytes_estimate: float | None = None
    size_ratio_png: float | None = None
    # encode
    encode_wall_s: float | None = None
    encode_cpu_s: float | None = None
    encode_fps: float | None = None  # median over timing_repeats runs, frames staged in memory first
    encode_fps_best: float | None = None
    encode_fps_spread: float | None = None  # (best - worst) / median; None with one run
    encode_cpu_per_wall: float | None = None  # cores the encoder kept busy (never above those available)
    realtime_factor: float | None = None
    # decode
    decode_fps: float | None = None  # whole sequential decode loop to RGB, median over runs
    decode_fps_spread: float | None = None
    decoder: str | None = None  # the training decoder(s) measured: torchcodec, pyav or torchcodec+pyav
    load_ms: dict[str, dict[str, float]] = field(default_factory=dict)  # pattern -> {p50, p95, mean, failed}
    load_ms_by_decoder: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    decode_ok: bool | None = None  # every random-access query returned the right frame, on every decoder
    decode_issue: str | None = None  # decoder: symptom; remedy (when decode_ok is False)
    # what else the machine did while timing
    load_avg_1m: float | None = None
    other_cpu_cores: float | None = None
    contended: bool | None = None
    contended_by: str | None = None  # other sweeps that measured on the same store meanwhile (pid, host, id)
    # how a lossy source was itself encoded (its packets), to say which candidate it resembles
    source_codec: str | None = None
    source_gop: int | None = None
    source_bpp: float | None = None
    png_load_ms: float | None = None
    # quality
    ssim_flavour: str | None = None
    quality: dict[str, float] = field(default_factory=dict)  # psnr_mean, psnr_p5, psnr_min, ssim_*, ...
    psnr_frames: np.ndarray | None = field(default=None, repr=False)
    ssim_frames: np.ndarray | None = field(default=None, repr=False)
    ssim_exact_frames: np.ndarray | None = field(default=None, repr=False)
    # depth (kind "depth"): pooled columns (depth_mean_mm, depth_floor_p95_mm, depth_codec_max_mm, ...) and
    # per-frame arrays (depth_mean_frames, depth_floor_mean_frames, depth_codec_max_frames, ...)
    kind: str = "rgb"  # "rgb" | "depth"
    depth: dict[str, float] = field(default_factory=dict)
    depth_frames: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    # bookkeeping
    video_path: str | None = None
    host: str = ""
    started_at: float = 0.0
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def summary(self) -> dict[str, Any]:
        """Flat, JSON-safe scalars (no per-frame arrays): one row of the results table."""
        row: dict[str, Any] = {}
        for k, v in asdict(self).items():
            if k in ("psnr_frames", "ssim_frames", "ssim_exact_frames", "depth_frames"):
                continue
            if k == "config":
                row.update({f"config.{ck}": cv for ck, cv in v.items()})
            elif k == "load_ms":
                for pattern, stats in v.items():
                    row.update({_load_column(pattern, s): x for s, x in stats.items()})
            elif k == "load_ms_by_decoder":
                if len(v) > 1:  # several decoders: each one's figures under its name
                    for backend, patterns in v.items():
                        for pattern, stats in patterns.items():
                            row.update({_load_column(pattern, s, backend): x for s, x in stats.items()})
            elif k in ("quality", "depth"):
                row.update(v)
            else:
                row[k] = v
        return row

    def frame_arrays(self) -> dict[str, np.ndarray]:
        out = {}
        for name in ("psnr_frames", "ssim_frames", "ssim_exact_frames"):
            arr = getattr(self, name)
            if arr is not None:
                out[name] = np.asarray(arr, dtype=np.float64)
        out.update({k: np.asarray(v, dtype=np.float64) for k, v in self.depth_frames.items()})
        return out


def _load_column(pattern: str, stat: str, backend: str | None = None) -> str:
    """``load_1_frame_p50_ms`` / ``load_1_frame_failed`` (a count), ``load_pyav_1_frame_p50_ms``."""
    prefix = f"load_{backend}_" if backend else "load_"
    return f"{prefix}{pattern}_{stat}" if stat == "failed" else f"{prefix}{pattern}_{stat}_ms"


def relevant_versions() -> dict[str, str]:
    """Library versions that change what an encode produces or how it is measured."""
    import skimage

    v = library_versions()
    return {
        "pyav": v["pyav"],
        "ffmpeg": v["ffmpeg"],
        "libavcodec": v.get("libavcodec", ""),
        "numpy": v["numpy"],
        "scikit-image": skimage.__version__,
    }


def trial_key(fingerprint: str, spec: TrialSpec, settings: MeasureSettings, versions: dict[str, str]) -> str:
    """Content-addressed identity of a trial: source frames, config, threads, versions, metric settings."""
    payload = {
        "schema": TRIAL_SCHEMA,
        "source": fingerprint,
        "spec": spec.to_dict(),
        "settings": settings.to_dict(),
        "versions": versions,
    }
    blob = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


def _measure_access(result: TrialResult, video: Path, plan: dict[str, list[list[int]]], fps: int,
                    settings: MeasureSettings, digests: dict[int, bytes], probes: list[list[int]] | None = None) -> None:
    """Load time through each of the settings' training decoders, every returned frame checked against
    the sequential decode (and the untimed keyframe ``probes``); a decoder that raises or returns a wrong
    frame makes the trial a hazard."""
    issues = []
    for backend in settings.decoders:
        report = run_random_access(video, plan, fps, backend, expected=digests, probes=probes)
        result.load_ms_by_decoder[backend] = report.load_ms
        issue = describe_hazard(report, result.config)
        if issue:
            issues.append(issue)
    result.load_ms = result.load_ms_by_decoder[settings.decoders[0]]
    result.decode_ok = not issues
    result.decode_issue = " | ".join(issues) or None


#: PNG estimates already made in this process, by (episode fingerprint, samples): the estimate depends on
#: the source frames only, so a worker makes it once per episode, not once per configuration.
_PNG_ESTIMATES: dict[tuple[str, int], tuple[float, float]] = {}


def estimate_png(episode: Episode, samples: int) -> tuple[float, float]:
    """(estimated PNG-folder bytes, PNG load ms per frame) from ``samples`` evenly spaced frames."""
    from PIL import Image

    wanted = set(np.linspace(0, episode.num_frames - 1, num=min(samples, episode.num_frames)).round().astype(int))
    sizes, loads = [], []
    for i, frame in enumerate(episode.iter_frames()):
        if i not in wanted:
            continue
        buf = io.BytesIO()
        Image.fromarray(frame).save(buf, format="PNG")
        sizes.append(buf.tell())
        t0 = time.perf_counter()
        with Image.open(io.BytesIO(buf.getvalue())) as im:
            np.asarray(im.convert("RGB"))
        loads.append((time.perf_counter() - t0) * 1000)
        if len(sizes) == len(wanted):
            break
    return float(np.mean(sizes)) * episode.num_frames, float(np.median(loads))


def _measure_rgb(result: TrialResult, episode: Episode, staged: Any, video: Path, plan: dict[str, list[list[int]]],
                 settings: MeasureSettings, fingerprint: str) -> None:
    """PSNR/SSIM of the decoded RGB against the staged source, load time, and the PNG-folder estimate."""
    n = result.frames
    decoded = iter_video_frames(video, num_frames=n, fps=episode.fps)
    probes = keyframe_probes(video, episode.fps, n)  # where an open GOP loses frames after a seek
    wanted = planned_frames(plan) | {i for q in probes for i in q}
    digests = DigestingIterator(decoded, wanted)  # reference frames for random access
    quality = metrics.compare_frames(
        iter(staged), digests, flavour=settings.ssim_flavour, with_exact=settings.exact_ssim
    )
    staged.close()
    result.ssim_flavour = quality.flavour
    result.psnr_frames = quality.psnr
    result.ssim_frames = quality.ssim
    result.ssim_exact_frames = quality.ssim_exact
    q: dict[str, float] = {}
    for name, values in (("psnr", quality.psnr), ("ssim", quality.ssim), ("ssim_exact", quality.ssim_exact)):
        if values is not None:
            cap = metrics.PSNR_POOL_CAP_DB if name == "psnr" else None
            q.update({f"{name}_{stat}": v for stat, v in metrics.pool(values, cap=cap).items()})
    result.quality = q

    _measure_access(result, video, plan, episode.fps, settings, digests.digests, probes)
    if settings.png_samples > 0:
        memo = (fingerprint, settings.png_samples)
        if memo not in _PNG_ESTIMATES:
            _PNG_ESTIMATES[memo] = estimate_png(episode, settings.png_samples)
        png_bytes, png_ms = _PNG_ESTIMATES[memo]
        result.png_bytes_estimate = png_bytes
        result.size_ratio_png = result.bytes / png_bytes
        result.png_load_ms = png_ms


#: Quantization floors already computed in this process, by (episode fingerprint, quantizer): the floor
#: depends on the source and the quantizer only, not on the codec.
_DEPTH_FLOORS: dict[tuple[str, tuple], tuple[dict[str, float], dict[str, np.ndarray]]] = {}


def _measure_depth(result: TrialResult, episode: Episode, staged: Any, video: Path,
                   plan: dict[str, list[list[int]]], settings: MeasureSettings, config: DepthEncoderConfig,
                   fingerprint: str) -> None:
    """Depth error in mm of LeRobot's read path (PyAV ``gray12le`` -> ``dequantize_depth``) against the
    source; the quantization floor (quantize -> dequantize, no codec) and the codec's own error (decoded
    against the quantized codes: 0 for lossless); load time and decode correctness through PyAV, the only
    decoder LeRobot 0.6 reads depth with."""
    from ..encoding.depth import dequantize_depth, quantize_depth

    q = config.quantizer()
    memo = (fingerprint, tuple(sorted(q.items())))
    need_floor = memo not in _DEPTH_FLOORS
    decoded = iter_video_frames(video, num_frames=result.frames, fps=episode.fps, pix_fmt="gray12le")
    digests = DigestingIterator(decoded, planned_frames(plan))
    errors, floors, codec_mean, codec_max, exact = [], [], [], [], []
    for src, codes in zip(staged, digests, strict=True):
        dec_mm = dequantize_depth(codes, **q)
        errors.append(depth_metrics.depth_frame_error(src, dec_mm, config, decoded_codes=codes, source_unit="mm"))
        want = quantize_depth(src, **q, input_unit="mm")
        floor_mm = dequantize_depth(want, **q)
        diff = np.abs(dec_mm.astype(np.float64) - floor_mm)
        codec_mean.append(float(diff.mean()))
        codec_max.append(float(diff.max()))
        exact.append(float((codes == want).mean()))
        if need_floor:
            floors.append(depth_metrics.depth_frame_error(src, floor_mm, config, decoded_codes=want, source_unit="mm"))
    if need_floor:
        _DEPTH_FLOORS[memo] = (
            depth_metrics.depth_columns(depth_metrics.summarize_depth_errors(floors), "depth_floor"),
            {k: v for k, v in depth_metrics.frame_arrays(floors, "depth_floor").items()
             if k in ("depth_floor_mean_frames", "depth_floor_max_frames")},
        )
    floor_cols, floor_frames = _DEPTH_FLOORS[memo]
    cols = depth_metrics.depth_columns(depth_metrics.summarize_depth_errors(errors))
    cols.update(floor_cols)
    cols.update({"depth_codec_mean_mm": float(np.mean(codec_mean)), "depth_codec_max_mm": float(np.max(codec_max)),
                 "depth_codes_exact": float(np.mean(exact))})
    result.depth = cols
    result.depth_frames = {**depth_metrics.frame_arrays(errors), **floor_frames,
                           "depth_codec_mean_frames": np.asarray(codec_mean),
                           "depth_codec_max_frames": np.asarray(codec_max)}
    report = run_random_access(video, plan, episode.fps, DEPTH_DECODER, expected=digests.digests, depth_quantizer=q)
    result.load_ms = result.load_ms_by_decoder[DEPTH_DECODER] = report.load_ms
    issue = describe_hazard(report, result.config)
    result.decode_ok = issue is None
    result.decode_issue = issue


def check_config_kind(episode: Episode, config: VideoEncoderConfig) -> None:
    """Refuse an RGB config on a depth camera and a depth config on an RGB one (one line, exit 2 on the CLI)."""
    is_depth_config = isinstance(config, DepthEncoderConfig)
    if episode.is_depth and not is_depth_config:
        raise InvalidValueError(
            f"{episode.key} is a depth camera; {config.label()} is an RGB configuration: measure depth cameras "
            "with a DepthEncoderConfig (grid 'depth')")
    if is_depth_config and not episode.is_depth:
        raise InvalidValueError(
            f"{episode.key} is an RGB camera; {config.label()} is a depth configuration: measure RGB cameras with "
            "a VideoEncoderConfig (grids quick/default/thorough)")


def _is_disk_full(exc: BaseException) -> bool:
    """A full disk (ENOSPC) anywhere in the chain: the machine's failure, not the configuration's."""
    import errno

    for _ in range(10):  # the cause chain, bounded
        if exc is None:
            return False
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


def run_trial(
    episode: Episode,
    spec: TrialSpec,
    *,
    settings: MeasureSettings | None = None,
    fingerprint: str | None = None,
    versions: dict[str, str] | None = None,
    video_dir: str | os.PathLike | None = None,
    work_dir: str | os.PathLike | None = None,
) -> TrialResult:
    """Measure ``spec`` on ``episode``. Never raises for a failing encode: the result says ``failed``.

    ``video_dir`` keeps the encoded mp4 (named by the trial key) for the frame viewer; otherwise it
    is deleted. ``fingerprint``/``versions`` may be passed in when the caller already knows them.
    """
    check_config_kind(episode, spec.config)
    settings = settings or MeasureSettings()
    versions = versions or relevant_versions()
    fingerprint = fingerprint or episode.fingerprint()
    key = trial_key(fingerprint, spec, settings, versions)
    result = TrialResult(
        key=key,
        status="ok",
        label=spec.label,
        episode_key=episode.key,
        episode_index=episode.episode_index,
        camera=episode.camera,
        source=episode.provenance.source,
        source_fingerprint=fingerprint,
        source_lossy=episode.lossy,
        config=spec.config.to_dict(),
        encoder_threads=spec.encoder_threads,
        frames=episode.num_frames,
        width=episode.width,
        height=episode.height,
        fps=episode.fps,
        settings=settings.to_dict(),
        versions=versions,
        decoder=DEPTH_DECODER if episode.is_depth else "+".join(settings.decoders),
        kind="depth" if episode.is_depth else "rgb",
        host=socket.gethostname(),
        started_at=time.time(),
    )
    if episode.lossy:
        profile = stream_profile(episode.provenance.path)
        if profile is not None:
            result.source_codec, result.source_gop, result.source_bpp = profile.codec, profile.gop, profile.bits_per_pixel
    tmpdir = Path(tempfile.mkdtemp(prefix=f"vb-trial-{os.getpid()}-", dir=work_dir))
    t_start = time.perf_counter()
    try:
        video = tmpdir / f"{key}.mp4"
        # frames are read from the source before the clock starts: the figure is the encoder's alone
        staged = stage_frames(episode, work_dir=tmpdir)
        stats, enc = time_encode(staged, video, episode.fps, spec.config, spec.encoder_threads,
                                 repeats=settings.timing_repeats)
        if stats.frames != episode.num_frames:
            raise ValueError(f"source gave {stats.frames} frames, episode says {episode.num_frames}")
        n, w, h = stats.frames, episode.width, episode.height
        result.bytes = stats.bytes
        result.bytes_per_frame = stats.bytes / n
        result.bits_per_pixel = stats.bytes * 8 / (n * w * h)
        result.bitrate_kbps = stats.bytes * 8 / (n / episode.fps) / 1000
        result.compression_ratio_raw = n * w * h * (2 if episode.is_depth else 3) / stats.bytes  # raw uint16 / RGB
        result.encode_wall_s = enc.median_wall_s
        result.encode_cpu_s = enc.median_cpu_s
        result.encode_fps = enc.fps
        result.encode_fps_best = enc.fps_best
        result.encode_fps_spread = enc.spread
        result.encode_cpu_per_wall = enc.cpu_per_wall
        result.realtime_factor = enc.fps / episode.fps

        depth_config = spec.config if episode.is_depth else None
        dec = time_decode(video, n, episode.fps, repeats=settings.timing_repeats, depth_config=depth_config)
        result.decode_fps = dec.fps
        result.decode_fps_spread = dec.spread
        loads = [t.load for t in (enc, dec)]
        result.load_avg_1m = max((x.load_avg_1m for x in loads if x.load_avg_1m is not None), default=None)
        others = [x.other_cpu_cores for x in loads if x.other_cpu_cores is not None]
        result.other_cpu_cores = max(others) if others else None
        result.contended = any(x.contended for x in loads)
        plan = query_plan(n, settings.access_samples, settings.seed)
        if depth_config is not None:
            _measure_depth(result, episode, staged, video, plan, settings, depth_config, fingerprint)
            staged.close()
        else:
            _measure_rgb(result, episode, staged, video, plan, settings, fingerprint)
        if video_dir is not None:
            dest = Path(video_dir) / f"{key}.mp4"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(video), dest)
            result.video_path = str(dest)
    except Exception as exc:  # a failing trial is a result, not a crash of the sweep
        result.status = ENVIRONMENT_STATUS if _is_disk_full(exc) else "failed"
        result.error = f"{type(exc).__name__}: {exc}"
        logger.debug("trial %s failed:\n%s", spec.label, traceback.format_exc())
    finally:
        forget_video(tmpdir / f"{key}.mp4")
        shutil.rmtree(tmpdir, ignore_errors=True)
        result.duration_s = time.perf_counter() - t_start
    return result
