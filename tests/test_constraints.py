"""One Constraints value: validation, defaults from the source, the same choice from every face, and
stores holding several sources (filters; mixed frame rates / sizes refused unless allowed)."""

from __future__ import annotations

import json
import math

import pytest
from _decide_support import QUICK, textured_frames

from lerobot_videobench import cli
from lerobot_videobench.bench.runner import run_sweep
from lerobot_videobench.bench.store import load_results
from lerobot_videobench.decide.compare import bd_rate
from lerobot_videobench.decide.constraints import DEFAULT_HEADROOM, Constraints, select_results
from lerobot_videobench.decide.pareto import pareto_front, recommend
from lerobot_videobench.episodes import episode_from_arrays
from lerobot_videobench.errors import InvalidValueError

GRID = {"vcodec": ["h264"], "crf": [23, 35], "preset": ["ultrafast"], "g": [2]}

#: A real-time need no encode misses (1 camera at 1 fps): checks of filters and defaults then do not depend on
#: the encode speed a loaded machine measures; the real-time constraint has its own tests.
NO_SPEED = {"fps": 1, "cameras": 1}


@pytest.mark.parametrize("kwargs", [
    {"min_ssim": math.nan}, {"min_ssim": 1.2}, {"min_ssim": -0.1}, {"min_psnr": math.nan}, {"cameras": 0},
    {"fps": 0}, {"cameras": 1.5}, {"headroom": 0}, {"headroom": math.inf}, {"max_load_ms": -1},
    {"quality_stat": "median"}, {"codecs": ()}, {"episodes": (-1,)}, {"source": ""},
])
def test_invalid_values_raise_invalid_value_error_naming_the_field(kwargs):
    with pytest.raises(InvalidValueError, match=next(iter(kwargs))):
        Constraints(**kwargs)


def test_frozen_and_the_headroom_default_lives_once():
    c = Constraints()
    with pytest.raises(AttributeError):
        c.headroom = 2.0  # type: ignore[misc]
    assert c.headroom == DEFAULT_HEADROOM
    assert Constraints(codecs=("av1",)).codecs == ("libsvtav1",)


@pytest.fixture(scope="module")
def multi_store(tmp_path_factory):
    """Two sources: 'a' (two 64x48 cameras at 30 fps, episodes 0 and 1) and 'b' (one 96x64 camera at 50 fps)."""
    path = tmp_path_factory.mktemp("multi") / "multi.sqlite"
    eps = [
        episode_from_arrays(textured_frames(8), fps=30, camera="observation.images.top", source="a"),
        episode_from_arrays(textured_frames(8, seed=1), fps=30, camera="observation.images.wrist", source="a"),
        episode_from_arrays(textured_frames(8, seed=2), fps=30, camera="observation.images.top", source="a",
                            episode_index=1),
        episode_from_arrays(textured_frames(8, h=64, w=96, seed=3), fps=50, camera="observation.images.top",
                            source="b"),
    ]
    summary = run_sweep(eps, GRID, path, workers=1, settings=QUICK, keep_videos=False)
    assert summary.failed == 0
    return path


def test_defaults_come_from_the_selected_source(multi_store):
    results = load_results(multi_store)
    a = Constraints.for_results(results, Constraints(source="a"))
    b = Constraints.for_results(results, Constraints(source="b"))
    assert (a.fps, a.cameras) == (30, 2)
    assert (b.fps, b.cameras) == (50, 1)
    assert Constraints.for_results(results, Constraints(source="a", fps=15, cameras=4)).fps == 15
    rec = recommend(results, Constraints(source="b"))
    assert rec.constraints["fps"] == 50 and rec.constraints["required_encode_fps"] == 50 * DEFAULT_HEADROOM


def test_mixed_store_is_refused_everywhere_unless_allowed(multi_store):
    results = load_results(multi_store)
    for decide in (lambda c: recommend(results, c), lambda c: pareto_front(results, constraints=c),
                   lambda c: bd_rate(results, baseline="vcodec=h264", constraints=c)):
        with pytest.raises(InvalidValueError, match=r"frame rates \[30, 50\].*--allow-mixed"):
            decide(None)
    assert recommend(results, Constraints(allow_mixed=True, **NO_SPEED)).qualified
    assert len(pareto_front(results, constraints=Constraints(source="a"))) == 2


def test_episode_and_camera_filters_select_trials(multi_store):
    results = load_results(multi_store)
    sel = select_results(results, Constraints(source="a", episodes=(1,)))
    assert set(sel["episode_index"]) == {1} and set(sel["source"]) == {"a"}
    sel = select_results(results, Constraints(source="a", camera="wrist"))
    assert set(sel["camera"]) == {"observation.images.wrist"}
    with pytest.raises(InvalidValueError, match="episodes=\\[7\\] match no trial"):
        select_results(results, Constraints(episodes=(7,)))
    with pytest.raises(InvalidValueError, match="source='zz' matches no trial"):
        select_results(results, Constraints(source="zz"))


def test_cameras_of_one_source_differing_in_size_are_not_a_mix(tmp_path):
    eps = [episode_from_arrays(textured_frames(6), fps=30, camera="top", source="s"),
           episode_from_arrays(textured_frames(6, h=32, w=48), fps=30, camera="wrist", source="s")]
    run_sweep(eps, {"vcodec": ["h264"], "crf": [30], "preset": ["ultrafast"]}, tmp_path / "s.sqlite", workers=1,
              settings=QUICK, keep_videos=False)
    rec = recommend(load_results(tmp_path / "s.sqlite"), fps=1)  # 2 cameras at 1 fps: no encode misses it
    assert rec.qualified and rec.constraints["cameras"] == 2


def _cli(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_refuses_mixed_store_with_one_line_and_filters_work(multi_store, capsys):
    for command in ("recommend", "pareto", "compare"):
        extra = ["--baseline", "vcodec=h264"] if command == "compare" else []
        code, out, err = _cli(capsys, command, str(multi_store), *extra)
        assert code == 2 and err.count("\n") == 1 and "--allow-mixed" in err, (command, err)
    # a headroom no encode misses (0.01 x 50 fps): the verdict does not hang on encode speed under load
    code, out, _ = _cli(capsys, "recommend", str(multi_store), "--source", "b", "--headroom", "0.01", "--json")
    assert code == 0 and json.loads(out)["constraints"]["fps"] == 50
    code, out, _ = _cli(capsys, "pareto", str(multi_store), "--allow-mixed", "--json")
    assert code == 0
    code, _, err = _cli(capsys, "recommend", str(multi_store), "--source", "a", "--min-ssim", "nan")
    assert code == 2 and "min_ssim" in err and err.count("\n") == 1


def test_report_and_recommend_pick_the_same_config_from_one_store(multi_store, tmp_path, capsys):
    code, out, _ = _cli(capsys, "recommend", str(multi_store), "--source", "a", "--min-ssim", "0.5",
                        "--quality-stat", "p5", "--fps", "1", "--json")
    picked = json.loads(out)
    assert code == 0 and picked["qualified"]
    report = tmp_path / "r.html"
    code, _, _ = _cli(capsys, "report", str(multi_store), "--out", str(report), "--source", "a",
                      "--min-ssim", "0.5", "--quality-stat", "p5", "--fps", "1")
    assert code == 0
    html = report.read_text()
    assert f"Recommended: {picked['label']}" in html and "SSIM p5 &gt;= 0.5" in html
