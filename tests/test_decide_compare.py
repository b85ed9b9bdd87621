"""BD-rate / BD-quality: sign sanity on constructed curves, real codecs, and the warnings that matter."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from _decide_support import decide_store

from lerobot_videobench.bench.store import load_results
from lerobot_videobench.decide.compare import bd_rate, build_curves

RATES = [100.0, 200.0, 400.0, 800.0, 1600.0]
PSNR = [30.0, 33.0, 35.5, 37.5, 39.0]


def _rows(vcodec: str, rates: list[float], quality: list[float], *, g: int = 2, preset=None,
          metric: str = "psnr_mean", episode: str = "ep") -> list[dict]:
    return [
        {"status": "ok", "label": f"{vcodec} crf{i} g{g} p{preset}", "config.vcodec": vcodec, "config.g": g,
         "config.crf": i, "config.preset": preset, "bitrate_kbps": r, "bytes_per_frame": r * 1000 / 8 / 30,
         metric: q, "source_fingerprint": episode}
        for i, (r, q) in enumerate(zip(rates, quality))
    ]


def _df(*groups: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([row for g in groups for row in g])


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return load_results(decide_store(tmp_path_factory))


@pytest.mark.parametrize("factor", [0.8, 1.25])
def test_bd_rate_sign_and_size_on_scaled_curves(factor):
    df = _df(_rows("base", RATES, PSNR), _rows("test", [r * factor for r in RATES], PSNR))
    (res,) = bd_rate(df, baseline={"vcodec": "base"})
    assert res.bd_rate_pct == pytest.approx((factor - 1) * 100, abs=1e-6)
    assert (res.bd_quality > 0) == (factor < 1)  # fewer bits at equal quality = more quality at equal bits
    assert res.test == "vcodec=test" and res.warning is None


def test_bd_quality_of_a_shifted_curve():
    df = _df(_rows("base", RATES, PSNR), _rows("test", RATES, [q + 0.5 for q in PSNR]))
    (res,) = bd_rate(df, baseline="base", method="pchip")
    assert res.bd_quality == pytest.approx(0.5, abs=1e-6) and res.bd_rate_pct < 0


def test_curve_against_itself_is_zero(results):
    (res,) = bd_rate(results, baseline="vcodec=libsvtav1,preset=12", test={"vcodec": "libsvtav1", "preset": 12},
                     group_by=("vcodec", "preset"))
    assert res.bd_rate_pct == pytest.approx(0, abs=1e-9) and res.bd_quality == pytest.approx(0, abs=1e-9)
    assert res.n_baseline == res.n_test == 4


@pytest.mark.parametrize("metric,rate", [("psnr_mean", "bitrate_kbps"), ("ssim_mean", "bytes_per_frame"),
                                         ("ssim_p5", "bitrate_kbps")])
def test_h264_against_svt_is_finite(results, metric, rate):
    (res,) = bd_rate(results, baseline={"vcodec": "libsvtav1"}, metric=metric, rate=rate)
    assert res.test == "vcodec=h264" and math.isfinite(res.bd_rate_pct) and math.isfinite(res.bd_quality)
    assert res.quality_overlap is not None and 0 < res.quality_overlap_fraction <= 1
    assert res.bd_quality_name.startswith("BD-")
    json.dumps(res.to_dict(), allow_nan=False)


def test_non_overlapping_curves_warn_and_give_null():
    df = _df(_rows("base", RATES, PSNR), _rows("test", RATES, [q + 20 for q in PSNR]))
    (res,) = bd_rate(df, baseline={"vcodec": "base"})
    assert math.isnan(res.bd_rate_pct) and "do not overlap" in res.warning
    assert math.isfinite(res.bd_quality)  # the rates still overlap
    data = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert data["bd_rate_pct"] is None and data["quality_overlap"] is None


def test_weak_comparisons_are_flagged():
    small = _df(_rows("base", RATES, PSNR), _rows("test", RATES[:3], [q + 6 for q in PSNR[:3]], episode="other"))
    (res,) = bd_rate(small, baseline="base")
    assert "small psnr_mean overlap" in res.warning
    assert "only 3 point(s)" in res.warning
    assert "different episodes" in res.warning
    mixed = _df(_rows("base", RATES, PSNR), _rows("base", RATES, [q - 1 for q in PSNR], g=10),
                _rows("test", RATES, PSNR))
    (res,) = bd_rate(mixed, baseline="base")
    assert "mixes configurations differing in ['g']" in res.warning
    curves = build_curves(mixed, ("vcodec", "g"))
    assert [c.label for c in curves] == ["vcodec=base g=10", "vcodec=base g=2", "vcodec=test g=2"]


def test_bad_inputs(results):
    with pytest.raises(ValueError, match="metric"):
        bd_rate(results, baseline="libsvtav1", metric="vmaf")
    with pytest.raises(ValueError, match="rate"):
        bd_rate(results, baseline="libsvtav1", rate="bytes")
    with pytest.raises(ValueError, match="method"):
        bd_rate(results, baseline="libsvtav1", method="linear")
    with pytest.raises(ValueError, match=r"baseline.*matches no curve"):
        bd_rate(results, baseline={"vcodec": "hevc"})
    with pytest.raises(ValueError, match="not grouped on"):
        bd_rate(results, baseline={"vcodec": "libsvtav1", "g": 2})
    with pytest.raises(ValueError, match="group_by"):
        bd_rate(results, baseline="libsvtav1", group_by=("colour",))
    with pytest.raises(ValueError, match="test"):
        bd_rate(results, baseline="libsvtav1", test="vcodec=hevc")
