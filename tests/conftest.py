"""Fixtures shared by every test module: where the real clips are, and the real LeRobot when present."""

from __future__ import annotations

import importlib.util
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


def lerobot_available() -> bool:
    return importlib.util.find_spec("lerobot") is not None


@pytest.fixture(scope="session")
def lerobot_pkg():
    """The real ``lerobot`` package (0.6.x), or a skip that says how to get it."""
    if not lerobot_available():
        pytest.skip("the real lerobot package is not installed (Python >= 3.12: pip install 'lerobot[dataset]==0.6.1')")
    import lerobot

    return lerobot


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
