"""Fixtures shared by every test module: where the real clips are, and the real LeRobot when present."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Real robot-camera clips beside the checkout (../shared/data); never copied into the project.
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real clips folder, or a clean skip when this checkout has no ../shared beside it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real clips not available: {SHARED_DATA} does not exist")
    return SHARED_DATA


#: Set by .ci/run's compatibility stage: a missing lerobot is then a failure, never a silent skip.
REQUIRE_LEROBOT = os.environ.get("VB_REQUIRE_LEROBOT", "") not in ("", "0")


def lerobot_available() -> bool:
    return importlib.util.find_spec("lerobot") is not None


@pytest.fixture(scope="session")
def lerobot_pkg():
    """The real ``lerobot`` package (0.6.x), or a skip that says how to get it.

    With ``VB_REQUIRE_LEROBOT=1`` (CI's compatibility stage) a missing or unimportable lerobot fails.
    """
    how = "Python >= 3.12: pip install 'lerobot[dataset]==0.6.1'"
    try:
        import lerobot
    except ImportError as exc:
        if REQUIRE_LEROBOT:
            pytest.fail(f"VB_REQUIRE_LEROBOT is set but lerobot does not import ({exc}); {how}")
        pytest.skip(f"the real lerobot package is not installed ({how})")
    return lerobot


# ------------------------------------------------------------------------------------------ built data
#: Camera keys of the tiny widget dataset.
TOP, WRIST = "observation.images.top", "observation.images.wrist"


def panned_frames(n: int, seed: int, h: int = 48, w: int = 64):
    """Panned sine texture plus noise: moves, so encoders have work and frames differ."""
    import numpy as np

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0 : w + 3 * n].astype(np.float32)
    tex = np.stack([128 + 80 * np.sin(xx / (5 + c)) * np.cos(yy / 4 + c) for c in range(3)], axis=-1)
    img = np.clip(tex + rng.normal(0, 8, tex.shape), 0, 255).astype(np.uint8)
    return [img[:, 3 * i : 3 * i + w].copy() for i in range(n)]


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A LeRobot v3.0 dataset written once per session: 2 episodes x 2 cameras x 12 frames of 64x48 at 10 fps
    (lossless, so quality figures are relative to the true frames). Read it; never write into it."""
    from lerobot_videobench.episodes import write_lerobot_dataset
    from lerobot_videobench.episodes.writer import lossless_encoder_config

    root = tmp_path_factory.mktemp("ds") / "tiny"
    episodes = [{TOP: panned_frames(12, 10 * e), WRIST: panned_frames(12, 10 * e + 1)} for e in range(2)]
    write_lerobot_dataset(root, episodes, 10, camera_encoder_config=lossless_encoder_config())
    return root


@pytest.fixture(scope="session")
def frame_cache(tmp_path_factory: pytest.TempPathFactory):
    """A frame cache private to this test session, also set as ``$LEROBOT_VIDEOBENCH_CACHE`` so nothing
    reads or writes the user's ~/.cache."""
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEROBOT_VIDEOBENCH_CACHE", str(cache))
        yield cache

@pytest.fixture(scope="session")
def torchcodec_pkg():
    """``torchcodec`` (LeRobot's default training decoder; needs FFmpeg's shared libraries), or a skip.

    With ``VB_REQUIRE_LEROBOT=1`` it must import: CI's compatibility stage installs Debian's ffmpeg.
    """
    try:
        import torchcodec
        from torchcodec.decoders import VideoDecoder  # noqa: F401  (loads the FFmpeg libraries)
    except (ImportError, OSError, RuntimeError) as exc:
        if REQUIRE_LEROBOT:
            pytest.fail(f"VB_REQUIRE_LEROBOT is set but torchcodec does not load ({exc}); apt-get install ffmpeg")
        pytest.skip(f"torchcodec is not usable here ({exc})")
    return torchcodec


@pytest.fixture
def tmpfs(tmp_path):
    """Factory ``tmpfs(size="256k", files=None, read_only=False) -> Path``: a fresh tmpfs mount (a really
    full or read-only filesystem for the disk-full and read-only tests); skips where mounting is not
    permitted. ``files`` (name -> bytes) are written before a read-only remount. Unmounted afterwards."""
    import subprocess

    mounts: list[Path] = []

    def make(size: str = "256k", files: dict[str, bytes] | None = None, read_only: bool = False) -> Path:
        point = tmp_path / f"mnt{len(mounts)}"
        point.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
                              capture_output=True, text=True)
        if done.returncode:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounts.append(point)
        for name, data in (files or {}).items():
            (point / name).write_bytes(data)
        if read_only:
            subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)
        return point

    yield make
    for point in reversed(mounts):
        subprocess.run(["umount", "-l", str(point)], capture_output=True)
