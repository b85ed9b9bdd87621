"""Noise is part of the answer (ties within measured spread, contention said), and the source's own history
(a lossy source, and the candidate it resembles) is said wherever a decision is printed."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from _decide_support import QUICK, textured_frames

from lerobot_videobench import cli
from lerobot_videobench.bench.runner import run_sweep
from lerobot_videobench.bench.store import load_results
from lerobot_videobench.decide.constraints import Constraints
from lerobot_videobench.decide.pareto import recommend
from lerobot_videobench.encoding import VideoEncoderConfig, encode_video_frames
from lerobot_videobench.episodes import load_episodes


def _trial(label, bpf, fps, spread, contended=False, crf=30):
    return {"key": label, "status": "ok", "label": label, "source": "s", "source_fingerprint": "f", "camera": "top",
            "episode_index": 0, "width": 64, "height": 48, "fps": 30, "bytes_per_frame": bpf, "bits_per_pixel": bpf / 384,
            "ssim_mean": 0.99, "psnr_mean": 40.0, "ssim_p5": 0.98, "psnr_p5": 39.0, "encode_fps": fps,
            "encode_fps_spread": spread, "contended": contended, "source_lossy": False, "config.vcodec": "h264",
            "config.crf": crf, "config.g": 2, "config.preset": "fast", "config.pix_fmt": "yuv420p"}


def test_a_config_missing_real_time_by_less_than_its_noise_is_a_tie():
    # needs 1 x 30 x 1.5 = 45 fps; "small" reaches 44 with a measured spread of 10 %: tied, and said so
    results = pd.DataFrame([_trial("small", 100, 44.0, 0.10, crf=35), _trial("big", 200, 90.0, 0.10, crf=20)])
    rec = recommend(results, Constraints(cameras=1, fps=30))
    assert rec.label == "big" and [t["label"] for t in rec.ties] == ["small"]
    assert any("Tied within measured noise: small" in line for line in rec.rationale)
    # a clear miss is no tie
    results = pd.DataFrame([_trial("small", 100, 30.0, 0.10, crf=35), _trial("big", 200, 90.0, 0.10, crf=20)])
    assert recommend(results, Constraints(cameras=1, fps=30)).ties == []


def test_winner_passing_within_noise_and_unmeasured_noise_and_contention_are_said():
    rec = recommend(pd.DataFrame([_trial("only", 100, 46.0, 0.2)]), Constraints(cameras=1, fps=30))
    assert any("within its timing spread" in line for line in rec.rationale)
    rec = recommend(pd.DataFrame([_trial("only", 100, 46.0, None, contended=True)]), Constraints(cameras=1, fps=30))
    assert any("noise is not measured" in line for line in rec.rationale)
    assert any(line.startswith("Contended: 1 of 1") for line in rec.notes)


@pytest.fixture(scope="module")
def lossy_store(tmp_path_factory):
    """A lossy source (an SVT-AV1 crf30 g2 mp4) swept with its own settings and two others."""
    tmp = tmp_path_factory.mktemp("lossy")
    clip = tmp / "clip.mp4"
    encode_video_frames(textured_frames(12), clip, 30, VideoEncoderConfig(), overwrite=True)
    grid = {"vcodec": ["libsvtav1", "h264"], "crf": {"libsvtav1": [30, 50], "h264": [23]}, "g": [2],
            "preset": {"libsvtav1": [12], "h264": ["ultrafast"]}}
    run_sweep(load_episodes(str(clip)), grid, tmp / "s.sqlite", workers=1, settings=QUICK, keep_videos=False)
    return tmp


def test_lossy_source_and_the_candidate_it_resembles_are_named(lossy_store):
    rec = recommend(load_results(lossy_store / "s.sqlite"))
    lossy = [n for n in rec.notes if n.startswith("Lossy source")]
    looks = [n for n in rec.notes if "looks like" in n]
    assert lossy and "av1" in lossy[0]
    assert len(looks) == 1 and "libsvtav1 crf30 g2" in looks[0] and "GOP 2" in looks[0]


def test_every_printed_decision_says_lossy_source(lossy_store, capsys):
    store = str(lossy_store / "s.sqlite")
    assert cli.main(["recommend", store]) == 0
    assert "Lossy source" in capsys.readouterr().out
    assert cli.main(["recommend", store, "--json"]) == 0
    assert any("Lossy source" in n for n in json.loads(capsys.readouterr().out)["notes"])
    clip = str(lossy_store / "clip.mp4")
    grid = lossy_store / "g.yaml"
    grid.write_text("vcodec: [h264]\ncrf: [23]\npreset: [ultrafast]\n")
    assert cli.main(["sweep", clip, "--grid", str(grid), "--store", store, "--access-samples", "1"]) == 0
    assert "Lossy source" in capsys.readouterr().out
    assert cli.main(["search", clip, "--target-ssim", "0.5", "--vcodec", "h264", "--preset", "ultrafast",
                     "--store", store, "--json"]) in (0, 1)
    assert any("Lossy source" in n for n in json.loads(capsys.readouterr().out)["notes"])


def test_many_resembling_candidates_make_one_line_closest_first():
    import pandas as pd

    from lerobot_videobench.decide.lossy import lossy_source_notes

    rows = [{"source": "sample", "source_lossy": True, "source_codec": "hevc", "source_gop": 2, "source_bpp": 1.0,
             "config.vcodec": "hevc", "config.g": 2, "bits_per_pixel": bpp, "label": f"hevc crf{crf} g2",
             "status": "ok"} for crf, bpp in ((10, 1.2), (20, 0.98), (30, 0.9), (40, 1.1), (50, 0.3))]
    notes = lossy_source_notes(pd.DataFrame(rows))
    looks = [n for n in notes if "looks like" in n]
    assert len(looks) == 1
    assert looks[0].index("hevc crf20") < looks[0].index("hevc crf30") < looks[0].index("and 1 more")
    assert "crf50" not in looks[0]  # 0.3 bpp against 1.0: not alike
