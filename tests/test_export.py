"""Export of encoder configs: everything rendered is parsed back by draccus (LeRobot's CLI parser)
against dataclasses shaped like LeRobot's, and by our own readers, into equal values."""

from __future__ import annotations

import json
import subprocess
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lerobot_videobench.cli import main
from lerobot_videobench.decide.export import (
    ExportSettings,
    ExportWarning,
    format_command,
    from_json,
    from_yaml,
    legacy_limitations,
    read_settings,
    to_cli_args,
    to_json,
    to_python,
    to_shell,
    to_yaml,
)
from lerobot_videobench.encoding.config import VideoEncoderConfig, camera_encoder_defaults

draccus = pytest.importorskip("draccus")


# ------------------------------------------------------------------ LeRobot-shaped configs
@dataclass
class DatasetRecordConfig:
    """Shaped like LeRobot's (PR #3455) ``lerobot.configs.dataset.DatasetRecordConfig``."""

    repo_id: str = "user/ds"
    single_task: str = ""
    fps: int = 30
    episode_time_s: int | float = 60
    num_episodes: int = 50
    video: bool = True
    push_to_hub: bool = True
    tags: list[str] | None = None
    camera_encoder_config: VideoEncoderConfig = field(default_factory=camera_encoder_defaults)
    streaming_encoding: bool = False
    encoder_queue_maxsize: int = 30
    encoder_threads: int | None = None


@dataclass
class RecordConfig:
    dataset: DatasetRecordConfig = field(default_factory=DatasetRecordConfig)
    display_data: bool = False


@dataclass
class NewerDatasetRecordConfig:
    """LeRobot after PR #3644 renamed the block ``rgb_encoder``."""

    repo_id: str = "user/ds"
    rgb_encoder: VideoEncoderConfig = field(default_factory=camera_encoder_defaults)
    encoder_threads: int | None = None


@dataclass
class NewerRecordConfig:
    dataset: NewerDatasetRecordConfig = field(default_factory=NewerDatasetRecordConfig)


@dataclass
class ConvertImageToVideoConfig:
    type: str = "convert_image_to_video"
    output_dir: str | None = None
    camera_encoder_config: VideoEncoderConfig = field(default_factory=camera_encoder_defaults)
    num_workers: int = 4


@dataclass
class EditDatasetConfig:
    operation: ConvertImageToVideoConfig = field(default_factory=ConvertImageToVideoConfig)
    repo_id: str | None = None


@dataclass
class LegacyDatasetRecordConfig:
    """LeRobot 0.4.4's flat settings."""

    repo_id: str = "user/ds"
    vcodec: str = "libsvtav1"
    streaming_encoding: bool = False
    encoder_queue_maxsize: int = 30
    encoder_threads: int | None = None


@dataclass
class LegacyRecordConfig:
    dataset: LegacyDatasetRecordConfig = field(default_factory=LegacyDatasetRecordConfig)


def _parse(cls, args=None, config_path=None):
    return draccus.parse(cls, config_path=config_path, args=list(args or []), exit_on_error=False)


# ------------------------------------------------------------------ cases
CASES = {
    "defaults": (dict(), {}),
    "h264": (dict(vcodec="h264", crf=23.5, preset="veryfast", fast_decode=1), {}),
    "hevc-extra": (
        dict(
            vcodec="hevc", crf=28, preset="medium", extra_options={"x265-params": "lossless=0", "bf": 2, "flag": True}
        ),
        {},
    ),
    "svt-g-none": (dict(vcodec="libsvtav1", g=None, crf=40, preset=8, fast_decode=2), {}),
    "svt-threads": (
        dict(crf=35),
        dict(encoder_threads=2, encoder_queue_maxsize=90, streaming_encoding=True),
    ),
    "aom": (dict(vcodec="libaom-av1", crf=35), dict(encoder_threads=1, streaming_encoding=False)),
    "crf-none-yuv444": (dict(vcodec="h264", crf=None, pix_fmt="yuv444p", g=30), {}),
    "tricky-strings": (
        # a preset YAML would read as a bool, an option value YAML 1.1 would read as a string
        dict(vcodec="h264", preset="true", extra_options={"x-custom": 1e-05, "x-str": "a: b", "x-num-str": "2"}),
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


def _check_dataset(parsed_ds, dataset: dict) -> None:
    assert parsed_ds.encoder_threads == dataset.get("encoder_threads")
    assert parsed_ds.encoder_queue_maxsize == dataset.get("encoder_queue_maxsize", 30)
    assert parsed_ds.streaming_encoding is dataset.get("streaming_encoding", False)


@pytest.mark.parametrize("only_changed", [False, True])
def test_cli_args_parse_back_with_draccus(case, only_changed):
    config, dataset = case
    args = to_cli_args(config, only_changed=only_changed, **dataset)
    parsed = _parse(RecordConfig, args)
    _same_types(config, parsed.dataset.camera_encoder_config)
    _check_dataset(parsed.dataset, dataset)


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize("only_changed", [False, True])
def test_config_files_parse_back_with_draccus(case, fmt, only_changed, tmp_path):
    config, dataset = case
    text = (to_yaml if fmt == "yaml" else to_json)(config, only_changed=only_changed, **dataset)
    path = tmp_path / f"record.{fmt}"
    path.write_text(text)
    parsed = _parse(RecordConfig, config_path=path)
    _same_types(config, parsed.dataset.camera_encoder_config)
    _check_dataset(parsed.dataset, dataset)


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize("only_changed", [False, True])
def test_from_yaml_json_round_trip(case, fmt, only_changed):
    config, dataset = case
    if fmt == "yaml":
        settings = from_yaml(to_yaml(config, only_changed=only_changed, **dataset))
    else:
        settings = from_json(to_json(config, only_changed=only_changed, **dataset))
    _same_types(config, settings.config)
    expected = {k: None for k in ("encoder_threads", "encoder_queue_maxsize", "streaming_encoding")}
    expected.update(dataset)
    if only_changed:  # values equal to LeRobot's defaults are not written
        expected = {k: (None if v == {"encoder_queue_maxsize": 30, "streaming_encoding": False}.get(k) else v)
                    for k, v in expected.items()}
    assert settings.kwargs() == expected


def test_python_snippet_builds_equal_config(case):
    config, dataset = case
    for only_changed in (False, True):
        code = to_python(config, only_changed=only_changed, **dataset)
        assert code.startswith("from lerobot.configs.video import VideoEncoderConfig\n")
        code = code.replace("from lerobot.configs.video", "from lerobot_videobench.encoding.config")
        namespace: dict = {}
        exec(code, namespace)  # noqa: S102 - our own generated snippet
        _same_types(config, namespace["camera_encoder_config"])
        for name, value in dataset.items():
            if not (only_changed and value == {"encoder_queue_maxsize": 30, "streaming_encoding": False}.get(name)):
                assert namespace[name] == value


def test_shell_quoting_passes_values_unchanged(case):
    config, dataset = case
    args = to_cli_args(config, **dataset)
    script = to_shell(config, program="printf '%s\\n'", **dataset)
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == args
    assert format_command(args, program="printf '%s\\n'") == script


def test_shell_command_layout():
    text = to_shell(VideoEncoderConfig(vcodec="h264", extra_options={"tune": "film"}), only_changed=True)
    assert text == (
        "lerobot-record \\\n"
        "  --dataset.camera_encoder_config.vcodec=h264 \\\n"
        "  '--dataset.camera_encoder_config.extra_options={\"tune\": \"film\"}'"
    )


# ------------------------------------------------------------------ renderings
def test_default_flags_are_explicit():
    args = to_cli_args(camera_encoder_defaults())
    assert args == [
        "--dataset.camera_encoder_config.vcodec=libsvtav1",
        "--dataset.camera_encoder_config.pix_fmt=yuv420p",
        "--dataset.camera_encoder_config.g=2",
        "--dataset.camera_encoder_config.crf=30",
        "--dataset.camera_encoder_config.preset=12",
        "--dataset.camera_encoder_config.fast_decode=0",
        "--dataset.camera_encoder_config.video_backend=pyav",
        "--dataset.camera_encoder_config.extra_options={}",
    ]


def test_null_bool_and_mapping_renderings():
    config = VideoEncoderConfig(vcodec="h264", g=None, extra_options={"bf": 2, "tune": "film"})
    args = to_cli_args(config, streaming_encoding=True, encoder_threads=3, only_changed=True)
    assert args == [
        "--dataset.camera_encoder_config.vcodec=h264",
        "--dataset.camera_encoder_config.g=null",
        '--dataset.camera_encoder_config.extra_options={"bf": 2, "tune": "film"}',
        "--dataset.encoder_threads=3",
        "--dataset.streaming_encoding=true",
    ]


def test_only_changed_compares_resolved_configs():
    assert to_cli_args(camera_encoder_defaults(), only_changed=True) == []
    assert to_cli_args(VideoEncoderConfig(preset=12), only_changed=True) == []  # 12 is what None becomes
    assert to_cli_args(VideoEncoderConfig(preset=8), only_changed=True) == ["--dataset.camera_encoder_config.preset=8"]
    assert to_cli_args(VideoEncoderConfig(vcodec="h264"), only_changed=True) == ["--dataset.camera_encoder_config.vcodec=h264"]
    args = to_cli_args(VideoEncoderConfig(), encoder_queue_maxsize=30, streaming_encoding=False, only_changed=True)
    assert args == []
    assert to_yaml(camera_encoder_defaults(), only_changed=True) == "{}\n"
    assert from_yaml("{}\n").config == camera_encoder_defaults()


def test_yaml_layout():
    text = to_yaml(VideoEncoderConfig(vcodec="h264", crf=23.5), encoder_threads=2, only_changed=True)
    assert text == "dataset:\n  camera_encoder_config:\n    vcodec: h264\n    crf: 23.5\n  encoder_threads: 2\n"


def test_newer_lerobot_block_name():
    config = VideoEncoderConfig(vcodec="h264", crf=20)
    args = to_cli_args(config, encoder_field="rgb_encoder", encoder_threads=2)
    assert all(a.startswith(("--dataset.rgb_encoder.", "--dataset.encoder_threads")) for a in args)
    parsed = _parse(NewerRecordConfig, args)
    assert parsed.dataset.rgb_encoder == config and parsed.dataset.encoder_threads == 2
    assert from_yaml(to_yaml(config, encoder_field="rgb_encoder")).config == config
    assert to_cli_args(config, encoder_field="camera_encoder_config", only_changed=True)[0].startswith(
        "--dataset.camera_encoder_config."
    )
    with pytest.raises(ValueError, match="encoder_field"):
        to_cli_args(config, encoder_field="not a name")


def test_edit_dataset_flags_parse_back():
    config = VideoEncoderConfig(vcodec="h264", crf=23, preset="fast")
    args = to_cli_args(config, target="edit-dataset")
    assert args[0] == "--operation.type=convert_image_to_video"
    assert all(a.startswith("--operation.camera_encoder_config.") for a in args[1:])
    parsed = _parse(EditDatasetConfig, args)
    assert parsed.operation.camera_encoder_config == config
    assert to_shell(config, target="edit-dataset").startswith("lerobot-edit-dataset \\\n")
    assert from_yaml(to_yaml(config, target="edit-dataset")).config == config


def test_edit_dataset_warns_about_dataset_settings():
    with pytest.warns(ExportWarning, match="encoder_threads"):
        args = to_cli_args(VideoEncoderConfig(), target="edit-dataset", encoder_threads=2)
    assert not any("encoder_threads" in a for a in args)


def test_legacy_flags_and_warning():
    config = VideoEncoderConfig(vcodec="h264", crf=23, preset="fast", extra_options={"bf": 2})
    with pytest.warns(ExportWarning) as record:
        args = to_cli_args(config, target="legacy", encoder_threads=2, streaming_encoding=True)
    assert args == ["--dataset.vcodec=h264", "--dataset.encoder_threads=2", "--dataset.streaming_encoding=true"]
    message = str(record[0].message)
    for text in ("crf=23", "preset='fast'", "extra_options", "encoder_threads", "0.4.4"):
        assert text in message
    assert "pix_fmt" not in message and "g=" not in message
    parsed = _parse(LegacyRecordConfig, args)
    ds = parsed.dataset
    assert (ds.vcodec, ds.encoder_threads, ds.streaming_encoding) == ("h264", 2, True)


def test_legacy_without_limitations_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert to_cli_args(VideoEncoderConfig(), target="legacy") == ["--dataset.vcodec=libsvtav1"]
        assert to_cli_args(VideoEncoderConfig(), target="legacy", only_changed=True) == []
        assert to_cli_args(VideoEncoderConfig(vcodec="hevc"), target="legacy") == ["--dataset.vcodec=hevc"]
    assert legacy_limitations(VideoEncoderConfig()) == []
    assert legacy_limitations(VideoEncoderConfig(vcodec="h264", preset="fast", g=None))[0].startswith("g=None")
    assert legacy_limitations(VideoEncoderConfig(preset=8)) == [
        "preset=8 cannot be set (LeRobot 0.4.x always uses 12)"
    ]
    assert from_yaml(to_yaml(VideoEncoderConfig(vcodec="hevc"), target="legacy")).config == VideoEncoderConfig(
        vcodec="hevc"
    )


def test_legacy_refuses_codecs_it_lacks():
    with pytest.raises(ValueError, match="libaom-av1.*0.4.x"):
        to_cli_args(VideoEncoderConfig(vcodec="libaom-av1"), target="legacy")


def test_unknown_target():
    with pytest.raises(ValueError, match=r"target='ffmpeg'.*'record', 'edit-dataset', 'legacy'"):
        to_cli_args(VideoEncoderConfig(), target="ffmpeg")


# ------------------------------------------------------------------ validation
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
    with pytest.raises(ValueError, match=match):
        to_cli_args(VideoEncoderConfig(), **kwargs)


def test_values_draccus_cannot_carry_are_refused():
    with pytest.raises(ValueError, match="integer 7; use preset=7"):
        to_cli_args(VideoEncoderConfig(vcodec="h264", preset="7"))
    config = VideoEncoderConfig(vcodec="h264")
    config.extra_options = {1: "x"}
    with pytest.raises(ValueError, match="extra_options key 1"):
        to_json(config)
    config.extra_options = {"x": (1, 2)}
    with pytest.raises(ValueError, match=r"extra_options\['x'\]"):
        to_json(config)


def test_unchecked_config_for_another_machine():
    config = VideoEncoderConfig.unchecked(vcodec="h264_videotoolbox", crf=25)
    with pytest.warns(ExportWarning, match="not in this machine's FFmpeg build"):
        args = to_cli_args(config, only_changed=True)
    assert args == ["--dataset.camera_encoder_config.vcodec=h264_videotoolbox", "--dataset.camera_encoder_config.crf=25"]
    with pytest.warns(ExportWarning):
        text = to_json(config)
    with pytest.warns(ExportWarning, match="read without checking"):
        assert from_json(text).config == config


# ------------------------------------------------------------------ reading back
@pytest.mark.parametrize(
    "text, match",
    [
        ('{"dataset": {"camera_encoder_config": {"vcodecc": "h264"}}}', r"unknown field\(s\) \['vcodecc'\].*'vcodec'"),
        ('{"dataset": {"encoder_thread": 2}}', r"unknown key\(s\) \['encoder_thread'\]"),
        ('{"dataset": {"encoder_threads": 0}}', "encoder_threads=0"),
        ('{"dataset": {"streaming_encoding": "yes"}}', "streaming_encoding"),
        ('{"dataset": {"camera_encoder_config": [1]}}', "must be a mapping"),
        ('{"dataset": {"camera_encoder_config": {"crf": 99}}}', "crf"),
        ('{"dataset": {}, "robot": {}}', "unexpected top-level keys"),
        ('{"robot": {}}', "unknown key 'robot'"),
        ("[1, 2]", "expected a mapping"),
        ("{not json", "not valid JSON"),
    ],
)
def test_from_json_errors(text, match):
    with pytest.raises(ValueError, match=match):
        from_json(text)


def test_from_yaml_accepts_bare_blocks_and_reports_errors():
    assert from_yaml("vcodec: h264\ncrf: 23.5\n").config == VideoEncoderConfig(vcodec="h264", crf=23.5)
    assert from_yaml("camera_encoder_config:\n  preset: 8\n").config == VideoEncoderConfig(preset=8)
    assert from_yaml("camera_encoder_config:\n  g: null\n").config == VideoEncoderConfig(g=None)
    settings = from_yaml("dataset:\n  rgb_encoder: {vcodec: hevc}\n  encoder_queue_maxsize: 60\n")
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


# ------------------------------------------------------------------ CLI
def test_cli_prints_a_shell_command(capsys):
    rc = main(["export", "--vcodec", "h264", "--crf", "23.5", "--preset", "veryfast", "--fast-decode", "1",
               "--extra-options", '{"bf": 2}', "--encoder-threads", "2", "--streaming-encoding", "--only-changed"])
    out = capsys.readouterr().out
    assert rc == 0
    assert out == (
        "lerobot-record \\\n"
        "  --dataset.camera_encoder_config.vcodec=h264 \\\n"
        "  --dataset.camera_encoder_config.crf=23.5 \\\n"
        "  --dataset.camera_encoder_config.preset=veryfast \\\n"
        "  --dataset.camera_encoder_config.fast_decode=1 \\\n"
        "  '--dataset.camera_encoder_config.extra_options={\"bf\": 2}' \\\n"
        "  --dataset.encoder_threads=2 \\\n"
        "  --dataset.streaming_encoding=true\n"
    )


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
    namespace: dict = {}
    exec(capsys.readouterr().out.replace("lerobot.configs.video", "lerobot_videobench.encoding.config"), namespace)
    assert namespace["camera_encoder_config"] == VideoEncoderConfig(preset=6)

    assert main(["export", "--target", "edit-dataset", "--vcodec", "h264", "--only-changed"]) == 0
    assert capsys.readouterr().out.startswith("lerobot-edit-dataset \\\n  --operation.type=convert_image_to_video")


def test_cli_warnings_and_errors(capsys):
    assert main(["export", "--target", "legacy", "--crf", "20"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "lerobot-record \\\n  --dataset.vcodec=libsvtav1\n"
    assert captured.err.startswith("warning: LeRobot 0.4.x") and "crf=20" in captured.err

    assert main(["export", "--crf", "2.5"]) == 2
    assert "error: crf=2.5" in capsys.readouterr().err
    assert main(["export", "--encoder-threads", "0"]) == 2
    assert "error: encoder_threads=0" in capsys.readouterr().err
    assert main(["export", "--vcodec", "h264_videotoolbox"]) == 2
    assert "--unchecked" in capsys.readouterr().err
    assert main(["export", "--vcodec", "h264_videotoolbox", "--unchecked", "--only-changed"]) == 0
    captured = capsys.readouterr()
    assert "--dataset.camera_encoder_config.vcodec=h264_videotoolbox" in captured.out
    assert "warning: vcodec='h264_videotoolbox'" in captured.err
    assert main(["export", "--target", "legacy", "--format", "python"]) == 2
    assert main(["export", "--vcodec", "auto"]) == 2
    assert "vcodec='auto'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["export", "--extra-options", "[1]"])


def test_cli_lists_export():
    from lerobot_videobench.cli import COMMANDS

    assert "export" in COMMANDS


def test_round_trip_through_draccus_then_export_again(tmp_path: Path):
    """What LeRobot parsed exports to the same flags: the rendering is a fixed point."""
    config = VideoEncoderConfig(vcodec="hevc", crf=22.5, preset="slow", extra_options={"x265-params": "aq-mode=3"})
    args = to_cli_args(config, encoder_threads=2)
    parsed = _parse(RecordConfig, args).dataset
    assert to_cli_args(parsed.camera_encoder_config, encoder_threads=parsed.encoder_threads) == args
    assert json.loads(to_json(parsed.camera_encoder_config)) == json.loads(to_json(config))
