"""Tests for bench/store.py: the SQLite results store, DataFrame loading, export, concurrent writers."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lerobot_videobench.bench import (
    MeasureSettings,
    ResultStore,
    TrialResult,
    TrialSpec,
    export_results,
    load_results,
    run_trial,
)
from lerobot_videobench.encoding import VideoEncoderConfig
from lerobot_videobench.episodes import episode_from_arrays


def _result(key: str, status: str = "ok", *, bytes_: int | None = 1000, error: str | None = None, **kw) -> TrialResult:
    """A TrialResult as a trial would produce it, without encoding anything."""
    ok = status == "ok"
    return TrialResult(
        key=key,
        status=status,
        label=kw.pop("label", f"h264 crf23 g2 {key}"),
        episode_key="ep0/camera",
        episode_index=0,
        camera="camera",
        source="arrays",
        source_fingerprint="f" * 32,
        source_lossy=False,
        config={"vcodec": "h264", "crf": 23, "g": 2, "pix_fmt": "yuv420p", "extra_options": {}},
        encoder_threads=None,
        frames=10,
        width=64,
        height=48,
        fps=30,
        settings=MeasureSettings().to_dict(),
        versions={"pyav": "15.1"},
        error=error,
        bytes=bytes_ if ok else None,
        bytes_per_frame=bytes_ / 10 if ok and bytes_ else None,
        ssim_flavour="fast" if ok else None,
        quality={"ssim_mean": 0.95, "psnr_mean": 38.0} if ok else {},
        load_ms={"1_frame": {"p50": 1.5, "p95": 2.0, "mean": 1.6}} if ok else {},
        psnr_frames=np.linspace(30, 40, 10) if ok else None,
        ssim_frames=np.linspace(0.9, 1.0, 10) if ok else None,
        **kw,
    )


def _frames(n: int = 10, w: int = 64, h: int = 48, seed: int = 0) -> list[np.ndarray]:
    """Moving texture: a wide random-plus-sine image panned 3 px per frame."""
    rng = np.random.default_rng(seed)
    wide = w + 3 * n
    yy, xx = np.mgrid[0:h, 0:wide].astype(np.float32)
    tex = np.stack([128 + 80 * np.sin(xx / (5 + c)) * np.cos(yy / 4 + c) for c in range(3)], axis=-1)
    img = np.clip(tex + rng.normal(0, 20, tex.shape), 0, 255).astype(np.uint8)
    return [np.ascontiguousarray(img[:, 3 * i : 3 * i + w]) for i in range(n)]


# ---------------------------------------------------------------------------------------------- basics


def test_put_keys_len_contains(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "r.sqlite")
    assert len(store) == 0 and store.keys() == set()
    store.put(_result("a"))
    store.put(_result("b", "failed", error="ValueError: boom"))
    store.put(_result("c", "timeout", error="trial exceeded timeout of 1 s"))
    assert len(store) == 3
    assert store.keys() == {"a", "b", "c"}
    assert store.keys(["ok"]) == {"a"}
    assert store.keys(["failed", "timeout"]) == {"b", "c"}
    assert "a" in store and "zzz" not in store
    # a second handle on the same file sees the same rows (nothing held in memory)
    assert ResultStore(tmp_path / "r.sqlite").keys() == {"a", "b", "c"}


def test_store_uses_wal_journal(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    ResultStore(path).put(_result("a"))
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_put_same_key_replaces_the_row(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "r.sqlite")
    store.put(_result("a", "failed", error="RuntimeError: first try"))
    store.put(_result("a", bytes_=4321))
    assert len(store) == 1
    row = store.summary("a")
    assert row["status"] == "ok" and row["bytes"] == 4321 and row["error"] is None


def test_store_path_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="directory"):
        ResultStore(tmp_path)


def test_missing_key_is_a_key_error(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "r.sqlite")
    with pytest.raises(KeyError):
        store.summary("nope")
    with pytest.raises(KeyError):
        store.frame_arrays("nope")


def test_delete_removes_rows(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "r.sqlite")
    for k in "abc":
        store.put(_result(k))
    store.delete(["a", "c"])
    assert store.keys() == {"b"}


# ---------------------------------------------------------------------------------------------- DataFrame and export


def test_load_results_has_one_row_per_trial_failed_included_with_error(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    store = ResultStore(path)
    store.put(_result("a", bytes_=1200), sweep="s1")
    store.put(_result("b", "failed", error="ValueError: [Errno 22] Invalid argument"), sweep="s1")
    df = load_results(path)
    assert isinstance(df, pd.DataFrame)
    assert len(df) == 2
    df = df.set_index("key")
    assert df.loc["a", "status"] == "ok" and df.loc["a", "bytes"] == 1200
    assert df.loc["b", "status"] == "failed"
    assert df.loc["b", "error"] == "ValueError: [Errno 22] Invalid argument"
    assert pd.isna(df.loc["b", "bytes"])
    # flat columns for tables: config fields, quality, per-pattern load times, provenance of the row
    for col in ("config.vcodec", "config.crf", "ssim_mean", "psnr_mean", "load_1_frame_p50_ms", "sweep", "stored_at"):
        assert col in df.columns, col
    assert df.loc["a", "config.vcodec"] == "h264" and df.loc["a", "load_1_frame_p50_ms"] == 1.5
    assert df.loc["a", "sweep"] == "s1"
    assert isinstance(df.loc["a", "versions"], dict)


def test_load_results_of_missing_store_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_results(tmp_path / "nope.sqlite")


def test_load_results_of_empty_store_is_empty_frame(tmp_path: Path) -> None:
    ResultStore(tmp_path / "r.sqlite")
    assert len(load_results(tmp_path / "r.sqlite")) == 0


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_export_round_trip(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / "r.sqlite"
    store = ResultStore(path)
    store.put(_result("a", bytes_=1200))
    store.put(_result("b", bytes_=800))
    store.put(_result("c", "failed", error="ValueError: boom"))
    out = export_results(path, tmp_path / "out" / f"results{suffix}")
    assert out.is_file()
    back = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    back = back.set_index("key").sort_index()
    assert list(back.index) == ["a", "b", "c"]
    assert list(back["status"]) == ["ok", "ok", "failed"]
    assert back.loc["a", "bytes"] == 1200 and back.loc["b", "bytes"] == 800
    assert back.loc["c", "error"] == "ValueError: boom"
    assert back.loc["a", "ssim_mean"] == pytest.approx(0.95)
    # nested values (versions, settings) are exported as JSON text
    assert '"pyav": "15.1"' in back.loc["a", "versions"]


def test_export_unknown_suffix_is_a_value_error(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    ResultStore(path).put(_result("a"))
    with pytest.raises(ValueError, match=r"\.parquet"):
        export_results(path, tmp_path / "out.xlsx")


def test_frame_arrays_round_trip_from_a_real_trial(tmp_path: Path) -> None:
    episode = episode_from_arrays(_frames())
    result = run_trial(
        episode,
        TrialSpec(VideoEncoderConfig(vcodec="h264", crf=28, preset="veryfast"), 1),
        settings=MeasureSettings(access_samples=2, png_samples=1),
    )
    assert result.ok, result.error
    store = ResultStore(tmp_path / "r.sqlite")
    store.put(result)
    arrays = store.frame_arrays(result.key)
    assert set(arrays) == {"psnr_frames", "ssim_frames"}
    np.testing.assert_array_equal(arrays["psnr_frames"], result.psnr_frames)
    np.testing.assert_array_equal(arrays["ssim_frames"], result.ssim_frames)
    assert arrays["psnr_frames"].shape == (10,)
    row = store.summary(result.key)
    assert row["bytes"] == result.bytes and row["ssim_mean"] == pytest.approx(float(np.mean(result.ssim_frames)))


def test_failed_result_has_no_frame_arrays(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "r.sqlite")
    store.put(_result("x", "failed", error="boom"))
    assert store.frame_arrays("x") == {}


# ---------------------------------------------------------------------------------------------- concurrency


def _writer(path: str, prefix: str, n: int, shared: int, barrier) -> None:
    """Runs in a separate process: its own ResultStore handle, one committed put per result."""
    barrier.wait()  # both create the store (schema, WAL switch) and write at the same moment
    store = ResultStore(path)
    for i in range(n):
        store.put(_result(f"{prefix}{i:03d}"), sweep=prefix)
        if i < shared:  # keys both writers produce: INSERT OR REPLACE must keep exactly one row
            store.put(_result(f"shared{i:03d}"), sweep=prefix)


def test_two_processes_writing_concurrently_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "r.sqlite")
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_writer, args=(path, p, 50, 10, barrier)) for p in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    store = ResultStore(path)
    expected = {f"{p}{i:03d}" for p in "ab" for i in range(50)} | {f"shared{i:03d}" for i in range(10)}
    assert store.keys() == expected
    assert len(store) == 110
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert len(load_results(path)) == 110
