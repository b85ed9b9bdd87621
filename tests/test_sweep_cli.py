"""Tests for ``lerobot-videobench sweep``: the CLI over load_episodes + run_sweep + the store, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lerobot_videobench.bench import load_results
from lerobot_videobench.cli import main
from lerobot_videobench.encoding import VideoEncoderConfig, encode_video_frames

TINY_GRID = """\
vcodec: [h264, libsvtav1]
crf:
  h264: [28]
  libsvtav1: [40, 64]   # 64 is out of SVT-AV1's range: reported and skipped
preset:
  h264: [veryfast]
encoder_threads: [1]
"""

LABELS = {"h264 crf28 g2 pveryfast yuv420p t1", "libsvtav1 crf40 g2 p12 yuv420p t1"}


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Frame cache and fingerprints under tmp_path (inherited by the spawned workers)."""
    monkeypatch.setenv("LEROBOT_VIDEOBENCH_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def grid_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_GRID)
    return path


@pytest.fixture
def video_file(tmp_path: Path) -> Path:
    """A 64x48, 12-frame h264 file with moving texture (a lossy source)."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:48, 0:100].astype(np.float32)
    img = np.stack([128 + 80 * np.sin(xx / (5 + c)) * np.cos(yy / 4 + c) for c in range(3)], axis=-1)
    img = np.clip(img + rng.normal(0, 8, img.shape), 0, 255).astype(np.uint8)
    frames = [np.ascontiguousarray(img[:, 3 * i : 3 * i + 64]) for i in range(12)]
    path = tmp_path / "cam.mp4"
    encode_video_frames(frames, path, 30, VideoEncoderConfig(vcodec="h264", crf=18, preset="veryfast"))
    return path


def _sweep(*args: str) -> list[str]:
    return ["sweep", *args, "--workers", "1"]


def test_sweep_of_a_video_file_prints_a_table_then_reruns_from_the_store(
    tmp_path: Path, grid_file: Path, video_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "results.sqlite"
    rc = main(_sweep(str(video_file), "--max-frames", "8", "--grid", str(grid_file), "--store", str(store)))
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "skipped invalid grid entry" in err and "crf=64" in err
    for label in LABELS:
        assert label in out
    assert "2 trials (0 cached, 2 ran, 0 failed)" in out
    df = load_results(store)
    assert set(df["label"]) == LABELS and set(df["status"]) == {"ok"}
    assert (df["frames"] == 8).all() and (df["width"] == 64).all()
    assert df["source_lossy"].all()  # re-encoding an mp4 is flagged

    rc = main(_sweep(str(video_file), "--max-frames", "8", "--grid", str(grid_file), "--store", str(store)))
    out, _ = capsys.readouterr()
    assert rc == 0
    assert "2 trials (2 cached, 0 ran, 0 failed)" in out
    assert len(load_results(store)) == 2


def test_sweep_of_the_builtin_sample_with_json_and_export(
    tmp_path: Path, grid_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "results.sqlite"
    export = tmp_path / "results.csv"
    argv = _sweep(
        "sample", "--episodes", "0", "--cameras", "wrist", "--max-frames", "8", "--grid", str(grid_file),
        "--store", str(store), "--json", "--export", str(export),
    )
    rc = main(argv)
    out, err = capsys.readouterr()
    assert rc == 0, err
    info = json.loads(out)
    assert (info["trials"], info["cached"], info["ran"], info["failed"]) == (2, 0, 2, 0)
    assert info["invalid_grid_entries"] == 1
    assert info["store"] == str(store)
    rows = {r["label"]: r for r in info["summary"]}
    assert set(rows) == LABELS
    for row in rows.values():
        assert row["trials"] == 1 and row["failed"] == 0
        assert row["bytes_per_frame"] > 0 and 0.5 < row["ssim_mean"] <= 1.0
    exported = pd.read_csv(export)
    assert len(exported) == 2 and set(exported["label"]) == LABELS
    assert set(exported["episode_key"]) == {"ep0/observation.images.wrist"}


def test_failed_trial_gives_exit_code_1_and_is_in_the_results(
    tmp_path: Path, video_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grid = tmp_path / "bad.yaml"
    grid.write_text("vcodec: [h264]\ncrf: [28]\npreset: [veryfast]\nextra_options:\n  h264: [{}, {profile: bogus}]\n")
    store = tmp_path / "results.sqlite"
    rc = main(_sweep(str(video_file), "--max-frames", "8", "--grid", str(grid), "--store", str(store), "--json"))
    info = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert (info["trials"], info["ran"], info["failed"]) == (2, 2, 1)
    df = load_results(store)
    failed = df[df["status"] == "failed"]
    assert len(failed) == 1 and "profile=bogus" in failed["label"].iloc[0] and failed["error"].iloc[0]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sample", "--grid", "no-such-grid"], "neither a built-in grid"),
        (["sample", "--grid", "quick", "--cameras", "no-such-camera"], "no-such-camera"),
        (["/no/such/file.mp4", "--grid", "quick"], "/no/such/file.mp4"),
    ],
)
def test_bad_input_is_exit_code_2_with_a_message(
    tmp_path: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(_sweep(*argv, "--store", str(tmp_path / "r.sqlite")))
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("error:") and message in err
    assert not (tmp_path / "r.sqlite").exists() or len(load_results(tmp_path / "r.sqlite")) == 0
