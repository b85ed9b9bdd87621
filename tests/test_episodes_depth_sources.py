"""Depth sources: LeRobot datasets with depth features (v3.0 and v2.1, video and image storage, local and
Hub) and folders of 16-bit PNG / TIFF depth frames. Every kind yields HxW ``uint16`` mm equal to the
source depth: exactly for image storage and folders, and equal to LeRobot's ``dequantize(quantize(x))``
for its 12-bit depth videos (the codec is lossless). Error paths give one line and exit code 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from huggingface_hub import constants
from PIL import Image

from _episodes_support import TOP, tiny_frames
from lerobot_videobench import describe_source, load_episodes
from lerobot_videobench.cli import main as cli_main
from lerobot_videobench.encoding import DepthEncoderConfig
from lerobot_videobench.encoding.depth import dequantize_depth, quantize_depth
from lerobot_videobench.episodes.writer import lossless_encoder_config, write_lerobot_dataset
from lerobot_videobench.errors import InvalidValueError, SourceError

DEPTH = "observation.images.top_depth"
H, W = 48, 64
LENGTHS = (5, 4)
#: LeRobot's default depth encoder with x265 quiet (the quantizer and lossless mode are the defaults).
QUIET_DEPTH = DepthEncoderConfig(extra_options={"x265-params": "lossless=1:log-level=error"})


def depth_frames(n: int, seed: int, unit: str = "mm") -> list[np.ndarray]:
    """A table plane, a back wall, a box with sharp edges moving, invalid (0) pixels: uint16 mm or float32 m."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    out = []
    for i in range(n):
        d = 600.0 + 8.0 * yy  # the table, tilted away from the camera
        d[:12] = 2400.0  # the back wall
        x0 = 10 + 3 * i + seed
        d[20:34, x0:x0 + 16] = 450.0 + rng.integers(0, 30)  # a box: sharp edges
        d[:, :3] = 0.0  # a shadow strip: no return
        d[rng.random((H, W)) < 0.01] = 0.0  # dropouts
        out.append(np.rint(d).astype(np.uint16) if unit == "mm" else (d / 1000.0).astype(np.float32))
    return out


def as_mm(frames: list[np.ndarray]) -> list[np.ndarray]:
    return [f if f.dtype == np.uint16 else np.rint(f.astype(np.float64) * 1000).astype(np.uint16) for f in frames]


def write_depth(root: Path, *, version="v3.0", storage="video", unit="mm", rgb=True, config=QUIET_DEPTH):
    eps = []
    for e, n in enumerate(LENGTHS):
        ep = {TOP: tiny_frames(n, e)} if rgb else {}
        ep[DEPTH] = depth_frames(n, e, unit)
        eps.append(ep)
    write_lerobot_dataset(root, eps, 30, version=version, storage=storage,
                          camera_encoder_config=lossless_encoder_config(), depth_encoder_config=config)
    return root, eps


def expected(frames: list[np.ndarray], storage: str, config: DepthEncoderConfig = QUIET_DEPTH) -> list[np.ndarray]:
    if storage == "image":
        return as_mm(frames)
    return [dequantize_depth(quantize_depth(f, **config.quantizer()), **config.quantizer()) for f in frames]


def assert_frames(episode, want):
    got = list(episode.iter_frames())
    assert len(got) == len(want) == episode.num_frames
    for i, (a, b) in enumerate(zip(got, want)):
        assert a.dtype == np.uint16 and a.shape == (H, W), (i, a.dtype, a.shape)
        np.testing.assert_array_equal(a, b, err_msg=f"{episode.key} frame {i}")


def edit_info(root: Path, edit) -> None:
    path = root / "meta" / "info.json"
    info = json.loads(path.read_text())
    edit(info["features"][DEPTH])
    path.write_text(json.dumps(info))


# ---------------------------------------------------------------------------------------- LeRobot datasets
@pytest.mark.parametrize("version", ["v3.0", "v2.1"])
@pytest.mark.parametrize("storage", ["video", "image"])
@pytest.mark.parametrize("unit", ["mm", "m"])
def test_lerobot_depth_round_trip(tmp_path, version, storage, unit):
    root, eps = write_depth(tmp_path / "ds", version=version, storage=storage, unit=unit)
    feat = json.loads((root / "meta/info.json").read_text())["features"][DEPTH]
    assert feat["shape"] == [H, W, 1] and feat["info"]["is_depth_map"] is True and feat["info"]["depth_unit"] == unit
    got = load_episodes(root, kind="depth")
    assert [e.key for e in got] == [f"ep{i}/{DEPTH}" for i in range(len(LENGTHS))]
    for e, ep in zip(got, eps):
        assert e.is_depth and e.depth.source_unit == unit and e.frame_shape == (H, W)
        if storage == "video":
            assert e.lossy and e.depth.quantizer == QUIET_DEPTH.quantizer()
            assert any("12-bit quantized" in n and "lossless" in n for n in e.provenance.notes)
        else:
            assert not e.lossy and e.depth.quantizer is None and e.provenance.codec == "tiff"
        assert_frames(e, expected(ep[DEPTH], storage))
        assert e.fingerprint(tmp_path / "cache") == e.cached(tmp_path / "cache").fingerprint(tmp_path / "cache")


def test_recorded_quantizer_is_used(tmp_path):
    config = DepthEncoderConfig(depth_min=0.2, depth_max=3.0, shift=0.0, use_log=False,
                                extra_options={"x265-params": "lossless=1:log-level=error"})
    root, eps = write_depth(tmp_path / "ds", config=config)
    info = json.loads((root / "meta/info.json").read_text())["features"][DEPTH]["info"]
    assert (info["video.depth_min"], info["video.depth_max"], info["video.shift"], info["video.use_log"]) == (
        0.2, 3.0, 0.0, False)
    (e,) = load_episodes(root, episodes=0, cameras="top_depth")
    assert e.depth.quantizer == {"depth_min": 0.2, "depth_max": 3.0, "shift": 0.0, "use_log": False}
    want = expected(eps[0][DEPTH], "video", config)
    assert_frames(e, want)
    # linear 0.2..3.0 m: invalid 0 mm reads back as depth_min, as in LeRobot
    assert want[0][0, 0] == 200


def test_camera_kind_filter(tmp_path):
    root, _ = write_depth(tmp_path / "ds")
    # the default: RGB cameras only, so RGB settings never meet a depth camera nobody asked for
    assert [e.camera for e in load_episodes(root, episodes=0)] == [TOP]
    assert [e.camera for e in load_episodes(root, episodes=0, kind="rgb")] == [TOP]
    assert [e.camera for e in load_episodes(root, episodes=0, kind="depth")] == [DEPTH]
    assert [e.camera for e in load_episodes(root, episodes=0, kind="all")] == [TOP, DEPTH]
    # a named camera is returned whatever its kind, by full key or short name
    assert [e.camera for e in load_episodes(root, episodes=0, cameras=["top_depth"])] == [DEPTH]
    assert [e.camera for e in load_episodes(root, episodes=0, cameras=[DEPTH, "top"])] == [DEPTH, TOP]
    with pytest.raises(ValueError, match="is a depth camera, not rgb"):
        load_episodes(root, cameras="top_depth", kind="rgb")
    with pytest.raises(InvalidValueError, match="kind='colour' is not a camera kind"):
        load_episodes(root, kind="colour")
    # a depth-only dataset gives its depth cameras by default; asking for RGB says what there is
    only, _ = write_depth(tmp_path / "only", rgb=False)
    assert [e.camera for e in load_episodes(only, episodes=0)] == [DEPTH]
    with pytest.raises(ValueError, match=r"has no rgb camera; cameras: observation.images.top_depth \(depth\)"):
        load_episodes(only, kind="rgb")


def test_legacy_depth_marker(tmp_path):
    root, eps = write_depth(tmp_path / "ds")

    def legacy(feat):
        feat["info"]["video.is_depth_map"] = feat["info"].pop("is_depth_map")

    edit_info(root, legacy)
    (e,) = load_episodes(root, episodes=1, kind="depth")
    assert e.camera == DEPTH
    assert_frames(e, expected(eps[1][DEPTH], "video"))


def test_missing_depth_unit_follows_the_image_dtype(tmp_path):
    root, eps = write_depth(tmp_path / "ds", storage="image", unit="m")
    edit_info(root, lambda feat: feat["info"].pop("depth_unit"))
    (e,) = load_episodes(root, episodes=0, kind="depth")
    assert e.depth.source_unit == "m" and any("depth_unit not recorded" in n for n in e.provenance.notes)
    assert_frames(e, as_mm(eps[0][DEPTH]))


def test_describe_shows_depth(tmp_path, capsys):
    root, _ = write_depth(tmp_path / "ds")
    info = describe_source(root)
    cams = {c.key: c for c in info.cameras}
    assert cams[TOP].kind == "rgb" and not cams[TOP].is_depth
    d = cams[DEPTH]
    assert (d.kind, d.storage, d.depth_unit, d.lossy) == ("depth", "video", "mm", True)
    assert d.depth_quantizer == {"depth_min": 0.01, "depth_max": 10.0, "shift": 3.5, "use_log": True}
    assert [c.key for c in info.depth_cameras] == [DEPTH] and [c.key for c in info.rgb_cameras] == [TOP]
    assert cli_main(["inspect", str(root)]) == 0
    out = capsys.readouterr().out
    assert "lossy:     no; depth cameras: yes (12-bit quantized" in out
    assert "depth" in out and f"{DEPTH}: unit=mm, 12-bit quantized video: depth_min=0.01 m depth_max=10 m " \
        "shift=3.5 m use_log=true" in out
    assert cli_main(["inspect", str(root), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    jd = [c for c in data["cameras"] if c["key"] == DEPTH][0]
    assert jd["kind"] == "depth" and jd["depth_unit"] == "mm" and jd["depth_quantizer"]["shift"] == 3.5
    image, _ = write_depth(tmp_path / "img", storage="image", unit="m")
    d = {c.key: c for c in describe_source(image).cameras}[DEPTH]
    assert (d.kind, d.storage, d.codec, d.depth_unit, d.depth_quantizer, d.lossy) == (
        "depth", "image", "tiff", "m", None, False)


def test_unknown_depth_unit_is_one_line(tmp_path, capsys):
    root, _ = write_depth(tmp_path / "ds", storage="image")
    edit_info(root, lambda feat: feat["info"].update(depth_unit="cm"))
    with pytest.raises(SourceError, match=r"depth_unit='cm' is not a depth unit LeRobot writes; allowed: 'mm', 'm'"):
        load_episodes(root, kind="depth")
    assert cli_main(["inspect", str(root)]) == 2
    err = capsys.readouterr().err.strip()
    assert "depth_unit='cm'" in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_bad_recorded_quantizer_is_one_line(tmp_path):
    root, _ = write_depth(tmp_path / "ds")
    edit_info(root, lambda feat: feat["info"].update({"video.depth_min": 5.0, "video.depth_max": 1.0}))
    with pytest.raises(SourceError, match="records a depth quantizer LeRobot cannot invert: depth_min=5.0"):
        load_episodes(root, kind="depth")


def test_8bit_image_in_a_depth_feature(tmp_path):
    root, _ = write_depth(tmp_path / "ds", storage="image")
    # overwrite the depth cells of the data parquet with 8-bit PNGs
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    path = root / "data/chunk-000/file-000.parquet"
    table = pq.read_table(path)
    buf = io.BytesIO()
    Image.fromarray(np.zeros((H, W), np.uint8)).save(buf, format="PNG")
    cells = [{"bytes": buf.getvalue(), "path": "x.png"}] * table.num_rows
    col = table.schema.get_field_index(DEPTH)
    table = table.set_column(col, DEPTH, pa.array(cells, type=table.schema.field(DEPTH).type))
    pq.write_table(table, path)
    with pytest.raises(SourceError, match=r"is an 8-bit image \(Pillow mode 'L'\); depth frames are single-channel"):
        load_episodes(root, kind="depth")


# ---------------------------------------------------------------------------------------- the Hub, offline
def test_hub_depth_dataset_offline(tmp_path, monkeypatch):
    src, eps = write_depth(tmp_path / "src")
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "datasets--videobench-test--depth"
    snap = repo / "snapshots" / commit
    shutil.copytree(src, snap)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    got = load_episodes("videobench-test/depth", cameras="top_depth")
    assert [e.key for e in got] == [f"ep0/{DEPTH}", f"ep1/{DEPTH}"]
    for e, ep in zip(got, eps):
        assert e.depth.quantizer == QUIET_DEPTH.quantizer() and f"hub commit {commit}" in e.provenance.notes
        assert_frames(e, expected(ep[DEPTH], "video"))
    assert [e.camera for e in load_episodes("videobench-test/depth", episodes=0)] == [TOP]
    d = {c.key: c for c in describe_source("videobench-test/depth").cameras}[DEPTH]
    assert d.kind == "depth" and d.depth_quantizer["depth_max"] == 10.0


# ---------------------------------------------------------------------------------------- folders
def _save(folder: Path, frames: list[np.ndarray], ext: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames):
        Image.fromarray(f).save(folder / f"frame-{i:06d}.{ext}", **({"compression": "raw"} if ext == "tiff" else {}))
    return folder


@pytest.mark.parametrize("ext, unit", [("png", "mm"), ("tiff", "mm"), ("tiff", "m")])
def test_depth_folder_round_trip(tmp_path, ext, unit):
    frames = depth_frames(4, 3, unit)
    folder = _save(tmp_path / "cam_depth", frames, ext)
    (e,) = load_episodes(folder, fps=15)
    assert e.is_depth and e.depth.source_unit == unit and e.depth.quantizer is None
    assert (e.fps, e.num_frames, e.lossy, e.provenance.kind, e.camera) == (15, 4, False, f"{ext}-folder", "cam_depth")
    assert_frames(e, as_mm(frames))
    assert load_episodes(folder, kind="depth")[0].is_depth
    with pytest.raises(ValueError, match="holds one depth camera"):
        load_episodes(folder, kind="rgb")
    info = describe_source(folder)
    (cam,) = info.cameras
    assert (info.kind, cam.kind, cam.depth_unit, cam.storage, cam.codec, cam.lossy) == (
        f"{ext}-folder", "depth", unit, "image", ext, False)


def test_8bit_png_folder_stays_rgb(tmp_path):
    frames = tiny_frames(3, 1)
    folder = _save(tmp_path / "rgb", frames, "png")
    (e,) = load_episodes(folder)
    assert not e.is_depth and e.frame_shape == (H, W, 3)
    assert describe_source(folder).cameras[0].kind == "rgb"


def _cli_one_line(args, capsys, *needles):
    assert cli_main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    for n in needles:
        assert n in err, err


def test_8bit_image_in_a_depth_folder(tmp_path, capsys):
    folder = _save(tmp_path / "d", depth_frames(3, 0), "png")
    Image.fromarray(np.zeros((H, W), np.uint8)).save(folder / "frame-000002.png")
    with pytest.raises(SourceError, match=r"frame-000002.png \(frame 2\) in a depth folder is an 8-bit image"):
        load_episodes(folder)
    _cli_one_line(["inspect", str(folder)], capsys, "frame-000002.png", "8-bit")
    tiffs = _save(tmp_path / "t", [np.zeros((H, W), np.uint8)], "tiff")
    with pytest.raises(SourceError, match=r"is an 8-bit image \(Pillow mode 'L'\)"):
        load_episodes(tiffs)


def test_depth_folder_with_mixed_shapes(tmp_path, capsys):
    folder = _save(tmp_path / "d", depth_frames(2, 0), "tiff")
    Image.fromarray(np.zeros((H // 2, W), np.uint16)).save(folder / "frame-000002.tiff")
    with pytest.raises(SourceError, match=r"frame-000002.tiff \(frame 2\) is 64x24, frame 0 is 64x48"):
        load_episodes(folder)
    _cli_one_line(["inspect", str(folder)], capsys, "64x24")
    mixed = _save(tmp_path / "m", depth_frames(1, 0, "mm") + depth_frames(1, 0, "m"), "tiff")
    with pytest.raises(SourceError, match="holds depth in m, frame 0 in mm"):
        load_episodes(mixed)


# ---------------------------------------------------------------------------------------- health
def test_health_checks_depth_cameras(tmp_path, capsys):
    from lerobot_videobench import check_health

    root, _ = write_depth(tmp_path / "ds")
    report = check_health(root)
    assert report.ok, report.problems
    assert report.cameras == [TOP, DEPTH] and {e.camera for e in report.episodes} == {TOP, DEPTH}
    assert report.depth == {DEPTH: {"storage": "video", "depth_unit": "mm", "quantizer": QUIET_DEPTH.quantizer()}}
    assert report.recorded_encoder[DEPTH]["stream"]["pix_fmts"] == ["gray12le"]
    assert cli_main(["health", str(root)]) == 0
    out = capsys.readouterr().out
    assert f"depth camera {DEPTH}: unit=mm, 12-bit quantized video: depth_min=0.01 m" in out
    assert cli_main(["health", str(root), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["depth"][DEPTH]["quantizer"]["use_log"] is True

    # what a reader cannot use: an unknown unit, a quantizer that cannot be inverted, missing quantizer fields
    def broken(feat):
        feat["info"].update({"depth_unit": "cm", "video.depth_min": 3.0, "video.depth_max": 1.0})
        feat["info"].pop("video.shift")

    edit_info(root, broken)
    report = check_health(root)
    assert not report.ok
    assert any("depth_unit='cm'" in p for p in report.problems)
    assert any("cannot invert: depth_min=3.0" in p for p in report.problems)
    assert any("records no video.shift" in n for n in report.notes)
    assert cli_main(["health", str(root)]) == 1


def test_health_of_image_depth(tmp_path):
    from lerobot_videobench import check_health

    root, _ = write_depth(tmp_path / "ds", storage="image", unit="m")
    report = check_health(root, cameras=["top_depth"])
    assert report.ok and report.depth == {DEPTH: {"storage": "image", "depth_unit": "m", "quantizer": None}}


# ---------------------------------------------------------------------------------------- the sample
def test_scene_depth_is_exact_and_sensor_like():
    from lerobot_videobench.episodes.synthetic import WALL_MM, TabletopScene

    scene = TabletopScene(seed=0, top_size=(640, 480), wrist_size=(320, 240))
    a, b = list(scene.depth_frames(30, 0, size=(80, 60)))[::29]
    assert a.shape == (60, 80) and a.dtype == np.uint16
    assert np.array_equal(a, next(iter(scene.depth_frames(30, 0, size=(80, 60)))))  # deterministic
    assert 0.005 < np.mean(a == 0) < 0.2  # shadow strips and dropouts, not a broken frame
    valid = a[a > 0]
    assert valid.min() < 700 and valid.max() > WALL_MM  # the arm near, the wall and the floor far
    assert np.count_nonzero(a != b) > 50  # the arm moves
    rows = np.abs(np.diff(a.astype(np.int32), axis=1))
    assert np.count_nonzero(rows[(a[:, 1:] > 0) & (a[:, :-1] > 0)] > 40) > 20  # sharp edges


@pytest.mark.skipif(not Path(__file__).resolve().parents[1].joinpath("datasets_sample/tabletop").is_dir(),
                    reason="datasets_sample/ not generated")
def test_sample_depth_camera():
    from lerobot_videobench.episodes.synthetic import TabletopScene

    # RGB commands see the RGB cameras they always saw; the depth camera is asked for
    assert [e.camera.rsplit(".", 1)[-1] for e in load_episodes("sample", episodes=0, max_frames=2)] == ["top", "wrist"]
    got = load_episodes("sample", kind="depth", max_frames=3)
    assert [e.key for e in got] == ["ep0/observation.images.top_depth", "ep1/observation.images.top_depth"]
    e = got[0]
    assert (e.width, e.height, e.lossy, e.depth.source_unit) == (320, 240, True, "mm")
    assert e.depth.quantizer == DepthEncoderConfig().quantizer()
    scene = TabletopScene(seed=0, top_size=(640, 480), wrist_size=(320, 240), fps=30, noise_sigma=0.25)
    exact = list(scene.depth_frames(90, 0, size=(320, 240)))[:3]
    got_frames = list(e.iter_frames())
    assert [f.shape for f in got_frames] == [(240, 320)] * 3
    for a, f in zip(got_frames, exact):  # the default quantizer, then a lossless codec
        np.testing.assert_array_equal(a, dequantize_depth(quantize_depth(f)))
    d = {c.key: c for c in describe_source("sample").cameras}["observation.images.top_depth"]
    assert (d.kind, d.storage, d.codec, d.pix_fmt) == ("depth", "video", "hevc", "gray12le")
    assert d.recorded_encoder.values["extra_options"] == {"x265-params": "lossless=1"}
    # LeRobot's default depth encoder records preset=null itself: not a merge's null
    assert d.recorded_encoder.values["preset"] is None and d.recorded_encoder.null_fields == ()


def test_source_panel_offers_depth_without_selecting_it(tmp_path):
    pytest.importorskip("ipywidgets")
    from lerobot_videobench.widgets.source import SourcePanel, info_html

    root, _ = write_depth(tmp_path / "ds")
    html = info_html(describe_source(root))
    assert "<td style='padding-right:1em'>depth</td>" in html and "12-bit quantized video" in html
    panel = SourcePanel(str(root))
    panel.load()
    assert [v for _, v in panel.cameras_select.options] == [TOP, DEPTH]
    assert dict(panel.cameras_select.options)["top_depth (depth)"] == DEPTH
    assert panel.cameras_select.value == (TOP,)
