"""LeRobot's training decode paths (pyav here; torchcodec in tests/compat) and decode hazards in trials."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from _episodes_support import tiny_frames
from lerobot_videobench.bench import MeasureSettings, TrialSpec, load_results, measure_random_access, run_sweep, summarize
from lerobot_videobench.bench.access import ACCESS_PATTERNS, query_plan
from lerobot_videobench.bench.trial import run_trial
from lerobot_videobench.encoding import VideoEncoderConfig, encode_video_frames, iter_video_frames
from lerobot_videobench.encoding.decoders import FrameTimestampError, decode_frames, default_decoder, decoder_available
from lerobot_videobench.episodes import episode_from_arrays
from lerobot_videobench.errors import InvalidValueError

#: x265 defaults at g=10: open GOPs lose the frames before each keyframe after a seek (reproduces at 64x48).
HEVC_OPEN_GOP = VideoEncoderConfig(vcodec="hevc", g=10, crf=28)
HEVC_FIXED = VideoEncoderConfig(vcodec="hevc", g=10, crf=28, extra_options={"bf": 0, "x265-params": "open-gop=0"})


def _episode(seed: int = 3, n: int = 60, index: int = 0):
    return episode_from_arrays(tiny_frames(n, seed), fps=30, camera="observation.images.top", episode_index=index)


@pytest.fixture(scope="module")
def encodes(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("decoders")
    frames = tiny_frames(60, 3)
    paths = {}
    for name, config in (("h264", VideoEncoderConfig(vcodec="h264", g=10, crf=23)), ("hevc_open", HEVC_OPEN_GOP),
                         ("hevc_fixed", HEVC_FIXED)):
        paths[name] = out / f"{name}.mp4"
        encode_video_frames(frames, paths[name], 30, config, None, overwrite=True)
    return paths


def test_default_decoder_is_lerobots_rule() -> None:
    assert default_decoder() == ("torchcodec" if decoder_available("torchcodec") else "pyav")
    assert MeasureSettings().decoder == default_decoder()


def test_pyav_returns_the_sequentially_decoded_frames(encodes) -> None:
    seq = list(iter_video_frames(encodes["h264"]))
    for indices in ([0], [7], [20, 25], [54, 55, 56, 57, 58, 59]):
        got = decode_frames(encodes["h264"], [i / 30 for i in indices], backend="pyav")
        assert got.frames.shape == (len(indices), 3, 48, 64)  # LeRobot's (N, C, H, W) uint8
        assert all(np.array_equal(got.hwc(k), seq[i]) for k, i in enumerate(indices))
        assert all(abs(t - i / 30) < 1e-4 for t, i in zip(got.timestamps, indices))


def test_pyav_raises_lerobots_error_out_of_tolerance(encodes) -> None:
    with pytest.raises(FrameTimestampError):
        decode_frames(encodes["h264"], [0.5 / 30], backend="pyav")  # between two frames
    with pytest.raises(InvalidValueError, match="decoder='nope'"):
        decode_frames(encodes["h264"], [0.0], backend="nope")


def test_measure_random_access_counts_failed_queries(encodes) -> None:
    good = measure_random_access(encodes["h264"], 60, 30, 10, 1337, backend="pyav")
    assert set(good) == set(ACCESS_PATTERNS)
    assert all(set(s) == {"p50", "p95", "mean", "failed"} and s["failed"] == 0 and s["p50"] > 0 for s in good.values())
    bad = measure_random_access(encodes["hevc_open"], 60, 30, 10, 1337, backend="pyav")
    assert sum(s["failed"] for s in bad.values()) > 0
    fixed = measure_random_access(encodes["hevc_fixed"], 60, 30, 10, 1337, backend="pyav")
    assert sum(s["failed"] for s in fixed.values()) == 0


def test_query_plan_is_deterministic_and_in_range() -> None:
    a, b = query_plan(60, 5, 1337), query_plan(60, 5, 1337)
    assert a == b and a != query_plan(60, 5, 1)
    assert all(0 <= i < 60 for qs in a.values() for q in qs for i in q)
    assert [len(q) for q in a["6_frames"]] == [6] * 5


def test_trial_finds_the_open_gop_hazard_and_names_the_remedy() -> None:
    settings = MeasureSettings(decoder="pyav", access_samples=10, png_samples=0)
    bad = run_trial(_episode(), TrialSpec(HEVC_OPEN_GOP), settings=settings)
    assert bad.ok and bad.decode_ok is False and bad.decoder == "pyav"
    assert bad.decode_issue.startswith("pyav: ") and "frames lost after a seek" in bad.decode_issue
    assert 'open-gop=0' in bad.decode_issue
    assert bad.load_ms["1_frame"]["failed"] + bad.load_ms["6_frames"]["failed"] > 0
    good = run_trial(_episode(), TrialSpec(HEVC_FIXED), settings=settings)
    assert good.ok and good.decode_ok is True and good.decode_issue is None


def test_decoder_setting_is_validated_and_part_of_the_key() -> None:
    with pytest.raises(InvalidValueError, match="allowed"):
        MeasureSettings(decoder="opencv")
    assert MeasureSettings(decoder="pyav").to_dict()["decoder"] == "pyav"


def test_hazards_are_columns_and_out_of_decisions(tmp_path: Path) -> None:
    """A hazard (smaller than everything else) is shown in the table but never recommended or on a front."""
    from lerobot_videobench.decide.pareto import pareto_front, recommend

    grid = {"vcodec": ["libsvtav1", "hevc"], "g": [10], "crf": {"libsvtav1": [30], "hevc": [28]},
            "preset": {"libsvtav1": [12]}}
    eps = [_episode(3), _episode(4, index=1)]
    store = tmp_path / "r.sqlite"
    run_sweep(eps, grid, store, workers=1, settings=MeasureSettings(decoder="pyav", access_samples=10, png_samples=0))
    df = load_results(store)
    assert {"decoder", "decode_ok", "decode_issue"} <= set(df.columns)
    hevc = df[df["config.vcodec"] == "hevc"]
    assert not hevc["decode_ok"].any() and hevc["decode_issue"].str.contains("pyav").all()
    table = summarize(df)
    assert dict(zip(table["label"], table["hazards"])) == {"hevc crf28 g10 yuv420p": 2, "libsvtav1 crf30 g10 p12 yuv420p": 0}

    front = pareto_front(df)
    row = front[front["label"] == "hevc crf28 g10 yuv420p"].iloc[0]
    assert not row["pareto"] and "decode hazard" in row["excluded"]
    rec = recommend(df, min_ssim=0.1, cameras=1, fps=30)
    assert rec.qualified and rec.config.vcodec == "libsvtav1"
    assert list(rec.hazards) == ["hevc crf28 g10 yuv420p"] and rec.to_dict()["hazards"]
    assert any("decode hazard" in line for line in rec.rationale)
    only_hevc = recommend(df, min_ssim=0.1, cameras=1, fps=30, codecs=["hevc"])
    assert not only_hevc.qualified and only_hevc.to_dict()["hazards"] and only_hevc.config is None


def test_config_failing_on_one_episode_is_out_and_default_compared_on_common_episodes(tmp_path: Path) -> None:
    from lerobot_videobench.bench import ResultStore
    from lerobot_videobench.decide.pareto import pareto_front, recommend

    settings = MeasureSettings(decoder="pyav", access_samples=5, png_samples=0)
    small = VideoEncoderConfig(vcodec="h264", g=10, crf=40, preset="ultrafast")
    default = VideoEncoderConfig()
    big = VideoEncoderConfig(vcodec="h264", g=10, crf=18, preset="ultrafast")
    e0, e1 = _episode(3), _episode(4, index=1)
    store = ResultStore(tmp_path / "r.sqlite")
    for spec_config, episodes in ((small, [e0, e1]), (default, [e0]), (big, [e0, e1])):
        for ep in episodes:
            store.put(run_trial(ep, TrialSpec(spec_config), settings=settings))
    failed = run_trial(e1, TrialSpec(small), settings=settings)
    failed.key, failed.status, failed.error = failed.key + "x", "failed", "RuntimeError: encoder crashed"
    store.put(failed)  # the small config also failed once on episode 1 (a rerun under another key)
    df = load_results(store.path)
    rec = recommend(df, min_ssim=0.1, cameras=1, fps=30)
    assert rec.label != small.label() and small.label() in rec.failures
    assert "encoder crashed" in rec.failures[small.label()]
    front = pareto_front(df)
    assert not front.loc[front["label"] == small.label(), "pareto"].iloc[0]
    # the winner was measured on 2 episodes, LeRobot's default on 1: compared on that one only
    assert rec.vs_default is not None and rec.vs_default["episodes"] == 1
    ok = df[df["status"] == "ok"]
    w = ok[(ok["label"] == rec.label) & (ok["episode_index"] == 0)]["bytes_per_frame"].iloc[0]
    d = ok[(ok["label"] == default.label()) & (ok["episode_index"] == 0)]["bytes_per_frame"].iloc[0]
    assert math.isclose(rec.vs_default["bytes"], w / d)
    assert any("1 episode(s) both measured" in line for line in rec.rationale)
