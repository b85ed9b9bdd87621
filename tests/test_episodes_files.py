"""Video files, PNG folders, the built-in sample, the real clips in ../shared/data, and ``inspect``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from _episodes_support import frames_equal, tiny_frames, write_tiny
from lerobot_videobench import VideoFileError, describe_source, encode_video_frames, load_episodes
from lerobot_videobench.cli import main as cli_main
from lerobot_videobench.episodes import available_samples
from lerobot_videobench.episodes.writer import lossless_encoder_config

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    frames = tiny_frames(12, 5)
    path = tmp_path_factory.mktemp("clip") / "cam.mp4"
    encode_video_frames(frames, path, 30, lossless_encoder_config())
    return path, frames


def test_video_file_is_one_lossless_episode(clip):
    path, frames = clip
    (ep,) = load_episodes(path)
    assert (ep.camera, ep.episode_index, ep.fps, ep.width, ep.height, ep.num_frames) == ("cam", 0, 30, 64, 48, 12)
    assert not ep.lossy  # gbrp + x265 "lossless" in the options x265 records in the stream
    assert frames_equal(ep.iter_frames(), frames)
    (short,) = load_episodes(str(path), max_frames=5)
    assert frames_equal(short.iter_frames(), frames[:5])


def test_video_file_selection_errors(clip):
    with pytest.raises(ValueError, match="episode 1 out of range"):
        load_episodes(clip[0], episodes=[1])
    with pytest.raises(ValueError, match=r"camera 'top' not found .*available: \['cam'\]"):
        load_episodes(clip[0], cameras="top")
    with pytest.raises(ValueError, match="max_frames=0"):
        load_episodes(clip[0], max_frames=0)


def test_default_encoder_video_file_is_lossy(tmp_path):
    path = tmp_path / "svt.mp4"
    encode_video_frames(tiny_frames(6, 1), path, 30)
    (ep,) = load_episodes(path)
    assert ep.lossy and ep.provenance.codec == "av1" and ep.num_frames == 6
    assert len(list(ep.iter_frames())) == 6


def test_truncated_video_file(clip, tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(clip[0].read_bytes()[:3000])
    with pytest.raises(VideoFileError, match="bad.mp4"):
        load_episodes(bad)
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"not a video at all" * 10)
    with pytest.raises(VideoFileError, match="garbage.mp4"):
        load_episodes(garbage)


def test_png_folder(tmp_path):
    frames = tiny_frames(4, 9)
    for i, f in enumerate(frames):
        Image.fromarray(f).save(tmp_path / f"frame-{i:06d}.png")
    (ep,) = load_episodes(tmp_path, fps=15)
    assert (ep.fps, ep.num_frames, ep.lossy, ep.provenance.kind) == (15, 4, False, "png-folder")
    assert frames_equal(ep.iter_frames(), frames)


def test_unknown_sources(tmp_path):
    with pytest.raises(FileNotFoundError, match="source not found"):
        load_episodes(str(tmp_path / "missing.mp4"))
    with pytest.raises(FileNotFoundError, match="source not found"):
        load_episodes("./relative/missing")


@pytest.mark.skipif(not available_samples(), reason="datasets_sample/ not generated")
def test_builtin_sample():
    eps = load_episodes("sample", max_frames=3)
    assert [(e.episode_index, e.camera.rsplit(".", 1)[-1]) for e in eps] == [(0, "top"), (0, "wrist"), (1, "top"), (1, "wrist")]
    top = eps[0]
    assert (top.width, top.height, top.fps, top.lossy) == (640, 480, 30, False)
    frames = list(top.iter_frames())
    assert len(frames) == 3 and frames[0].shape == (480, 640, 3) and frames[0].dtype == np.uint8
    info = describe_source("sample")
    assert info.kind == "sample" and info.num_episodes >= 2 and "synthetic footage" in info.notes
    with pytest.raises(ValueError, match=r"sample 'nope' not found .*available: \['tabletop'\]"):
        load_episodes("sample:nope")


def test_builtin_sample_is_small():
    root = Path(__file__).resolve().parents[1] / "datasets_sample"
    if not available_samples():
        pytest.skip("datasets_sample/ not generated")
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    assert size < 20e6
    assert "synthetic" in (root / "README.md").read_text().lower()


@pytest.mark.parametrize(
    "rel, frames, size",
    [
        ("so101_wrist_chess/episode_000000.mp4", 775, (640, 480)),
        ("av_aloha_overhead/eval_real_hidden_pick_overhead_cam.mp4", 547, (640, 480)),
        ("umi_cup_224/observation.image_episode_000000.mp4", 400, (224, 224)),
    ],
)
def test_shared_real_clips(rel, frames, size):
    path = SHARED / rel
    if not path.is_file():
        pytest.skip(f"{path} not present")
    (ep,) = load_episodes(path, max_frames=4)
    assert ep.lossy and (ep.width, ep.height) == size
    got = list(ep.iter_frames())
    assert len(got) == 4 and got[0].shape == (size[1], size[0], 3)
    info = describe_source(path)
    assert info.total_frames == frames and info.lossy is True


def test_shared_clip_with_a_timestamp_gap_decodes_whole():
    """The ALOHA web export has one missing timestamp and a packet past its edit list: a plain file is
    read in decoding order, and its frame count is what the decoder returns."""
    path = SHARED / "av_aloha_overhead/eval_real_hidden_pick_overhead_cam.mp4"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    (ep,) = load_episodes(path)
    assert sum(1 for _ in ep.iter_frames()) == ep.num_frames == 547


def test_inspect_cli(tmp_path, capsys):
    root, _ = write_tiny(tmp_path / "ds")
    assert cli_main(["inspect", str(root), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["num_episodes"] == 3 and data["fps"] == 30 and data["lossy"] is False
    assert [c["key"] for c in data["cameras"]] == ["observation.images.top", "observation.images.wrist"]
    assert data["cameras"][0]["codec"] == "hevc" and data["video_hours"] > 0
    assert cli_main(["inspect", str(root)]) == 0
    text = capsys.readouterr().out
    assert "observation.images.wrist" in text and "64x48" in text and "lossy:     no" in text
    assert cli_main(["inspect", str(tmp_path / "nope")]) == 2
    assert "source not found" in capsys.readouterr().err
