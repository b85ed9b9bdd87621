"""Target-quality search: same answer as the full crf grid with fewer encodes, store reuse, edge cases."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _decide_support import QUICK, SEARCH_RANGE, episode, search_store

from lerobot_videobench.bench.store import load_results
from lerobot_videobench.decide.search import SearchResult, find_crossing, search_crf
from lerobot_videobench.encoding import VideoEncoderConfig


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """(store path, {crf: row}) of the full integer crf grid SEARCH_RANGE measured by a sweep."""
    path = search_store(tmp_path_factory)
    df = load_results(path)
    assert len(df) == SEARCH_RANGE[1] - SEARCH_RANGE[0] + 1
    return path, {int(r["config.crf"]): r for _, r in df.iterrows()}


def _truth(rows: dict, column: str, target: float) -> int | None:
    return max((c for c, r in rows.items() if r[column] >= target), default=None)


def _check_local(result: SearchResult, rows: dict) -> None:
    """What the search promises: q(crf) >= target and q(crf + 1) < target (or crf is the top)."""
    q = {c: r[result.column] for c, r in rows.items()}
    assert q[result.crf] >= result.target
    assert result.crf == result.crf_range[1] or q[result.crf + 1] < result.target


@pytest.mark.parametrize("metric,stat,quantile", [("ssim", "mean", 0.5), ("psnr", "p5", 0.3), ("ssim", "p5", 0.8)])
def test_search_matches_full_grid_with_fewer_encodes(grid, tmp_path, metric, stat, quantile):
    _, rows = grid
    column = f"{metric}_{stat}"
    values = sorted(r[column] for r in rows.values())
    target = float(values[int(quantile * (len(values) - 1))]) - 1e-9  # a measured level: an exact crossing
    truth = _truth(rows, column, target)
    result = search_crf(episode(), crf_range=SEARCH_RANGE, store=tmp_path / "fresh.sqlite", settings=QUICK,
                        stat=stat, **{f"target_{metric}": target})
    assert result.found and result.crf == truth
    assert result.full_grid_encodes == SEARCH_RANGE[1] - SEARCH_RANGE[0] + 1
    assert 0 < result.encodes < result.full_grid_encodes / 3
    assert result.encodes == len(result.probes) and not any(p.from_cache for p in result.probes)
    assert result.quality == pytest.approx(rows[truth][column])  # measured again, same encoder: same figure
    assert result.config == VideoEncoderConfig(vcodec="libsvtav1", crf=truth, g=2)
    _check_local(result, rows)
    json.dumps(result.to_dict(), allow_nan=False)


def test_search_reuses_its_store_and_a_sweeps(grid, tmp_path):
    path, rows = grid
    target = float(rows[35]["ssim_mean"])
    store = tmp_path / "s.sqlite"
    first = search_crf(episode(), target_ssim=target, crf_range=SEARCH_RANGE, store=store, settings=QUICK)
    again = search_crf(episode(), target_ssim=target, crf_range=SEARCH_RANGE, store=store, settings=QUICK)
    assert first.encodes > 0 and again.encodes == 0 and again.crf == first.crf
    assert all(p.from_cache for p in again.probes)
    # Another target reuses what the first search stored.
    other = search_crf(episode(), target_ssim=float(rows[30]["ssim_mean"]), crf_range=SEARCH_RANGE, store=store,
                       settings=QUICK)
    assert other.cached > 0
    # The sweep's store already holds every crf: the search brackets from it without encoding.
    from_sweep = search_crf(episode(), target_ssim=target, crf_range=SEARCH_RANGE, store=path, settings=QUICK)
    assert from_sweep.encodes == 0 and from_sweep.crf == _truth(rows, "ssim_mean", target)
    assert len(load_results(path)) == len(rows)  # nothing new written


def test_unreachable_target_says_best_quality(grid):
    path, rows = grid
    best = max(r["ssim_mean"] for r in rows.values())
    result = search_crf(episode(), target_ssim=0.999, crf_range=SEARCH_RANGE, store=path, settings=QUICK)
    assert not result.found and result.crf is None and result.config is None
    assert "unreachable" in result.message and f"{best:.5g}" in result.message
    assert result.encodes == 0


def test_trivially_met_target_returns_top_of_range(grid):
    path, _ = grid
    result = search_crf(episode(), target_ssim=0.1, crf_range=SEARCH_RANGE, store=path, settings=QUICK)
    assert result.found and result.crf == SEARCH_RANGE[1] and "trivially" in result.message


def test_search_without_store_runs_in_memory():
    result = search_crf(episode(), target_psnr=1.0, crf_range=(60, 63), settings=QUICK)
    assert result.found and result.crf == 63 and result.encodes >= 1


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({}, "target_ssim"),
        ({"target_ssim": 0.9, "target_psnr": 30}, "target_ssim"),
        ({"target_ssim": 1.5}, "target_ssim"),
        ({"target_psnr": -3}, "target_psnr"),
        ({"target_ssim": 0.9, "stat": "median"}, "stat"),
        ({"target_ssim": 0.9, "crf_range": (40, 10)}, "crf_range"),
        ({"target_ssim": 0.9, "crf_range": (0, 40)}, "crf_range"),
        ({"target_ssim": 0.9, "vcodec": "h264", "crf_range": (10, 60)}, "crf_range"),
        ({"target_ssim": 0.9, "g": 0}, "g="),
        ({"target_ssim": 0.9, "encoder_threads": 0}, "encoder_threads"),
    ],
)
def test_bad_inputs_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        search_crf(episode(), **kwargs)
    with pytest.raises(ValueError, match="episodes"):
        search_crf([], target_ssim=0.9)


def test_crossing_is_robust_to_noise_and_cheap():
    """On noisy, non-monotonic curves the answer is always a verified crossing, in few probes."""
    rng = np.random.default_rng(0)
    crfs = np.arange(0, 64)
    for trial in range(30):
        curve = 1 - (crfs / 63) ** rng.uniform(0.7, 3) * rng.uniform(0.2, 0.6) + rng.normal(0, 0.004, crfs.size)
        calls: list[int] = []

        def probe(c: int, curve=curve, calls=calls) -> float:
            calls.append(c)
            return float(curve[c])

        target = float(rng.uniform(curve.min(), curve.max()))
        crf = find_crossing(probe, target, 0, 63, start=30)
        assert crf is not None and curve[crf] >= target and (crf == 63 or curve[crf + 1] < target)
        assert len(set(calls)) <= 12, (trial, sorted(set(calls)))
    assert find_crossing(lambda c: 0.5, 0.9, 0, 63, start=30) is None
    assert find_crossing(lambda c: 0.95, 0.9, 0, 63, start=30) == 63
