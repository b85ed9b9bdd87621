"""Fixtures of the compatibility suite: LeRobot's modules (through ``lerobot_pkg``, which skips, or fails
under ``VB_REQUIRE_LEROBOT=1``, when lerobot is absent) and small real frames from the shared clips."""

from __future__ import annotations

import importlib
import logging

import av
import numpy as np
import pytest


@pytest.fixture(scope="session")
def lerobot_video(lerobot_pkg):
    """``lerobot.configs.video`` (RGBEncoderConfig, ...) with LeRobot's informational logging quietened."""
    logging.getLogger("lerobot").setLevel(logging.ERROR)
    return importlib.import_module("lerobot.configs.video")


@pytest.fixture(scope="session")
def lerobot_video_utils(lerobot_pkg):
    """``lerobot.datasets.video_utils`` (encode_video_frames, StreamingVideoEncoder, decode_video_frames)."""
    return importlib.import_module("lerobot.datasets.video_utils")


@pytest.fixture(scope="session")
def real_frames(shared_data) -> np.ndarray:
    """20 frames of the real SO-101 wrist clip, centre-cropped to 320x240 (real content, short encodes)."""
    clip = shared_data / "so101_wrist_chess" / "episode_000000.mp4"
    if not clip.is_file():
        pytest.skip(f"real clip not available: {clip}")
    frames = []
    with av.open(str(clip)) as container:
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24")[120:360, 160:480])
            if len(frames) == 20:
                break
    return np.ascontiguousarray(np.stack(frames))
