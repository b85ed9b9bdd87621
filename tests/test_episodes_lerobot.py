"""LeRobot datasets (v3.0, v2.1; video and image storage) written with the project's writer and read
back frame-exactly, plus the errors of bad datasets."""

from __future__ import annotations

import json
import pickle
import shutil

import numpy as np
import pandas as pd
import pytest

from _episodes_support import TOP, WRIST, frames_equal, tiny_episodes, write_tiny
from lerobot_videobench import VideoEncoderConfig, VideoFileError, load_episodes
from lerobot_videobench.episodes import describe_source


@pytest.fixture(scope="module")
def v3(tmp_path_factory):
    return write_tiny(tmp_path_factory.mktemp("v3") / "ds")


@pytest.fixture(scope="module")
def v21(tmp_path_factory):
    return write_tiny(tmp_path_factory.mktemp("v21") / "ds", version="v2.1")


def test_v3_reads_back_every_episode_pixel_exact(v3):
    root, eps = v3
    loaded = load_episodes(root)
    assert [(e.episode_index, e.camera) for e in loaded] == [(i, c) for i in range(3) for c in (TOP, WRIST)]
    for e in loaded:
        assert (e.fps, e.width, e.height, e.num_frames) == (30, 64, 48, len(eps[e.episode_index][e.camera]))
        assert not e.lossy and e.provenance.codec == "hevc"
        assert frames_equal(e.iter_frames(), eps[e.episode_index][e.camera])
        assert frames_equal(e.iter_frames(), eps[e.episode_index][e.camera])  # re-iterable


def test_v3_middle_episode_of_concatenated_file(v3):
    root, eps = v3
    rows = pd.read_parquet(root / "meta/episodes/chunk-000/file-000.parquet")
    assert rows["videos/observation.images.top/file_index"].tolist() == [0, 0, 0]
    assert rows.loc[1, "videos/observation.images.top/from_timestamp"] == pytest.approx(7 / 30)
    (ep,) = load_episodes(root, episodes=[1], cameras=["top"])
    assert (ep.episode_index, ep.camera, ep.num_frames) == (1, TOP, 5)
    assert frames_equal(ep.iter_frames(), eps[1][TOP])


def test_v3_episodes_spread_over_several_files(tmp_path):
    root, eps = write_tiny(tmp_path / "ds", episodes_per_video_file=2)
    assert (root / "videos" / TOP / "chunk-000" / "file-001.mp4").is_file()
    (ep,) = load_episodes(root, episodes=2, cameras=WRIST)
    assert frames_equal(ep.iter_frames(), eps[2][WRIST])


def test_v21_reads_back_pixel_exact(v21):
    root, eps = v21
    assert (root / "videos/chunk-000" / TOP / "episode_000001.mp4").is_file()
    loaded = load_episodes(root, episodes=[2, 0], cameras=[WRIST])
    assert [e.episode_index for e in loaded] == [2, 0]
    for e in loaded:
        assert e.provenance.kind == "lerobot-v2.1-video"
        assert frames_equal(e.iter_frames(), eps[e.episode_index][WRIST])


def test_lossy_codec_middle_episode_matches_its_own_file(tmp_path):
    """With B-frames (h264, default GOP), episode 1 decoded from the concatenated v3 file equals the same
    episode decoded from its own v2.1 file: frames are matched by index, not by float timestamps."""
    cfg = VideoEncoderConfig(vcodec="h264", g=None, crf=28, preset="ultrafast")
    eps = tiny_episodes(lengths=(11, 8, 6))
    r3, _ = write_tiny(tmp_path / "v3", config=cfg, episodes=eps)
    r2, _ = write_tiny(tmp_path / "v2", version="v2.1", config=cfg, episodes=eps)
    (a,) = load_episodes(r3, episodes=1, cameras=TOP)
    (b,) = load_episodes(r2, episodes=1, cameras=TOP)
    assert a.lossy and a.provenance.codec == "h264"
    fa, fb = list(a.iter_frames()), list(b.iter_frames())
    assert len(fa) == len(fb) == 8
    assert all(np.array_equal(x, y) for x, y in zip(fa, fb))
    # and they are the right frames: each is closer to its original than to the neighbouring frames
    want = eps[1][TOP]

    def err(x, y):
        return np.abs(x.astype(int) - y.astype(int)).mean()

    for i, x in enumerate(fa):
        others = [want[j] for j in (i - 1, i + 1) if 0 <= j < len(want)]
        assert all(err(x, want[i]) < err(x, o) for o in others), i


@pytest.mark.parametrize("version", ["v3.0", "v2.1"])
def test_image_dataset_png_is_lossless(tmp_path, version):
    root, eps = write_tiny(tmp_path / "img", version=version, storage="image")
    info = json.loads((root / "meta/info.json").read_text())
    assert info["features"][TOP]["dtype"] == "image"
    loaded = load_episodes(root, episodes=[1, 2])
    assert len(loaded) == 4
    for e in loaded:
        assert not e.lossy and e.provenance.codec == "png" and e.provenance.kind.endswith("-image")
        assert frames_equal(e.iter_frames(), eps[e.episode_index][e.camera])
    assert describe_source(root).lossy is False


def test_image_dataset_jpeg_is_flagged_lossy(tmp_path):
    root, eps = write_tiny(tmp_path / "jpg", storage="image", image_format="jpeg")
    (e,) = load_episodes(root, episodes=0, cameras=TOP)
    assert e.lossy and e.provenance.codec == "jpeg"
    assert len(list(e.iter_frames())) == 7


def test_max_frames_and_pickling(v3):
    root, eps = v3
    (e,) = load_episodes(root, episodes=2, cameras=TOP, max_frames=4)
    assert e.num_frames == 4
    clone = pickle.loads(pickle.dumps(e))
    assert frames_equal(clone.iter_frames(), eps[2][TOP][:4])


def test_describe_v3(v3):
    root, _ = v3
    info = describe_source(root)
    assert (info.kind, info.version, info.fps, info.episodes, info.total_frames) == ("lerobot", "v3.0", 30, [0, 1, 2], 21)
    assert [c.key for c in info.cameras] == [TOP, WRIST]
    top = info.cameras[0]
    assert (top.width, top.height, top.codec, top.pix_fmt, top.lossy) == (64, 48, "hevc", "gbrp", False)
    assert top.encoder_settings["extra_options"] == {"x265-params": "lossless=1:log-level=error"}
    assert info.video_hours == pytest.approx(2 * 21 / 30 / 3600)


# ------------------------------------------------------------------------------------------- errors
def test_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="source not found"):
        load_episodes(tmp_path / "nope")


def test_folder_that_is_not_a_source(tmp_path):
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(ValueError, match="neither a LeRobot dataset"):
        load_episodes(tmp_path)


def test_episode_out_of_range(v3):
    with pytest.raises(ValueError, match=r"episode 12 out of range; .* has episodes 0\.\.2"):
        load_episodes(v3[0], episodes=[0, 12])


def test_camera_not_found_lists_available(v3):
    with pytest.raises(ValueError, match=r"camera 'side' not found .*available: \['observation.images.top', 'observation.images.wrist'\]"):
        load_episodes(v3[0], cameras=["top", "side"])


@pytest.mark.parametrize(
    "text, match",
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"codebase_version": "v3.0", "features": {}}), "field 'fps' is missing"),
        (json.dumps({"codebase_version": "v3.0", "fps": -3, "features": {}}), "fps=-3 must be a positive number"),
        (json.dumps({"codebase_version": "v1.6", "fps": 30, "features": {}}), "codebase_version='v1.6' is not supported"),
    ],
)
def test_malformed_info_json(v3, tmp_path, text, match):
    root = tmp_path / "ds"
    shutil.copytree(v3[0], root)
    (root / "meta/info.json").write_text(text)
    with pytest.raises(ValueError, match=match):
        load_episodes(root)
    with pytest.raises(ValueError, match="malformed"):
        describe_source(root)


def test_length_mismatch_names_both_counts(v3, tmp_path):
    root = tmp_path / "ds"
    shutil.copytree(v3[0], root)
    path = root / "meta/episodes/chunk-000/file-000.parquet"
    rows = pd.read_parquet(path)
    rows.loc[2, "length"] = 12  # the video holds 9 frames for episode 2
    rows.to_parquet(path, index=False)
    with pytest.raises(ValueError, match=r"episode 2, camera 'observation.images.top': episode length is 12 frames but .* holds 9"):
        load_episodes(root, episodes=2)
    load_episodes(root, episodes=[0, 1])  # the other episodes are fine


def test_v21_truncated_mp4(v21, tmp_path):
    root = tmp_path / "ds"
    shutil.copytree(v21[0], root)
    mp4 = root / "videos/chunk-000" / TOP / "episode_000001.mp4"
    data = mp4.read_bytes()
    mp4.write_bytes(data[: len(data) // 2])  # moov is at the end: the file no longer opens
    with pytest.raises(VideoFileError, match="episode_000001.mp4"):
        load_episodes(root, episodes=1, cameras=TOP)


def test_v3_truncated_concatenated_mp4(v3, tmp_path):
    root = tmp_path / "ds"
    shutil.copytree(v3[0], root)
    mp4 = root / "videos" / TOP / "chunk-000/file-000.mp4"
    data = mp4.read_bytes()
    mp4.write_bytes(data[: int(len(data) * 0.6)])  # faststart: moov first, the tail of mdat is gone
    with pytest.raises(VideoFileError, match="file-000.mp4"):
        eps = load_episodes(root, episodes=2, cameras=TOP)
        list(eps[0].iter_frames())


def test_missing_video_file(v3, tmp_path):
    root = tmp_path / "ds"
    shutil.copytree(v3[0], root)
    (root / "videos" / WRIST / "chunk-000/file-000.mp4").unlink()
    with pytest.raises(FileNotFoundError, match="camera 'observation.images.wrist' not found: .*file-000.mp4"):
        load_episodes(root)


def test_image_parquet_count_adds_every_file(tmp_path):
    """Files without an episode_index column (one episode each) all count, not just the first."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from lerobot_videobench.episodes import ParquetImageFrames

    image = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    files = []
    for i, rows in enumerate((3, 4)):
        path = tmp_path / f"part{i}.parquet"
        pq.write_table(pa.table({"cam": pa.array([{"bytes": b"x", "path": None}] * rows, type=image)}), path)
        files.append(str(path))
    assert ParquetImageFrames(tuple(files), "cam", 0, 7).count() == 7


def test_frame_cache_refuses_frames_unlike_the_episode(tmp_path):
    """Frames whose shape or dtype differ from the episode's would be read back scrambled from the cache."""
    from dataclasses import replace

    from lerobot_videobench.episodes import episode_from_arrays

    ep = episode_from_arrays([np.zeros((48, 64, 3), np.uint8)] * 3)
    with pytest.raises(ValueError, match="frame 0 is uint8"):
        replace(ep, width=60, source_id="wrong-width").cached(tmp_path)
    with pytest.raises(ValueError, match="float"):
        episode_from_arrays([np.zeros((48, 64, 3), np.float32)] * 2).cached(tmp_path)
    assert not list((tmp_path / "frames").glob("*.tmp"))
    assert ep.cached(tmp_path).iter_frames().__next__().shape == (48, 64, 3)
