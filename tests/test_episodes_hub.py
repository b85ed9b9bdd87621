"""Hub datasets, offline: a dataset written by the project's writer is laid out as the Hugging Face
cache holds it (``datasets--org--name/snapshots/<commit>/...`` + ``refs/main``) and read with
``HF_HUB_OFFLINE`` set; only ``meta/`` and the files of the chosen episodes and cameras are requested."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import huggingface_hub
import pytest
from huggingface_hub import constants

from _episodes_support import TOP, WRIST, frames_equal, write_tiny
from lerobot_videobench import describe_source, load_episodes

REPO = "videobench-test/tiny"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    # one episode per video file, so each (episode, camera) needs its own file
    return write_tiny(tmp_path_factory.mktemp("hub-src") / "ds", episodes_per_video_file=1)


def _cache(tmp_path: Path, dataset_root: Path, files: list[str]) -> Path:
    """A Hub cache holding ``meta/`` and ``files`` of the dataset at COMMIT."""
    cache = tmp_path / "hub"
    repo = cache / ("datasets--" + REPO.replace("/", "--"))
    snap = repo / "snapshots" / COMMIT
    for p in dataset_root.rglob("*"):
        rel = p.relative_to(dataset_root).as_posix()
        if p.is_file() and (rel.startswith("meta/") or rel in files):
            (snap / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(p, snap / rel)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(COMMIT)
    return cache


@pytest.fixture
def offline(monkeypatch):
    def setup(cache: Path) -> None:
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        monkeypatch.setenv("HF_HUB_CACHE", str(cache))
        # huggingface_hub reads both at import time
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
        monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))

    return setup


def test_offline_reads_only_the_needed_files(dataset, tmp_path, offline, monkeypatch):
    root, eps = dataset
    needed = f"videos/{TOP}/chunk-000/file-001.mp4"
    offline(_cache(tmp_path, root, [needed]))
    requested = []
    real = huggingface_hub.hf_hub_download

    def spy(repo_id, filename, **kw):
        requested.append((repo_id, filename, kw.get("repo_type"), kw.get("revision")))
        return real(repo_id, filename, **kw)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", spy)
    (ep,) = load_episodes(REPO, episodes=[1], cameras=["top"])
    assert requested == [(REPO, needed, "dataset", COMMIT)]
    assert (ep.episode_index, ep.camera, ep.num_frames) == (1, TOP, 5)
    assert frames_equal(ep.iter_frames(), eps[1][TOP])
    assert f"hub commit {COMMIT}" in ep.provenance.notes
    (again,) = load_episodes(f"{REPO}@main", episodes=1, cameras=TOP)
    assert again.num_frames == 5


def test_offline_file_not_cached_is_a_clear_error(dataset, tmp_path, offline):
    offline(_cache(tmp_path, dataset[0], [f"videos/{TOP}/chunk-000/file-001.mp4"]))
    with pytest.raises(FileNotFoundError, match=r"videos/observation.images.wrist/.* is not in the Hub cache .*HF_HUB_OFFLINE"):
        load_episodes(REPO, episodes=[1], cameras=[WRIST])


def test_offline_selection_errors_come_before_downloads(dataset, tmp_path, offline):
    offline(_cache(tmp_path, dataset[0], []))
    with pytest.raises(ValueError, match="episode 7 out of range"):
        load_episodes(REPO, episodes=[7])
    with pytest.raises(ValueError, match="camera 'side' not found"):
        load_episodes(REPO, cameras="side")


def test_unknown_repo_offline(tmp_path, offline):
    offline(tmp_path / "empty-cache")
    with pytest.raises(FileNotFoundError, match="'nobody/nothing' .*not in the Hub cache"):
        load_episodes("nobody/nothing")
    with pytest.raises(FileNotFoundError, match="not in the Hub cache"):
        describe_source("nobody/nothing@v2.1")


def test_describe_hub_offline_needs_only_meta(dataset, tmp_path, offline):
    offline(_cache(tmp_path, dataset[0], []))
    info = describe_source(REPO)
    assert (info.kind, info.version, info.episodes, [c.key for c in info.cameras]) == ("hub", "v3.0", [0, 1, 2], [TOP, WRIST])


def test_environment_variables_are_honoured(dataset, tmp_path):
    """In a fresh interpreter, HF_HUB_OFFLINE and HF_HUB_CACHE from the environment are enough."""
    cache = _cache(tmp_path, dataset[0], [f"videos/{WRIST}/chunk-000/file-002.mp4"])
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache)}
    code = (
        "import json, lerobot_videobench as lv\n"
        f"(e,) = lv.load_episodes({REPO!r}, episodes=2, cameras='wrist')\n"
        "print(json.dumps([e.num_frames, len(list(e.iter_frames()))]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [9, 9]
