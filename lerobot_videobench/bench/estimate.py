"""How long a sweep will take, said before it starts: from the pace of trials already in the store."""

from __future__ import annotations

import os
from pathlib import Path


def seconds_per_frame(store: str | os.PathLike) -> float | None:
    """Median measured seconds per frame of the store's successful trials (encode, decode, metrics and
    load-time sampling together), or None when the store has none to learn from."""
    path = Path(store)
    if not path.is_file():
        return None
    from .store import load_results

    try:
        results = load_results(path)
    except (OSError, ValueError):
        return None
    if results is None or not len(results) or "duration_s" not in results or "frames" not in results:
        return None
    ok = results[(results.get("status") == "ok") & (results["frames"] > 0)] if "status" in results else results
    if not len(ok):
        return None
    pace = (ok["duration_s"].astype(float) / ok["frames"].astype(float)).dropna()
    return float(pace.median()) if len(pace) else None


def estimate_sweep_s(store: str | os.PathLike, trials: int, frames_per_trial: int, workers: int = 1) -> float | None:
    """Estimated wall seconds of ``trials`` new trials of ``frames_per_trial`` frames on ``workers``
    parallel workers, at the pace of the store's past trials (None when there is no pace to go by)."""
    pace = seconds_per_frame(store)
    if pace is None or trials <= 0:
        return None
    return pace * trials * max(1, frames_per_trial) / max(1, workers)
