"""Depth sweeps (LeRobot 0.6 depth path): trials, grids, the store and resume, through the public API and the
CLI, on small synthetic depth (planes with sharp edges and an invalid strip, 64x48)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lerobot_videobench.bench import MeasureSettings, ResultStore, expand_grid, load_results, run_sweep
from lerobot_videobench.bench.summary import summarize
from lerobot_videobench.bench.trial import TrialSpec, run_trial
from lerobot_videobench.encoding import DepthEncoderConfig, VideoEncoderConfig
from lerobot_videobench.episodes import episode_from_arrays
from lerobot_videobench.episodes.depth_patterns import depth_planes
from lerobot_videobench.errors import InvalidValueError

FAST = MeasureSettings(access_samples=3, png_samples=1, decoder="pyav")
#: LeRobot's default (lossless), then x265 lossless off at crf 0 and crf 30.
GRID = {"kind": "depth", "vcodec": ["hevc"], "lossless": [True, False], "crf": [0, 30], "g": [2]}
LOSSLESS = "hevc crf30 g2 gray12le x265-params=lossless=1 depth[0.01-10m log+3.5]"
CRF0 = "hevc crf0 g2 gray12le depth[0.01-10m log+3.5]"
CRF30 = "hevc crf30 g2 gray12le depth[0.01-10m log+3.5]"


def _depth_episode(n: int = 8, camera: str = "observation.images.depth"):
    return episode_from_arrays(depth_planes(n, 48, 64), camera=camera)


def _rgb_episode(n: int = 8):
    rng = np.random.default_rng(0)
    return episode_from_arrays([rng.integers(0, 255, (48, 64, 3), dtype=np.uint8) for _ in range(n)],
                               camera="observation.images.top")


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("depth")
    store = tmp / "d.sqlite"
    summary = run_sweep([_depth_episode()], GRID, store, workers=1, settings=FAST, cache_dir=tmp / "cache")
    return store, summary, tmp


def test_grid_expands_lossless_once_and_lerobot_default_first() -> None:
    plan = expand_grid(GRID)
    assert plan.kind == "depth"
    assert [s.label for s in plan.specs] == [LOSSLESS, CRF0, CRF30]
    assert plan.specs[0].config == DepthEncoderConfig()  # LeRobot 0.6's depth default, exactly


def test_builtin_depth_grid_is_small_and_all_depth() -> None:
    plan = expand_grid("depth")
    assert 12 <= len(plan) <= 20 and plan.invalid == []
    assert all(isinstance(s.config, DepthEncoderConfig) for s in plan.specs)
    assert {s.config.vcodec for s in plan.specs} == {"hevc", "libaom-av1"}


@pytest.mark.parametrize("codec", ["libsvtav1", "h264"])
def test_rgb_only_codec_refused_for_depth_with_reason(codec: str) -> None:
    with pytest.raises(InvalidValueError, match=f"{codec} cannot encode depth.*gray12le.*hevc and libaom-av1"):
        expand_grid({"kind": "depth", "vcodec": [codec]})


def test_config_of_the_other_kind_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="is a depth camera.*RGB configuration"):
        run_trial(_depth_episode(4), TrialSpec(VideoEncoderConfig()), settings=FAST)
    with pytest.raises(InvalidValueError, match="is an RGB camera.*depth configuration"):
        run_trial(_rgb_episode(4), TrialSpec(DepthEncoderConfig()), settings=FAST)


def test_lossless_error_is_the_quantization_floor_exactly(swept) -> None:
    store, summary, _ = swept
    assert summary.failed == 0 and summary.ran == 3
    rows = {r["label"]: r for r in load_results(store).to_dict(orient="records")}
    ll = rows[LOSSLESS]
    assert ll["kind"] == "depth" and ll["decoder"] == "pyav" and ll["decode_ok"]
    assert ll["depth_codec_max_mm"] == 0.0 and ll["depth_codes_exact"] == 1.0
    for stat in ("mean", "median", "p95", "p99", "max", "edge_mean", "edge_max", "frac_over_1cm"):
        assert ll[f"depth_{stat}_mm" if "frac" not in stat else f"depth_{stat}"] == \
            ll[f"depth_floor_{stat}_mm" if "frac" not in stat else f"depth_floor_{stat}"]
    assert ll["depth_invalid_kept"] == 1.0 and ll["depth_spurious_invalid"] == 0
    assert 0 < ll["depth_floor_max_mm"] < 10  # the 12-bit log mapping costs mm, not cm, below 2.5 m


def test_lossy_depth_errors_and_sizes_are_ordered(swept) -> None:
    store, _, _ = swept
    rows = {r["label"]: r for r in load_results(store).to_dict(orient="records")}
    ll, c0, c30 = rows[LOSSLESS], rows[CRF0], rows[CRF30]
    assert c30["depth_edge_mean_mm"] > c0["depth_edge_mean_mm"] > ll["depth_edge_mean_mm"]
    assert c30["depth_mean_mm"] > c0["depth_mean_mm"]
    assert ll["bytes"] > c0["bytes"] > c30["bytes"]
    assert c0["depth_codec_max_mm"] > 0
    # RGB quality is not measured on depth; sizes are also against raw uint16
    assert all(np.isnan(r.get("psnr_mean", np.nan)) for r in (ll, c0, c30))
    assert ll["compression_ratio_raw"] == pytest.approx(8 * 64 * 48 * 2 / ll["bytes"])


def test_store_round_trip_of_per_frame_depth_arrays(swept) -> None:
    store, summary, _ = swept
    df = load_results(store)
    key = df.loc[df["label"] == CRF30, "key"].iloc[0]
    arrays = ResultStore(store, read_only=True).frame_arrays(key)
    for name in ("depth_mean_frames", "depth_p95_frames", "depth_max_frames", "depth_edge_mean_frames",
                 "depth_floor_mean_frames", "depth_codec_max_frames", "depth_invalid_kept_frames"):
        assert arrays[name].shape == (8,)
    assert "psnr_frames" not in arrays
    row = df[df["key"] == key].iloc[0]
    assert np.nanmax(arrays["depth_max_frames"]) == row["depth_max_mm"]
    table = summarize(df)
    assert set(table["kind"]) == {"depth"}
    assert table["depth_p95_mm"].notna().all() and table["ssim_mean"].isna().all()


def test_resume_skips_stored_depth_trials(swept) -> None:
    store, first, tmp = swept
    again = run_sweep([_depth_episode()], GRID, store, workers=1, settings=FAST, cache_dir=tmp / "cache")
    assert again.cached == again.total == 3 and again.ran == 0
    assert again.keys == first.keys


def test_sweep_applies_each_grid_to_cameras_of_its_kind(tmp_path: Path) -> None:
    eps = [_rgb_episode(4), _depth_episode(4)]
    one = {"kind": "depth", "vcodec": ["hevc"], "g": [2]}
    s = run_sweep(eps, one, tmp_path / "m.sqlite", workers=1, settings=FAST, cache_dir=tmp_path / "c")
    assert s.total == 1 and any("Left out 1 RGB camera" in n for n in s.notes)
    with pytest.raises(InvalidValueError, match="is for RGB cameras and the source has none; use --grid depth"):
        run_sweep([_depth_episode(4)], {"vcodec": ["h264"], "crf": [23]}, tmp_path / "r.sqlite", workers=1,
                  settings=FAST, cache_dir=tmp_path / "c")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "import sys; from lerobot_videobench.cli import main; sys.exit(main())",
                           *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_cli_depth_sweep_of_a_png_folder(tmp_path: Path) -> None:
    from PIL import Image

    folder = tmp_path / "depth_png"
    folder.mkdir()
    for i, frame in enumerate(depth_planes(6, 48, 64)):
        Image.fromarray(frame).save(folder / f"frame-{i:06d}.png")
    grid = tmp_path / "g.yaml"
    grid.write_text("kind: depth\nvcodec: [hevc]\nlossless: [true, false]\ncrf: [30]\n")
    out = _cli("sweep", str(folder), "--grid", str(grid), "--store", "s.sqlite", "--workers", "1",
               "--access-samples", "2", "--decoder", "pyav", "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    rows = {r["label"]: r for r in data["summary"]}
    assert rows[LOSSLESS]["depth_codec_max_mm"] == 0 and rows[CRF30]["depth_edge_mean_mm"] > 0
    text = _cli("sweep", str(folder), "--grid", str(grid), "--store", "s.sqlite", "--workers", "1",
                "--access-samples", "2", "--decoder", "pyav", cwd=tmp_path)
    assert text.returncode == 0 and "quantization floor at 0.01-10m log+3.5" in text.stdout
    assert "mean mm" in text.stdout and "2 cached" in text.stdout
    bad = _cli("sweep", str(folder), "--grid", "quick", "--store", "s.sqlite", cwd=tmp_path)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------------------------------------- decisions
def _rows(store):
    return {r["label"]: r for r in summarize(load_results(store)).to_dict(orient="records")}


def test_recommend_picks_the_smallest_config_meeting_the_depth_limit(swept) -> None:
    from lerobot_videobench.decide import Constraints, recommend

    store, _, _ = swept
    results, rows = load_results(store), _rows(store)
    between = (rows[CRF0]["depth_p95_mm"] + rows[CRF30]["depth_p95_mm"]) / 2
    for limit, want in ((rows[LOSSLESS]["depth_p95_mm"] + 1e-9, LOSSLESS), (between, CRF0), (1e6, CRF30)):
        rec = recommend(results, Constraints(max_depth_error_mm=limit, fps=1))
        assert rec.qualified and rec.label == want, (limit, rec.rationale)
        assert isinstance(rec.config, DepthEncoderConfig) and rec.config.label() == want
        assert rec.metrics["depth_p95_mm"] == rows[want]["depth_p95_mm"] <= limit
    edge = recommend(results, Constraints(max_depth_error_mm=rows[CRF0]["depth_edge_mean_mm"], depth_stat="edge_mean",
                                          fps=1))
    assert edge.label == CRF0 and "edge mean" in edge.rationale[1]
    none = recommend(results, Constraints(max_depth_error_mm=1e-3, depth_stat="max", fps=1))
    assert not none.qualified and "mm" in none.failures["max_depth_error_mm"]


def test_depth_constraints_are_checked() -> None:
    from lerobot_videobench.decide import Constraints

    with pytest.raises(InvalidValueError, match="depth_stat='p5' must be one of"):
        Constraints(max_depth_error_mm=5, depth_stat="p5")
    with pytest.raises(InvalidValueError, match="one kind at a time"):
        Constraints(max_depth_error_mm=5, min_ssim=0.9)
    with pytest.raises(InvalidValueError, match="must be a number > 0"):
        Constraints(max_depth_error_mm=-1)


def test_pareto_of_depth_is_size_against_mm_error(swept) -> None:
    from lerobot_videobench.decide import pareto_front

    store, _, _ = swept
    front = pareto_front(load_results(store))
    assert "depth_p95_mm" in front.columns and front["pareto"].all()  # each is smaller or more exact
    with pytest.raises(InvalidValueError, match="do not measure depth cameras"):
        pareto_front(load_results(store), objectives=["bytes_per_frame", "ssim_mean"])


def test_mixed_store_never_mixes_kinds_in_a_decision(tmp_path: Path) -> None:
    from lerobot_videobench.decide import Constraints, pareto_front, recommend

    store = tmp_path / "mixed.sqlite"
    cache = tmp_path / "c"
    eps = [_rgb_episode(6), _depth_episode(6)]
    run_sweep(eps, {"vcodec": ["h264"], "crf": [23], "preset": ["veryfast"]}, store, workers=1, settings=FAST,
              cache_dir=cache)
    run_sweep(eps, {"kind": "depth", "vcodec": ["hevc"], "lossless": [False], "crf": [20]}, store, workers=1,
              settings=FAST, cache_dir=cache)
    results = load_results(store)
    assert sorted(results["kind"]) == ["depth", "rgb"]
    rgb = recommend(results, Constraints(fps=1))
    assert rgb.config.vcodec == "h264" and any("1 trial(s) of depth cameras are left out" in n for n in rgb.notes)
    depth = recommend(results, Constraints(max_depth_error_mm=1e6, fps=1))
    assert isinstance(depth.config, DepthEncoderConfig) and any("RGB cameras are left out" in n for n in depth.notes)
    assert len(pareto_front(results, constraints=Constraints(kind="depth"))) == 1
    assert len(pareto_front(results)) == 1 and pareto_front(results)["label"].iloc[0].startswith("h264")


def test_cli_recommend_and_pareto_print_mm_and_export_the_depth_block(swept) -> None:
    store, _, tmp = swept
    rows = _rows(store)
    limit = (rows[CRF0]["depth_p95_mm"] + rows[CRF30]["depth_p95_mm"]) / 2
    out = _cli("recommend", str(store), "--max-depth-error-mm", f"{limit}", "--fps", "1", cwd=tmp)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(CRF0) and "p95" in out.stdout and " mm" in out.stdout
    assert "--dataset.depth_encoder.crf=0" in out.stdout and "'--dataset.depth_encoder.extra_options={}'" in out.stdout
    assert "rgb_encoder" not in out.stdout.split("Config (cli):")[1].split("\n", 2)[2]
    js = _cli("recommend", str(store), "--max-depth-error-mm", f"{limit}", "--fps", "1", "--json", cwd=tmp)
    data = json.loads(js.stdout)
    assert data["constraints"]["kind"] == "depth" and data["metrics"]["depth_p95_mm"] <= limit
    assert data["config"]["depth_min"] == 0.01 and data["config"]["extra_options"] == {}
    edit = _cli("recommend", str(store), "--max-depth-error-mm", f"{limit}", "--fps", "1", "--target",
                "lerobot-0.6-edit", "--repo-id", "me/ds", cwd=tmp)
    assert "--operation.type=reencode_videos" in edit.stdout and "--operation.depth_encoder.crf=0" in edit.stdout
    assert "re-encodes the RGB videos" in edit.stderr
    par = _cli("pareto", str(store), "--json", cwd=tmp)
    front = json.loads(par.stdout)
    assert front["kind"] == "depth" and front["objectives"] == ["bytes_per_frame", "depth_p95_mm"]
    assert {"depth_floor_p95_mm", "depth_edge_mean_mm"} <= set(front["front"][0])
    text = _cli("pareto", str(store), cwd=tmp)
    assert "depth p95 mm" in text.stdout


def test_reencode_export_leaves_out_a_quantizer_it_cannot_apply() -> None:
    import warnings

    from lerobot_videobench.decide import export
    from lerobot_videobench.encoding import camera_encoder_defaults

    depth = DepthEncoderConfig(depth_max=4.0, crf=20, extra_options={})
    settings = export.ExportSettings(camera_encoder_defaults(), depth_encoder=depth, depth_only=True,
                                     source=export.ExportSource(repo_id="me/ds"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        text = export.render("lerobot-0.6-edit", "cli", settings)
    assert "depth_max" not in text and "--operation.depth_encoder.crf=20" in text
    assert any("keeps each depth video's recorded quantizer" in str(w.message) for w in caught)
    record = export.render("lerobot-0.6", "cli", settings)
    assert "--dataset.depth_encoder.depth_max=4.0" in record and "rgb_encoder" not in record.split("\n", 1)[1]


def test_search_finds_the_highest_crf_within_a_depth_limit(tmp_path: Path) -> None:
    from lerobot_videobench.decide import search_crf

    ep = _depth_episode(6)
    store = tmp_path / "s.sqlite"
    r = search_crf(ep, vcodec="hevc", max_depth_error_mm=20, store=store, settings=FAST)
    assert r.found and r.metric == "depth" and r.column == "depth_p95_mm" and r.quality <= 20
    probes = {p.crf: p.quality for p in r.probes}
    assert probes[r.crf] <= 20 < probes[r.crf + 1]
    assert isinstance(r.config, DepthEncoderConfig) and r.config.extra_options == {} and r.config.crf == r.crf
    again = search_crf(ep, vcodec="hevc", max_depth_error_mm=20, store=store, settings=FAST)
    assert again.crf == r.crf and again.encodes == 0  # every probe reused from the store
    with pytest.raises(InvalidValueError, match="cannot encode depth"):
        search_crf(ep, vcodec="libsvtav1", max_depth_error_mm=20, settings=FAST)
    with pytest.raises(InvalidValueError, match="SSIM/PSNR targets do not apply to depth"):
        search_crf(ep, vcodec="hevc", target_ssim=0.9, settings=FAST)


def test_bd_rate_refuses_depth_trials_with_the_alternative(swept) -> None:
    from lerobot_videobench.decide import bd_rate

    store, _, _ = swept
    with pytest.raises(InvalidValueError, match="use pareto"):
        bd_rate(load_results(store), baseline="hevc")


def test_open_gop_depth_is_a_pyav_hazard_with_a_remedy_that_keeps_lossless() -> None:
    ep = episode_from_arrays(depth_planes(60, 48, 64))
    settings = MeasureSettings(access_samples=20, png_samples=1, decoder="pyav")
    lossless_g10 = run_trial(ep, TrialSpec(DepthEncoderConfig(g=10)), settings=settings)
    assert lossless_g10.ok and lossless_g10.decode_ok is False
    assert lossless_g10.decode_issue.startswith("pyav: ") and "FrameTimestampError" in lossless_g10.decode_issue
    assert 'fix: extra_options={"x265-params": "lossless=1:open-gop=0"}' in lossless_g10.decode_issue
    fixed = DepthEncoderConfig(g=10, extra_options={"x265-params": "lossless=1:open-gop=0"})
    closed = run_trial(ep, TrialSpec(fixed), settings=settings)
    assert closed.decode_ok and closed.depth["depth_codec_max_mm"] == 0.0
    default = run_trial(ep, TrialSpec(DepthEncoderConfig()), settings=settings)  # LeRobot's default, g=2
    assert default.decode_ok


def test_depth_frames_staged_beyond_the_memory_budget_read_back_as_uint16(tmp_path: Path) -> None:
    from lerobot_videobench.bench.timing import stage_frames

    frames = depth_planes(5, 48, 64)
    staged = stage_frames(episode_from_arrays(frames), budget_bytes=1, work_dir=tmp_path)
    try:
        assert staged.path is not None and staged.array is None
        back = list(staged)
        assert all(b.dtype == np.uint16 and b.shape == (48, 64) for b in back)
        np.testing.assert_array_equal(np.stack(back), np.stack(frames))
    finally:
        staged.close()
