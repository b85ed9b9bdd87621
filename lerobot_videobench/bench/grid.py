"""Sweep grids: codec-aware products of encoder settings, from a dict, a YAML file or a built-in name.

Every axis is either a list (the same values for every codec) or a mapping ``codec -> list`` (presets
mean different things per codec: SVT integers, x264/x265 names). Each combination is validated by
constructing the ``VideoEncoderConfig``; invalid ones are reported with the reason before anything runs.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..encoding import VideoEncoderConfig
from ..errors import InvalidValueError
from .trial import TrialSpec

#: Grid axes and the ``VideoEncoderConfig`` field (or global setting) each one sets.
AXES: tuple[str, ...] = ("vcodec", "pix_fmt", "g", "crf", "preset", "fast_decode", "extra_options", "encoder_threads")

#: x265 as LeRobot's training decoders can read it: without B-frames (torchcodec's approximate seek returns
#: other frames' timestamps) and with closed GOPs (an open GOP loses the frames before each keyframe after a
#: seek). Default x265 output is a decode hazard; the built-in grids only carry this fixed variant.
HEVC_TRAINING_SAFE = {"bf": 0, "x265-params": "open-gop=0"}
_NO_EXTRA = {"libsvtav1": [{}], "h264": [{}], "hevc": [HEVC_TRAINING_SAFE]}

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
        "pix_fmt": ["yuv420p", "yuv444p"],
        "g": [2, 10, 40],
        "crf": {"libsvtav1": [20, 30, 40, 50], "h264": [18, 23, 28, 33], "hevc": [18, 23, 28, 33]},
        "preset": {"libsvtav1": [12], "h264": ["medium"], "hevc": ["medium"]},
        "extra_options": _NO_EXTRA,
    },
    # Adds encoder speed (presets), fast-decode tuning and more GOP and crf values.
    "thorough": {
        "vcodec": ["libsvtav1", "h264", "hevc"],
        "pix_fmt": ["yuv420p", "yuv444p"],
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
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ValueError(f"grid file {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"grid file {path} must hold a mapping of axis -> values; allowed axes: {list(AXES)}")
    return path.stem, data


def expand_grid(grid: str | os.PathLike | dict[str, Any]) -> GridPlan:
    """Expand a grid into validated trial specs; invalid combinations are kept aside with their reason."""
    name, data = load_grid(grid)
    unknown = sorted(set(data) - set(AXES))
    if unknown:
        raise ValueError(f"grid has unknown axes {unknown}; allowed: {list(AXES)}")
    if not data:
        raise InvalidValueError(f"grid {name!r} is empty; give at least one axis, e.g. vcodec: [libsvtav1, h264]")
    codecs = data.get("vcodec", ["libsvtav1"])
    codecs = codecs if isinstance(codecs, list) else [codecs]
    if not codecs:
        raise InvalidValueError(f"grid {name!r}: vcodec is an empty list; give at least one codec")
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
    plan = GridPlan(name)
    seen: set[str] = set()
    for codec in codecs:
        axes = [a for a in AXES if a != "vcodec" and a in data]
        value_lists = [_values(a, data[a], codec) for a in axes]
        for combo in itertools.product(*value_lists):
            settings = {"vcodec": codec, **{a: v for a, v in zip(axes, combo) if v is not None or a == "g"}}
            threads = settings.pop("encoder_threads", None)
            try:
                if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
                    raise ValueError(f"encoder_threads={threads!r} must be a positive integer or null")
                config = VideoEncoderConfig(**settings)
            except (ValueError, TypeError) as exc:
                plan.invalid.append(InvalidEntry({**settings, "encoder_threads": threads}, str(exc)))
                continue
            spec = TrialSpec(config, threads)
            ident = repr(spec.to_dict())
            if ident not in seen:
                seen.add(ident)
                plan.specs.append(spec)
    return plan
