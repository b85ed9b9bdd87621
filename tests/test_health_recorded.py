"""What LeRobot recorded: ``health`` and ``inspect`` read the encoder settings of ``info.json`` and check
the streams against them (codec, pix_fmt, g); merged nulls, cameras recorded differently and settings
never recorded are information; a partial download is one note, not dropped frames."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from _episodes_support import TOP, WRIST, tiny_episodes
from lerobot_videobench.cli import main
from lerobot_videobench.decide.health import check_health
from lerobot_videobench.episodes import describe_source, recorded_encoder
from lerobot_videobench.episodes.writer import write_lerobot_dataset

FPS = 10
LENGTHS = (7, 5, 9)
DEFAULTS = {"codec": "av1", "pix_fmt": "yuv420p", "g": 2, "crf": 30, "preset": 12, "fast_decode": 0,
            "video_backend": "pyav", "extra_options": {}}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("recorded")
    eps = tiny_episodes(LENGTHS)
    return {
        "v2.1": write_lerobot_dataset(base / "v21", eps, FPS, version="v2.1"),
        # two video files per camera: file-000 holds episodes 0 and 1, file-001 episode 2
        "v3.0": write_lerobot_dataset(base / "v3", eps, FPS, version="v3.0", episodes_per_video_file=2),
    }


@pytest.fixture
def copy(built, tmp_path):
    def make(name: str) -> Path:
        return Path(shutil.copytree(built[name], tmp_path / name))

    return make


def _edit_info(root: Path, **per_camera: dict) -> None:
    path = root / "meta/info.json"
    info = json.loads(path.read_text())
    for cam, edits in per_camera.items():
        block = info["features"][{"top": TOP, "wrist": WRIST}[cam]]["info"]
        for key, value in edits.items():
            if value is ...:
                block.pop(key, None)
            else:
                block[key] = value
    path.write_text(json.dumps(info))


def _json(capsys, argv) -> tuple[int, dict]:
    code = main(argv)
    return code, json.loads(capsys.readouterr().out)


# ---------------------------------------------------------------------------------------- reporting
def test_recorded_encoder_is_reported_per_camera(built, capsys):
    report = check_health(built["v3.0"])
    assert report.ok and report.notes == [] and report.warnings == [] and report.missing_episodes == []
    assert set(report.recorded_encoder) == {TOP, WRIST}
    for rec in report.recorded_encoder.values():
        assert {k: rec["values"][k] for k in DEFAULTS} == DEFAULTS
        assert rec["null_fields"] == [] and rec["missing_fields"] == []
        assert rec["stream"] == {"files": 2, "codecs": ["av1"], "pix_fmts": ["yuv420p"], "max_keyframe_interval": 2}

    code, data = _json(capsys, ["health", str(built["v3.0"]), "--json"])
    assert code == 0 and data["recorded_encoder"][TOP]["values"]["crf"] == 30
    assert data["notes"] == [] and data["missing_episodes"] == []
    assert main(["health", str(built["v3.0"])]) == 0
    out = capsys.readouterr().out
    assert f"recorded encoder {TOP}: codec=av1 pix_fmt=yuv420p g=2 crf=30 preset=12" in out
    assert "stream: av1 yuv420p, keyframes up to 2 frames apart in 2 file(s)" in out


def test_inspect_shows_recorded_settings_and_merged_nulls(copy, capsys):
    root = copy("v2.1")
    _edit_info(root, top={"video.crf": None, "video.preset": None})
    info = describe_source(str(root))
    top = {c.key: c for c in info.cameras}[TOP]
    assert top.recorded_encoder.null_fields == ("crf", "preset")
    assert top.recorded_encoder.values["g"] == 2
    code, data = _json(capsys, ["inspect", str(root), "--json"])
    cams = {c["key"]: c for c in data["cameras"]}
    assert code == 0 and cams[TOP]["recorded_encoder"]["null_fields"] == ["crf", "preset"]
    assert cams[WRIST]["recorded_encoder"]["values"]["crf"] == 30
    assert main(["inspect", str(root)]) == 0
    out = capsys.readouterr().out
    assert "crf=null" in out and "preset=null" in out
    assert f"note: {TOP}: info.json records crf, preset as null" in out


# ---------------------------------------------------------------------------------------- checks
def test_g_longer_than_recorded_is_a_problem(copy, capsys):
    root = copy("v2.1")
    _edit_info(root, top={"video.g": 1})
    report = check_health(root)
    assert not report.ok
    top_files = [f"videos/chunk-000/{TOP}/episode_{e:06d}.mp4" for e in range(3)]
    assert len(report.problems) == 3
    for msg, file in zip(report.problems, top_files):
        assert file in msg and "keyframes up to 2 frames apart" in msg and "video.g=1" in msg
    assert all(e.ok for e in report.episodes)  # frames are all there; the file settings are wrong
    assert report.recorded_encoder[TOP]["values"]["g"] == 1
    assert report.recorded_encoder[TOP]["stream"]["max_keyframe_interval"] == 2
    code, data = _json(capsys, ["health", str(root), "--json"])
    assert code == 1 and any("video.g=1" in p for p in data["problems"])


def test_g_much_shorter_than_recorded_is_a_warning(copy):
    root = copy("v2.1")
    _edit_info(root, top={"video.g": 6}, wrist={"video.g": 6})
    report = check_health(root)
    assert report.ok
    # episodes 0 and 2 (7 and 9 frames) hold a whole GOP of 6, yet their keyframes are 2 apart
    assert len(report.warnings) == 4
    assert all(("episode_000000.mp4" in w or "episode_000002.mp4" in w) and "at most 2 frames apart" in w
               and "video.g=6" in w for w in report.warnings)


@pytest.mark.parametrize("field, value, stream", [("video.codec", "h264", "av1"), ("video.pix_fmt", "yuv444p", "yuv420p")])
def test_codec_or_pix_fmt_contradicting_the_stream_is_a_problem(copy, capsys, field, value, stream):
    root = copy("v3.0")
    _edit_info(root, wrist={field: value})
    report = check_health(root)
    assert not report.ok and len(report.problems) == 2  # both files of the wrist camera
    name = field.removeprefix("video.")
    for msg in report.problems:
        assert WRIST in msg and f"{name} is {stream}, info.json says {field}={value}" in msg
    assert report.recorded_encoder[WRIST]["values"][name] == value
    assert report.recorded_encoder[WRIST]["stream"][name + "s"] == [stream]
    code, data = _json(capsys, ["health", str(root), "--json"])
    assert code == 1 and data["recorded_encoder"][WRIST]["values"][name] == value


def test_merge_with_nulls_is_information(copy, capsys):
    """What LeRobot's aggregate_datasets writes when the sources disagree: tuning fields null,
    extra_options {}, video_backend pyav."""
    root = copy("v3.0")
    merged = {"video.g": None, "video.crf": None, "video.preset": None, "video.fast_decode": None,
              "video.extra_options": {}}
    _edit_info(root, top=merged, wrist=merged)
    report = check_health(root)
    assert report.ok and report.problems == [] and report.warnings == []
    assert len(report.notes) == 2 and all("as null" in n and "merging" in n for n in report.notes)
    assert report.recorded_encoder[TOP]["null_fields"] == ["g", "crf", "preset", "fast_decode"]
    code, data = _json(capsys, ["health", str(root), "--json"])
    assert code == 0 and data["recorded_encoder"][WRIST]["values"]["g"] is None
    assert main(["health", str(root)]) == 0
    out = capsys.readouterr().out
    assert "g=null crf=null" in out and "note: camera observation.images.top: info.json records video.g" in out


def test_merge_with_nulls_still_fails_when_a_stream_contradicts(copy):
    root = copy("v3.0")
    _edit_info(root, top={"video.crf": None, "video.codec": "hevc"})
    report = check_health(root)
    assert not report.ok and all("codec is av1, info.json says video.codec=hevc" in p for p in report.problems)
    assert any("video.crf as null" in n for n in report.notes)


def test_cameras_recorded_differently_is_information(copy):
    root = copy("v2.1")
    _edit_info(root, wrist={"video.crf": 23, "video.extra_options": {"tune": "film"}})
    report = check_health(root)
    assert report.ok and report.warnings == []
    assert f"cameras recorded with different video.crf: {TOP}=30, {WRIST}=23" in report.notes
    assert any(n.startswith("cameras recorded with different video.extra_options") for n in report.notes)


def test_settings_never_recorded_is_information(copy):
    root = copy("v2.1")
    gone = dict.fromkeys(["video.g", "video.crf", "video.preset", "video.fast_decode", "video.video_backend",
                          "video.extra_options"], ...)
    _edit_info(root, top=gone, wrist=gone)
    report = check_health(root)
    assert report.ok and report.warnings == []
    [note] = report.notes
    assert "records no encoder settings" in note and TOP in note and WRIST in note
    assert report.recorded_encoder[TOP]["missing_fields"] == ["g", "crf", "preset", "fast_decode",
                                                            "video_backend", "extra_options"]
    assert recorded_encoder(TOP, {"video.codec": "av1"}).g is None


# ---------------------------------------------------------------------------------------- partial download
def test_partial_download_v3_is_one_note_not_dropped_frames(copy, capsys):
    root = copy("v3.0")
    for cam in (TOP, WRIST):
        (root / f"videos/{cam}/chunk-000/file-001.mp4").unlink()
    report = check_health(root)
    assert report.ok, report.problems
    assert report.missing_episodes == [2]
    assert report.notes == ["partial download: 1 of 3 episodes listed in meta have no files on disk "
                            "(episodes 2); they are not read or checked"]
    assert report.frames_dropped == 0 and report.frames_expected == 2 * (7 + 5)
    assert sorted({e.episode for e in report.episodes}) == [0, 1]
    code, data = _json(capsys, ["health", str(root), "--json"])
    assert code == 0 and data["missing_episodes"] == [2] and data["frames_dropped"] == 0
    assert main(["health", str(root)]) == 0
    out = capsys.readouterr().out
    assert out.count("partial download") == 1 and "healthy" in out

    info = describe_source(str(root))
    assert info.missing_episodes == [2] and any(n.startswith("partial download: 1 of 3") for n in info.notes)


def test_partial_download_v21_with_data_files_missing(copy):
    root = copy("v2.1")
    for rel in [f"videos/chunk-000/{k}/episode_{e:06d}.mp4" for k in (TOP, WRIST) for e in (0, 2)]:
        (root / rel).unlink()
    for e in (0, 2):
        (root / f"data/chunk-000/episode_{e:06d}.parquet").unlink()
    report = check_health(root)
    assert report.ok, report.problems
    assert report.missing_episodes == [0, 2] and "episodes 0, 2" in report.notes[0]
    assert [(e.episode, e.data_rows) for e in report.episodes] == [(1, 5), (1, 5)]


def test_one_camera_file_missing_is_still_a_problem(copy):
    root = copy("v2.1")
    (root / f"videos/chunk-000/{WRIST}/episode_000001.mp4").unlink()
    report = check_health(root)
    assert not report.ok and report.missing_episodes == []
    assert any("episode 1" in p and WRIST in p and "not found" in p for p in report.problems)


def test_nothing_on_disk_is_a_problem(copy):
    root = copy("v3.0")
    shutil.rmtree(root / "videos")
    report = check_health(root)
    assert not report.ok and report.missing_episodes == [0, 1, 2]
    assert report.problems == ["none of the 3 selected episode(s) has its files on disk: nothing could be checked"]


def test_source_panel_offers_only_episodes_on_disk(copy):
    from lerobot_videobench.widgets.source import SourcePanel

    root = copy("v3.0")
    for cam in (TOP, WRIST):
        (root / f"videos/{cam}/chunk-000/file-000.mp4").unlink()
    panel = SourcePanel(str(root))
    assert panel.error is None
    assert [v for _, v in panel.episodes_select.options] == [2]
    assert [e.episode_index for e in panel.episodes] == [2, 2]
    assert panel.info_html.value.count("partial download: 2 of 3 episodes") == 1
