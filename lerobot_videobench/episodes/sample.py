"""The built-in sample: a small synthetic LeRobot v3.0 dataset in ``datasets_sample/`` so the workbench
runs out of the box. ``sample`` names the default dataset, ``sample:<name>`` another folder there.

The folder is found from ``$LEROBOT_VIDEOBENCH_SAMPLE_DIR`` or next to the package (the repository is
installed editable, so ``<repo>/datasets_sample``).
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_SAMPLE = "tabletop"
SAMPLE_ENV = "LEROBOT_VIDEOBENCH_SAMPLE_DIR"


def sample_dir() -> Path:
    """The folder holding the sample datasets."""
    env = os.environ.get(SAMPLE_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "datasets_sample"


def available_samples() -> list[str]:
    """Names of the sample datasets present (folders with ``meta/info.json``)."""
    root = sample_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "meta" / "info.json").is_file())


def is_sample(source: str) -> bool:
    return source == "sample" or source.startswith("sample:")


def sample_path(source: str = "sample") -> Path:
    """The dataset folder that ``sample`` or ``sample:<name>`` names; a clear error when absent."""
    name = source.split(":", 1)[1] if ":" in source else DEFAULT_SAMPLE
    path = sample_dir() / name
    if not (path / "meta" / "info.json").is_file():
        have = available_samples()
        if name != DEFAULT_SAMPLE or have:
            raise ValueError(f"sample {name!r} not found in {sample_dir()}; available: {have}")
        raise FileNotFoundError(
            f"the built-in sample is missing from {sample_dir()}: run `python datasets_sample/generate.py` "
            f"or set {SAMPLE_ENV}"
        )
    return path
