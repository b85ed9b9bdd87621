"""Data parquet files laid out the way LeRobot writes them (image structs first, then state/action
vectors, then scalar indices; one row group per episode): every episode is found, through the library
and through the CLI. The row-group filter once read the statistics of the wrong column there."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from _episodes_support import TOP, WRIST, frames_equal, tiny_frames, write_tiny
from lerobot_videobench.cli import main
from lerobot_videobench.episodes import ParquetImageFrames, load_episodes
from lerobot_videobench.episodes.writer import _image_bytes

IMAGE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEROBOT_VIDEOBENCH_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module", params=["v3.0", "v2.1"])
def image_ds(request, tmp_path_factory):
    return write_tiny(tmp_path_factory.mktemp("img") / "ds", version=request.param, storage="image")


def test_writer_lays_data_out_like_lerobot(image_ds):
    root, eps = image_ds
    files = sorted(root.glob("data/chunk-*/*.parquet"))
    pf = pq.ParquetFile(files[0])
    assert pf.schema_arrow.names == [
        TOP, WRIST, "observation.state", "action", "timestamp", "frame_index", "episode_index", "index", "task_index",
    ]
    assert pf.schema_arrow.field(TOP).type == IMAGE
    assert pa.types.is_fixed_size_list(pf.schema_arrow.field("observation.state").type)
    # one row group per episode, as LeRobot's recorder writes them
    assert sum(pq.ParquetFile(f).num_row_groups for f in files) == len(eps)
    info = json.loads((root / "meta/info.json").read_text())
    assert info["features"]["action"]["shape"] == [6]


def test_every_episode_of_an_image_dataset_reads_back(image_ds):
    root, eps = image_ds
    for e in range(len(eps)):
        for cam in (TOP, WRIST):
            (got,) = load_episodes(root, episodes=[e], cameras=[cam])
            assert got.num_frames == len(eps[e][cam])
            assert frames_equal(got.iter_frames(), eps[e][cam])


def test_row_groups_of_other_episodes_are_skipped(tmp_path):
    """The filter uses episode_index's own statistics: a row group of another episode is never read,
    even when it is unreadable."""
    root, eps = write_tiny(tmp_path / "ds", storage="image")
    path = root / "data/chunk-000/file-000.parquet"
    table = pq.read_table(path)
    # episode 0's images replaced by garbage bytes: reading episode 1 or 2 must not touch them
    n0 = len(eps[0][TOP])
    cells = table.column(TOP).to_pylist()
    cells[:n0] = [{"bytes": b"not an image", "path": None}] * n0
    table = table.set_column(0, TOP, pa.array(cells, type=IMAGE))
    with pq.ParquetWriter(path, table.schema) as w:
        for start, n in ((0, n0), (n0, len(eps[1][TOP])), (n0 + len(eps[1][TOP]), len(eps[2][TOP]))):
            w.write_table(table.slice(start, n))
    (got,) = load_episodes(root, episodes=[2], cameras=[TOP])
    assert frames_equal(got.iter_frames(), eps[2][TOP])


def test_string_column_where_the_arrow_position_points(tmp_path):
    """A string leaf at episode_index's Arrow position (struct before it) once raised TypeError."""
    frames = {e: tiny_frames(4, e) for e in range(3)}
    path = tmp_path / "data.parquet"
    with pq.ParquetWriter(path, pa.schema([("cam", IMAGE), ("task", pa.string()), ("episode_index", pa.int64())])) as w:
        for e, fs in frames.items():
            w.write_table(pa.table({
                "cam": pa.array([{"bytes": _image_bytes(f, "png"), "path": None} for f in fs], type=IMAGE),
                "task": [f"task {e}"] * len(fs),
                "episode_index": pa.array([e] * len(fs), type=pa.int64()),
            }))
    for e, fs in frames.items():
        reader = ParquetImageFrames((str(path),), "cam", e, len(fs))
        assert reader.count() == len(fs)
        assert all(np.array_equal(a, b) for a, b in zip(reader(), fs, strict=True))


def test_cli_health_and_sweep_of_a_middle_episode(tmp_path, capsys):
    root, eps = write_tiny(tmp_path / "ds", storage="image")
    assert main(["health", str(root), "--json"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    grid = tmp_path / "g.yaml"
    grid.write_text("vcodec: [h264]\ncrf: [30]\npreset: [ultrafast]\nencoder_threads: [1]\n")
    store = tmp_path / "r.sqlite"
    rc = main(["sweep", str(root), "--episodes", "1", "--cameras", "top", "--grid", str(grid),
               "--store", str(store), "--workers", "1", "--json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    info = json.loads(out)
    assert (info["trials"], info["failed"]) == (1, 0)
    assert info["summary"][0]["ssim_mean"] > 0.5
