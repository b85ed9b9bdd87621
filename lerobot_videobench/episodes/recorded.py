"""What LeRobot recorded about how each camera was encoded: the ``features[key]["info"]`` block of
``meta/info.json``, read into one :class:`RecordedEncoder` per camera.

LeRobot 0.6 writes the stream's ``video.codec`` / ``video.pix_fmt`` and the encoder's ``video.g``,
``video.crf``, ``video.preset``, ``video.fast_decode``, ``video.video_backend``, ``video.extra_options``
(plus ``video.depth_min`` / ``depth_max`` / ``shift`` / ``use_log``, ``is_depth_map`` and ``depth_unit``
for depth), once, from the first episode's file. Older releases wrote only the stream keys. A merge of
datasets that disagree (``aggregate_datasets``) leaves the disagreeing tuning fields ``null`` (``{}``
for ``extra_options``). The three cases read differently: a value, ``null`` (recorded, but unknown
after a merge) and *missing* (never recorded); this module keeps them apart so checks can say which.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ..encoding.config import VIDEO_ENCODER_INFO_FIELD_NAMES, DepthEncoderConfig, VideoEncoderConfig

#: Encoder fields LeRobot persists as ``video.<name>`` (``VIDEO_ENCODER_INFO_FIELD_NAMES``, in the config's
#: field order); a merge of disagreeing datasets sets exactly these to null.
ENCODER_FIELDS = tuple(f.name for f in fields(VideoEncoderConfig) if f.name in VIDEO_ENCODER_INFO_FIELD_NAMES)
#: Stream fields persisted beside them (read from the first episode's file).
STREAM_FIELDS = ("codec", "pix_fmt")
#: Depth quantisation fields (``DepthEncoderConfig``), persisted for depth cameras only.
DEPTH_FIELDS = ("depth_min", "depth_max", "shift", "use_log")
#: Every recorded setting, in display order (``is_depth_map`` and ``depth_unit`` are top-level keys).
RECORDED_FIELDS = STREAM_FIELDS + ENCODER_FIELDS + DEPTH_FIELDS + ("is_depth_map", "depth_unit")
_TOP_LEVEL = ("is_depth_map", "depth_unit")


#: Depth encoder fields whose LeRobot 0.6 default is None (recorded as null by an unmerged recording).
_DEPTH_DEFAULT_NULLS = tuple(
    f.name for f in fields(DepthEncoderConfig) if f.name in ENCODER_FIELDS and f.default is None
)


def _info_key(name: str) -> str:
    return name if name in _TOP_LEVEL else f"video.{name}"


@dataclass(frozen=True)
class RecordedEncoder:
    """One camera's recorded encoder settings.

    ``values`` maps each field of :data:`RECORDED_FIELDS` that ``info.json`` holds to its value (None
    when it holds ``null``); ``null_fields`` are the encoder fields present but null (what a merge of
    disagreeing datasets leaves); ``missing_fields`` the encoder fields not recorded at all (datasets
    written before LeRobot 0.6). Depth fields are only expected for depth cameras.
    """

    camera: str
    values: dict[str, Any] = field(default_factory=dict)
    null_fields: tuple[str, ...] = ()
    missing_fields: tuple[str, ...] = ()

    @property
    def is_depth(self) -> bool:
        return bool(self.values.get("is_depth_map"))

    @property
    def codec(self) -> str | None:
        return self.values.get("codec")

    @property
    def pix_fmt(self) -> str | None:
        return self.values.get("pix_fmt")

    @property
    def g(self) -> int | None:
        g = self.values.get("g")
        return g if isinstance(g, int) and not isinstance(g, bool) else None

    @property
    def recorded(self) -> bool:
        """Whether any encoder setting (beyond the stream's codec and pix_fmt) was recorded."""
        return any(name in self.values for name in ENCODER_FIELDS)

    def encoder_settings(self) -> dict[str, Any]:
        """The tuning fields as recorded (null ones included), for comparing cameras."""
        names = ENCODER_FIELDS + (DEPTH_FIELDS if self.is_depth else ())
        return {name: self.values[name] for name in names if name in self.values}

    def describe(self) -> str:
        """``codec=av1 pix_fmt=yuv420p g=2 crf=30 ... crf=null`` on one line; missing fields are left out."""
        return " ".join(
            f"{name}={'null' if self.values[name] is None else self.values[name]}"
            for name in RECORDED_FIELDS if name in self.values
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["null_fields"], d["missing_fields"] = list(self.null_fields), list(self.missing_fields)
        return d


def recorded_encoder(camera: str, info: dict[str, Any]) -> RecordedEncoder:
    """Read one feature's ``info`` block (``features[camera]["info"]``) into a :class:`RecordedEncoder`."""
    info = info or {}
    values: dict[str, Any] = {}
    for name in RECORDED_FIELDS:
        key = _info_key(name)
        if key in info:
            values[name] = info[key]
        elif name == "is_depth_map" and "video.is_depth_map" in info:  # older writers nest it
            values[name] = info["video.is_depth_map"]
    is_depth = bool(values.get("is_depth_map"))
    expected = ENCODER_FIELDS + (DEPTH_FIELDS if is_depth else ())
    # LeRobot's own DepthEncoderConfig() records preset=null: a null that is the default is not a merge's
    default_null = _DEPTH_DEFAULT_NULLS if is_depth else ()
    null = tuple(n for n in expected if n in values and values[n] is None and n not in default_null)
    missing = tuple(n for n in expected if n not in values)
    return RecordedEncoder(camera, values, null, missing)


def differing_settings(encoders: list[RecordedEncoder]) -> dict[str, dict[str, Any]]:
    """Fields whose recorded value differs between cameras of the same kind (RGB with RGB, depth with
    depth): field -> {camera: value}. LeRobot records every RGB camera with one ``rgb_encoder``, so a
    difference means the cameras came from different recordings (a merge, an edit)."""
    out: dict[str, dict[str, Any]] = {}
    for group in ([e for e in encoders if not e.is_depth], [e for e in encoders if e.is_depth]):
        if len(group) < 2:
            continue
        for name in STREAM_FIELDS + ENCODER_FIELDS + DEPTH_FIELDS:
            seen = {e.camera: e.values[name] for e in group if name in e.values}
            if len(seen) > 1 and len({json.dumps(v, sort_keys=True, default=str) for v in seen.values()}) > 1:
                out[name] = seen
    return out


__all__ = [
    "DEPTH_FIELDS",
    "ENCODER_FIELDS",
    "RECORDED_FIELDS",
    "STREAM_FIELDS",
    "RecordedEncoder",
    "differing_settings",
    "recorded_encoder",
]
