"""Flags: what every export target renders, parsed by the real LeRobot 0.6.1.

Command lines and YAML files of 24 configs (extra_options, string and integer presets, float crf, dataset
settings, hardware encoders built with ``unchecked``) go through draccus into LeRobot's own
``DatasetRecordConfig`` (``lerobot-record``) and ``EditDatasetConfig`` (``lerobot-edit-dataset``) and must
come back as equal field values, of the same types. The Python snippet is executed against LeRobot's
``RGBEncoderConfig``. The targets for other LeRobots (``camera_encoder_config``, the PR under review;
``camera_encoder``, PR #3455; the flat 0.5/0.4 flags) are shown to be rejected by 0.6, as README.md says.
"""

from __future__ import annotations

import dataclasses
import importlib
import warnings
from pathlib import Path
from typing import Any, ClassVar

import pytest

from lerobot_videobench.decide.export import ExportSettings, ExportSource, ExportWarning, render, to_cli_args
from lerobot_videobench.encoding import config as our_configs
from lerobot_videobench.encoding.config import VideoEncoderConfig

pytestmark = pytest.mark.lerobot

U = VideoEncoderConfig.unchecked
#: (id, config, dataset settings). Hardware encoders are in the Linux PyAV wheel but do not open here
#: without the device, so they are built with ``unchecked`` (exported for another machine).
CONFIGS: list[tuple[str, Any, dict[str, Any]]] = [
    ("defaults", lambda: VideoEncoderConfig(), {}),
    ("svt-crf40-p8-g10", lambda: VideoEncoderConfig(crf=40, preset=8, g=10), {}),
    ("svt-fd1-p4", lambda: VideoEncoderConfig(crf=25, preset=4, fast_decode=1), {"encoder_threads": 4}),
    ("svt-gnone-fd2", lambda: VideoEncoderConfig(g=None, crf=50, preset=10, fast_decode=2), {}),
    ("svt-threads-queue", lambda: VideoEncoderConfig(crf=35), {"encoder_threads": 2, "encoder_queue_maxsize": 60}),
    ("h264-veryfast", lambda: VideoEncoderConfig(vcodec="h264", crf=23, preset="veryfast"), {}),
    ("h264-float-crf", lambda: VideoEncoderConfig(vcodec="h264", crf=23.5, preset="medium", fast_decode=1), {}),
    ("h264-film", lambda: VideoEncoderConfig(vcodec="h264", crf=18, preset="slow", g=30,
                                             extra_options={"tune": "film"}), {}),
    ("h264-444-crfnone", lambda: VideoEncoderConfig(vcodec="h264", crf=None, pix_fmt="yuv444p", g=1), {}),
    ("h264-bf0-profile", lambda: VideoEncoderConfig(vcodec="h264", extra_options={"bf": 0, "profile": "high"}), {}),
    ("h264-x264params", lambda: VideoEncoderConfig(vcodec="h264", extra_options={"x264-params": "keyint=10:min-keyint=10"}),
     {"streaming_encoding": True}),
    ("h264-streaming", lambda: VideoEncoderConfig(vcodec="h264", crf=28, preset="ultrafast"),
     {"encoder_threads": 2, "streaming_encoding": True, "encoder_queue_maxsize": 90}),
    ("h264-crf60-clamped", lambda: VideoEncoderConfig(vcodec="h264", crf=60), {}),
    ("hevc-opengop", lambda: VideoEncoderConfig(vcodec="hevc", crf=28, preset="fast",
                                                extra_options={"x265-params": "open-gop=0:log-level=error"}), {}),
    ("hevc-bf0-float", lambda: VideoEncoderConfig(vcodec="hevc", crf=22.5, preset="slow", extra_options={"bf": 0}), {}),
    ("hevc-gnone", lambda: VideoEncoderConfig(vcodec="hevc", g=None, preset="ultrafast"), {"encoder_threads": 1}),
    ("hevc-lossless", lambda: VideoEncoderConfig(vcodec="hevc", crf=None, extra_options={"x265-params": "lossless=1"}),
     {}),
    ("aom-crf35", lambda: VideoEncoderConfig(vcodec="libaom-av1", crf=35, g=10), {}),
    ("aom-444", lambda: VideoEncoderConfig(vcodec="libaom-av1", crf=45, pix_fmt="yuv444p"), {"encoder_threads": 2}),
    ("nvenc-int-preset", lambda: U(vcodec="h264_nvenc", crf=20, preset=16), {}),
    ("nvenc-hevc", lambda: U(vcodec="hevc_nvenc", crf=25, g=30), {"encoder_threads": 2}),
    ("nvenc-extra", lambda: U(vcodec="h264_nvenc", crf=23, extra_options={"rc-lookahead": 8}), {}),
    ("svt-queue-only", lambda: VideoEncoderConfig(crf=32, preset=6), {"encoder_queue_maxsize": 120}),
    ("h264-tricky-values", lambda: VideoEncoderConfig(vcodec="h264", extra_options={"x-num-str": "2", "x-flt": 1e-05}),
     {}),
]
IDS = [c[0] for c in CONFIGS]
SOURCES = {
    "hub": ExportSource(repo_id="user/pusht"),
    "local": ExportSource(repo_id="user/pusht", root="/data/pusht"),
    "image": ExportSource(repo_id="user/pusht_image", kind="image", new_repo_id="user/pusht_h264"),
}


@pytest.fixture(scope="module")
def lerobot_classes(lerobot_pkg):
    import draccus

    dataset_mod = importlib.import_module("lerobot.configs.dataset")
    edit_mod = importlib.import_module("lerobot.scripts.lerobot_edit_dataset")
    video_mod = importlib.import_module("lerobot.configs.video")
    record = dataclasses.make_dataclass(
        "RecordConfig",
        [("dataset", dataset_mod.DatasetRecordConfig, dataclasses.field(default_factory=dataset_mod.DatasetRecordConfig))],
    )
    return draccus, record, edit_mod, video_mod


def _parse(draccus, cls, args=(), config_path=None):
    return draccus.parse(cls, config_path=config_path, args=list(args), exit_on_error=False)


def _fields(config: Any) -> dict[str, Any]:
    return {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}


def _same(ours: Any, theirs: Any) -> None:
    """Equal field values of the same types (extra_options values too)."""
    a, b = _fields(ours), _fields(theirs)
    assert a == b
    for name, value in a.items():
        assert type(b[name]) is type(value), (name, b[name], value)
    for key, value in ours.extra_options.items():
        assert type(theirs.extra_options[key]) is type(value), key


def _settings(i: int, source: ExportSource | None = None) -> tuple[ExportSettings, dict[str, Any]]:
    _, make, dataset = CONFIGS[i]
    return ExportSettings(make(), **dataset, source=source), dataset


def _rendered(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExportWarning)  # clamps, unchecked notes, settings a target lacks
        return fn(*args, **kwargs)


def _check_record(parsed_ds, settings: ExportSettings, dataset: dict[str, Any]) -> None:
    _same(settings.config, parsed_ds.rgb_encoder)
    assert parsed_ds.encoder_threads == dataset.get("encoder_threads")
    assert parsed_ds.encoder_queue_maxsize == dataset.get("encoder_queue_maxsize", 30)
    assert parsed_ds.streaming_encoding is dataset.get("streaming_encoding", False)


def test_enough_configs_of_every_kind():
    made = [make() for _, make, _ in CONFIGS]
    assert len(made) >= 20
    assert any(c.extra_options for c in made)
    assert any(isinstance(c.preset, str) for c in made) and any(isinstance(c.preset, int) for c in made)
    assert any(c.vcodec.endswith("_nvenc") and getattr(c, "_built_unchecked", False) for c in made)


# ------------------------------------------------------------------ lerobot-record (DatasetRecordConfig)
@pytest.mark.parametrize("only_changed", [False, True])
@pytest.mark.parametrize("i", range(len(CONFIGS)), ids=IDS)
def test_record_flags_parse_into_lerobot_dataset_record_config(lerobot_classes, i, only_changed):
    draccus, record, _, _ = lerobot_classes
    settings, dataset = _settings(i)
    args = _rendered(to_cli_args, settings, target="lerobot-0.6", only_changed=only_changed)
    _check_record(_parse(draccus, record, args).dataset, settings, dataset)


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize("i", range(len(CONFIGS)), ids=IDS)
def test_record_config_files_parse_into_lerobot_dataset_record_config(lerobot_classes, i, fmt, tmp_path):
    draccus, record, _, _ = lerobot_classes
    settings, dataset = _settings(i)
    if fmt == "yaml":
        text = _rendered(render, "lerobot-0.6", "yaml", settings)
    else:  # --config_path refuses unknown keys: the annotation-free JSON
        from lerobot_videobench.decide.export import to_json

        text = _rendered(to_json, settings, target="lerobot-0.6", annotate=False)
    path = tmp_path / f"record.{fmt}"
    path.write_text(text)
    _check_record(_parse(draccus, record, config_path=path).dataset, settings, dataset)


def test_annotated_json_is_refused_by_config_path_as_documented(lerobot_classes, tmp_path):
    draccus, record, _, _ = lerobot_classes
    path = tmp_path / "record.json"
    path.write_text(render("lerobot-0.6", "json", VideoEncoderConfig(vcodec="h264")))
    with pytest.raises(Exception, match="target"):
        _parse(draccus, record, config_path=path)


@pytest.mark.parametrize("i", range(len(CONFIGS)), ids=IDS)
def test_python_snippet_builds_lerobots_own_config(lerobot_classes, i):
    _, _, _, video_mod = lerobot_classes
    settings, dataset = _settings(i)
    namespace: dict[str, Any] = {}
    exec(_rendered(render, "lerobot-0.6", "python", settings), namespace)  # noqa: S102 - our own snippet
    assert isinstance(namespace["rgb_encoder"], video_mod.RGBEncoderConfig)
    _same(settings.config, namespace["rgb_encoder"])
    for name, value in dataset.items():
        assert namespace[name] == value


# ------------------------------------------------------------------ lerobot-edit-dataset (EditDatasetConfig)
@pytest.mark.parametrize("source", sorted(SOURCES))
@pytest.mark.parametrize("fmt", ["cli", "yaml"])
@pytest.mark.parametrize("i", range(len(CONFIGS)), ids=IDS)
def test_edit_flags_parse_into_lerobot_edit_dataset_config(lerobot_classes, i, fmt, source, tmp_path):
    draccus, _, edit_mod, _ = lerobot_classes
    settings, dataset = _settings(i, SOURCES[source])
    if fmt == "cli":
        parsed = _parse(draccus, edit_mod.EditDatasetConfig,
                        _rendered(to_cli_args, settings, target="lerobot-0.6-edit"))
    else:
        path = tmp_path / "edit.yaml"
        path.write_text(_rendered(render, "lerobot-0.6-edit", "yaml", settings))
        parsed = _parse(draccus, edit_mod.EditDatasetConfig, config_path=path)
    src = SOURCES[source]
    expected_op = edit_mod.ReencodeVideosConfig if src.kind == "video" else edit_mod.ConvertImageToVideoConfig
    assert type(parsed.operation) is expected_op
    _same(settings.config, parsed.operation.rgb_encoder)
    assert (parsed.repo_id, parsed.root) == (src.repo_id, src.root)
    suffix = "_reencoded" if src.kind == "video" else "_video"
    assert parsed.new_repo_id == (src.new_repo_id or f"{src.repo_id}{suffix}")  # LeRobot's default, explicit
    if src.kind == "video":
        assert parsed.operation.encoder_threads == dataset.get("encoder_threads")


def test_edit_with_a_depth_block_parses_into_lerobots_depth_encoder(lerobot_classes):
    draccus, record, edit_mod, video_mod = lerobot_classes
    depth_cls = getattr(our_configs, "DepthEncoderConfig", None)
    if depth_cls is None:  # the depth block is rendered from any dataclass config: one shaped like LeRobot's

        @dataclasses.dataclass
        class depth_cls(VideoEncoderConfig):  # noqa: N801
            vcodec: str = "hevc"
            pix_fmt: str = "gray12le"
            extra_options: dict[str, Any] = dataclasses.field(default_factory=lambda: {"x265-params": "lossless=1"})
            depth_min: float = 0.01
            depth_max: float = 10.0
            shift: float = 3.5
            use_log: bool = True
            _DEFAULT_CHANNELS: ClassVar[int | None] = 1

    depth = depth_cls(crf=10, extra_options={}, depth_max=4.0, use_log=False)
    settings = ExportSettings(VideoEncoderConfig(vcodec="h264"), depth_encoder=depth, source=SOURCES["hub"])
    # reencode_videos keeps each depth video's recorded quantizer (LeRobot 0.6.1's dataset_tools preserves
    # video.depth_*), so the edit command leaves the quantizer out, with a warning: LeRobot parses it to its
    # defaults, and every other field is the measured one
    with pytest.warns(ExportWarning, match="recorded quantizer"):
        edit_args = to_cli_args(settings, target="lerobot-0.6-edit")
    assert not any(a.split("=")[0].endswith((".depth_max", ".use_log", ".depth_min", ".shift")) for a in edit_args)
    parsed = _parse(draccus, edit_mod.EditDatasetConfig, edit_args)
    assert isinstance(parsed.operation.depth_encoder, video_mod.DepthEncoderConfig)
    lerobot_quantizer = {k: getattr(video_mod.DepthEncoderConfig(), k) for k in ("depth_min", "depth_max", "shift", "use_log")}
    assert _fields(parsed.operation.depth_encoder) == {**_fields(depth), **lerobot_quantizer}
    parsed = _parse(draccus, record, to_cli_args(settings, target="lerobot-0.6", only_changed=True))
    assert _fields(parsed.dataset.depth_encoder) == _fields(depth)


# ------------------------------------------------------------------ other LeRobots' targets fail on 0.6
@pytest.mark.parametrize("target, field", [("camera_encoder_config", "camera_encoder_config"),
                                           ("camera_encoder", "camera_encoder"),
                                           ("lerobot-0.5", "vcodec"), ("lerobot-0.4", "vcodec")])
def test_other_targets_are_rejected_by_lerobot_0_6(lerobot_classes, target, field, tmp_path):
    """As documented (README "Flag names"): LeRobot 0.6 has none of these fields."""
    draccus, record, _, _ = lerobot_classes
    config = VideoEncoderConfig(vcodec="h264", crf=23)
    args = _rendered(to_cli_args, config, target=target, only_changed=True)
    assert args and all(a.startswith(f"--dataset.{field}") for a in args)
    with pytest.raises((SystemExit, Exception)):
        _parse(draccus, record, args)
    path = tmp_path / "record.yaml"
    path.write_text(_rendered(render, target, "yaml", config, only_changed=True))
    with pytest.raises(Exception, match=field):
        _parse(draccus, record, config_path=path)


def test_unchecked_encoder_absent_here_is_refused_by_lerobot_here(lerobot_classes):
    """A videotoolbox export (for a Mac) parses on the Mac; this machine's LeRobot refuses it at parse time,
    as it refuses any encoder its PyAV build lacks: the reason the export warns it was not checked here."""
    draccus, record, _, _ = lerobot_classes
    with pytest.warns(ExportWarning, match="not in this machine's FFmpeg build"):
        args = to_cli_args(U(vcodec="h264_videotoolbox", crf=25), target="lerobot-0.6")
    with pytest.raises(Exception, match="RGBEncoderConfig") as caught:
        _parse(draccus, record, args)
    chain, exc = [], caught.value
    while exc is not None:
        chain.append(str(exc))
        exc = exc.__cause__ or exc.__context__
    assert any("h264_videotoolbox" in text for text in chain), chain
