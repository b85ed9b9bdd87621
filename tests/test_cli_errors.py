"""Bad input and faults through the CLI, as a hostile user would try them: each gives exit code 2, one
line on stderr naming the thing and what to do, no traceback, and nothing modified that should not be."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from _episodes_support import TOP, tiny_frames, write_tiny
from lerobot_videobench.bench import load_results
from lerobot_videobench.bench.runner import run_sweep
from lerobot_videobench.bench.store import ResultStore
from lerobot_videobench.bench.trial import MeasureSettings
from lerobot_videobench.cli import main
from lerobot_videobench.encoding import VideoEncoderConfig, encode_video_frames
from lerobot_videobench.episodes import episode_from_arrays
from lerobot_videobench.errors import StoreError

ROOT = Path(__file__).resolve().parents[1]
TINY_GRID = {"vcodec": ["h264"], "crf": [30], "preset": ["ultrafast"], "encoder_threads": [1]}


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEROBOT_VIDEOBENCH_CACHE", str(tmp_path / "cache"))


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def run(*argv: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """The CLI in its own process (signals, pipes, environment read at import)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "lerobot_videobench.cli", *map(str, argv)], capture_output=True,
                          text=True, env=full_env, timeout=timeout)


def one_line_error(rc: int, err: str, *needles: str) -> str:
    """Exit 2, exactly one stderr line starting ``error:``, no traceback, every needle in it."""
    assert rc == 2, err
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def real_store(tmp_path_factory) -> Path:
    """A results store written by a real sweep (h264 on 8 tiny frames)."""
    root = tmp_path_factory.mktemp("store")
    ep = episode_from_arrays(tiny_frames(8, 1), source="tiny")
    run_sweep(ep, TINY_GRID, root / "r.sqlite", workers=1, cache_dir=root / "cache",
              settings=MeasureSettings(access_samples=2, png_samples=0))
    return root / "r.sqlite"


@pytest.fixture(scope="module")
def video_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("video") / "cam.mp4"
    encode_video_frames(tiny_frames(12, 3), path, 30, VideoEncoderConfig(vcodec="h264", crf=18, preset="ultrafast"))
    return path


# ------------------------------------------------------------------------------------------ stores
def _random_bytes(path: Path) -> None:
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())


def _other_program(path: Path) -> None:
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        c.execute("INSERT INTO customers (name) VALUES ('ada')")


def _old_schema(path: Path) -> None:
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE trials (key TEXT PRIMARY KEY, summary TEXT)")


BAD_STORES = {
    "random": (_random_bytes, "is not a results store: it is not an SQLite file"),
    "other": (_other_program, "is not a results store: it has tables ['customers']"),
    "old": (_old_schema, "older schema"),
}
COMMANDS = {
    "recommend": ["recommend", "{s}"],
    "pareto": ["pareto", "{s}"],
    "compare": ["compare", "{s}", "--baseline", "vcodec=h264"],
    "report": ["report", "{s}", "--out", "{tmp}/r.html"],
    "sweep": ["sweep", "sample", "--max-frames", "4", "--store", "{s}"],
}


@pytest.mark.parametrize("kind", sorted(BAD_STORES))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_file_that_is_not_a_results_store_is_refused_and_left_alone(tmp_path, capsys, kind, command):
    make, message = BAD_STORES[kind]
    store = tmp_path / "store.sqlite"
    make(store)
    before = digest(store)
    argv = [a.format(s=store, tmp=tmp_path) for a in COMMANDS[command]]
    rc, _, err = cli(capsys, *argv)
    one_line_error(rc, err, str(store), message)
    assert digest(store) == before
    assert not list(tmp_path.glob("store.sqlite-*"))  # no WAL switch, no journal
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("command", ["recommend", "pareto", "compare", "report"])
def test_read_commands_never_write_the_store(real_store, tmp_path, capsys, command):
    store = tmp_path / "copy.sqlite"
    store.write_bytes(real_store.read_bytes())
    before = digest(store)
    argv = [a.format(s=store, tmp=tmp_path) for a in COMMANDS[command]]
    rc, _, err = cli(capsys, *argv)
    assert rc in (0, 1), err
    assert digest(store) == before


def test_a_store_on_read_only_media_can_be_read(real_store, tmpfs, tmp_path, capsys):
    media = tmpfs("4m", files={"r.sqlite": real_store.read_bytes()}, read_only=True)
    store = media / "r.sqlite"
    for argv in (["recommend", store], ["pareto", store, "--json"], ["report", store, "--out", tmp_path / "r.html"]):
        rc, out, err = cli(capsys, *argv)
        assert rc in (0, 1), err
    assert (tmp_path / "r.html").stat().st_size > 0
    assert len(load_results(store)) == 1


def test_a_sweep_into_a_read_only_store_says_so(real_store, tmpfs, capsys):
    media = tmpfs("4m", files={"r.sqlite": real_store.read_bytes()}, read_only=True)
    rc, _, err = cli(capsys, "sweep", "sample", "--max-frames", "4", "--store", media / "r.sqlite")
    one_line_error(rc, err, "read-only", str(media / "r.sqlite"))


def test_a_locked_store_waits_a_bounded_time_then_says_so(real_store, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LEROBOT_VIDEOBENCH_STORE_TIMEOUT", "0.5")
    store = tmp_path / "r.sqlite"
    store.write_bytes(real_store.read_bytes())
    holder = sqlite3.connect(store, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        t0 = time.monotonic()
        rc, _, err = cli(capsys, "sweep", "sample", "--max-frames", "4", "--store", store)
        one_line_error(rc, err, "is locked by another process", str(store))
        assert time.monotonic() - t0 < 30
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_result_written_while_the_store_is_locked_is_not_lost(real_store, tmp_path):
    from lerobot_videobench.bench.trial import TrialSpec, run_trial

    store_path = tmp_path / "r.sqlite"
    store = ResultStore(store_path, timeout_s=0.3)
    ep = episode_from_arrays(tiny_frames(6, 9), source="tiny")
    result = run_trial(ep, TrialSpec(VideoEncoderConfig(vcodec="h264", preset="ultrafast")),
                       settings=MeasureSettings(access_samples=2, png_samples=0))
    holder = sqlite3.connect(store_path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="locked.*kept in .*pending"):
            store.put(result)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert list(store.pending_dir.glob("*.json"))
    reopened = ResultStore(store_path)  # imports what waited
    assert result.key in reopened and not store.pending_dir.exists()
    assert reopened.summary(result.key)["label"] == result.label


def test_an_unreachable_scheduler_is_one_line(video_file, tmp_path, capsys):
    pytest.importorskip("distributed")
    rc, _, err = cli(capsys, "sweep", video_file, "--grid", "quick", "--store", tmp_path / "r.sqlite",
                     "--scheduler", "tcp://127.0.0.1:9")
    one_line_error(rc, err, "cannot reach the Dask scheduler 'tcp://127.0.0.1:9'", "drop --scheduler")


# ------------------------------------------------------------------------------------------ sources
def _png_folder(path: Path, n: int = 5) -> Path:
    from PIL import Image

    path.mkdir()
    for i, frame in enumerate(tiny_frames(n, 4)):
        Image.fromarray(frame).save(path / f"frame-{i:06d}.png")
    return path


def test_a_file_in_a_png_folder_that_is_not_a_png(tmp_path, capsys):
    folder = _png_folder(tmp_path / "pngs")
    (folder / "frame-000002.png").write_text("not an image")
    for command in ("inspect", "sweep"):
        rc, _, err = cli(capsys, command, folder, *(["--store", tmp_path / "r.sqlite"] if command == "sweep" else []))
        one_line_error(rc, err, str(folder / "frame-000002.png"), "frame 2", "is not a PNG")
    assert not (tmp_path / "r.sqlite").exists() or len(ResultStore(tmp_path / "r.sqlite")) == 0


def test_a_png_sequence_with_a_gap(tmp_path, capsys):
    folder = _png_folder(tmp_path / "pngs")
    (folder / "frame-000003.png").unlink()
    rc, _, err = cli(capsys, "inspect", folder)
    one_line_error(rc, err, "gap: frame-000003.png is missing")


def test_a_corrupt_image_cell_names_file_episode_frame_and_column(tmp_path, capsys):
    root, _ = write_tiny(tmp_path / "ds", storage="image")
    path = root / "data/chunk-000/file-000.parquet"
    table = pq.read_table(path)
    cells = table.column(TOP).to_pylist()
    cells[7 + 3] = {"bytes": b"\x89PNG\r\n\x1a\n garbage", "path": None}  # episode 1 (after 7 rows), frame 3
    table = table.set_column(table.schema.get_field_index(TOP), TOP,
                             pa.array(cells, type=table.schema.field(TOP).type))
    pq.write_table(table, path)
    rc, _, err = cli(capsys, "sweep", root, "--episodes", "1", "--cameras", "top", "--store", tmp_path / "r.sqlite")
    one_line_error(rc, err, str(path), "episode 1, frame 3", f"column {TOP!r}", "corrupt image cell")


def test_an_image_cell_path_outside_the_dataset_is_refused(tmp_path, capsys):
    root, _ = write_tiny(tmp_path / "ds", storage="image")
    path = root / "data/chunk-000/file-000.parquet"
    table = pq.read_table(path)
    cells = [{"bytes": None, "path": "../../outside.png"}] * table.num_rows
    table = table.set_column(0, TOP, pa.array(cells, type=table.schema.field(TOP).type))
    pq.write_table(table, path)
    (tmp_path / "outside.png").write_bytes(b"secret")
    rc, _, err = cli(capsys, "sweep", root, "--cameras", "top", "--store", tmp_path / "r.sqlite")
    one_line_error(rc, err, "'../../outside.png' points outside the dataset root")


@pytest.mark.parametrize("field_name", ["data_path", "video_path"])
def test_info_json_paths_outside_the_dataset_are_refused(tmp_path, capsys, field_name):
    storage = "image" if field_name == "data_path" else "video"
    root, _ = write_tiny(tmp_path / "ds", storage=storage)
    info_path = root / "meta/info.json"
    info = json.loads(info_path.read_text())
    info[field_name] = "../elsewhere/" + info[field_name]
    info_path.write_text(json.dumps(info))
    rc, _, err = cli(capsys, "sweep", root, "--store", tmp_path / "r.sqlite")
    one_line_error(rc, err, field_name, "points outside the dataset root")


def test_v3_episode_length_overlapping_the_next_episode(tmp_path, capsys):
    root, _ = write_tiny(tmp_path / "ds")
    ep_path = root / "meta/episodes/chunk-000/file-000.parquet"
    import pandas as pd

    rows = pd.read_parquet(ep_path)
    rows.loc[0, "length"] = 9  # its 7 frames plus 2 of episode 1
    rows.to_parquet(ep_path, index=False)
    rc, _, err = cli(capsys, "sweep", root, "--episodes", "0", "--store", tmp_path / "r.sqlite")
    one_line_error(rc, err, "episode 0", "past the next episode's start")


def test_v21_video_with_more_frames_than_its_episode(tmp_path, capsys):
    root, _ = write_tiny(tmp_path / "ds", version="v2.1")
    path = root / "meta/episodes.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[0]["length"] = 5  # the mp4 holds 7
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    rc, _, err = cli(capsys, "sweep", root, "--episodes", "0", "--store", tmp_path / "r.sqlite")
    one_line_error(rc, err, "holds 7 frames but the episode length is 5", "refused rather than cut")


@pytest.mark.parametrize("faststart", [False, True])
def test_inspect_reports_a_truncated_mp4_as_truncated(video_file, tmp_path, capsys, faststart):
    import av

    source = video_file
    if faststart:  # index first: the file opens, the frames past the cut are missing
        source = tmp_path / "fs.mp4"
        with av.open(str(video_file)) as i, av.open(str(source), "w", options={"movflags": "faststart"}) as o:
            s = o.add_stream_from_template(i.streams.video[0])
            for p in i.demux(i.streams.video[0]):
                if p.dts is not None:
                    p.stream = s
                    o.mux(p)
    data = source.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 2 // 3])
    rc, _, err = cli(capsys, "inspect", cut)
    one_line_error(rc, err, f"{cut} is truncated", "missing" if faststart else "")


def test_an_org_name_path_that_is_no_local_folder_says_so_first(tmp_path):
    done = run("inspect", "no-such-org/no-such-dataset", env={"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path)})
    line = one_line_error(done.returncode, done.stderr, "no local folder")
    assert line.index("no local folder") < line.index("Hub")


def test_health_takes_the_sample_like_every_other_command(capsys):
    rc, out, err = cli(capsys, "health", "sample", "--json")
    assert rc == 0, err
    info = json.loads(out)
    assert info["ok"] is True and info["source"] == "sample"


# ------------------------------------------------------------------------------------------ values
@pytest.mark.parametrize("grid, message", [
    ("vcodec: [libsvtav1]\ncrf: {libsvtav: [20, 40]}\n", "axis 'crf' has values for ['libsvtav'], which is not a swept codec"),
    ("{}\n", "is empty"),
    ("vcodec: [h264]\ncrf: []\n", "axis 'crf' is an empty list"),
    ("vcodec: []\n", "vcodec is an empty list"),
])
def test_grid_mistakes_are_errors(tmp_path, capsys, grid, message):
    path = tmp_path / "g.yaml"
    path.write_text(grid)
    rc, _, err = cli(capsys, "sweep", "sample", "--grid", path, "--store", tmp_path / "r.sqlite")
    one_line_error(rc, err, message)
    assert not (tmp_path / "r.sqlite").exists()


@pytest.mark.parametrize("value", ["1.5", "-0.1", "nan"])
@pytest.mark.parametrize("command", ["recommend", "report", "demo"])
def test_min_ssim_outside_0_1_is_refused(real_store, tmp_path, capsys, value, command):
    argv = {"recommend": ["recommend", real_store], "report": ["report", real_store, "--out", tmp_path / "r.html"],
            "demo": ["demo", "--store", tmp_path / "d.sqlite", "--out", tmp_path / "d.html"]}[command]
    rc, _, err = cli(capsys, *argv, "--min-ssim", value)
    one_line_error(rc, err, "min_ssim=", "[0, 1]")
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "d.sqlite").exists()


def test_search_target_ssim_outside_0_1_is_refused(tmp_path, capsys):
    rc, _, err = cli(capsys, "search", "sample", "--target-ssim", "1.2", "--store", tmp_path / "s.sqlite")
    one_line_error(rc, err, "--target-ssim", "outside [0, 1]")


def test_demo_with_zero_cameras_is_refused(tmp_path, capsys):
    rc, _, err = cli(capsys, "demo", "--cameras", "0", "--store", tmp_path / "d.sqlite", "--out", tmp_path / "d.html")
    one_line_error(rc, err, "cameras=0", "positive integer")
    assert not (tmp_path / "d.sqlite").exists()


# ------------------------------------------------------------------------------------------ encoders
def test_frames_under_svt_av1_minimum_are_refused_not_a_crash(tmp_path):
    small = tmp_path / "small.mp4"
    encode_video_frames(tiny_frames(4, 5, h=16, w=16), small, 30, VideoEncoderConfig(vcodec="h264", preset="ultrafast"))
    grid = tmp_path / "g.yaml"
    grid.write_text("vcodec: [libsvtav1]\ncrf: [30]\n")
    done = run("sweep", small, "--grid", grid, "--store", tmp_path / "r.sqlite", "--workers", "1")
    one_line_error(done.returncode, done.stderr, "16x16 frames are too small for libsvtav1", "at least 25x4")
    done = run("realtime", "--cameras", "1", "--width", "16", "--height", "16", "--seconds", "0.2")
    one_line_error(done.returncode, done.stderr, "too small for libsvtav1", "at least 25x4")


@pytest.mark.parametrize("argv, needles", [
    (["--vcodec", "h264", "--preset", "bogus"], ["encoder h264 does not open", "preset='bogus'", "probe"]),
])
def test_realtime_refuses_an_encoder_that_does_not_open(argv, needles):
    done = run("realtime", "--cameras", "1", "--width", "64", "--height", "48", "--seconds", "0.2", *argv)
    one_line_error(done.returncode, done.stderr, *needles)


def test_realtime_auto_resolving_to_a_hardware_encoder_without_device():
    from lerobot_videobench.encoding import pyav_probe
    from lerobot_videobench.encoding.config import resolve_auto_vcodec

    picked = resolve_auto_vcodec(check_opens=False)
    if picked == "libsvtav1" or pyav_probe.probe_encoder(picked).opens:
        pytest.skip(f"vcodec='auto' resolves to {picked}, which works here")
    done = run("realtime", "--cameras", "1", "--width", "64", "--height", "48", "--seconds", "0.2", "--vcodec", "auto")
    one_line_error(done.returncode, done.stderr, f"encoder {picked} does not open", "hardware encoder",
                   "use vcodec=", "probe")


# ------------------------------------------------------------------------------------------ outputs
def test_json_output_into_a_closed_pipe_is_quiet(real_store):
    proc = subprocess.Popen([sys.executable, "-m", "lerobot_videobench.cli", "pareto", str(real_store), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    proc.stdout.close()  # the reader (`head`) is gone before anything is written
    err = proc.stderr.read().decode()
    assert proc.wait(60) == 0
    assert err == ""


def test_json_output_piped_into_head():
    done = subprocess.run(f"{sys.executable} -m lerobot_videobench.cli probe --json | head -n 1", shell=True,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.strip() == "{" and "Traceback" not in done.stderr and done.stderr == ""


def test_report_out_that_is_a_directory(real_store, tmp_path, capsys):
    rc, _, err = cli(capsys, "report", real_store, "--out", tmp_path)
    one_line_error(rc, err, f"report --out {tmp_path} is a directory", "report.html")


def test_report_out_in_a_read_only_place(real_store, tmpfs, capsys):
    media = tmpfs("64k", read_only=True)
    rc, _, err = cli(capsys, "report", real_store, "--out", media / "r.html")
    one_line_error(rc, err, f"report --out {media / 'r.html'} cannot be written", "Read-only")


def test_sweep_export_is_checked_before_the_sweep(tmpfs, tmp_path, capsys):
    media = tmpfs("64k", read_only=True)
    rc, _, err = cli(capsys, "sweep", "sample", "--export", media / "r.csv", "--store", tmp_path / "r.sqlite")
    one_line_error(rc, err, "sweep --export", "cannot be written")
    assert not (tmp_path / "r.sqlite").exists()


# ------------------------------------------------------------------------------------------ frame cache
def test_cache_info_and_clear(tmp_path, capsys):
    from lerobot_videobench.episodes.frame_cache import frames_dir

    ep = episode_from_arrays(tiny_frames(4, 2), source="tiny")
    cached = ep.cached(tmp_path / "c")
    (frames_dir(tmp_path / "c") / "x.99999999-1.tmp").write_bytes(b"left by a killed run")
    rc, out, err = cli(capsys, "cache", "info", "--cache-dir", tmp_path / "c", "--json")
    info = json.loads(out)
    assert rc == 0 and info["entries"] == 1 and info["bytes"] == 4 * 48 * 64 * 3 and info["orphans"] >= 1
    assert Path(cached.reader.path).is_file()
    rc, out, _ = cli(capsys, "cache", "clear", "--cache-dir", tmp_path / "c")
    assert rc == 0 and "cleared" in out
    assert not list(frames_dir(tmp_path / "c").glob("*")) if frames_dir(tmp_path / "c").exists() else True


def test_a_corrupt_cache_entry_of_the_right_size_is_not_trusted(tmp_path):
    ep = episode_from_arrays(tiny_frames(4, 2), source="tiny")
    path = Path(ep.cached(tmp_path / "c").reader.path)
    good = path.read_bytes()
    path.write_bytes(bytes(len(good)))  # same size, wrong content
    again = ep.cached(tmp_path / "c")
    assert Path(again.reader.path).read_bytes() == good


def test_the_frame_cache_is_bounded_least_recently_used_first(tmp_path, monkeypatch):
    entry = 4 * 48 * 64 * 3
    monkeypatch.setenv("LEROBOT_VIDEOBENCH_CACHE_MAX_GB", str(2.5 * entry / 1e9))
    paths = [Path(episode_from_arrays(tiny_frames(4, s), source=f"t{s}").cached(tmp_path / "c").reader.path)
             for s in range(3)]
    assert [p.exists() for p in paths] == [False, True, True]


def test_disk_full_in_the_frame_cache_names_it_and_how_to_move_it(tmpfs, tmp_path, video_file):
    small = tmpfs("16k")
    done = run("sweep", video_file, "--grid", "quick", "--store", tmp_path / "r.sqlite", "--workers", "1",
               env={"LEROBOT_VIDEOBENCH_CACHE": str(small)})
    one_line_error(done.returncode, done.stderr, f"no space left on the disk of the frame cache {small}",
                   "--cache-dir", "--no-frame-cache")


def test_disk_full_in_the_store_names_it(tmpfs, tmp_path, video_file):
    small = tmpfs("12k")
    grid = tmp_path / "g.yaml"
    grid.write_text("vcodec: [h264]\ncrf: [20, 30]\npreset: [ultrafast]\n")
    done = run("sweep", video_file, "--grid", grid, "--store", small / "r.sqlite", "--workers", "1",
               "--no-keep-videos", "--cache-dir", tmp_path / "c")
    line = one_line_error(done.returncode, done.stderr, "no space left")
    assert str(small) in line


def test_no_keep_videos_leaves_no_videos_folder(tmp_path, video_file, capsys):
    grid = tmp_path / "g.yaml"
    grid.write_text("vcodec: [h264]\ncrf: [30]\npreset: [ultrafast]\n")
    rc, _, err = cli(capsys, "sweep", video_file, "--grid", grid, "--store", tmp_path / "r.sqlite", "--workers", "1",
                     "--no-keep-videos", "--cache-dir", tmp_path / "c")
    assert rc == 0, err
    assert not (tmp_path / "r_videos").exists() and (tmp_path / "c" / "frames").is_dir()
