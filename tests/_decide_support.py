"""Shared fixtures for the decide tests: one tiny textured episode and sweeps measured once per session."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lerobot_videobench.bench.runner import run_sweep
from lerobot_videobench.bench.trial import MeasureSettings
from lerobot_videobench.episodes import Episode, episode_from_arrays

#: Cheap measurement for the search tests (sweep and search must use the same settings to share keys).
QUICK = MeasureSettings(access_samples=2, png_samples=0)
#: LeRobot's default (libsvtav1 crf30 g2 p12) plus a few crfs, and h264 for a second curve.
DECIDE_GRID = {
    "vcodec": ["libsvtav1", "h264"],
    "crf": {"libsvtav1": [20, 30, 40, 50], "h264": [18, 23, 28, 33]},
    "g": [2],
    "preset": {"libsvtav1": [12]},
}
SEARCH_RANGE = (10, 50)

_cache: dict[str, object] = {}


def textured_frames(n: int = 10, h: int = 48, w: int = 64, seed: int = 0) -> list[np.ndarray]:
    """Smooth moving pattern plus a sliding noise texture: enough detail for crf to matter."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    tex = rng.normal(0, 20, (h, w * 2, 3))
    out = []
    for i in range(n):
        base = np.stack([128 + 80 * np.sin((xx + 2 * i) / (6 + c)) * np.cos((yy + i) / (8 + c)) for c in range(3)], -1)
        base += tex[:, 2 * i : 2 * i + w]
        out.append(np.clip(base, 0, 255).astype(np.uint8))
    return out


def episode() -> Episode:
    if "episode" not in _cache:
        _cache["episode"] = episode_from_arrays(textured_frames(), fps=30, camera="observation.images.top")
    return _cache["episode"]  # type: ignore[return-value]


def failures(store: Path, summary) -> list[str]:
    """The failed trials of ``summary`` in ``store``, as ``label: status: error`` (for assertion messages)."""
    from lerobot_videobench.bench import load_results

    df = load_results(store)
    bad = df[df["key"].isin(summary.keys) & (df["status"] != "ok")]
    return [f"{r.label}: {r.status}: {r.error}" for r in bad.itertuples()]


def decide_store(tmp_path_factory) -> Path:
    """The DECIDE_GRID sweep (default MeasureSettings, as the CLI would), measured once per session."""
    if "decide" not in _cache:
        path = tmp_path_factory.mktemp("decide") / "results.sqlite"
        summary = run_sweep(episode(), DECIDE_GRID, path, workers=2, keep_videos=False)
        assert summary.failed == 0, failures(path, summary)
        _cache["decide"] = path
    return _cache["decide"]  # type: ignore[return-value]


def search_store(tmp_path_factory) -> Path:
    """Every integer libsvtav1 crf of SEARCH_RANGE (QUICK settings): the full grid a search must match."""
    if "search" not in _cache:
        path = tmp_path_factory.mktemp("search") / "grid.sqlite"
        grid = {"vcodec": ["libsvtav1"], "crf": list(range(SEARCH_RANGE[0], SEARCH_RANGE[1] + 1)), "g": [2]}
        summary = run_sweep(episode(), grid, path, workers=2, settings=QUICK, keep_videos=False)
        assert summary.failed == 0, failures(path, summary)
        _cache["search"] = path
    return _cache["search"]  # type: ignore[return-value]
