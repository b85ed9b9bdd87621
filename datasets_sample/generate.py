"""Generate the built-in sample ``datasets_sample/tabletop``: a small *synthetic* LeRobot v3.0 dataset.

    python datasets_sample/generate.py [--out datasets_sample/tabletop]

Two RGB cameras (``observation.images.top`` 640x480 fixed, ``observation.images.wrist`` 320x240 on the
arm), stored losslessly (HEVC ``gbrp`` with x265 ``lossless=1``) so decoding returns exactly the
generated frames, and a depth camera (``observation.images.top_depth`` 320x240, beside the top camera,
exact depth in mm) stored as LeRobot 0.6 stores depth by default: 12-bit log-quantized ``gray12le`` HEVC,
x265 ``lossless=1`` (``DepthEncoderConfig()``). Two episodes (3.0 s and 2.0 s at 30 fps).
Deterministic: same seed, same frames.
"""

from __future__ import annotations

import argparse
import logging
import time
from functools import partial
from pathlib import Path

from lerobot_videobench.encoding import DepthEncoderConfig
from lerobot_videobench.episodes.synthetic import TabletopScene
from lerobot_videobench.episodes.writer import lossless_encoder_config, write_lerobot_dataset

FPS = 30
EPISODE_SECONDS = (3.0, 2.0)
DEPTH_SIZE = (320, 240)
SCENE = TabletopScene(seed=0, top_size=(640, 480), wrist_size=(320, 240), fps=FPS, noise_sigma=0.25)


def episodes(scene: TabletopScene = SCENE) -> list[dict]:
    """Per episode, camera key -> a callable yielding its frames lazily (memory stays flat)."""
    out = []
    for e, seconds in enumerate(EPISODE_SECONDS):
        n = int(round(seconds * FPS))
        out.append(
            {
                "observation.images.top": partial(scene.frames, "top", n, e),
                "observation.images.wrist": partial(scene.frames, "wrist", n, e),
                "observation.images.top_depth": partial(scene.depth_frames, n, e, DEPTH_SIZE),
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "tabletop")
    parser.add_argument("--preset", default="slow", help="x265 preset (size only: the output is lossless either way)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    t0 = time.perf_counter()
    write_lerobot_dataset(
        args.out, episodes(), FPS, version="v3.0", camera_encoder_config=lossless_encoder_config(args.preset),
        depth_encoder_config=DepthEncoderConfig(),  # LeRobot 0.6's default depth encoder, recorded as such
        task="pick up the blue block (synthetic)", robot_type="synthetic_arm", overwrite=True,
    )
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    logging.info("wrote %s: %.1f MB in %.0f s", args.out, size / 1e6, time.perf_counter() - t0)


if __name__ == "__main__":
    main()
