"""Render a chosen encoder config as what a given LeRobot reads: ``lerobot-record`` or
``lerobot-edit-dataset`` flags, YAML/JSON config files and a Python snippet; and read them back.

Two small registries (papermill-style) make an export: :data:`TARGETS` says *which LeRobot* (the shape of
its config: ``--dataset.rgb_encoder.*`` in 0.6, flat ``--dataset.vcodec`` in 0.5/0.4, the names of
unreleased PRs) and :data:`FORMATS` says *how it is written*. :func:`render` ``(target, format, settings)``
is the one entry point; ``to_cli_args`` / ``to_yaml`` / ``to_json`` / ``to_python`` / ``to_shell`` are its
stable shorthands. Every target builds one nested *document* (``{"dataset": {"rgb_encoder": {...}}}``):
YAML and JSON dump it, CLI flags are its dotted paths. Every rendered text says which target it is for
(a comment line; a ``"target"`` key in JSON).

Values are rendered the way LeRobot's CLI parser (``draccus``) reads them back: it YAML-loads each
``--a.b=value``, so ``None`` is ``null``, booleans are ``true``/``false``, ``extra_options`` is one flow
mapping (dotted ``extra_options.<key>`` flags are refused by draccus) and a string YAML would read as
something else is double-quoted. Encoder blocks are rendered generically from their dataclass fields, so
any encoder config (RGB, depth) plugs in.

Before anything is rendered, each encoder config is re-validated and really opened on two tiny frames
(:mod:`..encoding.preflight`): a config that would fail at the first frame is refused with the encoder's
reason; values the encoder silently clamps are warned about (:class:`ExportWarning`).

Limitation (draccus, not us): ``preset`` is ``int | str | None`` and draccus tries ``int`` first, so a
string preset that ``int()`` accepts (``"7"``) would come back as the integer 7; such configs are refused.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import math
import re
import shlex
import warnings
from collections.abc import Callable, Iterator
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from ..encoding.config import HW_VIDEO_CODECS, LIBSVTAV1_DEFAULT_PRESET, VideoEncoderConfig
from ..errors import InvalidValueError, SourceError

__all__ = [
    "DATASET_DEFAULTS",
    "DEFAULT_ENCODER_FIELD",
    "DEFAULT_TARGET",
    "ENCODER_FIELDS",
    "FORMATS",
    "TARGETS",
    "ExportSettings",
    "ExportSource",
    "ExportTarget",
    "ExportWarning",
    "default_target",
    "format_command",
    "from_json",
    "from_yaml",
    "installed_lerobot_version",
    "legacy_limitations",
    "read_settings",
    "register_target",
    "render",
    "target_for_lerobot_version",
    "to_cli_args",
    "to_json",
    "to_python",
    "to_shell",
    "to_yaml",
]

#: The target when no ``lerobot`` is installed: the release users run.
DEFAULT_TARGET = "lerobot-0.6"
#: ``DatasetRecordConfig`` field of the RGB encoder block in LeRobot 0.6.
DEFAULT_ENCODER_FIELD = "rgb_encoder"
#: Names the RGB block has had: 0.6 (``rgb_encoder``), PR #3455 as merged (``camera_encoder``), the PR under
#: review (``camera_encoder_config``); all are read back by :func:`from_yaml`.
ENCODER_FIELDS: tuple[str, ...] = ("rgb_encoder", "camera_encoder", "camera_encoder_config")
DEPTH_FIELD = "depth_encoder"
#: ``DatasetRecordConfig`` defaults of the settings that live next to the encoder blocks.
DATASET_DEFAULTS: dict[str, Any] = {"encoder_threads": None, "encoder_queue_maxsize": 30, "streaming_encoding": False}
#: ``lerobot-edit-dataset`` operations that encode videos with an encoder block, by source kind.
EDIT_OPERATIONS: dict[str, str] = {"video": "reencode_videos", "image": "convert_image_to_video"}
#: Where each operation writes when no ``--new_repo_id`` / ``--new_root`` is given (LeRobot 0.6.1).
EDIT_DEFAULT_SUFFIX: dict[str, str] = {"reencode_videos": "_reencoded", "convert_image_to_video": "_video"}

#: ``vcodec`` values the flat ``--dataset.vcodec`` of LeRobot 0.4.4 / 0.5 accepts (0.4.3: the software three).
LEGACY_VCODECS: frozenset[str] = frozenset({"h264", "hevc", "libsvtav1", "auto", *HW_VIDEO_CODECS})
LEGACY_SOFTWARE_VCODECS: frozenset[str] = frozenset({"h264", "hevc", "libsvtav1"})
#: What LeRobot 0.4.x / 0.5.x hard-code (only the codec is a flag there).
FLAT_HARD_CODED: dict[str, Any] = {"pix_fmt": "yuv420p", "g": 2, "crf": 30, "fast_decode": 0, "extra_options": {}}

_RGB_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(VideoEncoderConfig))


class ExportWarning(UserWarning):
    """An export is valid but carries a caveat (not opened here, a clamped value, settings a target lacks)."""


# ---------------------------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class ExportSource:
    """The dataset the user swept, for the ``lerobot-edit-dataset`` target: a Hub id and/or a local root.

    ``kind`` picks the operation: ``"video"`` -> ``reencode_videos``, ``"image"`` -> ``convert_image_to_video``.
    ``new_repo_id`` / ``new_root`` default to LeRobot's own choice (``{repo_id}_reencoded`` / ``_video``).
    """

    repo_id: str | None = None
    root: str | None = None
    kind: str = "video"
    new_repo_id: str | None = None
    new_root: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in EDIT_OPERATIONS:
            raise InvalidValueError(f"source kind={self.kind!r} is not known; allowed: {list(EDIT_OPERATIONS)}")
        for name in ("repo_id", "root", "new_repo_id", "new_root"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise InvalidValueError(f"source {name}={value!r} must be a non-empty string or None")

    @property
    def operation(self) -> str:
        return EDIT_OPERATIONS[self.kind]

    @property
    def effective_repo_id(self) -> str | None:
        """``repo_id``, or for a local root without one ``local/<folder name>`` (LeRobot requires an id)."""
        if self.repo_id:
            return self.repo_id
        return f"local/{Path(self.root).name}" if self.root else None

    @classmethod
    def from_location(cls, location: str, *, kind: str | None = None) -> ExportSource:
        """What ``sweep`` was given: a local LeRobot dataset folder (its ``info.json`` tells image from
        video) or a Hub id ``org/name`` (video unless ``kind`` says otherwise)."""
        from ..episodes.lerobot import parse_repo_id, read_info

        path = Path(location).expanduser()
        if path.is_dir():
            try:
                info = read_info(path)
            except (FileNotFoundError, ValueError) as exc:
                raise SourceError(f"source {location!r} is not a LeRobot dataset folder ({exc})") from exc
            dtypes = {f.get("dtype") for f in (info.get("features") or {}).values() if isinstance(f, dict)}
            found = "image" if "image" in dtypes and "video" not in dtypes else "video"
            return cls(root=str(path), kind=kind or found)
        parsed = parse_repo_id(location)
        if parsed is None:
            raise SourceError(
                f"source {location!r} is neither a local LeRobot dataset folder nor a Hub id like 'org/name'"
            )
        return cls(repo_id=parsed[0], kind=kind or "video")


@dataclass(frozen=True)
class ExportSettings:
    """Everything an export renders: the RGB encoder ``config``, the ``DatasetRecordConfig`` globals next to
    it (``None`` = not set), an optional depth encoder block and, for edit targets, the ``source``.

    What :func:`from_yaml` / :func:`from_json` return, so a file written by :func:`to_yaml` comes back whole.
    ``depth_encoder`` may be any encoder-config dataclass (rendered by its fields).
    """

    config: VideoEncoderConfig
    encoder_threads: int | None = None
    encoder_queue_maxsize: int | None = None
    streaming_encoding: bool | None = None
    depth_encoder: Any = None
    source: ExportSource | None = None
    #: A depth recommendation: the RGB block (``config``, LeRobot's default) is left out of the documents.
    depth_only: bool = False

    @classmethod
    def for_choice(cls, config: VideoEncoderConfig, **kwargs: Any) -> ExportSettings:
        """The settings that export one chosen configuration: an RGB config fills the RGB block; a
        ``DepthEncoderConfig`` (a depth camera's choice) fills the depth block alone, so it is rendered as
        ``--dataset.depth_encoder.*`` and never as an RGB encoder."""
        from ..encoding import DepthEncoderConfig, camera_encoder_defaults

        if isinstance(config, DepthEncoderConfig):
            return cls(camera_encoder_defaults(), depth_encoder=config, depth_only=True, **kwargs)
        return cls(config, **kwargs)

    @property
    def rgb_encoder(self) -> VideoEncoderConfig:
        return self.config

    def kwargs(self) -> dict[str, Any]:
        """The three dataset settings, as keyword arguments of the ``to_*`` functions."""
        return {
            "encoder_threads": self.encoder_threads,
            "encoder_queue_maxsize": self.encoder_queue_maxsize,
            "streaming_encoding": self.streaming_encoding,
        }

    def dataset_settings(self, only_changed: bool) -> dict[str, Any]:
        """The dataset settings that are set (and, with ``only_changed``, differ from LeRobot's defaults)."""
        return {
            k: v for k, v in self.kwargs().items()
            if v is not None and not (only_changed and v == DATASET_DEFAULTS[k])
        }


# ---------------------------------------------------------------------------------------------- checks
def _check_positive_int(name: str, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise InvalidValueError(f"{name}={value!r} must be a positive integer or None")


def _check_plain(name: str, value: Any) -> None:
    """Only values YAML, JSON and draccus all carry unchanged (no tuples, sets, NaN, non-str keys)."""
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidValueError(f"{name}={value!r} must be a finite number")
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_plain(f"{name}[{i}]", item)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidValueError(f"{name} key {key!r} must be a string")
            _check_plain(f"{name}[{key!r}]", item)
        return
    raise InvalidValueError(f"{name}={value!r} must be a string, number, boolean, null, list or mapping")


def _int_like(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _config_fields(config: Any) -> dict[str, Any]:
    """An encoder config's fields as plain values (dicts copied), for any dataclass config."""
    return {f.name: (dict(v) if isinstance(v := getattr(config, f.name), dict) else v) for f in fields(config)}


def _check_encoder(config: Any, what: str, encoder_threads: int | None) -> None:
    """Validate one encoder block before rendering; really open it; warn about clamped values."""
    from ..encoding.preflight import built_unchecked, preflight

    if not dataclasses.is_dataclass(config) or isinstance(config, type) or not hasattr(config, "get_codec_options"):
        raise InvalidValueError(f"{what} must be an encoder config such as VideoEncoderConfig, got {type(config).__name__}")
    cls = type(config)
    if built_unchecked(config) or not config.locally_checked:
        # Another machine's encoder: LeRobot's name and type checks only (rebuilding re-runs them).
        getattr(cls, "unchecked", cls)(**_config_fields(config))
    else:
        config.validate()
    for name, value in _config_fields(config).items():
        _check_plain(f"{what}.{name}" if what != "config" else name, value)
    crf = getattr(config, "crf", None)
    if isinstance(crf, bool) or not (crf is None or isinstance(crf, (int, float))):
        raise InvalidValueError(f"crf={crf!r} must be a number or None")
    preset = getattr(config, "preset", None)
    if isinstance(preset, bool) or not (preset is None or isinstance(preset, (int, str))):
        raise InvalidValueError(f"preset={preset!r} must be an integer, a name or None")
    if isinstance(preset, str) and _int_like(preset):
        raise InvalidValueError(
            f"preset={preset!r} is a string that LeRobot's parser (draccus) reads back as the integer "
            f"{int(preset)}; use preset={int(preset)}"
        )
    result = preflight(config, encoder_threads=encoder_threads, what=None if what == "config" else what)
    for note in result.notes:
        warnings.warn(note, ExportWarning, stacklevel=5)


def _check(settings: ExportSettings) -> None:
    """Validate before rendering: an exported config must be one LeRobot accepts and reads back equal."""
    if not isinstance(settings.config, VideoEncoderConfig):
        raise InvalidValueError(f"config must be a VideoEncoderConfig, got {type(settings.config).__name__}")
    _check_positive_int("encoder_threads", settings.encoder_threads)
    _check_positive_int("encoder_queue_maxsize", settings.encoder_queue_maxsize)
    if settings.streaming_encoding is not None and not isinstance(settings.streaming_encoding, bool):
        raise InvalidValueError(f"streaming_encoding={settings.streaming_encoding!r} must be true, false or None")
    if settings.source is not None and not isinstance(settings.source, ExportSource):
        raise InvalidValueError(f"source must be an ExportSource, got {type(settings.source).__name__}")
    _check_encoder(settings.config, "config", settings.encoder_threads)
    if settings.depth_encoder is not None:
        _check_encoder(settings.depth_encoder, DEPTH_FIELD, settings.encoder_threads)


# ---------------------------------------------------------------------------------------------- blocks
def _changed_fields(config: Any) -> dict[str, Any]:
    """The smallest set of fields that rebuilds ``config`` from its class's defaults.

    Compared on resolved configs, not field by field: libsvtav1 with preset 12 needs no ``preset``
    (the constructor fills it in), whereas h264 with ``preset=None`` differs from nothing.
    """
    cls = type(config)
    build = getattr(cls, "unchecked", cls)
    raw_defaults = {
        f.name: f.default_factory() if f.default_factory is not MISSING else f.default for f in fields(config)
    }
    kept = {k: v for k, v in _config_fields(config).items() if v != raw_defaults[k]}
    for name in list(kept):
        trial = {k: v for k, v in kept.items() if k != name}
        try:
            rebuilt = build(**trial)
        except ValueError:
            continue
        if rebuilt == config:
            kept = trial
    return kept


def _block(config: Any, only_changed: bool) -> dict[str, Any]:
    return _changed_fields(config) if only_changed else _config_fields(config)


def _warn(message: str) -> None:
    warnings.warn(message, ExportWarning, stacklevel=5)


# ---------------------------------------------------------------------------------------------- targets
Document = dict[str, Any]


@dataclass(frozen=True)
class ExportTarget:
    """One LeRobot a config can be exported to: how its document is shaped, which program reads it, and
    (when that LeRobot has an encoder config class) how a Python snippet builds it."""

    name: str
    lerobot: str
    program: str
    summary: str
    document: Callable[[ExportSettings, bool], Document]
    python: Callable[[ExportSettings, bool], list[str]] | None = None
    #: Name of the RGB encoder block in its documents (None: flat flags only).
    rgb_field: str | None = None

    def describe(self) -> str:
        return f"{self.name}: {self.summary}"


#: Every export target by name (see :func:`register_target`).
TARGETS: dict[str, ExportTarget] = {}


def register_target(target: ExportTarget) -> ExportTarget:
    """Add (or replace) a target; every face (CLI ``--target``, widgets, reports) lists the registry."""
    TARGETS[target.name] = target
    return target


def _record_document(rgb_field: str, depth_field: str | None) -> Callable[[ExportSettings, bool], Document]:
    def build(settings: ExportSettings, only_changed: bool) -> Document:
        dataset: dict[str, Any] = {}
        if not settings.depth_only and (block := _block(settings.config, only_changed)):
            dataset[rgb_field] = block
        if settings.depth_encoder is not None:
            if depth_field is None:
                _warn(f"the {rgb_field} API has no depth encoder block: depth_encoder left out")
            elif block := _block(settings.depth_encoder, only_changed):
                dataset[depth_field] = block
        dataset.update(settings.dataset_settings(only_changed))
        return {"dataset": dataset} if dataset else {}

    return build


def _edit_document(settings: ExportSettings, only_changed: bool) -> Document:
    source = settings.source or ExportSource()
    operation = source.operation
    repo_id = source.effective_repo_id
    doc: Document = {}
    if repo_id is None:
        _warn("no source dataset given: add --repo_id USER/DATASET (and --root PATH for a local copy) to the command")
    else:
        doc["repo_id"] = repo_id
    if source.root:
        doc["root"] = source.root
    if source.new_repo_id:
        doc["new_repo_id"] = source.new_repo_id
    elif repo_id is not None and not only_changed and not source.new_root:
        doc["new_repo_id"] = f"{repo_id}{EDIT_DEFAULT_SUFFIX[operation]}"  # LeRobot's own default, made visible
    if source.new_root:
        doc["new_root"] = source.new_root
    op: dict[str, Any] = {"type": operation}
    if not settings.depth_only and (block := _block(settings.config, only_changed)):
        op["rgb_encoder"] = block
    elif settings.depth_only and operation == "reencode_videos":
        _warn("reencode_videos also re-encodes the RGB videos to --operation.rgb_encoder (LeRobot's default when "
              "not given) unless they already match it: add your RGB settings to keep them")
    if settings.depth_encoder is not None and (block := _depth_edit_block(settings.depth_encoder, operation,
                                                                          only_changed)):
        op[DEPTH_FIELD] = block
    dataset = settings.dataset_settings(only_changed)
    if operation == "reencode_videos" and "encoder_threads" in dataset:
        op["encoder_threads"] = dataset.pop("encoder_threads")
    if dataset:
        _warn(f"lerobot-edit-dataset {operation} has no {', '.join(dataset)} option; left out")
    doc["operation"] = op
    return doc


#: Depth quantizer fields: data, not codec settings (LeRobot 0.6 ``DEPTH_ENCODER_INFO_FIELD_NAMES``).
DEPTH_QUANTIZER_FIELDS: tuple[str, ...] = ("depth_min", "depth_max", "shift", "use_log")


def _depth_edit_block(depth: Any, operation: str, only_changed: bool) -> dict[str, Any]:
    """The depth block of an edit operation. ``reencode_videos`` transcodes the stored 12-bit codes and keeps the
    dataset's recorded quantizer (LeRobot 0.6.1 ``reencode_dataset`` preserves ``video.depth_*``), so quantizer
    fields there would change nothing: they are left out, with a warning when they differ from the defaults."""
    block = _block(depth, only_changed)
    if operation != "reencode_videos":
        return block
    changed = {k: v for k, v in _changed_fields(depth).items() if k in DEPTH_QUANTIZER_FIELDS}
    if changed:
        _warn(f"reencode_videos keeps each depth video's recorded quantizer (it re-encodes the 12-bit codes), so "
              f"{', '.join(f'{k}={v!r}' for k, v in changed.items())} cannot be applied by it; set them when recording "
              "(--dataset.depth_encoder.*) or with convert_image_to_video from image storage")
    return {k: v for k, v in block.items() if k not in DEPTH_QUANTIZER_FIELDS}


def flat_limitations(
    config: VideoEncoderConfig,
    *,
    version: str,
    encoder_threads: int | None = None,
    encoder_queue_maxsize: int | None = None,
    streaming_encoding: bool | None = None,
    depth_encoder: Any = None,
) -> list[str]:
    """What LeRobot ``version`` (``"0.4"`` or ``"0.5"``) cannot set of this export, one sentence each
    (empty: it records the same). Both hard-code pix_fmt=yuv420p, g=2, crf=30, fast_decode=0, preset 12 for
    libsvtav1 (the encoder's own default otherwise) and no extra options; only ``--dataset.vcodec`` is a flag.
    """
    vcodec = config.vcodec
    out: list[str] = []
    if vcodec not in LEGACY_VCODECS:
        out.append(f"vcodec={vcodec!r}: LeRobot {version}.x has no such codec (allowed: {sorted(LEGACY_VCODECS)})")
    elif version == "0.4" and vcodec not in LEGACY_SOFTWARE_VCODECS:
        out.append(
            f"vcodec={vcodec!r} needs LeRobot 0.4.4 (0.4.3 accepts only h264, hevc, libsvtav1); 0.4.x maps "
            "hardware options differently (no GOP for nvenc/vaapi/qsv, nvenc rc=constqp)"
        )
    hard_coded = {**FLAT_HARD_CODED, "preset": LIBSVTAV1_DEFAULT_PRESET if vcodec == "libsvtav1" else None}
    for name in ("pix_fmt", "g", "crf", "fast_decode", "preset", "extra_options"):
        value, fixed = getattr(config, name), hard_coded[name]
        if value != fixed:
            out.append(f"{name}={value!r} cannot be set (LeRobot {version}.x always uses {fixed!r})")
    if depth_encoder is not None:
        out.append(f"depth_encoder cannot be set (LeRobot {version}.x has no depth video encoding)")
    if version == "0.4":
        dataset = {
            "encoder_threads": encoder_threads,
            "encoder_queue_maxsize": encoder_queue_maxsize,
            "streaming_encoding": streaming_encoding,
        }
        used = sorted(k for k, v in dataset.items() if v is not None and v != DATASET_DEFAULTS[k])
        if used:
            out.append(f"{', '.join(used)}: only LeRobot 0.4.4 has these flags (0.4.3 and older reject them)")
    return out


def legacy_limitations(
    config: VideoEncoderConfig,
    *,
    encoder_threads: int | None = None,
    encoder_queue_maxsize: int | None = None,
    streaming_encoding: bool | None = None,
) -> list[str]:
    """What LeRobot 0.4.x cannot set of this export (checked against the 0.4.3 and 0.4.4 wheels):
    only ``--dataset.vcodec`` is a flag (0.4.3: h264/hevc/libsvtav1; 0.4.4 adds auto and hardware encoders
    plus the streaming flags; 0.4.0-0.4.2 have no codec flag at all)."""
    return flat_limitations(
        config,
        version="0.4",
        encoder_threads=encoder_threads,
        encoder_queue_maxsize=encoder_queue_maxsize,
        streaming_encoding=streaming_encoding,
    )


def _flat_document(version: str) -> Callable[[ExportSettings, bool], Document]:
    def build(settings: ExportSettings, only_changed: bool) -> Document:
        config = settings.config
        if config.vcodec not in LEGACY_VCODECS:
            raise InvalidValueError(
                f"vcodec={config.vcodec!r} cannot be recorded by LeRobot {version}.x; "
                f"allowed: {sorted(LEGACY_VCODECS)}"
            )
        problems = flat_limitations(config, version=version, depth_encoder=settings.depth_encoder,
                                    **settings.kwargs())
        if problems:
            _warn(f"LeRobot {version}.x will not record this config as measured: " + "; ".join(problems))
        dataset: dict[str, Any] = {}
        if not (only_changed and config.vcodec == "libsvtav1"):
            dataset["vcodec"] = config.vcodec
        dataset.update(settings.dataset_settings(only_changed))
        return {"dataset": dataset} if dataset else {}

    return build


def _python_lines(blocks: list[tuple[str, str, Any]], settings: ExportSettings, only_changed: bool) -> list[str]:
    """``blocks``: (variable, LeRobot class, config); then the dataset settings as plain assignments."""
    classes = sorted({cls for _, cls, _ in blocks})
    lines = [f"from lerobot.configs.video import {', '.join(classes)}", ""]
    for var, cls, config in blocks:
        values = _block(config, only_changed)
        if values:
            lines.append(f"{var} = {cls}(")
            lines += [f"    {name}={value!r}," for name, value in values.items()]
            lines.append(")")
        else:
            lines.append(f"{var} = {cls}()")
    dataset = settings.dataset_settings(only_changed)
    if dataset:
        lines += ["", "# DatasetRecordConfig settings (lerobot-record --dataset.<name>):"]
        lines += [f"{name} = {value!r}" for name, value in dataset.items()]
    return lines


def _python_06(settings: ExportSettings, only_changed: bool) -> list[str]:
    blocks: list[tuple[str, str, Any]] = [("rgb_encoder", "RGBEncoderConfig", settings.config)]
    if settings.depth_encoder is not None:
        blocks.append((DEPTH_FIELD, "DepthEncoderConfig", settings.depth_encoder))
    return _python_lines(blocks, settings, only_changed)


def _python_pr(var: str) -> Callable[[ExportSettings, bool], list[str]]:
    def build(settings: ExportSettings, only_changed: bool) -> list[str]:
        if settings.depth_encoder is not None:
            _warn(f"the {var} API has no depth encoder block: depth_encoder left out")
        return _python_lines([(var, "VideoEncoderConfig", settings.config)], settings, only_changed)

    return build


register_target(ExportTarget(
    "lerobot-0.6", "0.6.x", "lerobot-record",
    "LeRobot 0.6.x lerobot-record --dataset.rgb_encoder.* (and --dataset.depth_encoder.*)",
    _record_document("rgb_encoder", DEPTH_FIELD), _python_06, rgb_field="rgb_encoder",
))
register_target(ExportTarget(
    "lerobot-0.6-edit", "0.6.x", "lerobot-edit-dataset",
    "LeRobot 0.6.x lerobot-edit-dataset reencode_videos / convert_image_to_video --operation.rgb_encoder.*",
    _edit_document, None, rgb_field="rgb_encoder",
))
register_target(ExportTarget(
    "lerobot-0.5", "0.5.x", "lerobot-record",
    "LeRobot 0.5.x lerobot-record: flat --dataset.vcodec plus the streaming, thread and queue flags",
    _flat_document("0.5"),
))
register_target(ExportTarget(
    "lerobot-0.4", "0.4.x", "lerobot-record",
    "LeRobot 0.4.x lerobot-record: --dataset.vcodec only (0.4.4 adds the streaming flags)",
    _flat_document("0.4"),
))
register_target(ExportTarget(
    "camera_encoder", "PR #3455", "lerobot-record",
    "LeRobot main between PR #3455 and PR #3644 (unreleased): --dataset.camera_encoder.*",
    _record_document("camera_encoder", None), _python_pr("camera_encoder"), rgb_field="camera_encoder",
))
register_target(ExportTarget(
    "camera_encoder_config", "PR #3455 under review", "lerobot-record",
    "the PR #3455 branch under review (no release has it; LeRobot 0.6 rejects it): --dataset.camera_encoder_config.*",
    _record_document("camera_encoder_config", None), _python_pr("camera_encoder_config"),
    rgb_field="camera_encoder_config",
))

#: Names before the registry (``target=`` of the old functions) -> registry names; deprecated.
OLD_TARGETS: dict[str, str] = {"record": "", "legacy": "lerobot-0.4", "edit-dataset": "lerobot-0.6-edit"}
#: The deprecated ``encoder_field=`` keyword -> the target whose block has that name.
FIELD_TARGETS: dict[str, str] = {
    "rgb_encoder": "lerobot-0.6",
    "camera_encoder": "camera_encoder",
    "camera_encoder_config": "camera_encoder_config",
}


# ---------------------------------------------------------------------------------------------- default
def target_for_lerobot_version(version: str) -> str:
    """The target matching a LeRobot version string: 0.4.x (and older) -> ``lerobot-0.4``, 0.5.x ->
    ``lerobot-0.5``, 0.6 and newer (including ``1.x``) -> ``lerobot-0.6``."""
    m = re.match(r"\s*v?(\d+)(?:\.(\d+))?", str(version))
    if not m:
        raise InvalidValueError(f"lerobot version {version!r} is not a version number such as '0.6.1'")
    major, minor = int(m.group(1)), int(m.group(2) or 0)
    if major == 0 and minor <= 4:
        return "lerobot-0.4"
    if major == 0 and minor == 5:
        return "lerobot-0.5"
    return "lerobot-0.6"


def installed_lerobot_version() -> str | None:
    """The version of the installed ``lerobot`` distribution, or None."""
    try:
        return importlib.metadata.version("lerobot")
    except importlib.metadata.PackageNotFoundError:
        return None


def default_target() -> str:
    """The target for the LeRobot installed here (``importlib.metadata``), else :data:`DEFAULT_TARGET`."""
    version = installed_lerobot_version()
    return DEFAULT_TARGET if version is None else target_for_lerobot_version(version)


def _default_note() -> str:
    version = installed_lerobot_version()
    if version is None:
        return "default; no lerobot installed here"
    return f"default for the installed lerobot {version}"


def _resolve_target(target: str | None, encoder_field: str | None) -> tuple[ExportTarget, str | None]:
    """(target, why it was chosen when not named); accepts the deprecated names with a DeprecationWarning."""
    if encoder_field is not None:
        if encoder_field not in FIELD_TARGETS:
            raise InvalidValueError(
                f"encoder_field={encoder_field!r} is not known; allowed: {list(FIELD_TARGETS)} "
                f"(encoder_field is deprecated: pass target= one of {list(TARGETS)})"
            )
        mapped = FIELD_TARGETS[encoder_field]
        if target in (None, "record"):
            target = mapped
        elif target == "edit-dataset" and encoder_field == "rgb_encoder":
            target = "lerobot-0.6-edit"
        elif target != mapped:
            raise InvalidValueError(f"encoder_field={encoder_field!r} contradicts target={target!r}; pass only target=")
        warnings.warn(
            f"encoder_field= is deprecated: use target={target!r}", DeprecationWarning, stacklevel=4
        )
    note = None
    if target in OLD_TARGETS:
        new = OLD_TARGETS[target] or default_target()
        warnings.warn(f"target={target!r} is deprecated: use target={new!r}", DeprecationWarning, stacklevel=4)
        target = new
    if target is None:
        target, note = default_target(), _default_note()
    if target not in TARGETS:
        raise InvalidValueError(f"target={target!r} is not known; allowed: {list(TARGETS)}")
    return TARGETS[target], note


def _settings_of(config: Any, kwargs: dict[str, Any]) -> ExportSettings:
    """``config`` may already be :class:`ExportSettings`; keyword settings given (not None) override it."""
    given = {k: v for k, v in kwargs.items() if v is not None}
    if isinstance(config, ExportSettings):
        return dataclasses.replace(config, **given)
    return ExportSettings(config, **given)


# ---------------------------------------------------------------------------------------------- formats
def _cli_value(value: Any) -> str:
    """Render one value so that draccus (which YAML-loads it) gets back exactly ``value``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        try:
            plain = value != "" and yaml.safe_load(value) == value
        except yaml.YAMLError:
            plain = False
        return value if plain else json.dumps(value, ensure_ascii=False)
    text = json.dumps(value, ensure_ascii=False)
    if yaml.safe_load(text) != value:  # JSON floats such as 1e-05 are strings to YAML 1.1
        flow = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=2**31, allow_unicode=True)
        text = flow.strip()
    return text


def _flatten(doc: dict[str, Any], prefix: str = "") -> Iterator[str]:
    for key, value in doc.items():
        if isinstance(value, dict) and key != "extra_options":
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"--{prefix}{key}={_cli_value(value)}"


def format_command(args: list[str], program: str = "lerobot-record") -> str:
    """One copy-pasteable shell command, a flag per line, each argument ``shlex``-quoted.

    ``program`` is inserted as written, so it may be a command line such as
    ``python -m lerobot.scripts.lerobot_record``.
    """
    return " \\\n  ".join([program, *(shlex.quote(a) for a in args)])


@dataclass(frozen=True)
class _Rendering:
    target: ExportTarget
    note: str | None
    settings: ExportSettings
    only_changed: bool
    program: str | None = None

    def header(self, comment: str = "#") -> str:
        why = f" ({self.note})" if self.note else ""
        return f"{comment} lerobot-videobench export, target {self.target.name}{why}: {self.target.summary}"

    def document(self) -> Document:
        _check(self.settings)
        return self.target.document(self.settings, self.only_changed)


def _render_cli(r: _Rendering) -> str:
    command = format_command(list(_flatten(r.document())), r.program or r.target.program)
    return f"{r.header()}\n{command}\n"


def _render_yaml(r: _Rendering) -> str:
    body = yaml.safe_dump(r.document(), sort_keys=False, allow_unicode=True, default_flow_style=False)
    return f"{r.header()}\n{body}"


def _render_json(r: _Rendering) -> str:
    doc = {"target": r.target.name, **r.document()}
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _render_python(r: _Rendering) -> str:
    if r.target.python is None:
        with_python = [name for name, t in TARGETS.items() if t.python is not None]
        raise InvalidValueError(
            f"target {r.target.name!r} has no encoder config class to build in Python; use format cli, yaml or "
            f"json, or a target with one: {with_python}"
        )
    _check(r.settings)
    return "\n".join([r.header(), *r.target.python(r.settings, r.only_changed)]) + "\n"


#: Every output format by name: what :func:`render` writes.
FORMATS: dict[str, Callable[[_Rendering], str]] = {
    "cli": _render_cli,
    "yaml": _render_yaml,
    "json": _render_json,
    "python": _render_python,
}


def render(
    target: str | None,
    format: str,
    settings: ExportSettings | VideoEncoderConfig,
    *,
    only_changed: bool = False,
    program: str | None = None,
) -> str:
    """The one renderer: ``settings`` (or a bare config) for LeRobot ``target`` in ``format``.

    ``target`` is a :data:`TARGETS` name, or None for :func:`default_target` (the installed LeRobot's, else
    ``lerobot-0.6``); ``format`` is a :data:`FORMATS` name (``cli`` is a quoted shell command for the
    target's program, or ``program``). ``only_changed`` drops what equals LeRobot's defaults. The first line
    (the ``"target"`` key in JSON) names the target. Caveats are :class:`ExportWarning` warnings; a config
    the encoder refuses raises :class:`~lerobot_videobench.errors.InvalidValueError` /
    :class:`~lerobot_videobench.errors.EncoderUnavailableError`.
    """
    if format not in FORMATS:
        raise InvalidValueError(f"format={format!r} is not known; allowed: {list(FORMATS)}")
    resolved, note = _resolve_target(target, None)
    settings = settings if isinstance(settings, ExportSettings) else ExportSettings(settings)
    return FORMATS[format](_Rendering(resolved, note, settings, bool(only_changed), program))


def _rendering(config: Any, target: str | None, encoder_field: str | None, only_changed: bool,
               **kwargs: Any) -> _Rendering:
    resolved, note = _resolve_target(target, encoder_field)
    return _Rendering(resolved, note, _settings_of(config, kwargs), bool(only_changed))


def to_cli_args(
    config: VideoEncoderConfig | ExportSettings,
    *,
    encoder_threads: int | None = None,
    encoder_queue_maxsize: int | None = None,
    streaming_encoding: bool | None = None,
    only_changed: bool = False,
    target: str | None = None,
    depth_encoder: Any = None,
    source: ExportSource | None = None,
    encoder_field: str | None = None,
) -> list[str]:
    """The flags for ``target`` (default: :func:`default_target`), one argv element each, unquoted
    (``--dataset.rgb_encoder.vcodec=libsvtav1``); pass the list to ``subprocess`` as is, or :func:`to_shell`.
    ``encoder_field=`` is deprecated (``"rgb_encoder"`` / ``"camera_encoder"`` / ``"camera_encoder_config"``
    name targets now)."""
    r = _rendering(config, target, encoder_field, only_changed, encoder_threads=encoder_threads,
                   encoder_queue_maxsize=encoder_queue_maxsize, streaming_encoding=streaming_encoding,
                   depth_encoder=depth_encoder, source=source)
    return list(_flatten(r.document()))


def to_shell(
    config: VideoEncoderConfig | ExportSettings,
    *,
    program: str | None = None,
    target: str | None = None,
    encoder_field: str | None = None,
    only_changed: bool = False,
    **settings: Any,
) -> str:
    """:func:`to_cli_args` as a commented, quoted shell command for ``program`` (default: the target's)."""
    r = _rendering(config, target, encoder_field, only_changed, **settings)
    return _render_cli(dataclasses.replace(r, program=program)).rstrip("\n")


def to_yaml(
    config: VideoEncoderConfig | ExportSettings,
    *,
    encoder_threads: int | None = None,
    encoder_queue_maxsize: int | None = None,
    streaming_encoding: bool | None = None,
    only_changed: bool = False,
    target: str | None = None,
    depth_encoder: Any = None,
    source: ExportSource | None = None,
    encoder_field: str | None = None,
) -> str:
    """A YAML file (``dataset: rgb_encoder: ...`` for lerobot-0.6) that LeRobot's ``--config_path`` and
    :func:`from_yaml` read; its first line is a comment naming the target."""
    r = _rendering(config, target, encoder_field, only_changed, encoder_threads=encoder_threads,
                   encoder_queue_maxsize=encoder_queue_maxsize, streaming_encoding=streaming_encoding,
                   depth_encoder=depth_encoder, source=source)
    return _render_yaml(r)


def to_json(
    config: VideoEncoderConfig | ExportSettings,
    *,
    encoder_threads: int | None = None,
    encoder_queue_maxsize: int | None = None,
    streaming_encoding: bool | None = None,
    only_changed: bool = False,
    target: str | None = None,
    depth_encoder: Any = None,
    source: ExportSource | None = None,
    encoder_field: str | None = None,
    annotate: bool = True,
) -> str:
    """The same document as :func:`to_yaml`, as indented JSON, with a ``"target"`` key naming the target.

    LeRobot's ``--config_path`` refuses unknown keys, so for a file to hand to LeRobot pass
    ``annotate=False`` (or use the YAML, whose target line is a comment); :func:`from_json` reads both.
    """
    r = _rendering(config, target, encoder_field, only_changed, encoder_threads=encoder_threads,
                   encoder_queue_maxsize=encoder_queue_maxsize, streaming_encoding=streaming_encoding,
                   depth_encoder=depth_encoder, source=source)
    if annotate:
        return _render_json(r)
    return json.dumps(r.document(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def to_python(
    config: VideoEncoderConfig | ExportSettings,
    *,
    encoder_threads: int | None = None,
    encoder_queue_maxsize: int | None = None,
    streaming_encoding: bool | None = None,
    only_changed: bool = False,
    target: str | None = None,
    depth_encoder: Any = None,
    encoder_field: str | None = None,
) -> str:
    """A snippet that builds the same encoder config with LeRobot's class for ``target``
    (``RGBEncoderConfig`` for lerobot-0.6, ``VideoEncoderConfig`` for the PR names; values via ``repr``),
    then the dataset settings as plain assignments named like the ``DatasetRecordConfig`` fields."""
    r = _rendering(config, target, encoder_field, only_changed, encoder_threads=encoder_threads,
                   encoder_queue_maxsize=encoder_queue_maxsize, streaming_encoding=streaming_encoding,
                   depth_encoder=depth_encoder)
    return _render_python(r)


# ---------------------------------------------------------------------------------------------- parsing
def _depth_class() -> type:
    from ..encoding import config as encoder_configs

    cls = getattr(encoder_configs, "DepthEncoderConfig", None)
    if cls is None:
        raise InvalidValueError("a depth_encoder block needs DepthEncoderConfig, which this version lacks")
    return cls


def _build_config(encoder: Any, where: str, cls: type = VideoEncoderConfig) -> Any:
    if not isinstance(encoder, dict):
        raise InvalidValueError(f"{where} must be a mapping of {cls.__name__} fields, got {encoder!r}")
    names = [f.name for f in fields(cls)]
    unknown = sorted(set(encoder) - set(names))
    if unknown:
        raise InvalidValueError(f"{where}: unknown field(s) {unknown}; allowed: {names}")
    from ..encoding import pyav_probe

    default_vcodec = next(f.default for f in fields(cls) if f.name == "vcodec")
    vcodec = str(encoder.get("vcodec", default_vcodec))
    try:
        if vcodec == "auto" or pyav_probe.available_encoders(vcodec):
            return cls(**encoder)
        warnings.warn(
            f"vcodec={vcodec!r} is not in this machine's FFmpeg build: read without checking its options",
            ExportWarning,
            stacklevel=4,
        )
        return cls.unchecked(**encoder)
    except InvalidValueError:
        raise
    except (TypeError, ValueError) as exc:  # a value of the wrong shape, or one the config refuses
        raise InvalidValueError(f"{where}: {exc}") from exc


_SOURCE_KEYS = ("repo_id", "root", "new_repo_id", "new_root")


def _settings_from_mapping(data: Any) -> ExportSettings:
    """Accept what the ``to_*`` functions write (any target), a bare encoder block, or ``{rgb_encoder: {...}}``."""
    if not isinstance(data, dict):
        raise InvalidValueError(f"expected a mapping, got {type(data).__name__}")
    data = dict(data)
    target = data.pop("target", None)
    if target is not None and target not in TARGETS:
        raise InvalidValueError(f"target={target!r} is not known; allowed: {list(TARGETS)}")
    if set(data) <= set(_RGB_FIELD_NAMES):  # bare encoder block (also the empty document)
        return ExportSettings(_build_config(data, "config"))
    if len(data) == 1 and next(iter(data)) in ENCODER_FIELDS:
        (top, body), = data.items()
        return ExportSettings(_build_config(body, top))
    if "operation" in data:
        unknown = sorted(set(data) - {"operation", *_SOURCE_KEYS})
        if unknown:
            raise InvalidValueError(f"unknown key(s) {unknown}; allowed next to 'operation': {list(_SOURCE_KEYS)}")
        body = data["operation"]
        if not isinstance(body, dict):
            raise InvalidValueError(f"operation must be a mapping, got {body!r}")
        body = dict(body)
        operation = body.pop("type", None)
        kinds = {op: kind for kind, op in EDIT_OPERATIONS.items()}
        if operation is not None and operation not in kinds:
            raise InvalidValueError(f"operation.type={operation!r} does not encode videos; allowed: {list(kinds)}")
        source = None
        if any(data.get(k) for k in _SOURCE_KEYS) or operation is not None:
            source = ExportSource(**{k: data.get(k) for k in _SOURCE_KEYS}, kind=kinds.get(operation, "video"))
            if source.repo_id and source.root and source.repo_id == f"local/{Path(source.root).name}":
                source = dataclasses.replace(source, repo_id=None)
            suffix = EDIT_DEFAULT_SUFFIX[source.operation]
            if source.new_repo_id and source.new_repo_id == f"{source.effective_repo_id}{suffix}":
                source = dataclasses.replace(source, new_repo_id=None)  # LeRobot's default, as rendered
        return _section_settings("operation", body, {"encoder_threads"}, source)
    unknown = sorted(set(data) - {"dataset"})
    if unknown:
        raise InvalidValueError(
            f"unknown key(s) {unknown}; expected 'dataset', 'operation', one of {list(ENCODER_FIELDS)}, "
            f"or VideoEncoderConfig fields {list(_RGB_FIELD_NAMES)}"
        )
    body = data["dataset"]
    if not isinstance(body, dict):
        raise InvalidValueError(f"dataset must be a mapping, got {body!r}")
    return _section_settings("dataset", dict(body), set(DATASET_DEFAULTS) | {"vcodec"}, None)


def _section_settings(top: str, body: dict[str, Any], allowed: set[str], source: ExportSource | None) -> ExportSettings:
    blocks = [k for k in body if k in ENCODER_FIELDS]
    if len(blocks) > 1:
        raise InvalidValueError(f"{top} has more than one encoder block: {blocks}")
    known = {*ENCODER_FIELDS, DEPTH_FIELD, *allowed}
    unknown = sorted(set(body) - known)
    if unknown:
        raise InvalidValueError(f"{top}: unknown key(s) {unknown}; allowed: {sorted(known)}")
    if blocks and "vcodec" in body:
        raise InvalidValueError(f"{top} mixes a flat 'vcodec' flag (LeRobot 0.4/0.5) with the {blocks[0]!r} block")
    if blocks:
        config = _build_config(body[blocks[0]], f"{top}.{blocks[0]}")
    else:  # LeRobot 0.4/0.5: only the codec, everything else hard-coded as in VideoEncoderConfig()
        config = _build_config({"vcodec": body["vcodec"]} if "vcodec" in body else {}, f"{top}.vcodec")
    depth = None
    if DEPTH_FIELD in body:
        depth = _build_config(body[DEPTH_FIELD], f"{top}.{DEPTH_FIELD}", _depth_class())
    extra = {name: body[name] for name in set(DATASET_DEFAULTS) & set(body)}
    _check_positive_int("encoder_threads", extra.get("encoder_threads"))
    _check_positive_int("encoder_queue_maxsize", extra.get("encoder_queue_maxsize"))
    streaming = extra.get("streaming_encoding")
    if streaming is not None and not isinstance(streaming, bool):
        raise InvalidValueError(f"streaming_encoding={streaming!r} must be true or false")
    return ExportSettings(config, **extra, depth_encoder=depth, source=source)


def from_yaml(text: str) -> ExportSettings:
    """Read back :func:`to_yaml` output of any target (or a bare encoder mapping); ``.config`` equals the original."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidValueError(f"not valid YAML: {exc}") from exc
    return _settings_from_mapping(data if data is not None else {})


def from_json(text: str) -> ExportSettings:
    """Read back :func:`to_json` output (with or without its ``"target"`` key) or a bare encoder mapping."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidValueError(f"not valid JSON: {exc}") from exc
    return _settings_from_mapping(data)


def read_settings(path: str | Path) -> ExportSettings:
    """Read an export file: ``.json`` as JSON, anything else as YAML."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such export file: {path}")
    text = path.read_text(encoding="utf-8")
    return from_json(text) if path.suffix.lower() == ".json" else from_yaml(text)
