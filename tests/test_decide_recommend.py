"""recommend + pareto on a real tiny sweep (LeRobot's default included), and the decide CLIs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from _decide_support import decide_store, episode

from lerobot_videobench import cli
from lerobot_videobench.bench.store import load_results
from lerobot_videobench.bench.summary import summarize
from lerobot_videobench.decide.pareto import pareto_front, recommend
from lerobot_videobench.encoding import VideoEncoderConfig, camera_encoder_defaults

DEFAULT_LABEL = "libsvtav1 crf30 g2 p12 yuv420p"
#: A real-time need no encode can miss (1 camera at 1 fps x headroom): the tests of quality, size and
#: filters then do not depend on encode speed, which a loaded machine moves; real-time has its own tests.
NO_SPEED = {"cameras": 1, "fps": 1}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return decide_store(tmp_path_factory)


@pytest.fixture(scope="module")
def results(store):
    return load_results(store)


@pytest.fixture(scope="module")
def table(results):
    return summarize(results).set_index("label")


def _smallest_meeting(table: pd.DataFrame, column: str, threshold: float) -> str:
    ok = table[table[column] >= threshold]
    return str(ok["bytes_per_frame"].idxmin())


def test_stricter_quality_picks_a_bigger_config(table, results):
    levels = sorted(table["ssim_mean"])
    loose, strict = levels[2], levels[-2]
    a = recommend(results, min_ssim=loose, **NO_SPEED)
    b = recommend(results, min_ssim=strict, **NO_SPEED)
    assert a.qualified and b.qualified
    assert a.label == _smallest_meeting(table, "ssim_mean", loose)
    assert b.label == _smallest_meeting(table, "ssim_mean", strict)
    assert b.metrics["bytes_per_frame"] > a.metrics["bytes_per_frame"]
    assert a.binding == ["min_ssim"] == b.binding
    assert b.metrics["ssim_mean"] >= strict
    assert any("Binding constraints" in line for line in b.rationale)


def test_no_constraint_gives_smallest_and_nothing_binds(table, results):
    rec = recommend(results, **NO_SPEED)
    assert rec.label == table["bytes_per_frame"].idxmin() and rec.binding == []
    assert len(rec.runners_up) == 3
    assert all(r["bytes_per_frame"] >= rec.metrics["bytes_per_frame"] for r in rec.runners_up)


def test_psnr_p5_constraint_and_config_round_trip(table, results):
    threshold = float(table.loc[DEFAULT_LABEL, "psnr_p5"])
    rec = recommend(results, min_psnr=threshold, quality_stat="p5", **NO_SPEED)
    assert rec.label == _smallest_meeting(table, "psnr_p5", threshold)
    assert rec.metrics["psnr_p5"] >= threshold
    assert rec.config.label() in rec.label  # the exported config is the measured one


def test_vs_default_ratios(table, results):
    rec = recommend(results, min_ssim=float(table["ssim_mean"].min()), **NO_SPEED)
    d, w = table.loc[DEFAULT_LABEL], table.loc[rec.label]
    assert rec.vs_default["bytes"] == pytest.approx(w["bytes_per_frame"] / d["bytes_per_frame"])
    assert rec.vs_default["ssim_mean"] == pytest.approx(w["ssim_mean"] / d["ssim_mean"])
    assert {"encode_fps", "load_ms"} <= set(rec.vs_default)
    no_default = results[results["label"] != DEFAULT_LABEL]
    assert recommend(no_default).vs_default is None
    chosen = recommend(results[results["label"] == DEFAULT_LABEL], **NO_SPEED)
    assert chosen.config == camera_encoder_defaults() and chosen.vs_default["bytes"] == pytest.approx(1.0)


def test_nothing_qualifies_names_constraint_and_gap(table, results):
    best = float(table["ssim_mean"].max())
    rec = recommend(results, min_ssim=0.999, cameras=2)
    assert not rec.qualified and rec.config is None
    assert list(rec.failures) == ["min_ssim"]
    assert f"short by {0.999 - best:.4g}" in rec.failures["min_ssim"]
    assert any("min_ssim" in line for line in rec.rationale)
    slow = recommend(results, cameras=100, fps=60, max_load_ms=1e-6)
    assert set(slow.failures) == {"realtime", "max_load_ms"}
    assert "encode_fps" in slow.failures["realtime"] and "load_1_frame_p95_ms" in slow.failures["max_load_ms"]


def test_codecs_filter(results):
    rec = recommend(results, codecs=["av1"], **NO_SPEED)
    assert rec.qualified and rec.config.vcodec == "libsvtav1"
    other = sorted(set(results["config.vcodec"]) - {"libsvtav1"})
    if other:  # filtering LeRobot's default out keeps it as the reference
        assert recommend(results, codecs=other[:1]).vs_default is not None
    none = recommend(results, codecs=["hevc"])
    assert not none.qualified and "codecs" in none.failures


@pytest.mark.parametrize(
    "kwargs,field",
    [({"quality_stat": "median"}, "quality_stat"), ({"cameras": 0}, "cameras"), ({"fps": 1.5}, "fps"),
     ({"headroom": 0}, "headroom")],
)
def test_recommend_bad_inputs(results, kwargs, field):
    with pytest.raises(ValueError, match=field):
        recommend(results, **kwargs)
    with pytest.raises(ValueError, match="empty"):
        recommend(results.iloc[0:0])


def test_fast_decode_and_threads_survive_the_summary(results):
    """A config differing only in fast_decode/threads must be recommended as itself, not as the default."""
    row = results[results["label"] == DEFAULT_LABEL].iloc[0].copy()
    row["config.fast_decode"], row["encoder_threads"] = 1, 2
    row["label"], row["key"] = DEFAULT_LABEL.replace(" yuv420p", " fd1 yuv420p") + " t2", "fd1"
    row["bytes_per_frame"] = 1.0
    rec = recommend(pd.concat([results, row.to_frame().T], ignore_index=True), **NO_SPEED)
    assert rec.config == VideoEncoderConfig(fast_decode=1) and rec.encoder_threads == 2


def test_pareto_front(results):
    front = pareto_front(results, ("bytes_per_frame", "ssim_mean"))
    on = front[front["pareto"]]
    assert front["bytes_per_frame"].is_monotonic_increasing
    assert on["bytes_per_frame"].idxmin() == front["bytes_per_frame"].idxmin()
    assert front.loc[front["ssim_mean"].idxmax(), "pareto"]
    for _, r in on.iterrows():  # no front point is dominated by any configuration
        dominated = (front["bytes_per_frame"] <= r["bytes_per_frame"]) & (front["ssim_mean"] >= r["ssim_mean"]) & (
            (front["bytes_per_frame"] < r["bytes_per_frame"]) | (front["ssim_mean"] > r["ssim_mean"]))
        assert not dominated.any()
    three = pareto_front(results, ("bytes_per_frame", "ssim_mean", "load_1_frame_p95_ms"))
    assert np.isfinite(three["load_1_frame_p95_ms"]).all()
    assert set(on["label"]) <= set(three.loc[three["pareto"], "label"])  # a third objective only adds points
    with pytest.raises(ValueError, match="objectives"):
        pareto_front(results, ("bytes_per_frame",))
    with pytest.raises(ValueError, match="objectives"):
        pareto_front(results, ("bytes_per_frame", "vmaf"))


# ---------------------------------------------------------------------------------------------- CLI
def test_cli_recommend(store, capsys):
    assert cli.main(["recommend", str(store), "--min-ssim", "0.5", "--fps", "1"]) == 0
    out = capsys.readouterr().out
    assert "smallest of the configurations" in out and "lerobot-record" in out and "crf=" in out
    assert cli.main(["recommend", str(store), "--min-ssim", "0.999", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["qualified"] is False and "min_ssim" in data["failures"] and data["export"]["text"] is None
    assert cli.main(["recommend", str(store), "--codecs", "libsvtav1", "--format", "yaml", "--json", "--fps", "1"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["config"]["vcodec"] == "libsvtav1" and "vcodec: libsvtav1" in data["export"]["text"]
    assert cli.main(["recommend", str(store), "--cameras", "0"]) == 2
    assert "cameras" in capsys.readouterr().err


def test_cli_compare_and_pareto(store, capsys):
    assert cli.main(["compare", str(store), "--baseline", "vcodec=libsvtav1"]) == 0
    out = capsys.readouterr().out
    assert "vcodec=h264" in out and "BD-rate" in out
    assert cli.main(["compare", str(store), "--baseline", "vcodec=libsvtav1", "--group-by", "vcodec,preset",
                     "--test", "vcodec=libsvtav1,preset=12", "--metric", "ssim_mean", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["results"][0]["bd_rate_pct"] == pytest.approx(0, abs=1e-9)
    assert cli.main(["pareto", str(store), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["front"] and all(r["pareto"] for r in data["front"])
    assert cli.main(["pareto", str(store), "--objectives", "bytes_per_frame", "psnr_mean", "load_ms", "--all"]) == 0
    assert "configurations on the front" in capsys.readouterr().out
    assert cli.main(["compare", str(store) + ".missing", "--baseline", "libsvtav1"]) == 2


def test_cli_search(tmp_path, monkeypatch, capsys):
    import lerobot_videobench.episodes as episodes_pkg

    seen = {}

    def fake_load(source, episodes=None, cameras=None, max_frames=None, kind=None):
        seen.update(source=source, max_frames=max_frames)
        return [episode()]

    monkeypatch.setattr(episodes_pkg, "load_episodes", fake_load, raising=False)
    store = tmp_path / "cli.sqlite"
    args = ["search", "tiny", "--target-ssim", "0.7", "--crf-min", "20", "--crf-max", "50", "--store", str(store)]
    assert cli.main([*args, "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["found"] and 20 <= first["crf"] < 50 and first["encodes"] < first["full_grid_encodes"] == 31
    assert "--dataset.rgb_encoder.crf=" in first["export"]["text"] and seen["source"] == "tiny"
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "0 encode(s) run" in out and "cache" in out
    assert cli.main(["search", "tiny", "--target-psnr", "99", "--crf-min", "40", "--store", str(store)]) == 1
    assert "unreachable" in capsys.readouterr().out
    with pytest.raises(SystemExit):  # argparse: exactly one target
        cli.main(["search", "tiny", "--target-ssim", "0.9", "--target-psnr", "30"])


def test_realtime_is_judged_on_the_slowest_episode():
    """A configuration fast on a small camera but slow on a big one is not real-time for the big one."""
    rows = []
    for label, speeds in (("fast-everywhere", (500.0, 400.0)), ("slow-on-top", (900.0, 50.0))):
        for ep, speed in enumerate(speeds):
            rows.append({"key": f"{label}{ep}", "status": "ok", "label": label, "episode_key": f"ep{ep}",
                         "config.vcodec": "h264", "config.crf": 23, "config.g": 2, "config.preset": "medium",
                         "config.pix_fmt": "yuv420p", "config.fast_decode": 0, "config.extra_options": {},
                         "encoder_threads": None, "bytes_per_frame": 1000.0 if label == "slow-on-top" else 2000.0,
                         "bits_per_pixel": 0.1, "ssim_mean": 0.98, "psnr_mean": 40.0, "encode_fps": speed})
    results = pd.DataFrame(rows)
    assert summarize(results).set_index("label").loc["slow-on-top", "encode_fps_min"] == 50.0
    rec = recommend(results, cameras=2, fps=30)  # needs 90 fps on every episode
    assert rec.qualified and rec.label == "fast-everywhere" and rec.binding == ["realtime"]


# ------------------------------------------------------------------------------------------ filtering
def test_meeting_constraints_keeps_what_recommend_chooses_from(table, results):
    from lerobot_videobench.decide.constraints import Constraints
    from lerobot_videobench.decide.pareto import meeting_constraints, smallest

    per_config = table.reset_index()
    levels = sorted(table["ssim_mean"])
    c = Constraints.for_results(results, Constraints(min_ssim=levels[2]))
    kept = meeting_constraints(per_config, c)
    assert len(kept) and (kept["ssim_mean"] >= levels[2]).all()
    assert set(kept["label"]) == set(table.index[table["ssim_mean"] >= levels[2]])  # tiny frames: all real time
    assert smallest(kept)["label"] == recommend(results, c).label
    # a real-time limit nothing reaches: only realtime=False keeps rows
    slow = c.replace(fps=1000, cameras=64)
    assert not len(meeting_constraints(per_config, slow))
    assert len(meeting_constraints(per_config, slow, realtime=False)) == len(kept)
    # the codec restriction, as Constraints normalises it ("av1" is libsvtav1)
    only_svt = meeting_constraints(per_config, c.replace(codecs=("av1",)), realtime=False)
    assert set(only_svt["vcodec"]) == {"libsvtav1"}
    assert smallest(per_config.iloc[:0]) is None and meeting_constraints(None, c) is None


def test_constraint_checks_name_the_columns_recommend_judges(table, results):
    from lerobot_videobench.decide.constraints import Constraints
    from lerobot_videobench.decide.pareto import check_passes, constraint_checks

    per_config = table.reset_index()
    c = Constraints.for_results(results, Constraints(min_psnr=30, quality_stat="p5", max_load_ms=1000))
    checks = constraint_checks(per_config, c)
    assert checks["min_psnr"] == ("psnr_p5", "max", 30.0)
    assert checks["realtime"][0] == "encode_fps_min" and checks["realtime"][2] == c.required_encode_fps
    assert checks["max_load_ms"][1:] == ("min", 1000.0)
    assert "realtime" not in constraint_checks(per_config, c, realtime=False)
    passes = check_passes(per_config, {"nothing": ("not_a_column", "max", 1.0), **checks})
    assert not passes["nothing"].any() and passes["max_load_ms"].all()
