"""VideoEncoderConfig: LeRobot's defaults, option mapping, ``auto`` resolution and validation
(reference §1-2; upstream ``tests/datasets/test_video_encoding.py::TestCodecOptions``)."""

from __future__ import annotations

import pytest

from lerobot_videobench import VideoEncoderConfig, camera_encoder_defaults
from lerobot_videobench.encoding import (
    HW_VIDEO_CODECS,
    VALID_VIDEO_CODECS,
    encode_video_frames,
    get_video_info,
    probe_encoder,
    resolve_auto_vcodec,
)
from lerobot_videobench.encoding.pyav_probe import available_encoders

# ---------------------------------------------------------------------------------------- defaults


def test_defaults_match_lerobot():
    cfg = camera_encoder_defaults()
    assert (cfg.vcodec, cfg.pix_fmt, cfg.g, cfg.crf, cfg.preset, cfg.fast_decode) == (
        "libsvtav1",
        "yuv420p",
        2,
        30,
        12,
        0,
    )
    assert cfg.video_backend == "pyav" and cfg.extra_options == {}
    assert cfg.get_codec_options(as_strings=True) == {
        "g": "2",
        "crf": "30",
        "preset": "12",
        "svtav1-params": "fast-decode=0",
    }


def test_typed_options_for_validation():
    assert VideoEncoderConfig().get_codec_options() == {
        "g": 2,
        "crf": 30,
        "preset": 12,
        "svtav1-params": "fast-decode=0",
    }


def test_encoder_threads_become_svt_lp():
    opts = VideoEncoderConfig().get_codec_options(encoder_threads=2, as_strings=True)
    assert opts["svtav1-params"] == "fast-decode=0:lp=2"


@pytest.mark.parametrize("fast_decode, expected", [(0, 0), (1, 1), (2, 2), (5, 2), (-1, 0)])
def test_svt_fast_decode_is_clamped(fast_decode, expected):
    opts = VideoEncoderConfig(fast_decode=fast_decode).get_codec_options()
    assert opts["svtav1-params"] == f"fast-decode={expected}"


def test_preset_12_only_for_libsvtav1():
    assert VideoEncoderConfig(vcodec="h264").preset is None
    assert VideoEncoderConfig(vcodec="hevc").preset is None
    assert VideoEncoderConfig(vcodec="libsvtav1", preset=4).preset == 4


@pytest.mark.parametrize("vcodec", ["h264", "hevc"])
def test_x264_x265_tune_and_threads(vcodec):
    cfg = VideoEncoderConfig(vcodec=vcodec, fast_decode=1, preset="fast")
    assert cfg.get_codec_options(encoder_threads=3) == {
        "g": 2,
        "crf": 30,
        "preset": "fast",
        "tune": "fastdecode",
        "threads": 3,
    }
    plain = VideoEncoderConfig(vcodec=vcodec).get_codec_options()
    assert plain == {"g": 2, "crf": 30}  # no tune, no preset, no threads when not asked


def test_libaom_threads_and_row_mt():
    opts = VideoEncoderConfig(vcodec="libaom-av1").get_codec_options(encoder_threads=4, as_strings=True)
    assert opts == {"g": "2", "crf": "30", "threads": "4", "row-mt": "1"}


def test_as_strings_applies_to_every_value_including_extra_options():
    cfg = VideoEncoderConfig(vcodec="h264", fast_decode=1, extra_options={"bf": 0, "x264-params": "ref=1"})
    opts = cfg.get_codec_options(encoder_threads=2, as_strings=True)
    assert all(isinstance(v, str) for v in opts.values()), opts
    assert opts["bf"] == "0" and opts["threads"] == "2" and opts["tune"] == "fastdecode"
    nvenc = VideoEncoderConfig(vcodec="h264_nvenc", preset=5).get_codec_options(as_strings=True)
    assert nvenc == {"g": "2", "rc": "0", "qp": "30", "preset": "5"}


def test_extra_options_never_override_structured_fields():
    cfg = VideoEncoderConfig(extra_options={"crf": 10, "preset": 2, "g": 50, "svtav1-params": "tune=0", "qp": 7})
    opts = cfg.get_codec_options()
    assert opts["crf"] == 30 and opts["preset"] == 12 and opts["g"] == 2
    assert opts["svtav1-params"] == "fast-decode=0"
    assert opts["qp"] == 7  # not a structured key for SVT: passed through


def test_errors_name_the_extra_option_not_a_field():
    # qp is crf's option for nvenc, but here the user set it: the error must not blame crf (which is 30)
    with pytest.raises(ValueError, match=r"extra_options\['qp'\]=70 is out of range"):
        VideoEncoderConfig(extra_options={"qp": 70})
    labels = VideoEncoderConfig(vcodec="h264", extra_options={"preset": "veryfast"}).option_labels()
    assert labels["preset"] == "extra_options['preset']" and labels["crf"] == "crf"


def test_extra_options_fill_unset_fields():
    # preset None is not emitted for x264, so an extra preset is used (LeRobot's set_if skips None).
    cfg = VideoEncoderConfig(vcodec="h264", extra_options={"preset": "veryfast"})
    assert cfg.get_codec_options()["preset"] == "veryfast"


# ---------------------------------------------------------------------------------------- auto / alias


def test_alias_av1_is_libsvtav1():
    assert VideoEncoderConfig(vcodec="av1").vcodec == "libsvtav1"


def test_auto_resolves_like_lerobot_by_name_only():
    named = available_encoders(list(HW_VIDEO_CODECS))
    expected = named[0] if named else "libsvtav1"
    assert VideoEncoderConfig(vcodec="auto").vcodec == expected
    assert resolve_auto_vcodec() == expected


def test_auto_on_this_machine_picks_nvenc_but_really_working_is_libsvtav1():
    if probe_encoder("h264_nvenc").opens:
        pytest.skip("an NVIDIA encoder really works here")
    if not available_encoders("h264_nvenc"):
        pytest.skip("this PyAV build has no nvenc")
    assert VideoEncoderConfig(vcodec="auto").vcodec == "h264_nvenc"
    assert resolve_auto_vcodec(check_opens=True) == "libsvtav1"


def test_unknown_codec_rejected_with_allowed_list():
    with pytest.raises(ValueError) as err:
        VideoEncoderConfig(vcodec="mpeg4")
    msg = str(err.value)
    assert "vcodec" in msg and "'mpeg4'" in msg and "libsvtav1" in msg and "h264" in msg


def test_codec_missing_from_build_rejected():
    if available_encoders("h264_videotoolbox"):
        pytest.skip("this build has videotoolbox")
    with pytest.raises(ValueError, match="h264_videotoolbox.*not available"):
        VideoEncoderConfig(vcodec="h264_videotoolbox")


# ---------------------------------------------------------------------------------------- HW mappings


@pytest.mark.parametrize("crf, qv", [(30, 40), (0, 100), (60, 1), (20, 60)])
def test_videotoolbox_quality_mapping(crf, qv):
    cfg = VideoEncoderConfig.unchecked(vcodec="h264_videotoolbox", crf=crf, preset="ignored")
    assert cfg.get_codec_options(encoder_threads=4) == {"g": 2, "q:v": qv}  # no preset, no threads


def test_hevc_videotoolbox_same_mapping():
    assert VideoEncoderConfig.unchecked(vcodec="hevc_videotoolbox").get_codec_options()["q:v"] == 40


def test_qsv_global_quality_and_preset():
    cfg = VideoEncoderConfig.unchecked(vcodec="h264_qsv", preset="medium")
    assert cfg.get_codec_options(encoder_threads=4) == {"g": 2, "global_quality": 30, "preset": "medium"}


def test_vaapi_qp():
    cfg = VideoEncoderConfig.unchecked(vcodec="h264_vaapi", crf=25)
    assert cfg.get_codec_options(encoder_threads=4) == {"g": 2, "qp": 25}


@pytest.mark.parametrize("vcodec", ["h264_nvenc", "hevc_nvenc"])
def test_nvenc_constqp(vcodec):
    cfg = VideoEncoderConfig.unchecked(vcodec=vcodec, crf=28, preset=12)
    opts = cfg.get_codec_options(encoder_threads=4)
    assert opts == {"g": 2, "rc": 0, "qp": 28, "preset": 12}
    assert opts["rc"] == 0


def test_nvenc_validated_when_in_build():
    if not available_encoders("h264_nvenc"):
        pytest.skip("this PyAV build has no nvenc")
    assert VideoEncoderConfig(vcodec="h264_nvenc").get_codec_options()["rc"] == 0
    with pytest.raises(ValueError, match="preset='fast'"):  # nvenc preset is INT: names fail LeRobot's check
        VideoEncoderConfig(vcodec="h264_nvenc", preset="fast")
    with pytest.raises(ValueError, match="crf=60.*out of range"):
        VideoEncoderConfig(vcodec="h264_nvenc", crf=60)


def test_unchecked_refuses_auto_but_checks_names():
    with pytest.raises(ValueError, match="auto"):
        VideoEncoderConfig.unchecked(vcodec="auto")
    with pytest.raises(ValueError, match="vcodec"):
        VideoEncoderConfig.unchecked(vcodec="prores")


# ---------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize("preset", [100, -3])
def test_svt_preset_out_of_range(preset):
    with pytest.raises(ValueError) as err:
        VideoEncoderConfig(preset=preset)
    msg = str(err.value)
    assert f"preset={preset}" in msg and "[-2, 13]" in msg


def test_svt_crf_out_of_range():
    with pytest.raises(ValueError) as err:
        VideoEncoderConfig(crf=64)
    assert "crf=64" in str(err.value) and "[0, 63]" in str(err.value)


def test_svt_float_crf_rejected():
    with pytest.raises(ValueError, match="float values are not allowed") as err:
        VideoEncoderConfig(crf=2.5)
    assert "crf=2.5" in str(err.value)


def test_svt_whole_float_crf_accepted():
    assert VideoEncoderConfig(crf=30.0).get_codec_options(as_strings=True)["crf"] == "30.0"


def test_svt_yuv444p_rejected():
    with pytest.raises(ValueError) as err:
        VideoEncoderConfig(pix_fmt="yuv444p")
    msg = str(err.value)
    assert "pix_fmt='yuv444p'" in msg and "yuv420p" in msg


def test_h264_accepts_float_crf():
    assert VideoEncoderConfig(vcodec="h264", crf=23.5).get_codec_options()["crf"] == 23.5


def test_h264_yuv444p_accepted():
    assert VideoEncoderConfig(vcodec="h264", pix_fmt="yuv444p").pix_fmt == "yuv444p"


def test_pix_fmt_with_too_few_channels_rejected():
    with pytest.raises(ValueError, match="pix_fmt='gray'.*channel"):
        VideoEncoderConfig(vcodec="hevc", pix_fmt="gray")


@pytest.mark.parametrize("g", [0, -1, True, "2", 2.0])
def test_bad_gop(g):
    with pytest.raises(ValueError, match="g="):
        VideoEncoderConfig(g=g)


def test_bad_field_types():
    with pytest.raises(ValueError, match="fast_decode"):
        VideoEncoderConfig(fast_decode="1")
    with pytest.raises(ValueError, match="extra_options"):
        VideoEncoderConfig(extra_options=["crf", 1])
    with pytest.raises(ValueError, match="video_backend"):
        VideoEncoderConfig(video_backend="torchcodec")


def test_validate_reruns_after_mutation():
    cfg = VideoEncoderConfig()
    cfg.crf = 99
    with pytest.raises(ValueError, match="crf=99"):
        cfg.validate()


def test_every_valid_codec_name_known():
    assert {"h264", "hevc", "libsvtav1", "libaom-av1", "auto", *HW_VIDEO_CODECS} == set(VALID_VIDEO_CODECS)


# ---------------------------------------------------------------------------------------- info round trip


@pytest.mark.parametrize(
    "cfg",
    [
        VideoEncoderConfig(crf=35, preset=10, fast_decode=1),
        VideoEncoderConfig(vcodec="h264", crf=23.5, preset="veryfast", extra_options={"bf": 0}),
        VideoEncoderConfig(vcodec="hevc", g=5),
    ],
    ids=["svt", "h264", "hevc"],
)
def test_from_video_info_round_trip(cfg, tmp_path):
    import numpy as np

    frames = [np.full((48, 64, 3), 10 * i, np.uint8) for i in range(4)]
    path = tmp_path / "v.mp4"
    encode_video_frames(frames, path, 30, cfg)
    info = get_video_info(path, cfg)
    assert info["video.codec"] in {"av1", "h264", "hevc"}
    rebuilt = VideoEncoderConfig.from_video_info(info)
    assert rebuilt.to_dict() == cfg.to_dict()
    assert rebuilt.get_codec_options(as_strings=True) == cfg.get_codec_options(as_strings=True)


def test_from_video_info_defaults_for_missing_and_empty():
    cfg = VideoEncoderConfig.from_video_info({"video.codec": "av1", "video.crf": None, "video.extra_options": {}})
    assert cfg.to_dict() == VideoEncoderConfig().to_dict()
    assert VideoEncoderConfig.from_video_info(None).to_dict() == VideoEncoderConfig().to_dict()
