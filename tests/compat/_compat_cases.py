"""Encoder configurations for the differential against LeRobot's ``RGBEncoderConfig``: every field's
valid, boundary and bad values, one field varied at a time from each codec's defaults, plus random mixes
drawn with a fixed seed (so a failure is reproducible by its index)."""

from __future__ import annotations

import copy
import random
from typing import Any

SOFTWARE = ["libsvtav1", "h264", "hevc", "libaom-av1"]
#: LeRobot's hardware names (present or not in this build) and names LeRobot aliases, resolves or refuses.
OTHER_VCODECS = ["h264_nvenc", "hevc_nvenc", "h264_vaapi", "h264_qsv", "h264_videotoolbox", "hevc_videotoolbox",
                 "auto", "av1", "libx264", "vp9", ""]

VALUES: dict[str, list[Any]] = {
    "pix_fmt": ["yuv420p", "yuv444p", "yuv422p", "yuv420p10le", "yuv444p12le", "nv12", "gray", "gray12le",
                "rgb24", "gbrp", "yuva420p", "cuda", "not_a_format", None],
    "g": [None, 1, 2, 4, 30, 600, 0, -1, 2.5, True, "2"],
    "crf": [None, 0, 10, 23, 28, 28.5, 30, 30.0, 51, 52, 63, 64, -1, -5, 100, True, "30", "abc"],
    "preset": [None, 0, 4, 8, 12, 13, -1, -2, "ultrafast", "veryfast", "medium", "slow", "placebo",
               "ultrafastest", "p1", "p7", "fast", "4", 4.5, True],
    "fast_decode": [0, 1, 2, 3, -1, True, False, None, 1.5, "1", "0"],
    "extra_options": [
        {}, {"tune": "film"}, {"tune": "bogus"}, {"tune": "fastdecode"}, {"tune": True}, {"tune": 3},
        {"tune": None}, {"x265-params": "bframes=0:open-gop=0"}, {"x264-params": "keyint=5"},
        {"svtav1-params": "tune=0"}, {"bf": 0}, {"bf": -5}, {"bf": 1.5}, {"bf": "2"}, {"bf": "x"},
        {"qp": 20}, {"crf": 10}, {"g": 10}, {"preset": "slow"}, {"profile": "high"}, {"profile": "nope"},
        {"threads": 2}, {"threads": "abc"}, {"row-mt": 1}, {"cpu-used": 8}, {"cpu-used": 99},
        {"usage": "realtime"}, {"rc": "vbr"}, {"rc": 99}, {"tier": "high"}, {"aq-mode": 2},
        {"lossless": 1}, {"unknown-option": "x"}, {"tune": "zerolatency", "bf": 0},
        ["tune", "film"], "tune=film",
    ],
    "video_backend": ["pyav", "torchcodec"],
}


def _one_factor() -> list[dict[str, Any]]:
    """Each codec's defaults with one field changed, for every value of every field."""
    cases: list[dict[str, Any]] = [{}]
    for vcodec in SOFTWARE + OTHER_VCODECS[:2]:  # codecs this build has (nvenc is named by PyAV wheels)
        cases.append({"vcodec": vcodec})
        for name, values in VALUES.items():
            cases += [{"vcodec": vcodec, name: v} for v in values]
    cases += [{"vcodec": v} for v in OTHER_VCODECS[2:]]
    cases += [{"vcodec": v, "crf": 23, "preset": "fast"} for v in OTHER_VCODECS]
    return cases


def _random(n: int, seed: int) -> list[dict[str, Any]]:
    """Random mixes: a codec, then each field set with probability 1/2 to any of its values."""
    rng = random.Random(seed)
    codecs = SOFTWARE * 3 + OTHER_VCODECS
    cases = []
    for _ in range(n):
        case: dict[str, Any] = {"vcodec": rng.choice(codecs)}
        for name, values in VALUES.items():
            if name == "video_backend":
                if rng.random() < 0.05:
                    case[name] = "torchcodec"
            elif rng.random() < 0.5:
                case[name] = rng.choice(values)
        cases.append(case)
    return cases


def config_cases(n_random: int = 1200, seed: int = 9) -> list[dict[str, Any]]:
    """Keyword arguments for both config classes (deep copies: configs keep the dicts they are given)."""
    return [copy.deepcopy(c) for c in _one_factor() + _random(n_random, seed)]
