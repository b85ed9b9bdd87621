"""Sweep grids: codec-aware products of encoder settings, from a dict, a YAML file or a built-in name.

Every axis is either a list (the same values for every codec) or a mapping ``codec -> list`` (presets
mean different things per codec: SVT integers, x264/x265 names). Each combination is validated by
constructing the ``VideoEncoderConfig``; invalid ones are reported with the reason before anything runs.

A *depth* grid (``kind: depth``, or any depth axis: ``lossless``, ``depth_min``, ``depth_max``, ``shift``,
``use_log``) builds LeRobot 0.6 ``DepthEncoderConfig`` trials for depth cameras (hevc or libaom-av1, the only
LeRobot codecs that take 12-bit gray). ``lossless: true`` is LeRobot's default (x265 ``lossless=1``; crf is
then ignored, so one trial stands for every crf; libaom-av1's lossless mode is crf 0); ``lossless: false``
drops it so crf applies. A grid may list ``parts``: sub-grids expanded one after the other (each inherits the
top-level axes), which keeps a grid covering several questions small instead of a full product.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..encoding import DepthEncoderConfig, VideoEncoderConfig
from ..errors import InvalidValueError
from .trial import TrialSpec

#: Grid axes and the ``VideoEncoderConfig`` field (or global setting) each one sets.
AXES: tuple[str, ...] = ("vcodec", "pix_fmt", "g", "crf", "preset", "fast_decode", "extra_options", "encoder_threads")
#: Axes of depth grids only: the ``DepthEncoderConfig`` quantizer fields, and lossless on/off.
DEPTH_AXES: tuple[str, ...] = ("lossless", "depth_min", "depth_max", "shift", "use_log")
#: Keys of a grid that are not axes: its camera kind and its sub-grids.
GRID_KEYS: tuple[str, ...] = ("kind", "parts")
#: LeRobot codecs that encode 12-bit gray (``gray12le``), the format of LeRobot's depth codes.
DEPTH_CODECS: tuple[str, ...] = ("hevc", "libaom-av1")
#: libaom-av1 at its FFmpeg default (cpu-used 1) encodes a few frames per second; LeRobot's ``preset``
#: is not an option libaom knows (FFmpeg ignores it), so speed is set through ``extra_options``.
AOM_DEPTH_SPEED = {"cpu-used": 6}

#: x265 as LeRobot's training decoders can read it: without B-frames (torchcodec's approximate seek returns
#: other frames' timestamps) and with closed GOPs (an open GOP loses the frames before each keyframe after a
#: seek). Default x265 output is a decode hazard; the built-in grids only carry this fixed variant.
HEVC_TRAINING_SAFE = {"bf": 0, "x265-params": "open-gop=0"}
_NO_EXTRA = {"libsvtav1": [{}], "h264": [{}], "hevc": [HEVC_TRAINING_SAFE]}

#: 4:2:0 for every codec, 4:4:4 where the encoder takes it (libsvtav1 does not): built-in grids hold no entry
#: that is skipped as invalid.
_PIX_FMTS = {"libsvtav1": ["yuv420p"], "h264": ["yuv420p", "yuv444p"], "hevc": ["yuv420p", "yuv444p"]}

BUILTIN_GRIDS: dict[str, dict[str, Any]] = {
    # A handful of trials: LeRobot's default, a smaller and a larger crf, and h264 for comparison.
    "quick": {
        "vcodec": ["libsvtav1", "h264"],
        "crf": {"libsvtav1": [25, 30, 40], "h264": [18, 23, 28]},
        "g": [2],
        "preset": {"libsvtav1": [12], "h264": ["medium"]},
    },
    # LeRobot's benchmark axes (codec x pix_fmt x g x crf), trimmed to values that matter in practice.
    "default": {
        "vcodec": ["libsvtav1", "h264", "hevc"],
        "pix_fmt": _PIX_FMTS,
        "g": [2, 10, 40],
        "crf": {"libsvtav1": [20, 30, 40, 50], "h264": [18, 23, 28, 33], "hevc": [18, 23, 28, 33]},
        "preset": {"libsvtav1": [12], "h264": ["medium"], "hevc": ["medium"]},
        "extra_options": _NO_EXTRA,
    },
    # Adds encoder speed (presets), fast-decode tuning and more GOP and crf values.
    "thorough": {
        "vcodec": ["libsvtav1", "h264", "hevc"],
        "pix_fmt": _PIX_FMTS,
        "g": [1, 2, 4, 10, 40, 120],
        "crf": {
            "libsvtav1": [15, 20, 25, 30, 35, 40, 45, 50],
            "h264": [13, 18, 23, 28, 33, 38],
            "hevc": [13, 18, 23, 28, 33, 38],
        },
        "preset": {"libsvtav1": [8, 10, 12], "h264": ["veryfast", "medium", "slow"], "hevc": ["fast", "medium"]},
        "fast_decode": {"libsvtav1": [0, 1], "h264": [0, 1], "hevc": [0]},
        "extra_options": _NO_EXTRA,
    },
    # Depth cameras (LeRobot 0.6 DepthEncoderConfig): how lossy depth may be, at LeRobot's quantizer and others.
    # LeRobot reads depth with PyAV only, which B-frames do not trip; open GOPs do (see below).
    "depth": {
        "kind": "depth",
        "vcodec": ["hevc", "libaom-av1"],
        "parts": [
            # LeRobot's default (lossless, g2) against crf 0..30 with x265 lossless off
            {"vcodec": ["hevc"], "lossless": [True, False], "crf": [0, 10, 20, 30], "g": [2]},
            # longer GOPs, closed: x265's default open GOP loses frames after a seek at g >= 10 in LeRobot's
            # PyAV depth read (measured: 15 of 80 queries), so the grid carries the fixed variant only
            {"vcodec": ["hevc"], "lossless": [True, False], "crf": [20], "g": [10],
             "extra_options": [{"x265-params": "open-gop=0"}]},
            # encoder speed
            {"vcodec": ["hevc"], "lossless": [True], "g": [2], "preset": ["ultrafast", "slow"]},
            # the quantizer: an indoor range (0.01..4 m), and linear codes
            {"vcodec": ["hevc"], "lossless": [True], "g": [2], "depth_max": [4.0], "use_log": [True, False]},
            {"vcodec": ["hevc"], "lossless": [True], "g": [2], "use_log": [False]},
            # AV1 (libaom-av1; crf 0 is its lossless mode)
            {"vcodec": ["libaom-av1"], "lossless": [True, False], "crf": [20, 40], "g": [2],
             "extra_options": [AOM_DEPTH_SPEED]},
        ],
    },
}


@dataclass(frozen=True)
class InvalidEntry:
    """A grid combination that cannot run here, and why (the ValueError of the config)."""

    settings: dict[str, Any]
    reason: str


@dataclass
class GridPlan:
    """The valid trials of a grid (in a stable order) and the combinations that were skipped."""

    name: str
    specs: list[TrialSpec] = field(default_factory=list)
    invalid: list[InvalidEntry] = field(default_factory=list)
    kind: str = "rgb"  # "rgb" | "depth": which cameras a sweep runs it on

    def __len__(self) -> int:
        return len(self.specs)


def _values(axis: str, spec: Any, codec: str) -> list[Any]:
    if isinstance(spec, dict) and axis != "extra_options":
        spec = spec.get(codec, [None])
    elif isinstance(spec, dict) and axis == "extra_options" and spec and all(isinstance(v, list) for v in spec.values()):
        spec = spec.get(codec, [{}])
    if not isinstance(spec, list):
        spec = [spec]
    return spec or [None]


def parse_grid_text(text: str, where: str = "the grid") -> dict[str, Any]:
    """A grid written as YAML (a file's content, the notebook's YAML box) -> its ``axis -> values`` mapping.

    The one reader of grid text: ``sweep --grid file.yaml`` and the Sweep panel's YAML mode both use it.
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidValueError(f"{where} is not valid YAML: {exc}") from exc
    if isinstance(data, list) and data and all(isinstance(d, dict) for d in data):  # a list of sub-grids
        data = {"parts": data}
    if not isinstance(data, dict):
        raise InvalidValueError(f"{where} must hold a mapping of axis -> values; allowed axes: {list(AXES)}")
    return data


def grid_to_text(data: dict[str, Any]) -> str:
    """The YAML text of a grid (what :func:`parse_grid_text` reads back)."""
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=None)


def load_grid(grid: str | os.PathLike | dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Resolve a grid given as a built-in name, a YAML/JSON file path or a dict -> (name, dict)."""
    if isinstance(grid, dict):
        return "custom", grid
    text = str(grid)
    if text in BUILTIN_GRIDS:
        return text, BUILTIN_GRIDS[text]
    path = Path(text)
    if not path.is_file():
        raise ValueError(f"grid={text!r} is neither a built-in grid ({sorted(BUILTIN_GRIDS)}) nor a file")
    return path.stem, parse_grid_text(path.read_text(), f"grid file {path}")


# ------------------------------------------------------------------------------------------ one axis as text
def parse_values(text: str) -> list[Any]:
    """``"20, 30, 40"`` -> ``[20, 30, 40]`` (each item read as YAML: numbers, names, ``null``/``none``)."""
    out: list[Any] = []
    for token in text.split(","):
        token = token.strip()
        if not token:
            continue
        if token.lower() == "none":
            out.append(None)
            continue
        try:
            value = yaml.safe_load(token)
        except yaml.YAMLError:
            value = token
        out.append(value)
    return out


def parse_axis(text: str | None, axis: str = "axis") -> list[Any] | dict[str, list[Any]] | None:
    """One grid axis written on one line: ``"20, 30"`` (every codec) or ``"libsvtav1: 25, 30; h264: 23"``
    (per codec); empty text leaves the axis out (the codec's default)."""
    text = (text or "").strip()
    if not text:
        return None
    if ":" not in text:
        return parse_values(text)
    out: dict[str, list[Any]] = {}
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        codec, sep, values = part.partition(":")
        if not sep or not codec.strip():
            raise InvalidValueError(f"{axis}: cannot read {part!r}: write 'codec: value, value; codec: value'")
        out[codec.strip()] = parse_values(values)
    return out


def format_axis(value: Any) -> str:
    """The inverse of :func:`parse_axis`, to show a grid's axis on one line."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return "; ".join(f"{codec}: {format_axis(v)}" for codec, v in value.items())
    if not isinstance(value, list):
        value = [value]
    return ", ".join("none" if v is None else str(v) for v in value)


#: Axes a grid written as one line per axis (:func:`grid_from_axes`) can hold.
LINE_AXES: tuple[str, ...] = ("vcodec", "pix_fmt", "g", "crf", "preset", "encoder_threads")


def grid_from_axes(vcodec: list[str] | tuple[str, ...], pix_fmt: list[str] | tuple[str, ...] = (),
                   **axes: str | None) -> dict[str, Any]:
    """A grid from chosen codecs and pixel formats plus one line of text per axis (``crf="20, 30"``,
    ``preset="libsvtav1: 12; h264: medium"``); empty lines leave their axis out."""
    if not vcodec:
        raise InvalidValueError("select at least one codec")
    unknown = sorted(set(axes) - set(LINE_AXES))
    if unknown:
        raise InvalidValueError(f"unknown grid axes {unknown}; one-line axes are {list(LINE_AXES[2:])}")
    grid: dict[str, Any] = {"vcodec": list(vcodec)}
    if pix_fmt:
        grid["pix_fmt"] = list(pix_fmt)
    for axis in LINE_AXES[2:]:
        value = parse_axis(axes.get(axis), axis)
        if value is not None:
            grid[axis] = value
    return grid


def fits_axes(data: dict[str, Any]) -> bool:
    """Whether a grid can be written as :func:`grid_from_axes` lines (no ``fast_decode``, ``extra_options``,
    per-codec codecs or pixel formats)."""
    return not (set(data) - set(LINE_AXES)) and not isinstance(data.get("pix_fmt"), dict) \
        and not isinstance(data.get("vcodec"), dict)


def grid_kind(data: dict[str, Any]) -> str:
    """``depth`` for a grid of depth-camera trials (``kind: depth`` or a depth axis), else ``rgb``."""
    kind = data.get("kind")
    parts = data.get("parts") or []
    if kind is None and (any(a in data for a in DEPTH_AXES)
                         or any(isinstance(p, dict) and grid_kind(p) == "depth" for p in parts)):
        kind = "depth"
    kind = kind or "rgb"
    if kind not in ("rgb", "depth"):
        raise InvalidValueError(f"grid kind={kind!r}; allowed: ['rgb', 'depth']")
    return kind


def expand_grid(grid: str | os.PathLike | dict[str, Any]) -> GridPlan:
    """Expand a grid into validated trial specs; invalid combinations are kept aside with their reason.

    A grid with ``parts`` expands each part (the top-level axes as its defaults) and keeps the union in
    order, without duplicates. ``GridPlan.kind`` says which cameras the trials are for.
    """
    name, data = load_grid(grid)
    kind = grid_kind(data)
    plan = GridPlan(name, kind=kind)
    seen: set[str] = set()
    parts = data.get("parts")
    if parts is None:
        _expand_part(name, data, kind, plan, seen)
        return plan
    if not isinstance(parts, list) or not parts or not all(isinstance(p, dict) for p in parts):
        raise InvalidValueError(f"grid {name!r}: parts must be a non-empty list of sub-grids (axis -> values)")
    base = {k: v for k, v in data.items() if k != "parts"}
    for part in parts:
        if grid_kind({**base, **part}) != kind:
            raise InvalidValueError(f"grid {name!r} mixes RGB and depth parts; sweep them as two grids")
        _expand_part(name, {**base, **part}, kind, plan, seen)
    return plan


def _depth_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Resolve the ``lossless`` axis into the codec's options (x265 ``lossless=1``; aom crf 0)."""
    lossless = settings.pop("lossless", None)
    codec = settings["vcodec"]
    extra = dict(settings.get("extra_options") or {})
    if codec == "hevc":
        params = [p for p in str(extra.pop("x265-params", "")).split(":") if p and p != "lossless=1"]
        if lossless is None and "extra_options" not in settings:
            lossless = True  # DepthEncoderConfig's default
        if lossless:
            params.insert(0, "lossless=1")
            settings.pop("crf", None)  # ignored by x265 in lossless mode: LeRobot's default crf stands for all
        if params:
            extra["x265-params"] = ":".join(params)
    elif lossless:
        settings["crf"] = 0
    settings["extra_options"] = extra
    return settings


def _expand_part(name: str, data: dict[str, Any], kind: str, plan: GridPlan, seen: set[str]) -> None:
    axes_allowed = AXES + DEPTH_AXES if kind == "depth" else AXES
    unknown = sorted(set(data) - set(axes_allowed) - set(GRID_KEYS))
    if unknown:
        raise ValueError(f"grid has unknown axes {unknown}; allowed: {list(axes_allowed)}")
    data = {k: v for k, v in data.items() if k not in GRID_KEYS}
    if not data:
        raise InvalidValueError(f"grid {name!r} is empty; give at least one axis, e.g. vcodec: [libsvtav1, h264]")
    codecs = data.get("vcodec", ["hevc" if kind == "depth" else "libsvtav1"])
    codecs = codecs if isinstance(codecs, list) else [codecs]
    if not codecs:
        raise InvalidValueError(f"grid {name!r}: vcodec is an empty list; give at least one codec")
    if kind == "depth":
        bad = [c for c in codecs if c not in DEPTH_CODECS]
        if bad:
            raise InvalidValueError(
                f"grid {name!r}: {', '.join(bad)} cannot encode depth: LeRobot's depth codes are 12-bit gray "
                f"(gray12le), which only {' and '.join(DEPTH_CODECS)} accept")
    for axis, spec in data.items():
        if isinstance(spec, list) and not spec:
            raise InvalidValueError(f"grid {name!r}: axis {axis!r} is an empty list; give values or leave it out")
        per_codec = isinstance(spec, dict) and (
            axis != "extra_options" or (spec and all(isinstance(v, list) for v in spec.values()))
        )
        if per_codec:
            stray = sorted(str(k) for k in spec if k not in codecs)
            if stray:
                raise InvalidValueError(
                    f"grid {name!r}: axis {axis!r} has values for {stray}, which {'is' if len(stray) == 1 else 'are'} "
                    f"not a swept codec; swept codecs: {codecs}"
                )
    cls = DepthEncoderConfig if kind == "depth" else VideoEncoderConfig
    for codec in codecs:
        axes = [a for a in axes_allowed if a != "vcodec" and a in data]
        value_lists = [_values(a, data[a], codec) for a in axes]
        for combo in itertools.product(*value_lists):
            settings = {"vcodec": codec, **{a: v for a, v in zip(axes, combo) if v is not None or a == "g"}}
            threads = settings.pop("encoder_threads", None)
            try:
                if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
                    raise ValueError(f"encoder_threads={threads!r} must be a positive integer or null")
                if kind == "depth":
                    settings = _depth_settings(settings)
                config = cls(**settings)
            except (ValueError, TypeError) as exc:
                plan.invalid.append(InvalidEntry({**settings, "encoder_threads": threads}, str(exc)))
                continue
            spec = TrialSpec(config, threads)
            ident = repr(spec.to_dict())
            if ident not in seen:
                seen.add(ident)
                plan.specs.append(spec)
