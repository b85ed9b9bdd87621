"""Render a chosen :class:`VideoEncoderConfig` as what LeRobot reads: ``lerobot-record`` flags,
``lerobot-edit-dataset`` flags, YAML/JSON config blocks and a Python snippet; and read them back.

Every renderer goes through one nested *document* (``{"dataset": {"camera_encoder_config": {...}, ...}}``):
YAML and JSON dump it, CLI flags are its dotted paths. Values are rendered the way LeRobot's CLI
parser (``draccus``) reads them back: ``draccus`` YAML-loads each ``--a.b=value``, so ``None`` is
``null``, booleans are ``true``/``false``, ``extra_options`` is one flow mapping
(``{"tune": "film", "bf": 2}``; dotted ``extra_options.<key>`` flags are refused by draccus) and a
string that YAML would read as something else is double-quoted.

Which name the encoder block has depends on the LeRobot version (``DatasetRecordConfig`` field). We
default to ``camera_encoder_config``, the name our users' LeRobot build (PR #3455 API) exposes; the
PR as merged upstream names the field ``camera_encoder`` and LeRobot since PR #3644 ``rgb_encoder``:
pass ``encoder_field`` (CLI ``--encoder-field``) to match your LeRobot. LeRobot 0.4.x has no block at all:
``target="legacy"`` renders the flat flags it accepts and warns about what it cannot set.

Limitation (draccus, not us): ``preset`` is ``int | str | None`` and draccus tries ``int`` first, so
a string preset that ``int()`` accepts (``"7"``) would come back as the integer 7; such configs are
refused with a ``ValueError`` asking for the integer instead.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterator
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from ..encoding.config import HW_VIDEO_CODECS, LIBSVTAV1_DEFAULT_PRESET, VideoEncoderConfig

__all__ = [
    "DATASET_DEFAULTS",
    "DEFAULT_ENCODER_FIELD",
    "ENCODER_FIELDS",
    "TARGETS",
    "ExportSettings",
    "ExportWarning",
    "format_command",
    "from_json",
    "from_yaml",
    "legacy_limitations",
    "read_settings",
    "to_cli_args",
    "to_json",
    "to_python",
    "to_shell",
    "to_yaml",
]

#: What an export is for: ``record`` (lerobot-record with a VideoEncoderConfig block),
#: ``edit-dataset`` (lerobot-edit-dataset ``convert_image_to_video``), ``legacy`` (lerobot-record 0.4.x).
TARGETS: tuple[str, ...] = ("record", "edit-dataset", "legacy")
#: ``DatasetRecordConfig`` field holding the encoder config in the LeRobot API we target.
DEFAULT_ENCODER_FIELD = "camera_encoder_config"
#: Names the block has: ours (``camera_encoder_config``), upstream #3455 (``camera_encoder``) and
#: #3644+ (``rgb_encoder``); all are read back by :func:`from_yaml`.
ENCODER_FIELDS: tuple[str, ...] = ("camera_encoder_config", "camera_encoder", "rgb_encoder")
#: ``DatasetRecordConfig`` defaults of the settings that live next to the encoder block.
DATASET_DEFAULTS: dict[str, Any] = {"encoder_threads": None, "encoder_queue_maxsize": 30, "streaming_encoding": False}
#: Default program per target, for :func:`to_shell`.
PROGRAMS: dict[str, str] = {
    "record": "lerobot-record",
    "edit-dataset": "lerobot-edit-dataset",
    "legacy": "lerobot-record",
}
#: The ``lerobot-edit-dataset`` operation that encodes videos with an encoder block.
EDIT_OPERATION = "convert_image_to_video"

#: ``vcodec`` values LeRobot 0.4.4 accepts (0.4.3: only the three software ones).
LEGACY_VCODECS: frozenset[str] = frozenset({"h264", "hevc", "libsvtav1", "auto", *HW_VIDEO_CODECS})
LEGACY_SOFTWARE_VCODECS: frozenset[str] = frozenset({"h264", "hevc", "libsvtav1"})

_ENCODER_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(VideoEncoderConfig))


class ExportWarning(UserWarning):
    """An export is valid but carries a caveat (unchecked encoder, settings a target cannot express)."""


@dataclass(frozen=True)
class ExportSettings:
    """A config plus the ``DatasetRecordConfig`` settings exported next to it (``None`` = not set).

    What :func:`from_yaml` / :func:`from_json` return, so a file written by :func:`to_yaml` comes back
    whole; :meth:`kwargs` feeds the settings back into the ``to_*`` functions.
    """

    config: VideoEncoderConfig
    encoder_threads: int | None = None
    encoder_queue_maxsize: int | None = None
    streaming_encoding: bool | None = None

    def kwargs(self) -> dict[str, Any]:
        return {
            "encoder_threads": self.encoder_threads,
            "encoder_queue_maxsize": self.encoder_queue_maxsize,
            "streaming_encoding": self.streaming_encoding,
        }


# ---------------------------------------------------------------------------------------------- checks
def _check_positive_int(name: str, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{name}={value!r} must be a positive integer or None")


def _check_plain(name: str, value: Any) -> None:
    """Only values YAML, JSON and draccus all carry unchanged (no tuples, sets, NaN, non-str keys)."""
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{name}={value!r} must be a finite number")
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_plain(f"{name}[{i}]", item)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{name} key {key!r} must be a string")
            _check_plain(f"{name}[{key!r}]", item)
        return
    raise ValueError(f"{name}={value!r} must be a string, number, boolean, null, list or mapping")


def _int_like(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _check(
    config: VideoEncoderConfig,
    encoder_threads: int | None,
    encoder_queue_maxsize: int | None,
    streaming_encoding: bool | None,
) -> None:
    """Validate before rendering: an exported config must be one LeRobot accepts and reads back equal."""
    if not isinstance(config, VideoEncoderConfig):
        raise ValueError(f"config must be a VideoEncoderConfig, got {type(config).__name__}")
    if config.locally_checked:
        config.validate()
    else:
        # Another machine's encoder (videotoolbox on a Mac): name and type checks only.
        VideoEncoderConfig.unchecked(**config.to_dict())
        warnings.warn(
            f"vcodec={config.vcodec!r} is not in this machine's FFmpeg build: its options were not checked "
            "against the encoder; LeRobot validates them when the recording starts",
            ExportWarning,
            stacklevel=4,
        )
    if isinstance(config.crf, bool) or not (config.crf is None or isinstance(config.crf, (int, float))):
        raise ValueError(f"crf={config.crf!r} must be a number or None")
    _check_plain("crf", config.crf)
    preset = config.preset
    if isinstance(preset, bool) or not (preset is None or isinstance(preset, (int, str))):
        raise ValueError(f"preset={preset!r} must be an integer, a name or None")
    if isinstance(preset, str) and _int_like(preset):
        raise ValueError(
            f"preset={preset!r} is a string that LeRobot's parser (draccus) reads back as the integer "
            f"{int(preset)}; use preset={int(preset)}"
        )
    _check_plain("extra_options", config.extra_options)
    _check_positive_int("encoder_threads", encoder_threads)
    _check_positive_int("encoder_queue_maxsize", encoder_queue_maxsize)
    if streaming_encoding is not None and not isinstance(streaming_encoding, bool):
        raise ValueError(f"streaming_encoding={streaming_encoding!r} must be true, false or None")


# ---------------------------------------------------------------------------------------------- document
def _changed_fields(config: VideoEncoderConfig) -> dict[str, Any]:
    """The smallest set of fields that rebuilds ``config`` from LeRobot's defaults.

    Compared on resolved configs, not field by field: libsvtav1 with preset 12 needs no ``preset``
    (the constructor fills it in), whereas h264 with ``preset=None`` differs from nothing.
    """
    raw_defaults = {
        f.name: f.default_factory() if f.default_factory is not MISSING else f.default for f in fields(config)
    }
    kept = {k: v for k, v in config.to_dict().items() if v != raw_defaults[k]}
    for name in list(kept):
        trial = {k: v for k, v in kept.items() if k != name}
        try:
            rebuilt = VideoEncoderConfig.unchecked(**trial)
        except ValueError:
            continue
        if rebuilt == config:
            kept = trial
    return kept


def legacy_limitations(
    config: VideoEncoderConfig,
    *,
    encoder_threads: int | None = None,
    encoder_queue_maxsize: int | None = None,
    streaming_encoding: bool | None = None,
) -> list[str]:
    """What LeRobot 0.4.x cannot set of this export, one sentence each (empty: it records the same).

    0.4.x (checked against the 0.4.3 and 0.4.4 wheels) hard-codes pix_fmt=yuv420p, g=2, crf=30,
    fast_decode=0, preset 12 for libsvtav1 (the encoder's own default otherwise) and no extra options;
    only ``--dataset.vcodec`` is a flag (0.4.3: h264/hevc/libsvtav1; 0.4.4 adds auto and hardware
    encoders plus the streaming flags; 0.4.0-0.4.2 have no codec flag at all).
    """
    vcodec = config.vcodec
    out: list[str] = []
    if vcodec not in LEGACY_VCODECS:
        out.append(f"vcodec={vcodec!r}: LeRobot 0.4.x has no such codec (allowed: {sorted(LEGACY_VCODECS)})")
    elif vcodec not in LEGACY_SOFTWARE_VCODECS:
        out.append(
            f"vcodec={vcodec!r} needs LeRobot 0.4.4 (0.4.3 accepts only h264, hevc, libsvtav1); 0.4.x maps "
            "hardware options differently (no GOP for nvenc/vaapi/qsv, nvenc rc=constqp)"
        )
    hard_coded = {
        "pix_fmt": "yuv420p",
        "g": 2,
        "crf": 30,
        "fast_decode": 0,
        "preset": LIBSVTAV1_DEFAULT_PRESET if vcodec == "libsvtav1" else None,
        "extra_options": {},
    }
    for name, fixed in hard_coded.items():
        value = getattr(config, name)
        if value != fixed:
            out.append(f"{name}={value!r} cannot be set (LeRobot 0.4.x always uses {fixed!r})")
    dataset = {
        "encoder_threads": encoder_threads,
        "encoder_queue_maxsize": encoder_queue_maxsize,
        "streaming_encoding": streaming_encoding,
    }
    used = sorted(k for k, v in dataset.items() if v is not None and v != DATASET_DEFAULTS[k])
    if used:
        out.append(f"{', '.join(used)}: only LeRobot 0.4.4 has these flags (0.4.3 and older reject them)")
    return out


def _document(
    config: VideoEncoderConfig,
    *,
    encoder_threads: int | None,
    encoder_queue_maxsize: int | None,
    streaming_encoding: bool | None,
    only_changed: bool,
    target: str,
    encoder_field: str,
) -> dict[str, Any]:
    """The nested mapping every format renders; validates and emits the target's warnings."""
    if target not in TARGETS:
        raise ValueError(f"target={target!r} is not known; allowed: {list(TARGETS)}")
    if not isinstance(encoder_field, str) or not encoder_field.isidentifier():
        raise ValueError(f"encoder_field={encoder_field!r} must be a field name such as {list(ENCODER_FIELDS)}")
    _check(config, encoder_threads, encoder_queue_maxsize, streaming_encoding)
    dataset: dict[str, Any] = {}
    for name, value in (
        ("encoder_threads", encoder_threads),
        ("encoder_queue_maxsize", encoder_queue_maxsize),
        ("streaming_encoding", streaming_encoding),
    ):
        if value is not None and not (only_changed and value == DATASET_DEFAULTS[name]):
            dataset[name] = value
    encoder = _changed_fields(config) if only_changed else config.to_dict()

    if target == "record":
        block = {encoder_field: encoder} if encoder else {}
        return {"dataset": {**block, **dataset}} if block or dataset else {}
    if target == "edit-dataset":
        if dataset:
            warnings.warn(
                f"lerobot-edit-dataset {EDIT_OPERATION} has no {', '.join(dataset)} option; left out",
                ExportWarning,
                stacklevel=3,
            )
        operation: dict[str, Any] = {"type": EDIT_OPERATION}
        if encoder:
            operation[encoder_field] = encoder
        return {"operation": operation}
    # legacy: LeRobot 0.4.x
    if config.vcodec not in LEGACY_VCODECS:
        raise ValueError(
            f"vcodec={config.vcodec!r} cannot be recorded by LeRobot 0.4.x; allowed: {sorted(LEGACY_VCODECS)}"
        )
    problems = legacy_limitations(
        config,
        encoder_threads=encoder_threads,
        encoder_queue_maxsize=encoder_queue_maxsize,
        streaming_encoding=streaming_encoding,
    )
    if problems:
        warnings.warn(
            "LeRobot 0.4.x will not record this config as measured: " + "; ".join(problems),
            ExportWarning,
            stacklevel=3,
        )
    legacy: dict[str, Any] = {}
    if not (only_changed and config.vcodec == "libsvtav1"):
        legacy["vcodec"] = config.vcodec
    legacy.update(dataset)
    return {"dataset": legacy} if legacy else {}


# ---------------------------------------------------------------------------------------------- rendering
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


def to_cli_args(
    config: VideoEncoderConfig,
    *,
    encoder_threads: int | None = None,
    encoder_queue_maxsize: int | None = None,
    streaming_encoding: bool | None = None,
    only_changed: bool = False,
    target: str = "record",
    encoder_field: str = DEFAULT_ENCODER_FIELD,
) -> list[str]:
    """The flags, one argv element each (``--dataset.camera_encoder_config.vcodec=libsvtav1``), unquoted.

    ``target="record"``: ``--dataset.<encoder_field>.<field>`` plus ``--dataset.encoder_threads``,
    ``--dataset.encoder_queue_maxsize``, ``--dataset.streaming_encoding`` when given.
    ``target="edit-dataset"``: ``--operation.type=convert_image_to_video`` and
    ``--operation.<encoder_field>.<field>`` (that operation has no thread/queue/streaming options: they
    are left out with an :class:`ExportWarning`; the block is ``rgb_encoder`` in current LeRobot, and
    ``camera_encoder`` for #3455 by analogy with ``DatasetRecordConfig``). ``target="legacy"``: LeRobot 0.4.x flags
    (``--dataset.vcodec`` and, for 0.4.4, the streaming flags), warning about what it cannot set.
    ``only_changed`` drops what equals LeRobot's defaults. Pass the list to ``subprocess`` as is, or
    :func:`format_command` it for a shell.
    """
    doc = _document(
        config,
        encoder_threads=encoder_threads,
        encoder_queue_maxsize=encoder_queue_maxsize,
        streaming_encoding=streaming_encoding,
        only_changed=only_changed,
        target=target,
        encoder_field=encoder_field,
    )
    return list(_flatten(doc))


def format_command(args: list[str], program: str = "lerobot-record") -> str:
    """One copy-pasteable shell command, a flag per line, each argument ``shlex``-quoted.

    ``program`` is inserted as written, so it may be a command line such as
    ``python -m lerobot.scripts.lerobot_record``.
    """
    import shlex

    return " \\\n  ".join([program, *(shlex.quote(a) for a in args)])


def to_shell(config: VideoEncoderConfig, *, program: str | None = None, target: str = "record", **kwargs: Any) -> str:
    """:func:`to_cli_args` as a quoted shell command for ``program`` (default: the target's command)."""
    args = to_cli_args(config, target=target, **kwargs)
    return format_command(args, program or PROGRAMS.get(target, "lerobot-record"))


def to_yaml(
    config: VideoEncoderConfig,
    *,
    encoder_threads: int | None = None,
    encoder_queue_maxsize: int | None = None,
    streaming_encoding: bool | None = None,
    only_changed: bool = False,
    target: str = "record",
    encoder_field: str = DEFAULT_ENCODER_FIELD,
) -> str:
    """A YAML block (``dataset: camera_encoder_config: ...``) that ``--config_path`` and :func:`from_yaml` read."""
    doc = _document(
        config,
        encoder_threads=encoder_threads,
        encoder_queue_maxsize=encoder_queue_maxsize,
        streaming_encoding=streaming_encoding,
        only_changed=only_changed,
        target=target,
        encoder_field=encoder_field,
    )
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False)


def to_json(
    config: VideoEncoderConfig,
    *,
    encoder_threads: int | None = None,
    encoder_queue_maxsize: int | None = None,
    streaming_encoding: bool | None = None,
    only_changed: bool = False,
    target: str = "record",
    encoder_field: str = DEFAULT_ENCODER_FIELD,
) -> str:
    """The same document as :func:`to_yaml`, as indented JSON (LeRobot's ``--config_path`` takes both)."""
    doc = _document(
        config,
        encoder_threads=encoder_threads,
        encoder_queue_maxsize=encoder_queue_maxsize,
        streaming_encoding=streaming_encoding,
        only_changed=only_changed,
        target=target,
        encoder_field=encoder_field,
    )
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def to_python(
    config: VideoEncoderConfig,
    *,
    encoder_threads: int | None = None,
    encoder_queue_maxsize: int | None = None,
    streaming_encoding: bool | None = None,
    only_changed: bool = False,
) -> str:
    """A snippet that builds the same ``VideoEncoderConfig`` with LeRobot (values written with ``repr``).

    The dataset settings follow as plain assignments named like the ``DatasetRecordConfig`` fields.
    """
    doc = _document(
        config,
        encoder_threads=encoder_threads,
        encoder_queue_maxsize=encoder_queue_maxsize,
        streaming_encoding=streaming_encoding,
        only_changed=only_changed,
        target="record",
        encoder_field=DEFAULT_ENCODER_FIELD,
    )
    dataset = dict(doc.get("dataset", {}))
    encoder = dataset.pop(DEFAULT_ENCODER_FIELD, {})
    lines = ["from lerobot.configs.video import VideoEncoderConfig", ""]
    if encoder:
        lines.append("camera_encoder_config = VideoEncoderConfig(")
        lines += [f"    {name}={value!r}," for name, value in encoder.items()]
        lines.append(")")
    else:
        lines.append("camera_encoder_config = VideoEncoderConfig()")
    if dataset:
        lines += ["", "# DatasetRecordConfig settings (lerobot-record --dataset.<name>):"]
        lines += [f"{name} = {value!r}" for name, value in dataset.items()]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------- parsing
def _build_config(encoder: dict[str, Any], where: str) -> VideoEncoderConfig:
    if not isinstance(encoder, dict):
        raise ValueError(f"{where} must be a mapping of VideoEncoderConfig fields, got {encoder!r}")
    unknown = sorted(set(encoder) - set(_ENCODER_FIELD_NAMES))
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {unknown}; allowed: {list(_ENCODER_FIELD_NAMES)}")
    from ..encoding import pyav_probe

    vcodec = str(encoder.get("vcodec", "libsvtav1"))
    try:
        if vcodec == "auto" or pyav_probe.available_encoders(vcodec):
            return VideoEncoderConfig(**encoder)
        warnings.warn(
            f"vcodec={vcodec!r} is not in this machine's FFmpeg build: read without checking its options",
            ExportWarning,
            stacklevel=4,
        )
        return VideoEncoderConfig.unchecked(**encoder)
    except TypeError as exc:  # e.g. a value of the wrong shape reaching the dataclass
        raise ValueError(f"{where}: {exc}") from exc


def _settings_from_mapping(data: Any) -> ExportSettings:
    """Accept what the ``to_*`` functions write, a bare encoder block, or ``{camera_encoder: {...}}``."""
    if not isinstance(data, dict):
        raise ValueError(f"expected a mapping, got {type(data).__name__}")
    dataset_keys = set(DATASET_DEFAULTS)
    extra: dict[str, Any] = {}
    if set(data) <= set(_ENCODER_FIELD_NAMES):  # bare encoder block (also the empty document)
        return ExportSettings(_build_config(data, "config"))
    if len(data) != 1:
        raise ValueError(
            f"unexpected top-level keys {sorted(data)}; expected 'dataset', 'operation', one of "
            f"{list(ENCODER_FIELDS)}, or VideoEncoderConfig fields {list(_ENCODER_FIELD_NAMES)}"
        )
    (top, body), = data.items()
    if top in ENCODER_FIELDS:
        return ExportSettings(_build_config(body, top))
    if top not in ("dataset", "operation"):
        raise ValueError(
            f"unknown key {top!r}; allowed: 'dataset', 'operation', {list(ENCODER_FIELDS)} "
            f"or VideoEncoderConfig fields {list(_ENCODER_FIELD_NAMES)}"
        )
    if not isinstance(body, dict):
        raise ValueError(f"{top} must be a mapping, got {body!r}")
    body = dict(body)
    if top == "operation":
        body.pop("type", None)
        dataset_keys = set()
    blocks = [k for k in body if k in ENCODER_FIELDS]
    if len(blocks) > 1:
        raise ValueError(f"{top} has more than one encoder block: {blocks}")
    allowed = {*ENCODER_FIELDS, *dataset_keys} | ({"vcodec"} if top == "dataset" else set())
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ValueError(f"{top}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    if blocks and "vcodec" in body:
        raise ValueError(f"{top} mixes a 0.4.x 'vcodec' flag with the {blocks[0]!r} block")
    if blocks:
        config = _build_config(body[blocks[0]], f"{top}.{blocks[0]}")
    else:  # LeRobot 0.4.x: only the codec, everything else hard-coded as in VideoEncoderConfig()
        config = _build_config({"vcodec": body["vcodec"]} if "vcodec" in body else {}, f"{top}.vcodec")
    for name in dataset_keys & set(body):
        extra[name] = body[name]
    _check_positive_int("encoder_threads", extra.get("encoder_threads"))
    _check_positive_int("encoder_queue_maxsize", extra.get("encoder_queue_maxsize"))
    streaming = extra.get("streaming_encoding")
    if streaming is not None and not isinstance(streaming, bool):
        raise ValueError(f"streaming_encoding={streaming!r} must be true or false")
    return ExportSettings(config, **extra)


def from_yaml(text: str) -> ExportSettings:
    """Read back :func:`to_yaml` output (or a bare ``camera_encoder`` mapping); ``.config`` equals the original."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"not valid YAML: {exc}") from exc
    return _settings_from_mapping(data if data is not None else {})


def from_json(text: str) -> ExportSettings:
    """Read back :func:`to_json` output (or a bare encoder mapping); ``.config`` equals the original."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc}") from exc
    return _settings_from_mapping(data)


def read_settings(path: str | Path) -> ExportSettings:
    """Read an export file: ``.json`` as JSON, anything else as YAML."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such export file: {path}")
    text = path.read_text(encoding="utf-8")
    return from_json(text) if path.suffix.lower() == ".json" else from_yaml(text)
