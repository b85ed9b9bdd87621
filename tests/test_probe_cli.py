"""``lerobot-videobench probe``: which encoders really open here, and the warning about LeRobot's ``auto``."""

from __future__ import annotations

import json

import pytest

from lerobot_videobench.cli import main
from lerobot_videobench.encoding import probe_encoder


@pytest.fixture(scope="module")
def probe_json() -> dict:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["probe", "--json"]) == 0
    return json.loads(out.getvalue())


def by_name(data: dict) -> dict[str, dict]:
    return {e["name"]: e for e in data["encoders"]}


def test_software_encoders_work(probe_json):
    enc = by_name(probe_json)
    for name in ("libsvtav1", "h264", "hevc"):
        assert enc[name]["present"] and enc[name]["opens"], enc[name]
        assert enc[name]["status"] == "works"
    assert "yuv420p" in enc["libsvtav1"]["pixel_formats"]
    assert enc["libsvtav1"]["canonical_name"] == "av1"


def test_every_lerobot_encoder_listed(probe_json):
    assert list(by_name(probe_json)) == [
        "libsvtav1",
        "h264",
        "hevc",
        "libaom-av1",
        "h264_videotoolbox",
        "hevc_videotoolbox",
        "h264_nvenc",
        "hevc_nvenc",
        "h264_vaapi",
        "h264_qsv",
    ]
    for e in probe_json["encoders"]:
        if not e["present"]:
            assert e["status"] == "absent" and not e["opens"]


def test_nvenc_present_but_fails_and_auto_warning(probe_json):
    nvenc = by_name(probe_json)["h264_nvenc"]
    if not nvenc["present"]:
        pytest.skip("this PyAV build has no nvenc")
    if nvenc["opens"]:
        pytest.skip("an NVIDIA GPU is really available here")
    assert nvenc["status"] == "fails to open" and nvenc["error"]
    assert probe_json["lerobot_auto"] == "h264_nvenc"
    assert probe_json["lerobot_auto_works"] is False
    assert probe_json["working_auto"] == "libsvtav1"
    assert len(probe_json["warnings"]) == 1
    warning = probe_json["warnings"][0]
    assert "vcodec='auto'" in warning and "h264_nvenc" in warning and "libsvtav1" in warning


def test_versions_recorded(probe_json):
    versions = probe_json["versions"]
    assert versions["pyav"].startswith("15.")
    assert "libavcodec" in versions and versions["ffmpeg"]


def test_text_output(capsys):
    assert main(["probe"]) == 0
    out = capsys.readouterr().out
    assert "libsvtav1" in out and "works" in out
    assert "LeRobot vcodec='auto' picks here:" in out
    if probe_encoder("h264_nvenc").present and not probe_encoder("h264_nvenc").opens:
        assert "fails to open" in out and "WARNING: LeRobot's vcodec='auto' would pick h264_nvenc" in out


def test_sweepable_codecs_are_the_probe_s_working_encoders(probe_json):
    from lerobot_videobench.encoding.capabilities import sweepable_codecs

    working = [e["name"] for e in probe_json["encoders"] if e["opens"]]
    codecs = sweepable_codecs()
    assert codecs[:3] == ["libsvtav1", "h264", "hevc"]
    hardware = [c for c in codecs if c not in ("libsvtav1", "h264", "hevc", "libaom-av1")]
    assert all(c in working for c in hardware)  # nvenc of a GPU-less wheel is not offered
