"""Depth datasets that LeRobot 0.6.1's own writer recorded (``LeRobotDataset.create`` with a depth feature,
``add_frame``, ``save_episode``, ``finalize``): video storage (its 12-bit quantized ``gray12le`` HEVC,
default and custom quantizers, batch and streaming encoding) and image storage (TIFF cells in the data
parquet), depth given in mm (``uint16``) and in m (``float32``).

Our ``load_episodes(kind="depth")`` must return, for every frame, the depth LeRobot itself returns
(``LeRobotDataset(...)[i][key]``, in mm, its default ``depth_output_unit``): bit-equal for video and mm
images, and LeRobot's float ``m * 1000`` rounded to the millimetre for metre images. The describe and
health views must report what was recorded. Frames are small synthetic 64x48 depth maps.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from lerobot_videobench import check_health, describe_source, load_episodes

pytestmark = pytest.mark.lerobot

FPS = 30
LENGTHS = (7, 4)
H, W = 48, 64
RGB, DEPTH = "observation.images.front", "observation.images.front_depth"


def depth_frame(episode: int, index: int, unit: str) -> np.ndarray:
    """A tilted plane, a moving box with sharp edges, a far wall strip, invalid zeros; HxWx1 as a camera gives."""
    rng = np.random.default_rng(100 * episode + index)
    y, x = np.mgrid[0:H, 0:W]
    d = 500.0 + 6.0 * x + 3.0 * y + 40 * episode
    d[:8] = 3200.0
    left = (3 * index + 5 * episode) % (W - 16)
    d[20:34, left:left + 16] = 350.0 + index
    d[:, :2] = 0.0
    d[rng.random((H, W)) < 0.02] = 0.0
    mm = np.rint(d).astype(np.uint16)
    return (mm if unit == "mm" else (mm / 1000.0).astype(np.float32))[..., None]


def record(root: Path, *, use_videos: bool, unit: str, **create_kwargs) -> Path:
    from lerobot.datasets import LeRobotDataset

    dtype = "video" if use_videos else "image"
    names = ["height", "width", "channels"]
    features = {
        RGB: {"dtype": dtype, "shape": (H, W, 3), "names": names},
        # what hw_to_dataset_features makes of a (H, W, 1) camera
        DEPTH: {"dtype": dtype, "shape": (H, W, 1), "names": names, "info": {"is_depth_map": True}},
        "observation.state": {"dtype": "float32", "shape": (2,), "names": ["x", "y"]},
    }
    ds = LeRobotDataset.create(
        repo_id=f"local/{root.name}", fps=FPS, features=features, root=root, robot_type="compat",
        use_videos=use_videos, image_writer_threads=0, encoder_threads=1, **create_kwargs,
    )
    for ep, length in enumerate(LENGTHS):
        for i in range(length):
            ds.add_frame({
                RGB: np.full((H, W, 3), 10 * i + 50 * ep, np.uint8),
                DEPTH: depth_frame(ep, i, unit),
                "observation.state": np.array([i, ep], dtype=np.float32),
                "task": "look at the box",
            })
        ds.save_episode()
    ds.finalize()
    return root


def lerobot_depth(root: Path) -> dict[int, list[np.ndarray]]:
    """LeRobot's own read of every depth frame: ``dataset[i][DEPTH]`` (1, H, W) in mm, per episode."""
    from lerobot.datasets import LeRobotDataset

    ds = LeRobotDataset(f"local/{root.name}", root=root)
    assert ds.depth_output_unit == "mm"
    out: dict[int, list[np.ndarray]] = {}
    for i in range(len(ds)):
        item = ds[i]
        out.setdefault(int(item["episode_index"]), []).append(item[DEPTH].numpy()[0])
    return out


CASES = {
    "video-mm": {"use_videos": True, "unit": "mm"},
    "video-m": {"use_videos": True, "unit": "m"},
    "video-streaming-mm": {"use_videos": True, "unit": "mm", "create": {"streaming_encoding": True,
                                                                        "encoder_queue_maxsize": 64}},
    "video-linear-mm": {"use_videos": True, "unit": "mm", "depth": {"depth_min": 0.2, "depth_max": 4.0,
                                                                    "shift": 0.0, "use_log": False}},
    "image-mm": {"use_videos": False, "unit": "mm"},
    "image-m": {"use_videos": False, "unit": "m"},
}


@pytest.fixture(scope="module", params=list(CASES))
def recorded(request, lerobot_pkg, tmp_path_factory):
    logging.getLogger("lerobot").setLevel(logging.ERROR)
    case = dict(CASES[request.param])
    kwargs = dict(case.pop("create", {}))
    if "depth" in case:
        from lerobot.configs.video import DepthEncoderConfig

        kwargs["depth_encoder"] = DepthEncoderConfig(**case.pop("depth"))
    root = tmp_path_factory.mktemp("lerobot_depth") / f"depth_{request.param.replace('-', '_')}"
    record(root, use_videos=case["use_videos"], unit=case["unit"], **kwargs)
    return request.param, CASES[request.param], root


def test_our_depth_equals_lerobots(recorded):
    name, case, root = recorded
    theirs = lerobot_depth(root)
    ours = load_episodes(root, kind="depth")
    assert [e.key for e in ours] == [f"ep{i}/{DEPTH}" for i in range(len(LENGTHS))]
    for e in ours:
        assert e.depth.source_unit == case["unit"] and e.lossy is case["use_videos"]
        got = list(e.iter_frames())
        want = theirs[e.episode_index]
        assert len(got) == len(want) == LENGTHS[e.episode_index]
        for i, (a, b) in enumerate(zip(got, want)):
            assert a.dtype == np.uint16 and a.shape == (H, W)
            if case["use_videos"] or case["unit"] == "mm":
                np.testing.assert_array_equal(a, b, err_msg=f"{name} {e.key} frame {i}")
            else:  # LeRobot returns float m * 1000; we hold whole millimetres
                assert np.abs(a.astype(np.float64) - b).max() <= 0.5 + 1e-3, f"{name} {e.key} frame {i}"
            if not case["use_videos"]:  # image storage is exact: the recorded depth itself
                np.testing.assert_array_equal(
                    a, np.rint(depth_frame(e.episode_index, i, "mm")[..., 0]).astype(np.uint16))
    # the RGB camera is untouched by the depth filter, and the default stays RGB
    assert [e.camera for e in load_episodes(root, episodes=0)] == [RGB]


def test_describe_and_health_of_lerobot_depth(recorded):
    name, case, root = recorded
    cam = {c.key: c for c in describe_source(root).cameras}[DEPTH]
    assert (cam.kind, cam.depth_unit) == ("depth", case["unit"])
    if case["use_videos"]:
        want = case.get("depth") or {"depth_min": 0.01, "depth_max": 10.0, "shift": 3.5, "use_log": True}
        assert cam.depth_quantizer == want and (cam.codec, cam.pix_fmt) == ("hevc", "gray12le")
    else:
        assert cam.depth_quantizer is None and cam.codec == "tiff"
    report = check_health(root)
    assert report.ok, report.problems
    assert DEPTH in report.cameras and report.depth[DEPTH]["depth_unit"] == case["unit"]
    # LeRobot's DepthEncoderConfig records preset=null itself: no "merged datasets" note
    assert not any(DEPTH in n and "null" in n for n in report.notes), report.notes
