"""LeRobot's ``VideoEncoderConfig`` (PR #3455 API), reproduced so that what we measure is what
``lerobot-record`` does with the same settings.

The dataclass fields, defaults, ``auto`` resolution, option mapping and validation follow LeRobot's
``lerobot.configs.video``; PyAV introspection lives in :mod:`.pyav_probe`.
"""

from __future__ import annotations

import contextvars
import logging
import math
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from . import pyav_probe

logger = logging.getLogger(__name__)

#: Hardware encoders in the order LeRobot's ``vcodec="auto"`` prefers them.
HW_VIDEO_CODECS: tuple[str, ...] = (
    "h264_videotoolbox",
    "hevc_videotoolbox",
    "h264_nvenc",
    "hevc_nvenc",
    "h264_vaapi",
    "h264_qsv",
)
#: Every ``vcodec`` value LeRobot accepts (``libaom-av1`` since LeRobot #3898).
VALID_VIDEO_CODECS: frozenset[str] = frozenset({"h264", "hevc", "libsvtav1", "libaom-av1", "auto", *HW_VIDEO_CODECS})
#: Stream codec names (as stored in ``info.json``) that map back to an encoder name.
VIDEO_CODECS_ALIASES: dict[str, str] = {"av1": "libsvtav1"}
LIBSVTAV1_DEFAULT_PRESET: int = 12
#: Config fields persisted in ``info.json`` as ``video.<name>``; vcodec and pix_fmt come from the stream.
VIDEO_ENCODER_INFO_FIELD_NAMES: frozenset[str] = frozenset(
    {"g", "crf", "preset", "fast_decode", "extra_options", "video_backend"}
)
SOFTWARE_VIDEO_CODECS: tuple[str, ...] = ("libsvtav1", "h264", "hevc", "libaom-av1")

# False while building a config meant for another machine (see VideoEncoderConfig.unchecked).
_CHECK_LOCAL_BUILD: contextvars.ContextVar[bool] = contextvars.ContextVar("check_local_build", default=True)


@dataclass
class VideoEncoderConfig:
    """How one camera stream is encoded, exactly as LeRobot interprets it.

    ``crf`` is an abstract quality knob translated per codec (``crf``, nvenc/vaapi ``qp``,
    videotoolbox ``q:v``, qsv ``global_quality``); ``preset`` means what the codec says (SVT integers,
    x264/x265 names); ``fast_decode`` is SVT's 0..2 level or x264/x265 ``tune=fastdecode``;
    ``extra_options`` are raw FFmpeg options that never override a structured field.
    Construction resolves ``auto`` and validates against the local PyAV build, as LeRobot does.
    """

    vcodec: str = "libsvtav1"
    pix_fmt: str = "yuv420p"
    g: int | None = 2
    crf: int | float | None = 30
    preset: int | str | None = None
    fast_decode: int = 0
    video_backend: str = "pyav"
    extra_options: dict[str, Any] = field(default_factory=dict)

    #: Components of the source frames, checked against ``pix_fmt`` (LeRobot's RGB subclass uses 3).
    _DEFAULT_CHANNELS: ClassVar[int | None] = 3

    def __post_init__(self) -> None:
        self.resolve_vcodec()
        if self.preset is None and self.vcodec == "libsvtav1":
            self.preset = LIBSVTAV1_DEFAULT_PRESET
        self.validate()

    # ------------------------------------------------------------------ construction helpers
    @classmethod
    def from_video_info(cls, video_info: dict[str, Any] | None) -> VideoEncoderConfig:
        """Rebuild the config from a video feature's ``info`` block (``info.json``).

        ``video.codec`` (``av1`` aliased to ``libsvtav1``) and ``video.pix_fmt`` come from the stream,
        the tuning fields from ``video.<field>``; missing or null values and an empty
        ``extra_options`` (what a merge of disagreeing sources leaves) fall back to the defaults.
        """
        return cls(**cls._kwargs_from_video_info(video_info))

    @classmethod
    def _kwargs_from_video_info(cls, video_info: dict[str, Any] | None) -> dict[str, Any]:
        """The constructor keywords an ``info`` block records (subclasses layer their own fields on top)."""
        info = video_info or {}
        kwargs: dict[str, Any] = {}
        for key, name in (("video.codec", "vcodec"), ("video.pix_fmt", "pix_fmt")):
            if info.get(key) is not None:
                kwargs[name] = info[key]
        for name in VIDEO_ENCODER_INFO_FIELD_NAMES:
            value = info.get(f"video.{name}")
            if value is None or (name == "extra_options" and not value):
                continue
            kwargs[name] = value
        return kwargs

    @classmethod
    def unchecked(cls, **fields_: Any) -> VideoEncoderConfig:
        """Build a config for a machine whose FFmpeg differs from this one (videotoolbox on a Mac).

        The name is still checked against LeRobot's codec list and the defaults apply, but nothing is
        checked against the local build, so the options can be rendered and exported; ``auto`` cannot
        be resolved for another machine and is refused.
        """
        if VIDEO_CODECS_ALIASES.get(fields_.get("vcodec", ""), fields_.get("vcodec")) == "auto":
            raise ValueError("vcodec='auto' is resolved on the recording machine; name a concrete encoder")
        token = _CHECK_LOCAL_BUILD.set(False)
        try:
            config = cls(**fields_)
        finally:
            _CHECK_LOCAL_BUILD.reset(token)
        config._built_unchecked = True  # not a field: equality and to_dict() ignore it; preflight reads it
        return config

    @property
    def locally_checked(self) -> bool:
        """Whether this build has the encoder, so :meth:`validate` checks options against its metadata."""
        return bool(pyav_probe.available_encoders(self.vcodec))

    # ------------------------------------------------------------------ resolution and validation
    def resolve_vcodec(self) -> None:
        """Alias, check and (for ``auto``) pick the encoder exactly as LeRobot does.

        ``auto`` takes the first hardware encoder this build *names* (no device check), else falls back
        to ``libsvtav1``. On a Linux PyAV wheel that is ``h264_nvenc`` even without a GPU: see
        :func:`resolve_auto_vcodec` and :func:`~.pyav_probe.probe_encoder` for what really works here.
        """
        self.vcodec = VIDEO_CODECS_ALIASES.get(self.vcodec, self.vcodec)
        if self.vcodec not in VALID_VIDEO_CODECS:
            raise ValueError(f"vcodec={self.vcodec!r} is not a LeRobot codec; allowed: {sorted(VALID_VIDEO_CODECS)}")
        if self.vcodec == "auto":
            self.vcodec = resolve_auto_vcodec(check_opens=False)
        if _CHECK_LOCAL_BUILD.get() and not pyav_probe.available_encoders(self.vcodec):
            present = sorted(c for c in VALID_VIDEO_CODECS - {"auto"} if pyav_probe.available_encoders(c))
            raise ValueError(
                f"vcodec={self.vcodec!r} is not available in this FFmpeg build (PyAV); available here: {present}"
            )

    def validate(self) -> None:
        """Check every field against the local encoder's option metadata; ``ValueError`` names the field.

        Runs LeRobot's checks (pix_fmt among the encoder's formats and carrying 3 components, ``g`` a
        positive int, numeric ranges, integer options refusing fractions, string choices) on the typed
        options, plus type checks LeRobot leaves to FFmpeg (``fast_decode`` an int, ``extra_options`` a dict).
        """
        if isinstance(self.fast_decode, bool) or not isinstance(self.fast_decode, int):
            raise ValueError(f"fast_decode={self.fast_decode!r} must be an integer (0, 1 or 2 for libsvtav1)")
        if not isinstance(self.extra_options, dict):
            raise ValueError(f"extra_options={self.extra_options!r} must be a mapping of FFmpeg option -> value")
        if not isinstance(self.pix_fmt, str):
            raise ValueError(f"pix_fmt={self.pix_fmt!r} must be a pixel format name such as 'yuv420p'")
        if self.video_backend != "pyav":
            raise ValueError(f"video_backend={self.video_backend!r} is not supported; allowed: ['pyav']")
        if isinstance(self.g, bool) or not (self.g is None or isinstance(self.g, int)) or (self.g is not None and self.g < 1):
            raise ValueError(f"g={self.g!r} must be a positive integer (GOP size in frames) or None")
        if not _CHECK_LOCAL_BUILD.get() and not self.locally_checked:
            return  # another machine's encoder: its option metadata is not known here
        pyav_probe.check_encoder_parameters(
            self.vcodec,
            self.pix_fmt,
            self.get_codec_options(),
            channels=self._DEFAULT_CHANNELS,
            labels=self.option_labels(),
        )

    # ------------------------------------------------------------------ option mapping
    def get_codec_options(self, encoder_threads: int | None = None, as_strings: bool = False) -> dict[str, Any]:
        """Translate the fields into the encoder's FFmpeg options (LeRobot's table, byte for byte).

        GOP is always emitted; ``encoder_threads`` (a global setting, not a field) becomes SVT ``lp``
        or x264/x265/aom ``threads`` and is ignored by hardware encoders; ``extra_options`` are merged
        last and never replace a structured key; ``as_strings`` converts every value with ``str``.
        """
        opts = self._structured_options(encoder_threads, as_strings)
        for key, value in self.extra_options.items():
            if key not in opts and value is not None:
                opts[key] = str(value) if as_strings else value
        return opts

    def _structured_options(self, encoder_threads: int | None, as_strings: bool) -> dict[str, Any]:
        """The options the structured fields emit, before ``extra_options`` are merged in."""
        opts: dict[str, Any] = {}

        def put(key: str, value: Any) -> None:
            if value is not None:
                opts[key] = str(value) if as_strings else value

        put("g", self.g)
        codec = self.vcodec
        if codec == "libsvtav1":
            put("crf", self.crf)
            put("preset", self.preset)
            params = []
            if self.fast_decode is not None:
                params.append(f"fast-decode={max(0, min(2, self.fast_decode))}")
            if encoder_threads is not None:
                params.append(f"lp={encoder_threads}")
            if params:
                put("svtav1-params", ":".join(params))
        elif codec in ("h264", "hevc"):
            put("crf", self.crf)
            put("preset", self.preset)
            if self.fast_decode:
                put("tune", "fastdecode")
            put("threads", encoder_threads)
        elif codec == "libaom-av1":
            put("crf", self.crf)
            put("preset", self.preset)
            if encoder_threads is not None:
                put("threads", encoder_threads)
                put("row-mt", 1)
        elif codec in ("h264_videotoolbox", "hevc_videotoolbox"):
            if self.crf is not None:
                put("q:v", max(1, min(100, 100 - 2 * self.crf)))
        elif codec in ("h264_nvenc", "hevc_nvenc"):
            put("rc", 0)
            put("qp", self.crf)
            put("preset", self.preset)
        elif codec == "h264_vaapi":
            put("qp", self.crf)
        elif codec == "h264_qsv":
            put("global_quality", self.crf)
            put("preset", self.preset)
        else:
            put("crf", self.crf)
            put("preset", self.preset)
        return opts

    def option_labels(self) -> dict[str, str]:
        """Which config field each emitted option comes from, so errors name the user's field
        (``qp`` is ``crf`` for nvenc, but ``extra_options['qp']`` when the user set it there)."""
        fields_ = {"tune": "fast_decode", "svtav1-params": "fast_decode", "qp": "crf", "q:v": "crf",
                   "global_quality": "crf"}
        structured = self._structured_options(encoder_threads=1, as_strings=False)
        labels = {k: fields_.get(k, k) for k in structured}
        labels.update({k: f"extra_options[{k!r}]" for k in self.extra_options if k not in structured})
        return labels

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain values (a copy): what results, exports and ``info.json`` record."""
        return {f.name: (dict(v) if isinstance(v := getattr(self, f.name), dict) else v) for f in fields(self)}

    def label(self) -> str:
        """A short human name such as ``libsvtav1 crf30 g2 p12 yuv420p``."""
        parts = [self.vcodec, f"crf{self.crf:g}" if isinstance(self.crf, (int, float)) else f"crf{self.crf}"]
        parts.append(f"g{self.g}")
        if self.preset is not None:
            parts.append(f"p{self.preset}")
        if self.fast_decode:
            parts.append(f"fd{self.fast_decode}")
        parts.append(self.pix_fmt)
        if self.extra_options:
            parts.append(",".join(f"{k}={v}" for k, v in sorted(self.extra_options.items())))
        parts.extend(self._label_extra())
        return " ".join(parts)

    def _label_extra(self) -> list[str]:
        """Subclass fields worth naming in :meth:`label` (the depth quantizer)."""
        return []


def camera_encoder_defaults() -> VideoEncoderConfig:
    """The RGB camera defaults of LeRobot PR #3455 (libsvtav1, yuv420p, g=2, crf=30, preset 12)."""
    return VideoEncoderConfig()


def resolve_auto_vcodec(*, check_opens: bool = False) -> str:
    """What ``vcodec="auto"`` becomes here.

    With ``check_opens=False`` this is LeRobot's answer (first hardware encoder *named* by the build).
    With ``check_opens=True`` it is the first one that really opens a session, else ``libsvtav1``:
    the answer a user should record with.
    """
    for name in HW_VIDEO_CODECS:
        if not pyav_probe.available_encoders(name):
            continue
        if not check_opens or pyav_probe.probe_encoder(name).opens:
            logger.info("vcodec='auto' resolved to %s", name)
            return name
    if not check_opens:
        logger.warning("No hardware encoder available, falling back to software encoder 'libsvtav1'")
    return "libsvtav1"


#: Bits of LeRobot's depth codes and the largest code (``gray12le`` carries 0..4095).
DEPTH_QUANT_BITS: int = 12
DEPTH_QMAX: int = (1 << DEPTH_QUANT_BITS) - 1
DEFAULT_DEPTH_MIN: float = 0.01
DEFAULT_DEPTH_MAX: float = 10.0
DEFAULT_DEPTH_SHIFT: float = 3.5
DEFAULT_DEPTH_USE_LOG: bool = True
DEFAULT_DEPTH_PIX_FMT: str = "gray12le"
DEPTH_METER_UNIT: str = "m"
DEPTH_MILLIMETER_UNIT: str = "mm"
#: Depth quantizer fields persisted in ``info.json`` as ``video.<name>`` (LeRobot 0.6).
DEPTH_ENCODER_INFO_FIELD_NAMES: frozenset[str] = frozenset({"depth_min", "depth_max", "shift", "use_log"})


@dataclass
class DepthEncoderConfig(VideoEncoderConfig):
    """How one depth camera is encoded, as LeRobot 0.6's ``DepthEncoderConfig``: 12-bit codes from the
    quantizer (``depth_min``/``depth_max``/``shift`` in metres, log or linear) in ``gray12le`` HEVC,
    lossless by default through ``x265-params=lossless=1``.

    Every :class:`VideoEncoderConfig` field, option mapping and check applies unchanged, with a
    1-channel source. Stricter than LeRobot (which accepts these and writes garbage codes):
    ``depth_min < depth_max``, finite numbers, ``use_log`` a bool, ``depth_min + shift > 0`` in log mode.
    """

    vcodec: str = "hevc"
    pix_fmt: str = DEFAULT_DEPTH_PIX_FMT
    extra_options: dict[str, Any] = field(default_factory=lambda: {"x265-params": "lossless=1"})
    depth_min: float = DEFAULT_DEPTH_MIN
    depth_max: float = DEFAULT_DEPTH_MAX
    shift: float = DEFAULT_DEPTH_SHIFT
    use_log: bool = DEFAULT_DEPTH_USE_LOG

    _DEFAULT_CHANNELS: ClassVar[int | None] = 1

    def validate(self) -> None:
        """The quantizer's ranges, then every :class:`VideoEncoderConfig` check with a 1-channel source."""
        for name in ("depth_min", "depth_max", "shift"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"{name}={value!r} must be a finite number of metres")
        if not isinstance(self.use_log, bool):
            raise ValueError(f"use_log={self.use_log!r} must be true or false")
        if not self.depth_min < self.depth_max:
            raise ValueError(
                f"depth_min={self.depth_min!r} must be below depth_max={self.depth_max!r} (metres)"
            )
        if self.use_log and self.depth_min + self.shift <= 0:
            raise ValueError(
                f"shift={self.shift!r} must make depth_min + shift positive for logarithmic quantization "
                f"(depth_min={self.depth_min!r})"
            )
        super().validate()

    @classmethod
    def _kwargs_from_video_info(cls, video_info: dict[str, Any] | None) -> dict[str, Any]:
        kwargs = super()._kwargs_from_video_info(video_info)
        info = video_info or {}
        for name in DEPTH_ENCODER_INFO_FIELD_NAMES:
            if info.get(f"video.{name}") is not None:
                kwargs[name] = info[f"video.{name}"]
        return kwargs

    def quantizer(self) -> dict[str, Any]:
        """The keyword arguments of ``quantize_depth`` / ``dequantize_depth`` this config implies."""
        return {"depth_min": self.depth_min, "depth_max": self.depth_max, "shift": self.shift, "use_log": self.use_log}

    def _label_extra(self) -> list[str]:
        mode = f"log+{self.shift:g}" if self.use_log else "linear"
        return [f"depth[{self.depth_min:g}-{self.depth_max:g}m {mode}]"]


def depth_encoder_defaults() -> DepthEncoderConfig:
    """LeRobot 0.6's depth camera defaults (hevc gray12le lossless, 0.01..10 m, log with shift 3.5 m)."""
    return DepthEncoderConfig()


def is_depth_info(video_info: dict[str, Any] | None) -> bool:
    """Whether a feature's ``info`` block marks a depth map (``is_depth_map``, or the legacy ``video.is_depth_map``)."""
    info = video_info or {}
    return bool(info.get("is_depth_map") or info.get("video.is_depth_map"))


def encoder_config_from_video_info(video_info: dict[str, Any] | None) -> VideoEncoderConfig:
    """The encoder config a recorded feature used: :class:`DepthEncoderConfig` for depth maps, else RGB."""
    cls: type[VideoEncoderConfig] = DepthEncoderConfig if is_depth_info(video_info) else VideoEncoderConfig
    return cls.from_video_info(video_info)
