"""Issue 10's hevc hazards on real footage: a sweep beside x265's defaults names them, recommend avoids them.

The pyav path (LeRobot's fallback) loses the frames before each keyframe after a seek when x265 keeps its
default open GOP at g >= 10; the training-safe variant the built-in grids carry reads back right."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lerobot_videobench import cli, load_episodes
from lerobot_videobench.bench import MeasureSettings, load_results, run_sweep
from lerobot_videobench.bench.grid import BUILTIN_GRIDS, HEVC_TRAINING_SAFE, expand_grid

ROOT = Path(__file__).resolve().parents[1]
HAZARD_GRID = ROOT / "docs" / "grids" / "hevc_hazards.yaml"
#: The documented grid cut to its longest GOP (3 keyframes in 90 frames: random queries alone rarely hit the
#: frames an open GOP loses), x265 defaults vs training-safe.
SMALL = {"vcodec": ["hevc"], "crf": [28], "preset": ["fast"], "g": [40], "extra_options": [{}, HEVC_TRAINING_SAFE]}


def test_documented_hazard_grid_holds_defaults_beside_the_fixed_variant_of_the_builtin_grids() -> None:
    specs = expand_grid(HAZARD_GRID).specs
    extras = {json.dumps(s.config.extra_options or {}, sort_keys=True) for s in specs}
    assert json.dumps({}, sort_keys=True) in extras and json.dumps(HEVC_TRAINING_SAFE, sort_keys=True) in extras
    default_hevc = [s for s in expand_grid("default").specs if s.config.vcodec == "hevc"]
    assert default_hevc and all(s.config.extra_options == HEVC_TRAINING_SAFE for s in default_hevc)
    assert BUILTIN_GRIDS["default"]["extra_options"]["hevc"] == [HEVC_TRAINING_SAFE]


def test_sweep_on_real_footage_names_the_open_gop_hazard_and_recommend_avoids_it(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clip = shared_data / "so101_wrist_chess" / "episode_000000.mp4"
    episodes = load_episodes(clip, max_frames=90)
    store = tmp_path / "hazards.sqlite"
    summary = run_sweep(episodes, SMALL, store, workers=1, cache_dir=tmp_path / "cache",
                        settings=MeasureSettings(decoder="pyav", access_samples=10, png_samples=0))
    assert (summary.ran, summary.failed) == (2, 0)
    df = load_results(store).set_index("label")
    broken, safe = "hevc crf28 g40 pfast yuv420p", "hevc crf28 g40 pfast yuv420p bf=0,x265-params=open-gop=0"
    assert df.loc[broken, "decode_ok"] == False  # noqa: E712 (a numpy bool)
    issue = df.loc[broken, "decode_issue"]
    assert issue.startswith("pyav: ") and "frames lost after a seek" in issue and "open-gop=0" in issue
    assert df.loc[safe, "decode_ok"] == True and not isinstance(df.loc[safe, "decode_issue"], str)  # noqa: E712

    capsys.readouterr()
    code = cli.main(["recommend", str(store), "--codecs", "hevc", "--min-ssim", "0.5", "--fps", "30", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code in (0, 1)
    assert broken in out["hazards"] and safe not in out["hazards"]
    if out.get("config"):  # qualified: it is the safe variant
        assert out["config"]["extra_options"] == HEVC_TRAINING_SAFE
    cli.main(["recommend", str(store), "--codecs", "hevc", "--min-ssim", "0.5", "--fps", "30"])
    text = capsys.readouterr().out
    assert "decode hazard" in text and broken in text
