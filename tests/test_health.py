"""Dataset health: healthy v3.0/v2.1 datasets pass; dropped frames, timestamp drift, mixed encoders,
truncated and missing files, and data rows that disagree are each reported with episode, camera, file
and numbers (never a crash); the CLI exits 0/1/2 and prints JSON."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from _episodes_support import TOP, WRIST, tiny_episodes
from lerobot_videobench.cli import main
from lerobot_videobench.decide import health as health_mod
from lerobot_videobench.decide.health import LEROBOT_TOLERANCE_S, HealthReport, check_health
from lerobot_videobench.encoding import VideoEncoderConfig
from lerobot_videobench.episodes import LeRobotDataset
from lerobot_videobench.episodes.writer import write_lerobot_dataset

FPS = 10
LENGTHS = (7, 5, 9)
V3_TOP = f"videos/{TOP}/chunk-000/file-000.mp4"
EP_PARQUET = "meta/episodes/chunk-000/file-000.parquet"


def v21_video(key: str, ep: int) -> str:
    return f"videos/chunk-000/{key}/episode_{ep:06d}.mp4"


def _write(root: Path, version: str, lengths=LENGTHS, config=None) -> Path:
    write_lerobot_dataset(root, tiny_episodes(lengths), FPS, version=version, camera_encoder_config=config)
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """Healthy datasets (default encoder: libsvtav1) plus donors of damaged files, written once."""
    base = tmp_path_factory.mktemp("health")
    return {
        "v3.0": _write(base / "v3", "v3.0"),
        "v2.1": _write(base / "v21", "v2.1"),
        # episode 1 with 3 frames instead of 5: what streaming drops leave behind
        "v3.0-short": _write(base / "v3short", "v3.0", (7, 3, 9)),
        "v2.1-short": _write(base / "v21short", "v2.1", (7, 3, 9)),
        "v2.1-h264": _write(base / "v21h264", "v2.1", config=VideoEncoderConfig(vcodec="h264", preset="ultrafast")),
    }


@pytest.fixture
def copy(built, tmp_path):
    def make(name: str) -> Path:
        dst = tmp_path / name
        shutil.copytree(built[name], dst)
        return dst

    return make


def _edit_episodes(root: Path, edit) -> None:
    path = root / EP_PARQUET
    df = pd.read_parquet(path)
    edit(df)
    df.to_parquet(path, index=False)


def _problems_about(report: HealthReport, *words: str) -> list[str]:
    return [p for p in report.problems if all(w in p for w in words)]


# ---------------------------------------------------------------------------------------- healthy
@pytest.mark.parametrize("version", ["v3.0", "v2.1"])
@pytest.mark.parametrize("decode", [False, True])
def test_healthy_dataset_is_ok(built, version, decode):
    report = check_health(built[version], decode=decode)
    assert report.ok, report.problems
    assert report.problems == [] and report.warnings == []
    assert [(e.episode, e.camera) for e in report.episodes] == [(e, k) for e in range(3) for k in (TOP, WRIST)]
    for e in report.episodes:
        assert e.found_frames == e.expected_frames == LENGTHS[e.episode]
        assert e.missing_indices == [] and e.duplicate_indices == [] and e.dropped_estimate == 0
        assert e.drift_method == "order" and e.drift_s < 1e-9 and not e.exceeds_lerobot_tolerance
        assert e.video_duration_s == pytest.approx(LENGTHS[e.episode] / FPS)
        assert e.data_rows == LENGTHS[e.episode]
        assert e.decoded_frames == (LENGTHS[e.episode] if decode else None)
    assert len(report.files) == (2 if version == "v3.0" else 6)
    assert all(f.codec == "av1" and f.frames and f.error is None and f.max_keyframe_interval == 2 for f in report.files)
    d = json.loads(json.dumps(report.to_dict()))
    assert d["ok"] is True and len(d["episodes"]) == 6 and d["frames_dropped"] == 0


def test_selection_and_dataset_object(built):
    ds = LeRobotDataset.open(built["v3.0"])
    report = check_health(ds, episodes=[2], cameras=["wrist"])
    assert report.ok and [(e.episode, e.camera) for e in report.episodes] == [(2, WRIST)]
    assert report.episodes[0].found_frames == 9 and report.episodes[0].drift_method == "order"
    with pytest.raises(ValueError, match="episode 5 out of range"):
        check_health(built["v3.0"], episodes=[5])
    with pytest.raises(ValueError, match="camera 'side' not found"):
        check_health(built["v3.0"], cameras=["side"])
    with pytest.raises(ValueError, match="tolerance_frames"):
        check_health(built["v3.0"], tolerance_frames=0)


def test_missing_dataset_and_malformed_info(tmp_path):
    with pytest.raises(FileNotFoundError, match="dataset not found"):
        check_health(tmp_path / "nothing")
    (tmp_path / "bad" / "meta").mkdir(parents=True)
    (tmp_path / "bad" / "meta" / "info.json").write_text("{not json")
    with pytest.raises(ValueError, match="malformed .*info.json"):
        check_health(tmp_path / "bad")


# ---------------------------------------------------------------------------------------- damage
def test_v21_video_missing_frames(copy, built):
    root = copy("v2.1")
    shutil.copy(built["v2.1-short"] / v21_video(TOP, 1), root / v21_video(TOP, 1))
    report = check_health(root)
    assert not report.ok
    bad = [e for e in report.episodes if not e.ok]
    assert [(e.episode, e.camera) for e in bad] == [(1, TOP)]
    e = bad[0]
    assert (e.expected_frames, e.found_frames, e.dropped_estimate, e.missing_indices) == (5, 3, 2, [3, 4])
    assert e.drop_rate == pytest.approx(0.4) and e.video_duration_s == pytest.approx(0.3)
    [msg] = report.problems
    for text in ("episode 1", TOP, "episode_000001.mp4", "2 of 5 frames missing", "40.0%", "indices 3, 4",
                 "0.3 s for 0.5 s", "overloaded"):
        assert text in msg, (text, msg)
    assert report.frames_dropped == 2 and e.data_rows == 5


def test_v3_concatenated_video_missing_frames(copy, built):
    """A concatenated file whose episode 1 lost 2 frames (from/to timestamps follow the short clip, as
    LeRobot writes them), while the metadata length and the data rows still say 5."""
    root = copy("v3.0")
    shutil.copy(built["v3.0-short"] / V3_TOP, root / V3_TOP)
    short = pd.read_parquet(built["v3.0-short"] / EP_PARQUET)

    def edit(df):
        for col in ("from_timestamp", "to_timestamp"):
            df[f"videos/{TOP}/{col}"] = short[f"videos/{TOP}/{col}"]

    _edit_episodes(root, edit)
    report = check_health(root)
    assert not report.ok
    rows = {(e.episode, e.camera): e for e in report.episodes}
    assert rows[(1, TOP)].found_frames == 3 and rows[(1, TOP)].missing_indices == [3, 4]
    assert rows[(1, TOP)].drift_method == "index"
    # the next episode in the same file keeps all its frames (not blamed for episode 1's loss)
    assert rows[(2, TOP)].ok and rows[(2, TOP)].found_frames == 9 and rows[(0, TOP)].ok
    assert all(rows[(ep, WRIST)].ok for ep in range(3))
    [msg] = report.problems
    assert "episode 1" in msg and TOP in msg and V3_TOP in msg and "2 of 5 frames missing" in msg
    assert "to_timestamp - from_timestamp 0.3 s for 0.5 s" in msg


def test_v3_metadata_longer_than_video(copy):
    root = copy("v3.0")

    def edit(df):
        df.loc[df.episode_index == 2, "length"] = 11

    _edit_episodes(root, edit)
    report = check_health(root, cameras=["top"])
    e = report.episodes[-1]
    assert (e.episode, e.expected_frames, e.found_frames, e.missing_indices) == (2, 11, 9, [9, 10])
    assert _problems_about(report, "episode 2", TOP, "2 of 11 frames missing")
    # metadata indices and data rows disagree with the new length too
    assert _problems_about(report, "episode 2", "dataset_to_index - dataset_from_index = 9 rows, length says 11")
    assert _problems_about(report, "episode 2", "data parquet holds 9 rows, length says 11")


def test_v3_timestamp_drift(copy):
    root = copy("v3.0")
    shift = 0.6 / FPS

    def edit(df):
        for col in ("from_timestamp", "to_timestamp"):
            df.loc[df.episode_index == 2, f"videos/{TOP}/{col}"] += shift

    _edit_episodes(root, edit)
    report = check_health(root)
    assert not report.ok
    e = {(r.episode, r.camera): r for r in report.episodes}[(2, TOP)]
    assert e.found_frames == 9 and e.dropped_estimate == 0 and e.drift_method == "order"
    assert e.drift_frames == pytest.approx(0.6) and e.drift_s == pytest.approx(0.06)
    assert e.exceeds_lerobot_tolerance
    [msg] = report.problems
    assert "episode 2" in msg and TOP in msg and V3_TOP in msg and "drift 0.60 frames (60.00 ms)" in msg
    assert "missing" not in msg.split("(no frame")[0]


def test_small_drift_only_warns_about_lerobot_tolerance(copy):
    root = copy("v3.0")

    def edit(df):
        for col in ("from_timestamp", "to_timestamp"):
            df.loc[df.episode_index == 1, f"videos/{WRIST}/{col}"] += 0.002  # 0.02 frames

    _edit_episodes(root, edit)
    report = check_health(root)
    assert report.ok and report.problems == []
    e = {(r.episode, r.camera): r for r in report.episodes}[(1, WRIST)]
    assert e.drift_s == pytest.approx(0.002) and e.drift_s > LEROBOT_TOLERANCE_S and e.exceeds_lerobot_tolerance
    [w] = report.warnings
    assert "episode 1" in w and WRIST in w and "tolerance_s=1e-4" in w and "FrameTimestampError" in w
    # a tighter tolerance turns it into a problem
    assert not check_health(root, tolerance_frames=0.01).ok


def test_v21_inconsistent_encoder_settings(copy, built):
    root = copy("v2.1")
    shutil.copy(built["v2.1-h264"] / v21_video(WRIST, 1), root / v21_video(WRIST, 1))
    report = check_health(root)
    assert not report.ok
    [msg] = report.problems
    assert "episode_000001.mp4" in msg and WRIST in msg and "episode(s) 1" in msg
    assert "codec is h264, info.json says video.codec=av1" in msg
    # frames are all there: only the file-level settings are wrong
    assert all(e.ok for e in report.episodes)
    assert [f.codec for f in report.files if f.file == v21_video(WRIST, 1)] == ["h264"]


def test_gop_longer_than_info_is_a_problem(copy):
    root = copy("v2.1")
    info_path = root / "meta/info.json"
    info = json.loads(info_path.read_text())
    info["features"][TOP]["info"]["video.g"] = 1
    info_path.write_text(json.dumps(info))
    report = check_health(root, cameras=[TOP])
    assert not report.ok and report.warnings == []
    assert len(report.problems) == 3
    assert all("keyframes up to 2 frames apart" in p and "video.g=1" in p for p in report.problems)


@pytest.mark.parametrize("decode", [False, True])
def test_truncated_concatenated_video_is_a_problem(copy, decode):
    root = copy("v3.0")
    path = root / V3_TOP
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    report = check_health(root, decode=decode)
    assert not report.ok
    truncated = _problems_about(report, V3_TOP, "truncated: the header lists 21 frames")
    assert len(truncated) == 1 and "episode(s) 0..2" in truncated[0]
    top = [e for e in report.episodes if e.camera == TOP]
    assert sum(e.found_frames for e in top) < 21 and any(e.dropped_estimate for e in top)
    assert _problems_about(report, TOP, "frames missing")
    assert all(e.ok for e in report.episodes if e.camera == WRIST)
    if decode:
        assert _problems_about(report, V3_TOP, "decoding failed")


def test_truncated_and_missing_v21_files(copy):
    root = copy("v2.1")
    path = root / v21_video(TOP, 2)
    path.write_bytes(path.read_bytes()[:200])
    (root / v21_video(WRIST, 0)).unlink()
    report = check_health(root)
    assert not report.ok
    assert _problems_about(report, v21_video(TOP, 2), "unreadable")
    assert _problems_about(report, "episode 2", TOP, "9 of 9 frames missing")
    assert _problems_about(report, "episode 0", WRIST, "not found")
    assert len([e for e in report.episodes if not e.ok]) == 2


def test_hub_dataset_fetches_only_needed_videos(built, monkeypatch):
    fetched: list[str] = []

    def fake_open(repo_id, revision=None, *, source=None, token=None):
        assert (repo_id, revision) == ("org/tiny", "main")
        return LeRobotDataset.open(built["v2.1"], source="org/tiny@main")

    def fake_fetch(ds, repo_id, files, token=None):
        fetched.extend(files)

    monkeypatch.setattr(health_mod, "open_hub_dataset", fake_open)
    monkeypatch.setattr(health_mod, "fetch_hub_files", fake_fetch)
    report = check_health("org/tiny@main", episodes=[1], cameras=["top"])
    assert report.ok and report.source == "org/tiny@main"
    assert fetched == [v21_video(TOP, 1)]
    assert report.episodes[0].data_rows is None  # data files are not downloaded for a health check


# ---------------------------------------------------------------------------------------- CLI
def test_cli_exit_statuses_and_json(copy, built, capsys, tmp_path):
    assert main(["health", str(built["v3.0"])]) == 0
    out = capsys.readouterr().out
    assert "healthy: no problem found" in out and "episode" in out and "drift_frames" in out

    root = copy("v2.1")
    shutil.copy(built["v2.1-short"] / v21_video(TOP, 1), root / v21_video(TOP, 1))
    assert main(["health", str(root), "--cameras", "top"]) == 1
    out = capsys.readouterr().out
    assert "problem: episode 1, camera observation.images.top" in out and "PROBLEM" in out

    assert main(["health", str(root), "--json", "--decode"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["decode"] is True and data["frames_dropped"] == 2
    assert [e["episode"] for e in data["episodes"] if not e["ok"]] == [1]

    assert main(["health", str(built["v2.1"]), "--episodes", "0", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["episode_indices"] == [0, 2]

    assert main(["health", str(tmp_path / "absent")]) == 2
    assert "dataset not found" in capsys.readouterr().err
    assert main(["health", str(built["v3.0"]), "--episodes", "9"]) == 2
