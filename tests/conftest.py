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


@pytest.fixture(scope="session")
def torchcodec_pkg():
    """torchcodec (LeRobot's default training decoder), or a skip that says how to get it."""
    from lerobot_videobench.encoding.decoders import decoder_available

    if not decoder_available("torchcodec", load=True):
        pytest.skip("torchcodec is not usable here: pip install 'lerobot-videobench[torchcodec]'")
    import torchcodec

    return torchcodec
