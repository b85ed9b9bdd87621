"""Datasets that LeRobot 0.6's own writer recorded: ``LeRobotDataset.create`` / ``add_frame`` /
``save_episode`` / ``finalize``, two cameras, three episodes of different lengths, a non-default encoder
(h264 crf 28 g 4), streaming and batch encoding; and an image dataset (``use_videos=False``: PNG bytes in
the data parquet).

Our ``load_episodes`` must read every (episode, camera) pixel-equal to LeRobot's own
``decode_video_frames`` at the parquet timestamps (pyav, and torchcodec, the training default), and
``check_health`` must find the video datasets healthy. Frames are small synthetic 64x48 images.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lerobot_videobench import check_health, load_episodes

pytestmark = pytest.mark.lerobot

FPS = 30
LENGTHS = (12, 21, 7)
CAMERAS = ("observation.images.front", "observation.images.wrist")
H, W = 48, 64
ENCODER = {"vcodec": "h264", "crf": 28, "g": 4, "preset": "veryfast"}
MODES = {
    "streaming": {"streaming_encoding": True, "encoder_queue_maxsize": 64},
    # PNG frames, encoded at save_episode. (batch_encoding_size > 1 crashes in LeRobot 0.6.1's writer on a
    # new dataset: DatasetWriter._batch_save_episode_video reads meta.episodes, which is still None.)
    "batch": {"streaming_encoding": False, "batch_encoding_size": 1},
}


def synthetic_frame(episode: int, camera: int, index: int) -> np.ndarray:
    """A distinct, moving 64x48 RGB image per (episode, camera, frame): gradients, a square, noise."""
    rng = np.random.default_rng(1000 * episode + 100 * camera + index)
    y, x = np.mgrid[0:H, 0:W]
    img = np.stack([(x * 4 + index * 3) % 256, (y * 5 + 40 * camera) % 256, np.full_like(x, 60 * episode)], -1)
    top, left = (index * 2) % (H - 12), (index * 3 + 10 * camera) % (W - 12)
    img[top:top + 12, left:left + 12] = (255, 255 - 50 * episode, 40 * camera)
    return np.clip(img + rng.integers(-8, 9, img.shape), 0, 255).astype(np.uint8)


def record(root: Path, *, use_videos: bool, **create_kwargs) -> Path:
    """Write a dataset with LeRobot's own writer, exactly as lerobot-record's loop drives it."""
    from lerobot.datasets import LeRobotDataset

    dtype = "video" if use_videos else "image"
    features = {key: {"dtype": dtype, "shape": (H, W, 3), "names": ["height", "width", "channels"]} for key in CAMERAS}
    features["observation.state"] = {"dtype": "float32", "shape": (2,), "names": ["x", "y"]}
    features["action"] = {"dtype": "float32", "shape": (2,), "names": ["x", "y"]}
    ds = LeRobotDataset.create(
        repo_id=f"local/{root.name}", fps=FPS, features=features, root=root, robot_type="compat",
        use_videos=use_videos, image_writer_threads=0, encoder_threads=1, **create_kwargs,
    )
    for ep, length in enumerate(LENGTHS):
        for i in range(length):
            frame = {key: synthetic_frame(ep, c, i) for c, key in enumerate(CAMERAS)}
            frame["observation.state"] = np.array([i, ep], dtype=np.float32)
            frame["action"] = np.array([ep, i], dtype=np.float32)
            frame["task"] = "move the square"
            ds.add_frame(frame)
        ds.save_episode()
    ds.finalize()
    return root


@pytest.fixture(scope="module", params=list(MODES))
def video_dataset(request, lerobot_video, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lerobot_written") / f"compat_{request.param}"
    return record(root, use_videos=True, rgb_encoder=lerobot_video.RGBEncoderConfig(**ENCODER), **MODES[request.param])


def lerobot_frames(root: Path, episode: int, camera: str, backend: str) -> np.ndarray:
    """LeRobot's own decode of one (episode, camera): its metadata's file and offset, the parquet timestamps."""
    from lerobot.datasets import LeRobotDatasetMetadata
    from lerobot.datasets.video_utils import decode_video_frames

    meta = LeRobotDatasetMetadata(f"local/{root.name}", root=root)
    row = meta.episodes[episode]
    data = pd.read_parquet(root / meta.get_data_file_path(episode))
    timestamps = data.loc[data["episode_index"] == episode, "timestamp"].to_numpy()
    assert len(timestamps) == LENGTHS[episode]
    query = [float(row[f"videos/{camera}/from_timestamp"] + t) for t in timestamps]
    video = root / meta.get_video_file_path(episode, camera)
    frames = decode_video_frames(video, query, meta.features.get("tolerance_s", 1e-4), backend=backend, return_uint8=True)
    return frames.numpy().transpose(0, 2, 3, 1)  # (N, C, H, W) -> (N, H, W, C)


def _ours(root: Path) -> dict[tuple[int, str], np.ndarray]:
    episodes = load_episodes(root)
    assert [(e.episode_index, e.camera) for e in episodes] == [(i, c) for i in range(len(LENGTHS)) for c in CAMERAS]
    return {(e.episode_index, e.camera): np.stack(list(e.iter_frames())) for e in episodes}


def _assert_pixel_equal(ours: dict, root: Path, backend: str) -> None:
    for (episode, camera), frames in ours.items():
        theirs = lerobot_frames(root, episode, camera, backend)
        assert frames.shape == theirs.shape == (LENGTHS[episode], H, W, 3), (episode, camera, frames.shape, theirs.shape)
        bad = [i for i in range(len(frames)) if not np.array_equal(frames[i], theirs[i])]
        assert not bad, f"episode {episode} {camera}: frames {bad} differ from LeRobot's {backend} decode"


def test_lerobot_recorded_video_dataset_reads_pixel_equal(video_dataset):
    _assert_pixel_equal(_ours(video_dataset), video_dataset, "pyav")


@pytest.mark.torchcodec
def test_lerobot_recorded_video_dataset_matches_torchcodec(video_dataset, torchcodec_pkg):
    _assert_pixel_equal(_ours(video_dataset), video_dataset, "torchcodec")


def test_lerobot_recorded_video_dataset_is_healthy(video_dataset):
    for decode in (False, True):
        report = check_health(video_dataset, decode=decode)
        assert report.ok, f"decode={decode}: {report.problems}"
        assert report.frames_expected == len(CAMERAS) * sum(LENGTHS)
        assert report.frames_dropped == 0


def test_lerobot_recorded_video_dataset_keeps_the_encoder(video_dataset):
    """The files really carry the non-default encoder (so the comparison is not of two default encodes)."""
    from lerobot_videobench import get_video_info

    info = __import__("json").loads((video_dataset / "meta" / "info.json").read_text())
    for camera in CAMERAS:
        recorded = info["features"][camera]["info"]
        assert (recorded["video.codec"], recorded["video.g"], recorded["video.crf"]) == ("h264", 4, 28)
        video = next((video_dataset / "videos" / camera).rglob("*.mp4"))
        assert get_video_info(video)["video.codec"] == "h264"


def test_lerobot_recorded_image_dataset_reads_every_episode(lerobot_pkg, tmp_path):
    root = record(tmp_path / "compat_images", use_videos=False)
    ours = _ours(root)
    for (episode, camera), frames in ours.items():
        want = np.stack([synthetic_frame(episode, CAMERAS.index(camera), i) for i in range(LENGTHS[episode])])
        assert np.array_equal(frames, want), f"episode {episode} {camera}: not the frames LeRobot was given"
    # ... and what LeRobot's own reader returns for the same rows.
    dataset = importlib.import_module("lerobot.datasets").LeRobotDataset(f"local/{root.name}", root=root)
    start = 0
    for episode, length in enumerate(LENGTHS):
        for i in (0, length - 1):
            item = dataset[start + i]
            for camera in CAMERAS:
                theirs = np.rint(item[camera].numpy().transpose(1, 2, 0) * 255).astype(np.uint8)
                assert np.array_equal(ours[episode, camera][i], theirs), (episode, camera, i)
        start += length
