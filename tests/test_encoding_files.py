"""encode_video_frames, get_video_info, durations, concatenation and decoding: real PyAV encodes of
small frames, including the inputs that must fail loudly (reference §3.1, §3.3, §3.4)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lerobot_videobench import (
    VideoEncoderConfig,
    VideoFileError,
    concatenate_video_files,
    encode_video_frames,
    get_video_duration_in_s,
    get_video_info,
    iter_video_frames,
    read_frames,
)
from lerobot_videobench.encoding import count_frames, list_png_frames

H, W, FPS = 48, 64, 30


def ramp_frames(n: int, offset: int = 0) -> list[np.ndarray]:
    """Flat frames whose grey level identifies the frame (codec-robust), with a colour gradient."""
    frames = []
    for i in range(n):
        f = np.full((H, W, 3), (offset + 9 * i) % 230 + 10, np.uint8)
        f[:, :, 2] = np.linspace(0, 255, W, dtype=np.uint8)[None, :]
        frames.append(f)
    return frames


def level(frame: np.ndarray) -> float:
    return float(frame[:, :, :2].mean())


def write_pngs(folder: Path, frames: list[np.ndarray]) -> None:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames):
        Image.fromarray(f).save(folder / f"frame-{i:06d}.png")


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("clips")
    a, b = d / "a.mp4", d / "b.mp4"
    encode_video_frames(ramp_frames(12), a, FPS)
    encode_video_frames(ramp_frames(10, offset=100), b, FPS)
    return {"a": a, "b": b}


# ---------------------------------------------------------------------------------------- encode


def test_encode_arrays_stats(tmp_path):
    path = tmp_path / "out" / "v.mp4"  # parent folder is created
    stats = encode_video_frames(ramp_frames(15), path, FPS, encoder_threads=1)
    assert path.is_file() and not stats.skipped
    assert (stats.frames, stats.width, stats.height, stats.fps) == (15, W, H, FPS)
    assert stats.bytes == path.stat().st_size > 0
    assert stats.vcodec == "libsvtav1" and stats.pix_fmt == "yuv420p"
    assert stats.options == {"g": "2", "crf": "30", "preset": "12", "svtav1-params": "fast-decode=0:lp=1"}
    assert stats.wall_s > 0 and stats.cpu_s > 0 and stats.encode_fps > 0
    assert count_frames(path) == 15
    assert list(tmp_path.joinpath("out").iterdir()) == [path]  # no temp file left behind


def test_encode_from_png_folder(tmp_path):
    frames = ramp_frames(10)
    folder = tmp_path / "imgs"
    write_pngs(folder, frames)
    (folder / "notes.txt").write_text("ignored")
    (folder / "frame-1.png").write_bytes(b"not matched by frame-NNNNNN.png")
    assert [p.name for p in list_png_frames(folder)] == [f"frame-{i:06d}.png" for i in range(10)]
    stats = encode_video_frames(folder, tmp_path / "v.mp4", FPS, VideoEncoderConfig(vcodec="h264"))
    assert stats.frames == 10 and stats.source_wall_s > 0
    decoded = list(iter_video_frames(tmp_path / "v.mp4"))
    assert len(decoded) == 10
    for src, dec in zip(frames, decoded):
        assert abs(level(src) - level(dec)) < 4


def test_png_folder_sorted_by_index_not_listing(tmp_path):
    frames = ramp_frames(11)
    folder = tmp_path / "imgs"
    write_pngs(folder, frames)
    decoded = list(iter_video_frames(encode_video_frames(folder, tmp_path / "v.mp4", FPS).path))
    levels = [level(f) for f in decoded]
    assert levels == sorted(levels)


def test_overwrite_false_keeps_file(tmp_path):
    path = tmp_path / "v.mp4"
    encode_video_frames(ramp_frames(5), path, FPS)
    before = path.read_bytes()
    stats = encode_video_frames(ramp_frames(8), path, FPS)
    assert stats.skipped and stats.frames == 5 and path.read_bytes() == before
    stats = encode_video_frames(ramp_frames(8), path, FPS, overwrite=True)
    assert not stats.skipped and count_frames(path) == 8


def test_lossless_hevc_gbrp_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (H, W, 3), dtype=np.uint8) for _ in range(6)]
    cfg = VideoEncoderConfig(vcodec="hevc", pix_fmt="gbrp", extra_options={"x265-params": "lossless=1:log-level=error"})
    encode_video_frames(frames, tmp_path / "v.mp4", FPS, cfg)
    decoded = list(iter_video_frames(tmp_path / "v.mp4"))
    assert len(decoded) == 6
    for src, dec in zip(frames, decoded):
        np.testing.assert_array_equal(src, dec)


@pytest.mark.parametrize(
    "frames, match",
    [
        ([np.zeros((H, W, 3), np.float32)], "dtype float32"),
        ([np.zeros((H, W, 3), np.uint16)], "dtype uint16"),
        ([np.zeros((H, W), np.uint8)], r"shape \(48, 64\)"),
        ([np.zeros((H, W, 4), np.uint8)], r"shape \(48, 64, 4\)"),
        ([np.zeros((3, H, W), np.uint8)], r"shape \(3, 48, 64\)"),
        ([np.zeros((H, W, 3), np.uint8), np.zeros((H, W + 2, 3), np.uint8)], "frame 1.*differs"),
        ([[[0, 0, 0]]], "numpy array"),
        ([], "empty"),
    ],
    ids=["float", "uint16", "2d", "rgba", "chw", "inconsistent", "list", "empty"],
)
def test_encode_bad_frames(tmp_path, frames, match):
    path = tmp_path / "v.mp4"
    with pytest.raises(ValueError, match=match):
        encode_video_frames(frames, path, FPS)
    assert list(tmp_path.iterdir()) == []  # no output, no temp file


def test_bad_frame_mid_stream_leaves_no_partial_output(tmp_path):
    def gen():
        yield from ramp_frames(8)
        yield np.zeros((H, W, 3), np.float64)

    with pytest.raises(ValueError, match="frame 8"):
        encode_video_frames(gen(), tmp_path / "v.mp4", FPS)
    assert list(tmp_path.iterdir()) == []


def test_source_exception_propagates_without_output(tmp_path):
    def gen():
        yield from ramp_frames(3)
        raise OSError("camera unplugged")

    with pytest.raises(OSError, match="camera unplugged"):
        encode_video_frames(gen(), tmp_path / "v.mp4", FPS)
    assert list(tmp_path.iterdir()) == []


def test_encode_missing_and_empty_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        encode_video_frames(tmp_path / "nope", tmp_path / "v.mp4", FPS)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "image.png").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="no frame-NNNNNN.png"):
        encode_video_frames(tmp_path / "empty", tmp_path / "v.mp4", FPS)
    assert not (tmp_path / "v.mp4").exists()


@pytest.mark.parametrize("fps", [0, -30, 29.97, True])
def test_encode_bad_fps(tmp_path, fps):
    with pytest.raises(ValueError, match="fps"):
        encode_video_frames(ramp_frames(2), tmp_path / "v.mp4", fps)


def test_encoder_open_failure_leaves_no_output(tmp_path):
    odd = [np.zeros((47, 63, 3), np.uint8)] * 2  # libx264 yuv420p needs even sizes
    with pytest.raises(Exception):
        encode_video_frames(odd, tmp_path / "v.mp4", FPS, VideoEncoderConfig(vcodec="h264"))
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------- info, duration


def test_get_video_info_keys(clips):
    cfg = VideoEncoderConfig()
    info = get_video_info(clips["a"], cfg)
    assert info["video.height"] == H and info["video.width"] == W
    assert info["video.codec"] == "av1" and info["video.pix_fmt"] == "yuv420p"
    assert info["video.fps"] == FPS and info["video.channels"] == 3
    assert info["has_audio"] is False
    for name in ("g", "crf", "preset", "fast_decode", "extra_options", "video_backend"):
        assert info[f"video.{name}"] == getattr(cfg, name)
    assert "video.vcodec" not in info
    bare = get_video_info(clips["a"])
    assert "video.crf" not in bare and bare["video.codec"] == "av1"


def test_stream_values_win_over_config(clips):
    info = get_video_info(clips["a"], VideoEncoderConfig(vcodec="h264", pix_fmt="yuv444p"))
    assert info["video.pix_fmt"] == "yuv420p"  # from the stream, not the config


def test_durations(clips):
    assert get_video_duration_in_s(clips["a"]) == pytest.approx(12 / FPS, abs=1e-6)
    assert get_video_duration_in_s(clips["b"]) == pytest.approx(10 / FPS, abs=1e-6)


# ---------------------------------------------------------------------------------------- concatenation


def test_concatenate_counts_and_frame_exact_second_clip(clips, tmp_path):
    out = concatenate_video_files([clips["a"], clips["b"], clips["a"]], tmp_path / "cat.mp4")
    assert count_frames(out) == 12 + 10 + 12
    assert get_video_duration_in_s(out) == pytest.approx(34 / FPS, abs=1e-6)
    info = get_video_info(out)
    assert (info["video.codec"], info["video.fps"], info["video.width"]) == ("av1", FPS, W)

    start_b = get_video_duration_in_s(clips["a"])  # LeRobot's from_timestamp: cumulative durations
    direct = list(iter_video_frames(clips["b"]))
    inside = list(iter_video_frames(out, from_timestamp=start_b, num_frames=10))
    assert len(inside) == 10
    for x, y in zip(direct, inside):
        np.testing.assert_array_equal(x, y)  # remux: bit-identical decoded frames

    picked = read_frames(out, [9, 0, 4], from_timestamp=start_b)
    for i, frame in zip([9, 0, 4], picked):
        np.testing.assert_array_equal(frame, direct[i])
    third = list(iter_video_frames(out, from_timestamp=start_b + 10 / FPS, start=2, num_frames=3))
    direct_a = list(iter_video_frames(clips["a"]))
    for x, y in zip(direct_a[2:5], third):
        np.testing.assert_array_equal(x, y)


def test_concatenate_compatibility_check_mismatch(clips, tmp_path):
    h264 = tmp_path / "h.mp4"
    encode_video_frames(ramp_frames(4), h264, FPS, VideoEncoderConfig(vcodec="h264"))
    small = tmp_path / "s.mp4"
    encode_video_frames([f[:32, :32] for f in ramp_frames(4)], small, FPS)
    other_fps = tmp_path / "f.mp4"
    encode_video_frames(ramp_frames(4), other_fps, 15)
    for bad, field in ((h264, "video.codec"), (small, "video.height"), (other_fps, "video.fps")):
        with pytest.raises(ValueError, match=field) as err:
            concatenate_video_files([clips["a"], bad], tmp_path / "x.mp4", compatibility_check=True)
        assert str(bad) in str(err.value)
    assert not (tmp_path / "x.mp4").exists()


def test_concatenate_bad_inputs(clips, tmp_path):
    with pytest.raises(ValueError, match="empty"):
        concatenate_video_files([], tmp_path / "x.mp4")
    with pytest.raises(FileNotFoundError):
        concatenate_video_files([clips["a"], tmp_path / "missing.mp4"], tmp_path / "x.mp4")
    existing = tmp_path / "exists.mp4"
    existing.write_bytes(b"keep")
    with pytest.raises(FileExistsError):
        concatenate_video_files([clips["a"]], existing, overwrite=False)
    assert existing.read_bytes() == b"keep"


# ---------------------------------------------------------------------------------------- decoding errors


def test_missing_frames_are_an_error(clips):
    with pytest.raises(VideoFileError, match="expected 20 frames"):
        list(iter_video_frames(clips["a"], num_frames=20))
    with pytest.raises(VideoFileError, match=r"frames \[15\]"):
        read_frames(clips["a"], [3, 15])


@pytest.fixture()
def broken_files(clips, tmp_path) -> dict[str, Path]:
    raw = clips["a"].read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(raw[: len(raw) // 2])
    text = tmp_path / "text.mp4"
    text.write_text("this is not a video\n" * 20)
    # A faststart mp4 (header first) cut in half: the header survives, the data does not.
    faststart = concatenate_video_files([clips["a"]], tmp_path / "fs.mp4")
    fs_raw = faststart.read_bytes()
    fs_truncated = tmp_path / "fs_truncated.mp4"
    fs_truncated.write_bytes(fs_raw[: len(fs_raw) // 2])
    return {"truncated": truncated, "text": text, "fs_truncated": fs_truncated}


@pytest.mark.parametrize("name", ["truncated", "text"])
@pytest.mark.parametrize(
    "reader",
    [get_video_info, get_video_duration_in_s, count_frames, lambda p: list(iter_video_frames(p))],
    ids=["info", "duration", "count", "decode"],
)
def test_corrupt_files_raise_video_file_error(broken_files, name, reader):
    with pytest.raises(VideoFileError, match=broken_files[name].name):
        reader(broken_files[name])


def test_truncated_faststart_file_is_not_silently_short(broken_files):
    path = broken_files["fs_truncated"]
    with pytest.raises(VideoFileError, match="truncated"):
        count_frames(path)
    with pytest.raises(VideoFileError):
        list(iter_video_frames(path, num_frames=12))


def test_video_file_error_is_a_value_error():
    assert issubclass(VideoFileError, ValueError)


@pytest.mark.parametrize(
    "reader",
    [get_video_info, get_video_duration_in_s, count_frames, lambda p: list(iter_video_frames(p))],
    ids=["info", "duration", "count", "decode"],
)
def test_missing_file(tmp_path, reader):
    with pytest.raises(FileNotFoundError, match="missing.mp4"):
        reader(tmp_path / "missing.mp4")
