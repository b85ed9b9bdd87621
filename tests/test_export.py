"""Export of encoder configs: every target x format is parsed back by draccus (LeRobot's CLI parser)
against dataclasses shaped like each LeRobot's, and by our own readers, into equal values. The real
LeRobot 0.6.1 classes are exercised in tests/compat/test_compat_flags.py."""

from __future__ import annotations

import abc
import json
import subprocess
import warnings
from dataclasses import dataclass, field, make_dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

from lerobot_videobench.cli import main
from lerobot_videobench.decide import export as ex
from lerobot_videobench.decide.export import (
    FORMATS,
    TARGETS,
    ExportSettings,
    ExportSource,
    ExportWarning,
    format_command,
    from_json,
    from_yaml,
    legacy_limitations,
    read_settings,
    render,
    target_for_lerobot_version,
    to_cli_args,
    to_json,
    to_python,
    to_shell,
    to_yaml,
)
from lerobot_videobench.encoding.config import VideoEncoderConfig, camera_encoder_defaults
from lerobot_videobench.errors import EncoderUnavailableError, InvalidValueError

draccus = pytest.importorskip("draccus")


@pytest.fixture(autouse=True)
def _no_lerobot_installed(monkeypatch):
    """The default target follows an installed lerobot; these tests pin "none installed" (0.6)."""
    monkeypatch.setattr(ex, "installed_lerobot_version", lambda: None)


# ------------------------------------------------------------------ LeRobot-shaped configs
@dataclass
class DepthConfig(VideoEncoderConfig):
    """Shaped like LeRobot 0.6's ``DepthEncoderConfig`` (a VideoEncoderConfig with depth fields)."""

    vcodec: str = "hevc"
    pix_fmt: str = "gray12le"
    extra_options: dict[str, Any] = field(default_factory=lambda: {"x265-params": "lossless=1"})
    depth_min: float = 0.01
    depth_max: float = 10.0
    shift: float = 3.5
    use_log: bool = True
    _DEFAULT_CHANNELS: ClassVar[int | None] = 1


@dataclass
class Dataset06:
    """LeRobot 0.6.1 ``DatasetRecordConfig`` (the fields that matter here)."""

    repo_id: str = "user/ds"
    fps: int = 30
    rgb_encoder: VideoEncoderConfig = field(default_factory=camera_encoder_defaults)
    depth_encoder: DepthConfig = field(default_factory=DepthConfig)
    streaming_encoding: bool = False
    encoder_queue_maxsize: int = 30
    encoder_threads: int | None = None


@dataclass
class DatasetPR:
    """PR #3455 as merged: ``camera_encoder``."""

    repo_id: str = "user/ds"
    camera_encoder: VideoEncoderConfig = field(default_factory=camera_encoder_defaults)
    streaming_encoding: bool = False
    encoder_queue_maxsize: int = 30
    encoder_threads: int | None = None


@dataclass
class DatasetPRReview:
    """PR #3455 under review: ``camera_encoder_config``."""

    repo_id: str = "user/ds"
    camera_encoder_config: VideoEncoderConfig = field(default_factory=camera_encoder_defaults)
    streaming_encoding: bool = False
    encoder_queue_maxsize: int = 30
    encoder_threads: int | None = None


@dataclass
class DatasetFlat:
    """LeRobot 0.4.4 / 0.5.x flat settings."""

    repo_id: str = "user/ds"
    vcodec: str = "libsvtav1"
    streaming_encoding: bool = False
    encoder_queue_maxsize: int = 30
    encoder_threads: int | None = None


def _record(dataset_cls):
    """``RecordConfig`` around a dataset config (real types: this module's annotations are strings)."""
    return make_dataclass("RecordConfig", [("dataset", dataset_cls, field(default_factory=dataset_cls)),
                                           ("display_data", bool, field(default=False))])


@dataclass
class OperationConfig(draccus.ChoiceRegistry, abc.ABC):
    pass


@OperationConfig.register_subclass("reencode_videos")
@dataclass
class ReencodeVideosConfig(OperationConfig):
    rgb_encoder: VideoEncoderConfig = field(default_factory=camera_encoder_defaults)
    depth_encoder: DepthConfig = field(default_factory=DepthConfig)
    num_workers: int = 0
    encoder_threads: int | None = None
    overwrite: bool = False


@OperationConfig.register_subclass("convert_image_to_video")
@dataclass
class ConvertImageToVideoConfig(OperationConfig):
    output_dir: str | None = None
    rgb_encoder: VideoEncoderConfig = field(default_factory=camera_encoder_defaults)
    depth_encoder: DepthConfig = field(default_factory=DepthConfig)
    num_workers: int = 4


@dataclass
class EditDatasetConfig:
    operation: OperationConfig
    repo_id: str | None = None
    root: str | None = None
    new_repo_id: str | None = None
    new_root: str | None = None
    push_to_hub: bool = False


#: target -> (the config class draccus parses into, where the RGB block is, where the dataset settings are)
SHAPES = {
    "lerobot-0.6": (_record(Dataset06), "dataset.rgb_encoder", "dataset"),
    "camera_encoder": (_record(DatasetPR), "dataset.camera_encoder", "dataset"),
    "camera_encoder_config": (_record(DatasetPRReview), "dataset.camera_encoder_config", "dataset"),
    "lerobot-0.5": (_record(DatasetFlat), None, "dataset"),
    "lerobot-0.4": (_record(DatasetFlat), None, "dataset"),
    "lerobot-0.6-edit": (EditDatasetConfig, "operation.rgb_encoder", "operation"),
}


def test_every_target_has_a_shape():
    assert set(SHAPES) == set(TARGETS)


def _parse(cls, args=None, config_path=None):
    return draccus.parse(cls, config_path=config_path, args=list(args or []), exit_on_error=False)


def _get(obj, dotted):
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


# ------------------------------------------------------------------ cases
CASES = {
    "defaults": (dict(), {}),
    "h264": (dict(vcodec="h264", crf=23.5, preset="veryfast", fast_decode=1), {}),
    "hevc-extra": (
        dict(vcodec="hevc", crf=28, preset="medium", extra_options={"x265-params": "lossless=0", "bf": 2}),
        {},
    ),
    "svt-g-none": (dict(vcodec="libsvtav1", g=None, crf=40, preset=8, fast_decode=2), {}),
    "svt-threads": (dict(crf=35), dict(encoder_threads=2, encoder_queue_maxsize=90, streaming_encoding=True)),
    "aom": (dict(vcodec="libaom-av1", crf=35), dict(encoder_threads=1, streaming_encoding=False)),
    "crf-none-yuv444": (dict(vcodec="h264", crf=None, pix_fmt="yuv444p", g=30), {}),
    "tricky-strings": (
        # option values YAML would read as something else
        dict(vcodec="h264", extra_options={"x-custom": 1e-05, "x-str": "a: b", "x-num-str": "2", "x-bool": "true"}),
        {},
    ),
}


@pytest.fixture(params=sorted(CASES))
def case(request):
    fields_, dataset = CASES[request.param]
    return VideoEncoderConfig(**fields_), dataset


def _same_types(a: VideoEncoderConfig, b: VideoEncoderConfig) -> None:
    assert a == b
    for name, value in a.to_dict().items():
        assert type(getattr(b, name)) is type(value), name
    for key, value in a.extra_options.items():
        assert type(b.extra_options[key]) is type(value), key


def _check_dataset(target: str, parsed, dataset: dict) -> None:
    cls, _, where = SHAPES[target]
    section = _get(parsed, where)
    if target == "lerobot-0.6-edit":  # reencode_videos carries only the thread count
        assert section.encoder_threads == dataset.get("encoder_threads")
        return
    assert section.encoder_threads == dataset.get("encoder_threads")
    assert section.encoder_queue_maxsize == dataset.get("encoder_queue_maxsize", 30)
    assert section.streaming_encoding is dataset.get("streaming_encoding", False)


def _check_parsed(target: str, config: VideoEncoderConfig, parsed, dataset: dict) -> None:
    _, block, _ = SHAPES[target]
    if block is None:  # flat targets: only the codec travels
        assert parsed.dataset.vcodec == config.vcodec
    else:
        _same_types(config, _get(parsed, block))
    _check_dataset(target, parsed, dataset)


SOURCE = ExportSource(repo_id="user/ds")


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExportWarning)
        return fn(*args, **kwargs)


# ------------------------------------------------------------------ every target x format parses back
@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("only_changed", [False, True])
def test_cli_args_parse_back_with_draccus(case, target, only_changed):
    config, dataset = case
    if target in ("lerobot-0.4", "lerobot-0.5") and config.vcodec == "libaom-av1":
        with pytest.raises(InvalidValueError, match="libaom-av1"):
            to_cli_args(config, target=target)
        return
    args = _quiet(to_cli_args, config, target=target, only_changed=only_changed, source=SOURCE, **dataset)
    parsed = _parse(SHAPES[target][0], args)
    _check_parsed(target, config, parsed, dataset)


@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_config_files_parse_back_with_draccus(case, target, fmt, tmp_path):
    config, dataset = case
    if target in ("lerobot-0.4", "lerobot-0.5") and config.vcodec == "libaom-av1":
        return  # refused: see test_cli_args_parse_back_with_draccus
    if fmt == "yaml":
        text = _quiet(to_yaml, config, target=target, source=SOURCE, **dataset)
        assert text.startswith(f"# lerobot-videobench export, target {target}")
    else:
        text = _quiet(to_json, config, target=target, source=SOURCE, annotate=False, **dataset)
    path = tmp_path / f"config.{fmt}"
    path.write_text(text)
    parsed = _parse(SHAPES[target][0], config_path=path)
    _check_parsed(target, config, parsed, dataset)


@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize("only_changed", [False, True])
def test_from_yaml_json_round_trip(case, target, fmt, only_changed):
    config, dataset = case
    if target in ("lerobot-0.4", "lerobot-0.5"):
        if config.vcodec == "libaom-av1":
            return  # refused: see test_cli_args_parse_back_with_draccus
        config = VideoEncoderConfig(vcodec=config.vcodec)  # flat targets carry only the codec
    render_ = to_yaml if fmt == "yaml" else to_json
    text = _quiet(render_, config, target=target, only_changed=only_changed, source=SOURCE, **dataset)
    if fmt == "json":
        assert json.loads(text)["target"] == target
    settings = (from_yaml if fmt == "yaml" else from_json)(text)
    _same_types(config, settings.config)
    expected = {k: None for k in ("encoder_threads", "encoder_queue_maxsize", "streaming_encoding")}
    expected.update(dataset)
    if only_changed:  # values equal to LeRobot's defaults are not written
        expected = {k: (None if v == {"encoder_queue_maxsize": 30, "streaming_encoding": False}.get(k) else v)
                    for k, v in expected.items()}
    if target == "lerobot-0.6-edit":  # reencode_videos has only encoder_threads
        expected = {k: (v if k == "encoder_threads" else None) for k, v in expected.items()}
        assert settings.source == SOURCE
    assert settings.kwargs() == expected


@pytest.mark.parametrize("target", ["lerobot-0.6", "camera_encoder", "camera_encoder_config"])
def test_python_snippet_builds_equal_config(case, target):
    config, dataset = case
    for only_changed in (False, True):
        code = to_python(config, target=target, only_changed=only_changed, **dataset)
        assert code.startswith(f"# lerobot-videobench export, target {target}")
        cls = "RGBEncoderConfig" if target == "lerobot-0.6" else "VideoEncoderConfig"
        assert f"from lerobot.configs.video import {cls}\n" in code
        code = code.replace(f"from lerobot.configs.video import {cls}",
                            f"from lerobot_videobench.encoding.config import VideoEncoderConfig as {cls}")
        namespace: dict = {}
        exec(code, namespace)  # noqa: S102 - our own generated snippet
        _same_types(config, namespace["rgb_encoder" if target == "lerobot-0.6" else target])
        for name, value in dataset.items():
            if not (only_changed and value == {"encoder_queue_maxsize": 30, "streaming_encoding": False}.get(name)):
                assert namespace[name] == value


@pytest.mark.parametrize("target", ["lerobot-0.6-edit", "lerobot-0.5", "lerobot-0.4"])
def test_python_is_refused_for_targets_without_a_config_class(target):
    with pytest.raises(InvalidValueError, match=f"target '{target}' has no encoder config class"):
        _quiet(to_python, VideoEncoderConfig(), target=target)


def test_shell_quoting_passes_values_unchanged(case):
    config, dataset = case
    args = to_cli_args(config, **dataset)
    script = to_shell(config, program="printf '%s\\n'", **dataset)
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == args
    header, command = script.split("\n", 1)
    assert header.startswith("# lerobot-videobench export, target lerobot-0.6 (default")
    assert format_command(args, program="printf '%s\\n'") == command


# ------------------------------------------------------------------ render: one entry point
def test_render_every_target_and_format_names_its_target():
    settings = ExportSettings(VideoEncoderConfig(vcodec="h264", crf=23), encoder_threads=2, source=SOURCE)
    for target in TARGETS:
        for fmt in FORMATS:
            if fmt == "python" and TARGETS[target].python is None:
                continue
            text = _quiet(render, target, fmt, settings)
            if fmt == "json":
                assert json.loads(text)["target"] == target
            else:
                assert text.splitlines()[0].startswith(f"# lerobot-videobench export, target {target}:")
    assert render(None, "yaml", settings).startswith("# lerobot-videobench export, target lerobot-0.6 (default; no")
    assert render(None, "cli", VideoEncoderConfig()) == render("lerobot-0.6", "cli", VideoEncoderConfig()).replace(
        "target lerobot-0.6:", "target lerobot-0.6 (default; no lerobot installed here):")


def test_render_rejects_unknown_names():
    with pytest.raises(InvalidValueError, match=r"format='toml'.*'cli', 'yaml', 'json', 'python'"):
        render(None, "toml", VideoEncoderConfig())
    with pytest.raises(InvalidValueError, match=r"target='ffmpeg'.*'lerobot-0.6', 'lerobot-0.6-edit'"):
        render("ffmpeg", "cli", VideoEncoderConfig())


def test_to_functions_are_render():
    config = VideoEncoderConfig(vcodec="hevc", crf=26)
    settings = ExportSettings(config, encoder_threads=3)
    assert to_yaml(config, encoder_threads=3) == render(None, "yaml", settings)
    assert to_json(settings) == render(None, "json", settings)
    assert to_python(config, encoder_threads=3) == render(None, "python", settings)
    assert to_shell(config, encoder_threads=3) == render(None, "cli", settings).rstrip("\n")


# ------------------------------------------------------------------ default target
@pytest.mark.parametrize(
    "version, target",
    [("0.4.3", "lerobot-0.4"), ("0.4.4", "lerobot-0.4"), ("0.3.2", "lerobot-0.4"), ("0.5.0", "lerobot-0.5"),
     ("0.5.1.dev0", "lerobot-0.5"), ("0.6.0", "lerobot-0.6"), ("0.6.1", "lerobot-0.6"), ("0.7.0", "lerobot-0.6"),
     ("1.0", "lerobot-0.6"), ("v0.5.2", "lerobot-0.5")],
)
def test_version_to_target(version, target):
    assert target_for_lerobot_version(version) == target


def test_version_to_target_refuses_nonsense():
    with pytest.raises(InvalidValueError, match="'main'"):
        target_for_lerobot_version("main")


def test_default_follows_the_installed_lerobot(monkeypatch):
    assert ex.default_target() == "lerobot-0.6"
    monkeypatch.setattr(ex, "installed_lerobot_version", lambda: "0.5.1")
    assert ex.default_target() == "lerobot-0.5"
    with pytest.warns(ExportWarning, match="LeRobot 0.5.x"):
        text = render(None, "cli", VideoEncoderConfig(crf=20))
    assert text.startswith("# lerobot-videobench export, target lerobot-0.5 (default for the installed lerobot 0.5.1)")
    assert "--dataset.vcodec=libsvtav1" in text
    monkeypatch.setattr(ex, "installed_lerobot_version", lambda: "0.4.4")
    assert to_cli_args(VideoEncoderConfig()) == ["--dataset.vcodec=libsvtav1"]


def test_installed_version_is_read_from_metadata(monkeypatch):
    import importlib.metadata

    monkeypatch.undo()  # the real lookup, whatever is installed here
    try:
        version = importlib.metadata.version("lerobot")
    except importlib.metadata.PackageNotFoundError:
        version = None
    assert ex.installed_lerobot_version() == version
    assert ex.default_target() == ("lerobot-0.6" if version is None else target_for_lerobot_version(version))


# ------------------------------------------------------------------ renderings
def test_default_flags_are_explicit():
    assert to_cli_args(camera_encoder_defaults()) == [
        "--dataset.rgb_encoder.vcodec=libsvtav1",
        "--dataset.rgb_encoder.pix_fmt=yuv420p",
        "--dataset.rgb_encoder.g=2",
        "--dataset.rgb_encoder.crf=30",
        "--dataset.rgb_encoder.preset=12",
        "--dataset.rgb_encoder.fast_decode=0",
        "--dataset.rgb_encoder.video_backend=pyav",
        "--dataset.rgb_encoder.extra_options={}",
    ]


def test_null_bool_and_mapping_renderings():
    config = VideoEncoderConfig(vcodec="h264", g=None, extra_options={"bf": 2, "tune": "film"})
    args = to_cli_args(config, streaming_encoding=True, encoder_threads=3, only_changed=True)
    assert args == [
        "--dataset.rgb_encoder.vcodec=h264",
        "--dataset.rgb_encoder.g=null",
        '--dataset.rgb_encoder.extra_options={"bf": 2, "tune": "film"}',
        "--dataset.encoder_threads=3",
        "--dataset.streaming_encoding=true",
    ]


def test_only_changed_compares_resolved_configs():
    assert to_cli_args(camera_encoder_defaults(), only_changed=True) == []
    assert to_cli_args(VideoEncoderConfig(preset=12), only_changed=True) == []  # 12 is what None becomes
    assert to_cli_args(VideoEncoderConfig(preset=8), only_changed=True) == ["--dataset.rgb_encoder.preset=8"]
    assert to_cli_args(VideoEncoderConfig(vcodec="h264"), only_changed=True) == ["--dataset.rgb_encoder.vcodec=h264"]
    args = to_cli_args(VideoEncoderConfig(), encoder_queue_maxsize=30, streaming_encoding=False, only_changed=True)
    assert args == []
    assert to_yaml(camera_encoder_defaults(), only_changed=True).splitlines()[1:] == ["{}"]
    assert from_yaml(to_yaml(camera_encoder_defaults(), only_changed=True)).config == camera_encoder_defaults()


def test_yaml_layout():
    text = to_yaml(VideoEncoderConfig(vcodec="h264", crf=23.5), encoder_threads=2, only_changed=True)
    assert text.split("\n", 1)[1] == "dataset:\n  rgb_encoder:\n    vcodec: h264\n    crf: 23.5\n  encoder_threads: 2\n"


def test_pr_targets_keep_their_names():
    config = VideoEncoderConfig(vcodec="h264", crf=20)
    for target in ("camera_encoder", "camera_encoder_config"):
        args = to_cli_args(config, target=target, only_changed=True)
        assert args == [f"--dataset.{target}.vcodec=h264", f"--dataset.{target}.crf=20"]
        assert from_yaml(to_yaml(config, target=target)).config == config


# ------------------------------------------------------------------ depth block (any dataclass config)
def test_depth_block_is_rendered_by_its_fields():
    depth = DepthConfig(depth_max=5.0, use_log=False)
    args = to_cli_args(VideoEncoderConfig(), depth_encoder=depth, only_changed=True)
    assert args == ["--dataset.depth_encoder.depth_max=5.0", "--dataset.depth_encoder.use_log=false"]
    parsed = _parse(SHAPES["lerobot-0.6"][0], to_cli_args(VideoEncoderConfig(), depth_encoder=depth))
    assert parsed.dataset.depth_encoder == depth
    # reencode_videos transcodes the stored 12-bit codes and keeps each video's recorded quantizer (LeRobot 0.6.1):
    # quantizer flags would change nothing there, so they are left out with a warning
    with pytest.warns(ExportWarning, match="recorded quantizer"):
        edit = to_cli_args(VideoEncoderConfig(), depth_encoder=depth, target="lerobot-0.6-edit", source=SOURCE)
    assert "--operation.depth_encoder.pix_fmt=gray12le" in edit and not any("depth_max" in a for a in edit)
    assert _parse(EditDatasetConfig, edit).operation.depth_encoder == DepthConfig()
    code = to_python(VideoEncoderConfig(), depth_encoder=depth, only_changed=True)
    assert "from lerobot.configs.video import DepthEncoderConfig, RGBEncoderConfig" in code
    assert "depth_encoder = DepthEncoderConfig(\n    depth_max=5.0,\n    use_log=False,\n)" in code


def test_depth_block_is_preflighted_and_refused_by_targets_without_one():
    with pytest.raises(InvalidValueError, match="depth_encoder: hevc refuses these options"):
        to_cli_args(VideoEncoderConfig(), depth_encoder=DepthConfig(crf=60, extra_options={}))
    with pytest.warns(ExportWarning, match="no depth encoder block"):
        to_cli_args(VideoEncoderConfig(), depth_encoder=DepthConfig(), target="camera_encoder")
    with pytest.warns(ExportWarning, match="depth_encoder cannot be set"):
        to_cli_args(VideoEncoderConfig(), depth_encoder=DepthConfig(), target="lerobot-0.5")


def test_depth_block_reads_back_when_the_class_exists():
    from lerobot_videobench.encoding import config as configs

    if not hasattr(configs, "DepthEncoderConfig"):
        with pytest.raises(InvalidValueError, match="DepthEncoderConfig"):
            from_yaml("dataset:\n  depth_encoder: {crf: 10}\n")
        return
    depth = configs.DepthEncoderConfig(crf=10)
    settings = from_yaml(to_yaml(VideoEncoderConfig(), depth_encoder=depth))
    assert settings.depth_encoder == depth


# ------------------------------------------------------------------ lerobot-edit-dataset
def test_edit_reencode_from_a_hub_id():
    config = VideoEncoderConfig(vcodec="h264", crf=23, preset="fast")
    args = to_cli_args(config, target="lerobot-0.6-edit", source=SOURCE, encoder_threads=2, only_changed=True)
    assert args == [
        "--repo_id=user/ds",
        "--operation.type=reencode_videos",
        "--operation.rgb_encoder.vcodec=h264",
        "--operation.rgb_encoder.crf=23",
        "--operation.rgb_encoder.preset=fast",
        "--operation.encoder_threads=2",
    ]
    full = to_cli_args(config, target="lerobot-0.6-edit", source=SOURCE)
    assert full[:3] == ["--repo_id=user/ds", "--new_repo_id=user/ds_reencoded", "--operation.type=reencode_videos"]
    parsed = _parse(EditDatasetConfig, full)
    assert isinstance(parsed.operation, ReencodeVideosConfig) and parsed.operation.rgb_encoder == config
    assert to_shell(config, target="lerobot-0.6-edit", source=SOURCE).split("\n")[1] == "lerobot-edit-dataset \\"


def test_edit_from_a_local_image_dataset(tmp_path):
    root = tmp_path / "my_images"
    (root / "meta").mkdir(parents=True)
    (root / "meta" / "info.json").write_text(json.dumps({
        "codebase_version": "v3.0", "fps": 30,
        "data_path": "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet",
        "features": {"observation.images.top": {"dtype": "image", "shape": [48, 64, 3]}},
    }))
    source = ExportSource.from_location(str(root))
    assert source == ExportSource(root=str(root), kind="image")
    args = to_cli_args(VideoEncoderConfig(crf=35), target="lerobot-0.6-edit", source=source)
    assert args[:4] == [f"--repo_id=local/my_images", f"--root={root}", "--new_repo_id=local/my_images_video",
                        "--operation.type=convert_image_to_video"]
    parsed = _parse(EditDatasetConfig, args)
    assert isinstance(parsed.operation, ConvertImageToVideoConfig)
    assert parsed.operation.rgb_encoder == VideoEncoderConfig(crf=35) and parsed.root == str(root)
    assert from_yaml(to_yaml(VideoEncoderConfig(crf=35), target="lerobot-0.6-edit", source=source)).source == source


def test_edit_warns_about_settings_its_operation_lacks():
    with pytest.warns(ExportWarning, match="reencode_videos has no encoder_queue_maxsize, streaming_encoding"):
        args = to_cli_args(VideoEncoderConfig(), target="lerobot-0.6-edit", source=SOURCE, encoder_threads=2,
                           encoder_queue_maxsize=60, streaming_encoding=True)
    assert "--operation.encoder_threads=2" in args and not any("queue" in a for a in args)
    image = ExportSource(repo_id="user/img", kind="image")
    with pytest.warns(ExportWarning, match="convert_image_to_video has no encoder_threads"):
        to_cli_args(VideoEncoderConfig(), target="lerobot-0.6-edit", source=image, encoder_threads=2)
    with pytest.warns(ExportWarning, match="no source dataset given: add --repo_id"):
        to_cli_args(VideoEncoderConfig(), target="lerobot-0.6-edit")


def test_export_source_errors(tmp_path):
    with pytest.raises(InvalidValueError, match="kind='movie'"):
        ExportSource(repo_id="a/b", kind="movie")
    with pytest.raises(ValueError, match="neither a local LeRobot dataset folder nor a Hub id"):
        ExportSource.from_location("sample")
    with pytest.raises(ValueError, match="not a LeRobot dataset folder"):
        ExportSource.from_location(str(tmp_path))
    assert ExportSource.from_location("org/name@v1.0") == ExportSource(repo_id="org/name")


# ------------------------------------------------------------------ 0.5 and 0.4 (flat flags)
def test_flat_targets_flags_and_warnings():
    config = VideoEncoderConfig(vcodec="h264", crf=23, preset="fast", extra_options={"bf": 2})
    for target, version in (("lerobot-0.4", "0.4"), ("lerobot-0.5", "0.5")):
        with pytest.warns(ExportWarning) as record:
            args = to_cli_args(config, target=target, encoder_threads=2, streaming_encoding=True)
        assert args == ["--dataset.vcodec=h264", "--dataset.encoder_threads=2", "--dataset.streaming_encoding=true"]
        message = str(record[0].message)
        assert message.startswith(f"LeRobot {version}.x will not record this config as measured")
        for text in ("crf=23", "preset='fast'", "extra_options"):
            assert text in message
        assert "pix_fmt" not in message and "g=" not in message
        assert ("0.4.4" in message) == (version == "0.4")  # 0.5 has the streaming flags
        ds = _parse(SHAPES[target][0], args).dataset
        assert (ds.vcodec, ds.encoder_threads, ds.streaming_encoding) == ("h264", 2, True)


def test_flat_targets_without_limitations_are_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for target in ("lerobot-0.4", "lerobot-0.5"):
            assert to_cli_args(VideoEncoderConfig(), target=target) == ["--dataset.vcodec=libsvtav1"]
            assert to_cli_args(VideoEncoderConfig(), target=target, only_changed=True) == []
            assert to_cli_args(VideoEncoderConfig(vcodec="hevc"), target=target) == ["--dataset.vcodec=hevc"]
    assert legacy_limitations(VideoEncoderConfig()) == []
    assert legacy_limitations(VideoEncoderConfig(vcodec="h264", preset="fast", g=None))[0].startswith("g=None")
    assert legacy_limitations(VideoEncoderConfig(preset=8)) == ["preset=8 cannot be set (LeRobot 0.4.x always uses 12)"]
    assert from_yaml(to_yaml(VideoEncoderConfig(vcodec="hevc"), target="lerobot-0.4")).config == VideoEncoderConfig(
        vcodec="hevc"
    )


def test_flat_targets_refuse_codecs_they_lack():
    for target in ("lerobot-0.4", "lerobot-0.5"):
        with pytest.raises(ValueError, match="libaom-av1.*LeRobot 0.[45].x"):
            to_cli_args(VideoEncoderConfig(vcodec="libaom-av1"), target=target)


# ------------------------------------------------------------------ deprecated names
@pytest.mark.parametrize(
    "field_name, target", [("rgb_encoder", "lerobot-0.6"), ("camera_encoder", "camera_encoder"),
                           ("camera_encoder_config", "camera_encoder_config")],
)
def test_encoder_field_keyword_is_deprecated_but_works(field_name, target):
    config = VideoEncoderConfig(vcodec="h264", crf=20)
    for fn in (to_cli_args, to_yaml, to_json, to_python, to_shell):
        with pytest.warns(DeprecationWarning, match=f"encoder_field= is deprecated: use target='{target}'"):
            old = fn(config, encoder_field=field_name)
        assert old == fn(config, target=target)
    with pytest.raises(InvalidValueError, match="encoder_field='not a name'"):
        to_cli_args(config, encoder_field="not a name")
    with pytest.raises(InvalidValueError, match="contradicts"):
        to_cli_args(config, encoder_field="camera_encoder", target="lerobot-0.5")


def test_old_target_names_are_deprecated_but_work():
    config = VideoEncoderConfig(vcodec="h264")
    with pytest.warns(DeprecationWarning, match="target='legacy' is deprecated: use target='lerobot-0.4'"):
        assert to_cli_args(config, target="legacy") == ["--dataset.vcodec=h264"]
    with pytest.warns(DeprecationWarning, match="use target='lerobot-0.6'"):
        assert to_cli_args(config, target="record") == to_cli_args(config)
    with pytest.warns(DeprecationWarning, match="use target='lerobot-0.6-edit'"):
        assert to_cli_args(config, target="edit-dataset", source=SOURCE)[2] == "--operation.type=reencode_videos"


# ------------------------------------------------------------------ validation and preflight
def test_config_is_validated_again_before_export():
    config = VideoEncoderConfig()
    config.crf = 99  # changed after construction
    with pytest.raises(ValueError, match="crf"):
        to_cli_args(config)
    with pytest.raises(ValueError, match="config must be a VideoEncoderConfig"):
        to_yaml({"vcodec": "h264"})


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(encoder_threads=0), "encoder_threads=0"),
        (dict(encoder_threads=True), "encoder_threads=True"),
        (dict(encoder_threads=1.5), "encoder_threads=1.5"),
        (dict(encoder_queue_maxsize=-1), "encoder_queue_maxsize=-1"),
        (dict(streaming_encoding="yes"), "streaming_encoding"),
    ],
)
def test_dataset_settings_are_validated(kwargs, match):
    with pytest.raises(InvalidValueError, match=match):
        to_cli_args(VideoEncoderConfig(), **kwargs)


def test_values_draccus_cannot_carry_are_refused():
    with pytest.raises(InvalidValueError, match="integer 7; use preset=7"):
        to_cli_args(VideoEncoderConfig(vcodec="h264", preset="7"))
    config = VideoEncoderConfig(vcodec="h264")
    config.extra_options = {1: "x"}
    with pytest.raises(ValueError, match="extra_options key 1"):
        to_json(config)
    config.extra_options = {"x": (1, 2)}
    with pytest.raises(ValueError, match=r"extra_options\['x'\]"):
        to_json(config)


@pytest.mark.parametrize(
    "fields_, match",
    [
        (dict(vcodec="hevc", crf=60), r"hevc refuses these options at the first frame \(g=2, crf=60\): x265 \[error\]"),
        (dict(vcodec="h264", preset="ultrafastest"), "x264 \\[error\\]: invalid preset 'ultrafastest'"),
        (dict(vcodec="h264", extra_options={"tune": "nonsense"}), "invalid tune 'nonsense'"),
        (dict(vcodec="h264", extra_options={"bf": "abc"}), "h264 refuses these options.*bf=abc"),
    ],
)
def test_configs_that_fail_at_the_first_frame_are_refused(fields_, match):
    config = VideoEncoderConfig(**fields_)  # LeRobot's validation accepts it
    with pytest.raises(InvalidValueError, match=match):
        to_cli_args(config)


def test_encoders_that_do_not_open_here_need_unchecked():
    from lerobot_videobench.encoding import pyav_probe

    if not pyav_probe.available_encoders("h264_nvenc") or pyav_probe.probe_encoder("h264_nvenc").opens:
        pytest.skip("needs a build that names h264_nvenc on a machine without an NVIDIA GPU")
    with pytest.raises(EncoderUnavailableError, match="vcodec='h264_nvenc' does not open here.*unchecked"):
        to_cli_args(VideoEncoderConfig(vcodec="h264_nvenc"))
    with pytest.warns(ExportWarning, match="built with unchecked\\(\\), so it was not opened"):
        args = to_cli_args(VideoEncoderConfig.unchecked(vcodec="h264_nvenc", crf=20, preset=16), only_changed=True)
    assert args == ["--dataset.rgb_encoder.vcodec=h264_nvenc", "--dataset.rgb_encoder.crf=20",
                    "--dataset.rgb_encoder.preset=16"]


@pytest.mark.parametrize(
    "fields_, match",
    [
        (dict(vcodec="h264", crf=60), "crf=60: x264 clamps crf to 51, so this encodes exactly like crf=51"),
        (dict(vcodec="h264", crf=-1), "crf=-1: x264 treats a negative crf as unset.*crf=23"),
        (dict(vcodec="hevc", crf=-1), "x265 treats a negative crf as unset.*crf=28"),
        (dict(fast_decode=5), "fast_decode=5: LeRobot clamps it to SVT-AV1's 0..2.*fast_decode=2"),
        (dict(vcodec="h264", fast_decode=2), "fast_decode=2: h264 only has tune=fastdecode.*fast_decode=1"),
        (dict(vcodec="libaom-av1", fast_decode=1), "fast_decode=1 has no effect on libaom-av1"),
    ],
)
def test_clamped_values_are_warned_about(fields_, match):
    with pytest.warns(ExportWarning, match=match):
        to_cli_args(VideoEncoderConfig(**fields_))


def test_clamped_values_really_encode_the_same():
    """The clamp table's claim, measured: x264 crf 60 and crf 51 give byte-identical streams."""
    import numpy as np

    from lerobot_videobench.encoding import encode_video_frames

    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (48, 64, 3), dtype=np.uint8) for _ in range(4)]
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        sizes = []
        for crf in (60, 51):
            path = Path(tmp) / f"crf{crf}.mp4"
            encode_video_frames(frames, path, fps=30, camera_encoder_config=VideoEncoderConfig(vcodec="h264", crf=crf))
            sizes.append(path.stat().st_size)
    assert sizes[0] == sizes[1]


def test_unchecked_config_for_another_machine():
    config = VideoEncoderConfig.unchecked(vcodec="h264_videotoolbox", crf=25)
    with pytest.warns(ExportWarning, match="not in this machine's FFmpeg build: built with unchecked"):
        args = to_cli_args(config, only_changed=True)
    assert args == ["--dataset.rgb_encoder.vcodec=h264_videotoolbox", "--dataset.rgb_encoder.crf=25"]
    with pytest.warns(ExportWarning):
        text = to_json(config)
    with pytest.warns(ExportWarning, match="read without checking"):
        assert from_json(text).config == config


# ------------------------------------------------------------------ reading back
@pytest.mark.parametrize(
    "text, match",
    [
        ('{"dataset": {"rgb_encoder": {"vcodecc": "h264"}}}', r"unknown field\(s\) \['vcodecc'\].*'vcodec'"),
        ('{"dataset": {"encoder_thread": 2}}', r"unknown key\(s\) \['encoder_thread'\]"),
        ('{"dataset": {"encoder_threads": 0}}', "encoder_threads=0"),
        ('{"dataset": {"streaming_encoding": "yes"}}', "streaming_encoding"),
        ('{"dataset": {"rgb_encoder": [1]}}', "must be a mapping"),
        ('{"dataset": {"rgb_encoder": {"crf": 99}}}', "crf"),
        ('{"dataset": {}, "robot": {}}', r"unknown key\(s\) \['robot'\]"),
        ('{"robot": {}}', r"unknown key\(s\) \['robot'\]"),
        ('{"target": "lerobot-9", "dataset": {}}', "target='lerobot-9'"),
        ('{"operation": {"type": "split"}}', "operation.type='split' does not encode videos"),
        ("[1, 2]", "expected a mapping"),
        ("{not json", "not valid JSON"),
    ],
)
def test_from_json_errors(text, match):
    with pytest.raises(InvalidValueError, match=match):
        from_json(text)


def test_from_yaml_accepts_bare_blocks_and_reports_errors():
    assert from_yaml("vcodec: h264\ncrf: 23.5\n").config == VideoEncoderConfig(vcodec="h264", crf=23.5)
    assert from_yaml("camera_encoder_config:\n  preset: 8\n").config == VideoEncoderConfig(preset=8)
    assert from_yaml("rgb_encoder:\n  g: null\n").config == VideoEncoderConfig(g=None)
    settings = from_yaml("dataset:\n  camera_encoder: {vcodec: hevc}\n  encoder_queue_maxsize: 60\n")
    assert settings == ExportSettings(VideoEncoderConfig(vcodec="hevc"), encoder_queue_maxsize=60)
    with pytest.raises(ValueError, match="not valid YAML"):
        from_yaml("dataset: [1,\n")
    with pytest.raises(ValueError, match="more than one encoder block"):
        from_yaml("dataset:\n  camera_encoder_config: {}\n  rgb_encoder: {}\n")


def test_read_settings(tmp_path):
    config = VideoEncoderConfig(vcodec="h264", crf=21)
    (tmp_path / "c.json").write_text(to_json(config, encoder_threads=4))
    (tmp_path / "c.yaml").write_text(to_yaml(config))
    assert read_settings(tmp_path / "c.json") == ExportSettings(config, encoder_threads=4)
    assert read_settings(tmp_path / "c.yaml").config == config
    with pytest.raises(FileNotFoundError):
        read_settings(tmp_path / "missing.yaml")


def test_round_trip_through_draccus_then_export_again():
    """What LeRobot parsed exports to the same flags: the rendering is a fixed point."""
    config = VideoEncoderConfig(vcodec="hevc", crf=22.5, preset="slow", extra_options={"x265-params": "aq-mode=3"})
    args = to_cli_args(config, encoder_threads=2)
    parsed = _parse(SHAPES["lerobot-0.6"][0], args).dataset
    assert to_cli_args(parsed.rgb_encoder, encoder_threads=parsed.encoder_threads) == args
    assert json.loads(to_json(parsed.rgb_encoder)) == json.loads(to_json(config))


# ------------------------------------------------------------------ CLI
def test_cli_prints_a_shell_command(capsys):
    rc = main(["export", "--vcodec", "h264", "--crf", "23.5", "--preset", "veryfast", "--fast-decode", "1",
               "--extra-options", '{"bf": 2}', "--encoder-threads", "2", "--streaming-encoding", "--only-changed"])
    out = capsys.readouterr().out
    assert rc == 0
    assert out == (
        "# lerobot-videobench export, target lerobot-0.6 (default; no lerobot installed here): LeRobot 0.6.x "
        "lerobot-record --dataset.rgb_encoder.* (and --dataset.depth_encoder.*)\n"
        "lerobot-record \\\n"
        "  --dataset.rgb_encoder.vcodec=h264 \\\n"
        "  --dataset.rgb_encoder.crf=23.5 \\\n"
        "  --dataset.rgb_encoder.preset=veryfast \\\n"
        "  --dataset.rgb_encoder.fast_decode=1 \\\n"
        "  '--dataset.rgb_encoder.extra_options={\"bf\": 2}' \\\n"
        "  --dataset.encoder_threads=2 \\\n"
        "  --dataset.streaming_encoding=true\n"
    )


@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("fmt", ["cli", "yaml", "json", "python"])
def test_cli_every_target_and_format(capsys, target, fmt):
    rc = main(["export", "--target", target, "--format", fmt, "--vcodec", "h264", "--crf", "20",
               "--source", "user/ds"])
    captured = capsys.readouterr()
    if fmt == "python" and TARGETS[target].python is None:
        assert rc == 2 and captured.err.count("\n") == 1 and "has no encoder config class" in captured.err
        return
    assert rc == 0
    if fmt == "json":
        assert json.loads(captured.out)["target"] == target
    else:
        assert captured.out.startswith(f"# lerobot-videobench export, target {target}:")


def test_cli_formats_and_from_file(capsys, tmp_path):
    assert main(["export", "--vcodec", "hevc", "--g", "none", "--crf", "26", "--format", "yaml"]) == 0
    text = capsys.readouterr().out
    path = tmp_path / "chosen.yaml"
    path.write_text(text)
    assert from_yaml(text).config == VideoEncoderConfig(vcodec="hevc", g=None, crf=26)

    assert main(["export", "--from", str(path), "--crf", "24", "--no-streaming-encoding", "--format", "json"]) == 0
    settings = from_json(capsys.readouterr().out)
    assert settings == ExportSettings(VideoEncoderConfig(vcodec="hevc", g=None, crf=24), streaming_encoding=False)

    # switching codec drops the old codec's preset
    assert main(["export", "--vcodec", "h264", "--only-changed", "--format", "json"]) == 0
    assert from_json(capsys.readouterr().out).config.preset is None

    assert main(["export", "--preset", "6", "--format", "python"]) == 0
    code = capsys.readouterr().out.replace(
        "from lerobot.configs.video import RGBEncoderConfig",
        "from lerobot_videobench.encoding.config import VideoEncoderConfig as RGBEncoderConfig")
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102
    assert namespace["rgb_encoder"] == VideoEncoderConfig(preset=6)

    assert main(["export", "--target", "lerobot-0.6-edit", "--source", "user/ds", "--vcodec", "h264",
                 "--only-changed"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:4] == ["lerobot-edit-dataset \\", "  --repo_id=user/ds \\", "  --operation.type=reencode_videos \\"]
    assert main(["export", "--target", "lerobot-0.6-edit", "--repo-id", "user/img", "--images",
                 "--new-repo-id", "user/img_h264", "--vcodec", "h264", "--only-changed"]) == 0
    out = capsys.readouterr().out
    assert "--new_repo_id=user/img_h264" in out and "--operation.type=convert_image_to_video" in out


def test_cli_deprecated_encoder_field(capsys):
    assert main(["export", "--encoder-field", "camera_encoder", "--vcodec", "h264", "--only-changed"]) == 0
    captured = capsys.readouterr()
    assert "--dataset.camera_encoder.vcodec=h264" in captured.out
    assert "warning: --encoder-field is deprecated; use --target camera_encoder" in captured.err
    assert main(["export", "--encoder-field", "rgb_encoder", "--target", "camera_encoder"]) == 2
    assert "contradicts" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--vcodec", "hevc", "--crf", "60"], "error: hevc refuses these options at the first frame"),
        (["--vcodec", "h264", "--preset", "ultrafastest"], "invalid preset 'ultrafastest'"),
        (["--vcodec", "h264", "--extra-options", '{"tune": "nonsense"}'], "invalid tune 'nonsense'"),
    ],
)
def test_cli_refuses_what_the_encoder_refuses(capsys, argv, match):
    import re

    assert main(["export", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and re.search(match, err)


def test_cli_preflight_in_a_subprocess_is_one_line():
    """As a user runs it: exit 2, one line on stderr, nothing on stdout, no traceback, no encoder noise."""
    import os
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run([sys.executable, "-m", "lerobot_videobench.cli", "export", "--vcodec", "hevc", "--crf", "60"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "x265 [error]: Valid quality based range" in proc.stderr


def test_cli_warnings_and_errors(capsys):
    assert main(["export", "--target", "lerobot-0.4", "--crf", "20"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[1:] == ["lerobot-record \\", "  --dataset.vcodec=libsvtav1"]
    assert captured.err.startswith("warning: LeRobot 0.4.x") and "crf=20" in captured.err

    assert main(["export", "--vcodec", "h264", "--crf", "60"]) == 0
    assert "warning: crf=60: x264 clamps crf to 51" in capsys.readouterr().err
    assert main(["export", "--crf", "2.5"]) == 2
    assert "error: crf=2.5" in capsys.readouterr().err
    assert main(["export", "--encoder-threads", "0"]) == 2
    assert "error: encoder_threads=0" in capsys.readouterr().err
    assert main(["export", "--vcodec", "h264_videotoolbox"]) == 2
    assert "--unchecked" in capsys.readouterr().err
    assert main(["export", "--vcodec", "h264_videotoolbox", "--unchecked", "--only-changed"]) == 0
    captured = capsys.readouterr()
    assert "--dataset.rgb_encoder.vcodec=h264_videotoolbox" in captured.out
    assert "warning: vcodec='h264_videotoolbox' is not in this machine's FFmpeg build" in captured.err
    assert main(["export", "--target", "lerobot-0.4", "--format", "python"]) == 2
    assert main(["export", "--vcodec", "auto"]) == 2
    assert "vcodec='auto'" in capsys.readouterr().err
    assert main(["export", "--target", "lerobot-0.6-edit", "--source", "sample"]) == 2
    assert "neither a local LeRobot dataset folder nor a Hub id" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["export", "--extra-options", "[1]"])
    with pytest.raises(SystemExit):
        main(["export", "--target", "lerobot-9"])


def test_cli_lists_export():
    from lerobot_videobench.cli import COMMANDS

    assert "export" in COMMANDS


# ------------------------------------------------------------------ the other faces use the same registry
@pytest.fixture(scope="module")
def measured_store(tmp_path_factory):
    from _decide_support import decide_store

    return decide_store(tmp_path_factory)


def test_recommend_and_report_take_a_target(measured_store, capsys, tmp_path):
    assert main(["recommend", str(measured_store), "--min-ssim", "0.5", "--target", "camera_encoder",
                 "--format", "yaml", "--json"]) == 0
    export = json.loads(capsys.readouterr().out)["export"]
    assert export["target"] == "camera_encoder"
    assert from_yaml(export["text"]).config is not None and "\n  camera_encoder:\n" in export["text"]

    assert main(["recommend", str(measured_store), "--min-ssim", "0.5", "--target", "lerobot-0.6-edit"]) == 0
    captured = capsys.readouterr()  # the trials came from in-memory frames: no dataset to name
    assert "lerobot-edit-dataset \\" in captured.out and "--operation.type=reencode_videos" in captured.out
    assert "warning: no source dataset given: add --repo_id" in captured.err

    out = tmp_path / "r.html"
    assert main(["report", str(measured_store), "--out", str(out), "--min-ssim", "0.5", "--target", "lerobot-0.5"]) == 0
    capsys.readouterr()
    html = out.read_text()
    assert "target lerobot-0.5" in html and "--dataset.vcodec=" in html and "rgb_encoder" not in html
    assert main(["report", str(measured_store), "--out", str(out), "--min-ssim", "0.5"]) == 0
    assert "--dataset.rgb_encoder.vcodec=" in out.read_text()
